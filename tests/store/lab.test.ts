/**
 * The mode-coverage lab slice against a fake engine: the settings it sends, reports
 * replacing each recipe's plot data, the Diffusion-GAN T trace appended in place (deltas),
 * a diverged recipe keeping its last plot, the worker's queue held (no Generate, no second
 * start) while a run is live, controls, and errors.
 */
import { describe, expect, it } from 'vitest';
import { canGenerate, createAppStore, isLabBusy, labIteration, labSecondsLeft, type AppStore } from '../../src/store/store';
import { MODEL_INDEX_FORMAT, type ModelIndexEntry } from '../../src/store/modelCatalog';
import { EngineError } from '../../src/worker/client';
import type { EngineApi, StartToyLabParams, ToyLabMetrics, ToyLabProgress, ToyLabRecipeId } from '../../src/worker/protocol';
import { trainingStubs } from './trainingStubs';

const entry: ModelIndexEntry = {
  name: 'm', path: 'm/', description: 'fake', kind: 'ddgan-generator', T: 4, imageSize: 2, channels: 1, paramCount: 10, weightBytes: 400,
  dataset: null, iterations: null, wallSeconds: null, createdAt: null, metrics: {},
};
const memory = { numTensors: 7, numBytes: 100 };
const metrics = (modes: number): ToyLabMetrics => ({
  n: 4, modesCovered: modes, numModes: 25, highQualityShare: 0.5, reverseKl: 0.2, meanPointToMode: 0.3, meanModeToPoint: 0.4, precision: 0.6, recall: 0.7,
});

function report(id: ToyLabRecipeId, iteration: number, extra: Partial<Extract<ToyLabProgress, { status: 'report' }>> = {}): ToyLabProgress {
  return {
    status: 'report', id, iteration, points: new Float32Array([iteration, 1, 2, 3]).buffer, n: 2, metrics: metrics(iteration), stats: null,
    diffusion: null, tTrace: null, trajectory: null, trainMs: 10 * iteration, memory, ...extra,
  };
}

interface Fake {
  engine: EngineApi;
  starts: StartToyLabParams[];
  controls: string[];
  /** Resolves the running startToyLab (it waits for this after its scripted events). */
  finish(): void;
}

/** `script` emits the run's events; it may await `gate` (released by `finish()`) part-way. */
function fake(script: (emit: (p: ToyLabProgress) => void, gate: Promise<void>) => void | Promise<void>, outcome: 'done' | 'stopped' | Error = 'done'): Fake {
  const starts: StartToyLabParams[] = [];
  const controls: string[] = [];
  let release = (): void => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const none = async () => ({ state: null, iteration: 0 });
  const engine: EngineApi = {
    async init({ backend }) {
      return { requested: backend, backend: 'wasm', adapter: { available: false, detail: 'fake' }, reason: 'fake', failures: [], wasm: null, numTensors: 0, ms: 1 };
    },
    probeGenerator: async () => Promise.reject(new Error('unused')),
    async loadModel(p) {
      const warmup = { batch: p.warmupBatch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 };
      return { model: { name: p.name, T: 4, imageSize: 2, channels: 1, nz: 2, paramCount: 10 }, backend: 'wasm', bytes: 400, downloadMs: 1, warmup, memory };
    },
    warmup: async ({ batch }) => ({ batch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 }),
    generate: async () => Promise.reject(new Error('unused')),
    reroll: async () => Promise.reject(new Error('unused')),
    cancel: async () => ({ cancelled: 0 }),
    memory: async () => memory,
    ...trainingStubs(),
    async startToyLab(p, o) {
      starts.push(p);
      await script((e) => o?.onProgress?.(e), gate);
      await gate;
      if (outcome instanceof Error) throw outcome;
      return { state: outcome, iteration: p.settings.iterations, elapsedMs: 1234, memory };
    },
    pauseToyLab: async () => (controls.push('pause'), { state: 'paused', iteration: 0 }),
    resumeToyLab: async () => (controls.push('resume'), { state: 'running', iteration: 0 }),
    stopToyLab: async () => (controls.push('stop'), none()),
  };
  return { engine, starts, controls, finish: () => release() };
}

