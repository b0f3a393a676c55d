/**
 * The training slice against a fake engine: uploads (per-file problems, nothing lost),
 * progress deltas appended in place, previews capped, autosave into a session storage (by
 * the worker's own recorder, as the engine worker does it) and resume from it with the
 * data, curves and previews restored, and the model export.
 */
import { describe, expect, it } from 'vitest';
import { canGenerate, createAppStore, type AppStore } from '../../src/store/store';
import { MODEL_INDEX_FORMAT, type ModelIndexEntry } from '../../src/store/modelCatalog';
import { memorySessions, type SessionStorage } from '../../src/store/sessions';
import { SessionRecorder } from '../../src/worker/autosave';
import { MAX_PREVIEWS, appendPreview } from '../../src/store/slices/trainSlice';
import { decodeModelFile } from '../../src/core/io/modelFile';
import type { EngineApi, StartTrainingParams, TrainingProgress } from '../../src/worker/protocol';
import { labStubs } from './trainingStubs';

const S = 2;
const entry: ModelIndexEntry = {
  name: 'm', path: 'm/', description: 'fake', kind: 'ddgan-generator', T: 4, imageSize: S, channels: 1, paramCount: 10, weightBytes: 400,
  dataset: null, iterations: null, wallSeconds: null, createdAt: null, metrics: {},
};
const memory = { numTensors: 7, numBytes: 100 };

/** A resume checkpoint with one EMA weight of 1 float, as the worker would send it. */
function checkpoint(iteration: number): Extract<TrainingProgress, { status: 'checkpoint' }> {
  const modelJson = {
    format: 'ddgan-web-checkpoint/1', name: 'run', networks: { generator: { kind: 'ddgan-generator' }, generatorEma: { kind: 'ddgan-generator' } },
    weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'generator/w', shape: [1], dtype: 'float32' }, { name: 'generatorEma/w', shape: [1], dtype: 'float32' }] }],
    trainerState: { iteration },
  };
  return { status: 'checkpoint', iteration, modelJson, weights: new Float32Array([1, iteration]).buffer };
}

/** A fake engine; with `sessions`, it autosaves there the way the worker does. */
function fake(sessions: SessionStorage | null = null): { engine: EngineApi; starts: StartTrainingParams[] } {
  const starts: StartTrainingParams[] = [];
  const none = async () => ({ state: null, iteration: 0 });
  const engine: EngineApi = {
    async init({ backend }) {
      return { requested: backend, backend: 'wasm', adapter: { available: false, detail: 'fake' }, reason: 'fake', failures: [], wasm: null, numTensors: 0, ms: 1 };
    },
    probeGenerator: async () => Promise.reject(new Error('unused')),
    async loadModel(p) {
      const warmup = { batch: p.warmupBatch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 };
      return { model: { name: p.name, T: 4, imageSize: S, channels: 1, nz: 2, paramCount: 10 }, backend: 'wasm', bytes: 400, downloadMs: 1, warmup, memory };
    },
    warmup: async ({ batch }) => ({ batch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 }),
    generate: async () => Promise.reject(new Error('unused')),
    reroll: async () => Promise.reject(new Error('unused')),
    cancel: async () => ({ cancelled: 0 }),
    memory: async () => memory,
    async decodeImages({ files, size, channels }) {
      return {
        ms: 1,
        images: files.map((f) =>
          f.name.endsWith('.png') ? { name: f.name, ok: true as const, pixels: new Uint8Array(size * size * channels).fill(f.bytes.byteLength).buffer, width: 9, height: 9, format: 'png' } : { name: f.name, ok: false as const, error: 'not a PNG, JPEG, WebP or GIF image' },
        ),
      };
    },
    async startTraining(p, o) {
      starts.push(p);
      const from = p.init.kind === 'resume' ? 2 : 0;
      const rec = p.autosave ? await SessionRecorder.start(sessions, { autosave: p.autosave, data: p.data, settings: p.settings, resumed: p.init.kind === 'resume' }, (n) => o?.onProgress?.(n)) : null;
      const emit = (e: TrainingProgress) => {
        rec?.observe(e);
        o?.onProgress?.(e);
      };
      const recipe = p.settings.recipe ?? 'ddgan';
      emit({ status: 'started', iteration: from, init: p.init.kind, recipe, images: 2, generatorParams: 10, discriminatorParams: 5, imageSize: S, channels: 1, note: 'n' });
      emit({ status: 'state', state: 'running', iteration: from, message: null, lastGoodIteration: null });
      emit({ status: 'preview', iteration: from, frame: new Uint8ClampedArray(16).buffer, batch: 1, width: S, height: S });
      emit(checkpoint(from));
      for (let i = from + 1; i <= p.settings.iterations; i++) {
        const dg = recipe === 'diffusion-gan' ? { diffusionT: 10 + i, rd: i % 2 ? NaN : 0.75 } : {};
        emit({ status: 'iteration', stats: { iteration: i, lossD: 1.4, lossG: 0.7, r1: i % 2 ? NaN : 0.1, dReal: 0.1, dFake: -0.1, ms: 100, ...dg }, elapsedMs: 100 * i, memory });
        if (i === 2) emit(checkpoint(2));
      }
      emit({ status: 'state', state: 'done', iteration: p.settings.iterations, message: null, lastGoodIteration: 2 });
      await rec?.flush();
      return { state: 'done', iteration: p.settings.iterations, elapsedMs: 100, memory };
    },
    pauseTraining: none, resumeTraining: none, stepTraining: none, stopTraining: none, rollbackTraining: none,
    importModel: async () => Promise.reject(new Error('unused')),
    ...labStubs(),
  };
  return { engine, starts };
}

async function booted(engine: EngineApi, sessions = memorySessions()): Promise<AppStore> {
  const store = createAppStore({
    engine, sessions, indexUrl: 'http://127.0.0.1:1/models/index.json', random: () => 0.5, now: () => '2026-11-23T22:00:00.000Z',
    fetchJson: async () => ({ format: MODEL_INDEX_FORMAT, models: [entry], skipped: [] }),
  });
  await store.getState().actions.boot();
  return store;
}

const file = (name: string, bytes: number) => ({ name, size: bytes, arrayBuffer: async () => new ArrayBuffer(bytes) });

describe('training slice', () => {
  it('loads good files and reports each bad one without losing what was loaded', async () => {
    const store = await booted(fake().engine);
    const a = store.getState().actions;
    await a.addFiles([file('a.png', 3), file('notes.txt', 5), file('empty.png', 0)]);
    await a.addFiles([file('b.png', 4)]);
    const t = store.getState().train;
    expect(t.uploads.map((u) => u.name)).toEqual(['a.png', 'b.png']);
    expect(t.problems).toEqual([
      { name: 'empty.png', message: 'the file is empty (0 bytes)' },
      { name: 'notes.txt', message: 'not a PNG, JPEG, WebP or GIF image' },
    ]);
    expect(t.decoding).toBeNull();
  });

  it('trains on the uploads, appends deltas, autosaves, and resumes a saved session where it stopped', async () => {
    const sessions = memorySessions();
    const { engine, starts } = fake(sessions);
    const store = await booted(engine, sessions);
    const a = store.getState().actions;
    expect(a.exportModelFile()).toBeNull();
    await a.addFiles([file('a.png', 3), file('b.png', 4)]);
    a.setTrainSettings({ iterations: 3 });
    await a.startTraining();
    let t = store.getState().train;
    expect(starts[0].data).toMatchObject({ kind: 'pixels', count: 2, size: S, channels: 1 });
    expect(t.status).toBe('done');
    expect(t.series.iteration).toEqual([1, 2, 3]);
    expect(t.series.r1).toEqual([null, 0.1, null]);
    expect(t.length).toBe(3);
    expect(t.autosave).toMatchObject({ status: 'saved', iteration: 2 });
    const list = await sessions.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ iteration: 2, dataLabel: '2 uploaded images', modelName: 'm' });
    expect(store.getState().train.sessions).toHaveLength(1);

    // Export: the EMA weight only, renamed to generator.
    const out = a.exportModelFile();
    expect(out?.filename).toBe('m-ft2.ddgan.json');
    const back = decodeModelFile(out!.bytes.buffer as ArrayBuffer);
    expect([...new Float32Array(back.weights)]).toEqual([2]);

    // A new page: resume restores the uploads and the rows up to the checkpoint, then goes on.
    const store2 = await booted(engine, sessions);
    store2.getState().actions.setTrainSettings({ iterations: 3 });
    await store2.getState().actions.resumeSession(list[0].id);
    t = store2.getState().train;
    expect(starts[1].init.kind).toBe('resume');
    expect(t.uploads).toHaveLength(2);
    expect(t.series.iteration).toEqual([1, 2, 3]);
    expect(t.run?.startIteration).toBe(2);
    expect(t.sessionId).toBe(list[0].id);
  });

  it('trains the chosen recipe, keeps T_dg and r_d per row, and a saved session resumes with its recipe', async () => {
    const sessions = memorySessions();
    const { engine, starts } = fake(sessions);
    const store = await booted(engine, sessions);
    const a = store.getState().actions;
    expect(store.getState().train.settings.recipe).toBe('ddgan');
    await a.addFiles([file('a.png', 3)]);
    a.setTrainSettings({ iterations: 3, recipe: 'diffusion-gan' });
    await a.startTraining();
    let t = store.getState().train;
    expect(starts[0].settings.recipe).toBe('diffusion-gan');
    expect(t.run?.recipe).toBe('diffusion-gan');
    expect(t.series.diffusionT).toEqual([11, 12, 13]);
    expect(t.series.rd).toEqual([null, 0.75, null]);
    const [saved] = await sessions.list();
    expect((await sessions.load(saved.id))?.settings.recipe).toBe('diffusion-gan');
    expect(a.exportModelFile()?.bytes.byteLength).toBeGreaterThan(0);

    // A new page whose settings say DD-GAN: the session continues with its own recipe.
    const store2 = await booted(engine, sessions);
    store2.getState().actions.setTrainSettings({ iterations: 3 });
    await store2.getState().actions.resumeSession(saved.id);
    t = store2.getState().train;
    expect(t.settings.recipe).toBe('diffusion-gan');
    expect(starts[1].settings.recipe).toBe('diffusion-gan');
    expect(t.series.diffusionT).toEqual([11, 12, 13]);
  });

  it('resumes a session saved before the recipe choice as DD-GAN, its T_dg column as gaps', async () => {
    const sessions = memorySessions();
    const { engine, starts } = fake(sessions);
    const store = await booted(engine, sessions);
    const a = store.getState().actions;
    await a.addFiles([file('a.png', 3)]);
    a.setTrainSettings({ iterations: 2 });
    await a.startTraining();
    const [summary] = await sessions.list();
    // Rewrite it the way an older version stored it: no recipe, no Diffusion-GAN columns.
    const old = (await sessions.load(summary.id))!;
    const { recipe: _recipe, ...oldSettings } = old.settings;
    const { diffusionT: _t, rd: _rd, ...oldSeries } = old.series;
    void _recipe;
    void _t;
    void _rd;
    await sessions.save({ ...old, settings: oldSettings, series: oldSeries as typeof old.series });

    const store2 = await booted(engine, sessions);
    store2.getState().actions.setTrainSettings({ recipe: 'diffusion-gan', iterations: 2 });
    await store2.getState().actions.resumeSession(summary.id);
    const t = store2.getState().train;
    expect(starts[1].settings.recipe).toBe('ddgan');
    expect(t.settings.recipe).toBe('ddgan');
    expect(t.series.iteration).toEqual([1, 2]);
    expect(t.series.diffusionT).toEqual([null, null]);
  });

  it('keeps the first preview and the newest ones', () => {
    let list: ReturnType<typeof appendPreview> = [];
    for (let i = 0; i < MAX_PREVIEWS + 10; i++) list = appendPreview(list, { iteration: i, frame: new Uint8ClampedArray(4), batch: 1, width: 1, height: 1 });
    expect(list).toHaveLength(MAX_PREVIEWS);
    expect(list[0].iteration).toBe(0);
    expect(list[list.length - 1].iteration).toBe(MAX_PREVIEWS + 9);
  });

  it('shows a divergence with its last good iteration and asks the worker to roll back', async () => {
    const { engine } = fake();
    let rollbacks = 0;
    engine.rollbackTraining = async () => {
      rollbacks++;
      return { state: 'paused', iteration: 2 };
    };
    let release!: () => void;
    engine.startTraining = async (_p, o) => {
      o?.onProgress?.(checkpoint(2));
      o?.onProgress?.({ status: 'state', state: 'diverged', iteration: 3, message: 'training diverged at iteration 3: lossD is NaN', lastGoodIteration: 2 });
      await new Promise<void>((r) => (release = r));
      return { state: 'stopped', iteration: 3, elapsedMs: 1, memory };
    };
    const store = await booted(engine);
    const a = store.getState().actions;
    await a.addFiles([file('a.png', 3)]);
    const running = a.startTraining();
    await new Promise((r) => setTimeout(r, 0));
    const t = store.getState().train;
    expect(t.status).toBe('diverged');
    expect(t.message).toMatch(/lossD is NaN/);
    expect(t.lastGoodIteration).toBe(2);
    // Generate waits while a diverged run still holds the worker.
    expect(canGenerate(store.getState())).toBe(false);
    await a.rollbackTraining();
    expect(rollbacks).toBe(1);
    release();
    await running;
    expect(store.getState().train.status).toBe('stopped');
  });

  it('says why it cannot train without images', async () => {
    const store = await booted(fake().engine);
    await store.getState().actions.startTraining();
    expect(store.getState().train.error?.message).toMatch(/add some images first/);
  });
});