async function booted(engine: EngineApi): Promise<AppStore> {
  const store = createAppStore(
    { engine, indexUrl: 'http://127.0.0.1:1/models/index.json', random: () => 0.5, fetchJson: async () => ({ format: MODEL_INDEX_FORMAT, models: [entry], skipped: [] }) },
    { batch: 1 },
  );
  await store.getState().actions.boot();
  return store;
}

const started: ToyLabProgress = {
  status: 'started', dataset: 'grid25', iterations: 4, extent: 5, real: new Float32Array([0, 0, 2, 2]).buffer,
  recipes: [
    { id: 'diffusion-gan', label: 'Diffusion-GAN', T: null, generatorParams: 3, discriminatorParams: 4 },
    { id: 'ddgan-t2', label: 'DD-GAN T = 2', T: 2, generatorParams: 5, discriminatorParams: 6 },
  ],
};

describe('lab slice', () => {
  it('starts with the chosen settings and follows reports, ticks, the T trace and a divergence', async () => {
    const storeRef: { current: AppStore | null } = { current: null };
    const stats = { iterations: 2, lossD: 1.3, lossG: 0.8, dReal: 0.2, dFake: -0.2, pReal: 0.55, pFake: 0.45, ms: 3 };
    const f = fake(async (emit, gate) => {
      emit(started);
      emit({ status: 'state', state: 'running', iteration: 0 });
      await gate;
      emit(report('diffusion-gan', 0, { diffusion: { T: 5, p: 0, rd: NaN }, tTrace: { iteration: [], T: [] } }));
      emit(report('ddgan-t2', 0, { trajectory: { T: 2, frames: new Float32Array(12).fill(1).buffer } }));
      emit(report('diffusion-gan', 2, { stats, diffusion: { T: 10, p: 0.01, rd: 0.8 }, tTrace: { iteration: [1, 2], T: [5, 10] } }));
      emit({ status: 'tick', iterations: [3, 1], elapsedMs: 900 });
      expect(labIteration(storeRef.current!.getState().lab)).toBe(1);
      emit({ status: 'diverged', id: 'ddgan-t2', iteration: 1, message: 'DD-GAN T = 2 diverged (lossD is NaN)' });
      // The slowest live recipe sets the progress; 1 iteration left at 3 ms.
      expect(labIteration(storeRef.current!.getState().lab)).toBe(3);
      expect(labSecondsLeft(storeRef.current!.getState().lab, 4)).toBeCloseTo(0.003);
      emit(report('diffusion-gan', 4, { stats, diffusion: { T: 15, p: 0.02, rd: 0.9 }, tTrace: { iteration: [3, 4], T: [10, 15] } }));
      emit({ status: 'state', state: 'done', iteration: 4 });
    });
    const store = await booted(f.engine);
    storeRef.current = store;
    const a = store.getState().actions;
    expect(canGenerate(store.getState())).toBe(true);
    a.setLabDataset('ring8');
    a.toggleLabRecipe('gan', false);
    a.toggleLabRecipe('ddgan-t4', false);
    a.toggleLabRecipe('ddgan-t2', true);
    a.setLabSettings({ iterations: 4, reportEvery: 2, batch: 32, hidden: 16, samples: 100, scatter: 500 });
    const run = a.startLab();
    // The run holds the worker: no Generate, no settings changes, no second run.
    expect(isLabBusy(store.getState())).toBe(true);
    expect(canGenerate(store.getState())).toBe(false);
    a.setLabDataset('moons');
    await a.startLab();
    expect(f.starts).toHaveLength(1);
    f.finish();
    await run;

    expect(f.starts[0].settings).toEqual({ dataset: 'ring8', recipes: ['diffusion-gan', 'ddgan-t2'], iterations: 4, reportEvery: 2, batch: 32, hidden: 16, layers: 3, samples: 100, scatter: 100, seed: 0 });
    const lab = store.getState().lab;
    expect(lab.status).toBe('done');
    expect(lab.elapsedMs).toBe(1234);
    expect(lab.trained).toEqual({ 'diffusion-gan': 3, 'ddgan-t2': 1 });
    expect(lab.run).toMatchObject({ dataset: 'grid25', iterations: 4, extent: 5 });
    expect(Array.from(lab.run!.real)).toEqual([0, 0, 2, 2]);
    const [dg, dd] = lab.results;
    expect(dg).toMatchObject({ id: 'diffusion-gan', iteration: 4, reports: 3, stats, diffusion: { T: 15 }, diverged: null });
    expect(Array.from(dg.points!)).toEqual([4, 1, 2, 3]);
    expect(dg.metrics?.modesCovered).toBe(4);
    // The trace holds each iteration once, appended from the deltas.
    expect(lab.trace).toEqual({ iteration: [1, 2, 3, 4], T: [5, 10, 10, 15] });
    expect(lab.traceLength).toBe(4);
    // The diverged recipe keeps its last report and says why.
    expect(dd).toMatchObject({ id: 'ddgan-t2', iteration: 0, reports: 1, diverged: { iteration: 1, message: expect.stringMatching(/diverged/) } });
    expect(dd.trajectory?.T).toBe(2);
    expect(dd.trajectory?.frames.length).toBe(12);
    expect(labIteration(lab)).toBe(4);
    expect(canGenerate(store.getState())).toBe(true);

    // The DD-GAN chain slider position is per recipe; null follows x_0 again.
    a.setChainStep('ddgan-t2', 1);
    expect(store.getState().lab.chainStep).toEqual({ 'ddgan-t2': 1 });
    a.setChainStep('ddgan-t2', null);
    expect(store.getState().lab.chainStep).toEqual({});
  });

  it('sends pause, resume and stop, and a new run starts from a clean view', async () => {
    const f = fake((emit) => {
      emit(started);
      emit({ status: 'state', state: 'running', iteration: 0 });
      emit(report('diffusion-gan', 0, { tTrace: { iteration: [1], T: [7] } }));
    }, 'stopped');
    const store = await booted(f.engine);
    const a = store.getState().actions;
    const run = a.startLab();
    await a.pauseLab();
    await a.resumeLab();
    await a.stopLab();
    f.finish();
    await run;
    expect(f.controls).toEqual(['pause', 'resume', 'stop']);
    expect(store.getState().lab.status).toBe('stopped');
    expect(store.getState().lab.trace.iteration).toEqual([1]);
    // A second run starts over: the trace is not appended to the old one.
    await a.startLab();
    expect(f.starts).toHaveLength(2);
    expect(store.getState().lab.trace.iteration).toEqual([1]);
    expect(store.getState().lab.results.map((r) => r.reports)).toEqual([1, 0]);
  });

  it('shows an engine error and a refusal without a recipe, and stays usable', async () => {
    const f = fake(() => undefined, new EngineError({ name: 'NoTrainingError', code: 'no-training', message: 'a fine-tune run is training: stop it first' }));
    const store = await booted(f.engine);
    const a = store.getState().actions;
    for (const id of ['gan', 'diffusion-gan', 'ddgan-t4'] as const) a.toggleLabRecipe(id, false);
    await a.startLab();
    expect(store.getState().lab).toMatchObject({ status: 'error', error: { code: 'bad-request', message: 'pick at least one recipe to train' } });
    expect(f.starts).toHaveLength(0);
    a.toggleLabRecipe('gan', true);
    f.finish();
    await a.startLab();
    expect(store.getState().lab).toMatchObject({ status: 'error', error: { code: 'no-training', message: expect.stringMatching(/stop it first/) } });
    expect(isLabBusy(store.getState())).toBe(false);
    expect(canGenerate(store.getState())).toBe(true);
  });
});
