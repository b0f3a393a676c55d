/**
 * The store against a fake engine (no worker, no tfjs): boot order, progress, streaming
 * into the trajectory, superseded runs, warm-up on batch change, re-roll branches, errors.
 */
import { describe, expect, it } from 'vitest';
import { createAppStore, type AppStore } from '../../src/store/store';
import { MODEL_INDEX_FORMAT } from '../../src/store/modelCatalog';
import { fakeModelEntry } from './fakeModel';
import type { AdapterFacts, EngineApi, GenerateParams, LoadModelParams, RerollParams, StepProgress } from '../../src/worker/protocol';
import { EngineError } from '../../src/worker/client';
import { trainingStubs } from './trainingStubs';

const S = 2;
const T = 4;
const entry = fakeModelEntry(S, T);
const buf = (batch: number, v: number): ArrayBuffer => new Uint8ClampedArray(batch * S * S * 4).fill(v).buffer;
const memory = { numTensors: 7, numBytes: 100 };
const tick = () => new Promise((r) => setTimeout(r, 0));

interface Calls {
  load: LoadModelParams[];
  warmup: number[];
  generate: GenerateParams[];
  reroll: RerollParams[];
  cancel: number;
}

function fakeEngine(opts: { failLoad?: boolean; gate?: () => Promise<void> } = {}): { engine: EngineApi; calls: Calls } {
  const calls: Calls = { load: [], warmup: [], generate: [], reroll: [], cancel: 0 };
  const engine: EngineApi = {
    async init({ backend }) {
      return { requested: backend, backend: backend === 'auto' ? 'wasm' : backend, adapter: { available: false, detail: 'fake' }, reason: 'fake', failures: [], wasm: null, numTensors: 0, ms: 1 };
    },
    async probeGenerator() {
      throw new Error('not used');
    },
    async loadModel(p, o) {
      calls.load.push(p);
      o?.onProgress?.({ status: 'download', loadedBytes: 200, totalBytes: 400 });
      if (opts.failLoad) throw new EngineError({ name: 'ModelLoadError', code: 'model-load-failed', message: 'm: could not fetch weights.bin: HTTP 404' });
      o?.onProgress?.({ status: 'warmup', phase: 'run', done: 4, total: 4 });
      const warmup = { batch: p.warmupBatch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 };
      return { model: { name: p.name, T, imageSize: S, channels: 1, nz: 2, paramCount: 10 }, backend: 'wasm', bytes: 400, downloadMs: 1, warmup, memory };
    },
    async warmup({ batch }) {
      calls.warmup.push(batch);
      return { batch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 };
    },
    async generate(p, o) {
      calls.generate.push(p);
      for (let k = T; k >= 1; k--) {
        await opts.gate?.();
        const step: StepProgress = { status: 'step', branch: 0, k, T, xK: buf(p.batch, 10 * k), x0Pred: buf(p.batch, 10 * k + 1), ms: 1 };
        o?.onProgress?.(step);
      }
      return { seed: p.seed, batch: p.batch, width: S, height: S, T, x0: buf(p.batch, 11), stepMs: [1, 1, 1, 1], totalMs: 4, backend: 'wasm', memory };
    },
    async reroll(p, o) {
      calls.reroll.push(p);
      const branches = [];
      for (let b = 0; b < p.branches; b++) {
        for (let k = p.fromK; k >= 1; k--) o?.onProgress?.({ status: 'step', branch: b, k, T, xK: buf(1, k === p.fromK ? 10 * k : 100 + b), x0Pred: buf(1, 200 + b), ms: 1 });
        branches.push({ seed: b, x0: buf(1, 200 + b), stepMs: [] });
      }
      return { fromK: p.fromK, parentSeed: 0, batch: 1, width: S, height: S, T, branches, memory };
    },
    async cancel() {
      calls.cancel++;
      return { cancelled: 0 };
    },
    async memory() {
      return memory;
    },
    ...trainingStubs(),
  };
  return { engine, calls };
}

function makeStore(engine: EngineApi, initial = {}): AppStore {
  return createAppStore(
    {
      engine,
      indexUrl: 'http://127.0.0.1:1/models/index.json',
      fetchJson: async () => ({ format: MODEL_INDEX_FORMAT, models: [entry], skipped: [{ name: 'mnist-classifier', reason: 'not a DD-GAN generator' }] }),
      random: () => 0.5,
    },
    initial,
  );
}

describe('app store', () => {
  it('boots: catalog + engine, then loads the first model warmed for the batch', async () => {
    const { engine, calls } = fakeEngine();
    const store = makeStore(engine, { batch: 1 });
    await store.getState().actions.boot();
    const s = store.getState();
    expect(s.engine.status).toBe('ready');
    expect(s.models.selected).toBe('m');
    expect(s.models.status).toBe('ready');
    expect(s.models.warmBatches).toEqual([1]);
    expect(calls.load).toEqual([{ name: 'm', url: 'http://127.0.0.1:1/models/m/', warmupBatch: 1, batchSizes: [1, 4, 16, 64] }]);
    expect(s.engine.memory).toEqual(memory);
  });

  it('streams a generate into the trajectory, following with the slider', async () => {
    const { engine, calls } = fakeEngine();
    const store = makeStore(engine, { batch: 1, seed: 42 });
    await store.getState().actions.boot();
    const positions: number[] = [];
    const unsub = store.subscribe((s) => positions.push(s.gen.position));
    await store.getState().actions.generate();
    unsub();
    const g = store.getState().gen;
    expect(calls.generate).toEqual([{ batch: 1, seed: 42, minStepMs: 0 }]);
    expect(g.status).toBe('done');
    expect(g.trajectory!.xs.map((f) => f!.rgba[0])).toEqual([40, 30, 20, 10, 11]);
    expect(g.position).toBe(T);
    expect([...new Set(positions)]).toEqual([0, 1, 2, 3, 4]);
    expect(g.stats).toMatchObject({ seed: 42, totalMs: 4 });
    expect(g.count).toBe(1);
  });

  it('uses a fresh random seed each time unless one was typed, and honours slow motion', async () => {
    const { engine, calls } = fakeEngine();
    const store = makeStore(engine, { batch: 1 });
    await store.getState().actions.boot();
    expect(store.getState().gen.randomSeed).toBe(true);
    store.getState().actions.setSlowMotion(true);
    await store.getState().actions.generate();
    store.getState().actions.setSeed(9);
    await store.getState().actions.generate();
    expect(calls.generate.map((g) => g.seed)).toEqual([2147483648, 9]);
    expect(calls.generate[0].minStepMs).toBeGreaterThan(0);
  });

  it('the seed on screen is the seed that runs: the first Generate uses it, later ones show theirs as they start', async () => {
    const { engine, calls } = fakeEngine();
    const draws = [0.25, 0.5, 0.75];
    const store = createAppStore(
      {
        engine,
        indexUrl: 'http://127.0.0.1:1/models/index.json',
        fetchJson: async () => ({ format: MODEL_INDEX_FORMAT, models: [entry], skipped: [] }),
        random: () => draws.shift() ?? 0.125,
      },
      { batch: 1 },
    );
    await store.getState().actions.boot();
    const shown = store.getState().gen.seed;
    expect(shown).toBe(0x40000000);
    expect(store.getState().gen).toMatchObject({ randomSeed: true, seedUsed: false });
    await store.getState().actions.generate();
    // The first visit's seed is the one that ran, and it stays on screen with its picture.
    expect(calls.generate[0].seed).toBe(shown);
    expect(store.getState().gen).toMatchObject({ seed: shown, seedUsed: true, stats: { seed: shown, model: 'm', batch: 1 } });
    // "new seed each time": the next run draws one and shows it while it runs.
    const seen: number[] = [];
    const unsub = store.subscribe((s) => s.gen.status === 'running' && seen.push(s.gen.seed));
    await store.getState().actions.generate();
    unsub();
    expect(calls.generate[1].seed).toBe(0x80000000);
    expect(new Set(seen)).toEqual(new Set([0x80000000]));
    expect(store.getState().gen.stats!.seed).toBe(0x80000000);
    // A typed seed runs as typed, however often.
    store.getState().actions.setSeed(7);
    await store.getState().actions.generate();
    await store.getState().actions.generate();
    expect(calls.generate.slice(2).map((g) => g.seed)).toEqual([7, 7]);
  });

  it('asks before switching to webgpu on a software adapter, and never remembers that choice', async () => {
    const software: AdapterFacts = { available: true, vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader device', isFallbackAdapter: true };
    const { engine } = fakeEngine();
    const inits: string[] = [];
    const init = engine.init;
    engine.init = async (p) => {
      inits.push(p.backend);
      return { ...(await init(p)), adapter: software };
    };
    const store = makeStore(engine, { batch: 1 });
    await store.getState().actions.boot();
    expect(store.getState().engine).toMatchObject({ requested: 'auto', pending: null, slowAdapter: null, remember: true });
    // The select asks for webgpu: nothing switches, a warning waits for a yes.
    await store.getState().actions.initEngine('webgpu');
    expect(inits).toEqual(['auto']);
    expect(store.getState().engine).toMatchObject({ requested: 'auto', status: 'ready', pending: { backend: 'webgpu', why: expect.stringMatching(/fallback|swiftshader/i) } });
    expect(store.getState().engine.pending!.adapter).toMatch(/SwiftShader/i);
    store.getState().actions.cancelBackendSwitch();
    expect(store.getState().engine.pending).toBeNull();
    // Confirmed: it switches, says it is slow at once, and is not to be remembered.
    const switching = store.getState().actions.initEngine('webgpu', { confirmed: true });
    expect(store.getState().engine).toMatchObject({ status: 'initialising', requested: 'webgpu', slowAdapter: expect.stringMatching(/swiftshader/i), remember: false });
    await switching;
    expect(inits).toEqual(['auto', 'webgpu']);
    expect(store.getState().engine).toMatchObject({ status: 'ready', requested: 'webgpu', remember: false, pending: null });
    // Back to auto: remembered again (as "nothing"), the notice goes.
    await store.getState().actions.initEngine('auto');
    expect(store.getState().engine).toMatchObject({ requested: 'auto', slowAdapter: null, remember: true });
    // Other explicit choices need no yes and are remembered.
    await store.getState().actions.initEngine('cpu');
    expect(store.getState().engine).toMatchObject({ requested: 'cpu', pending: null, remember: true });
  });

  it('a webgpu choice from an earlier visit that lands on a software adapter is flagged and forgotten', async () => {
    const { engine } = fakeEngine();
    const init = engine.init;
    engine.init = async (p) => ({ ...(await init(p)), adapter: { available: true, vendor: '', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: false } });
    const store = makeStore(engine, { batch: 1, backend: 'webgpu' });
    await store.getState().actions.boot();
    expect(store.getState().engine).toMatchObject({ status: 'ready', requested: 'webgpu', pending: null, remember: false, slowAdapter: expect.stringMatching(/swiftshader/) });
  });

  it('scrubbing and playback are pure state changes', async () => {
    const { engine, calls } = fakeEngine();
    const store = makeStore(engine, { batch: 1 });
    await store.getState().actions.boot();
    await store.getState().actions.generate();
    const a = store.getState().actions;
    a.setPosition(1);
    expect(store.getState().gen).toMatchObject({ position: 1, follow: false });
    a.stepPosition(-5);
    expect(store.getState().gen.position).toBe(0);
    a.stepPosition(99);
    expect(store.getState().gen.position).toBe(T);
    a.setPlaying(true);
    expect(store.getState().gen).toMatchObject({ playing: true, position: 0 });
    a.setView('x0');
    expect(store.getState().gen.view).toBe('x0');
    expect(calls.generate).toHaveLength(1);
  });

  it('ignores a superseded run: only the newest generate writes the trajectory', async () => {
    let release!: () => void;
    let gated = true;
    const gate = () => (gated ? new Promise<void>((r) => (release = r)) : Promise.resolve());
    const { engine } = fakeEngine({ gate });
    const store = makeStore(engine, { batch: 1, seed: 1 });
    await store.getState().actions.boot();
    const first = store.getState().actions.generate();
    await tick();
    gated = false;
    const firstRelease = release;
    store.getState().actions.setSeed(2);
    await store.getState().actions.generate();
    firstRelease();
    await first;
    const g = store.getState().gen;
    expect(g.status).toBe('done');
    expect(g.stats!.seed).toBe(2);
    expect(g.count).toBe(1);
  });

  it('warms up when the batch changes to a size not yet warm, and gates Generate meanwhile', async () => {
    const { engine, calls } = fakeEngine();
    const store = makeStore(engine, { batch: 1 });
    await store.getState().actions.boot();
    await store.getState().actions.setBatch(16);
    expect(calls.warmup).toEqual([16]);
    await store.getState().actions.setBatch(1);
    expect(calls.warmup).toEqual([16]);
    expect(store.getState().models.warmBatches).toEqual([1, 16]);
  });

  it('re-roll branches share the kept prefix and fill in their own steps', async () => {
    const { engine, calls } = fakeEngine();
    const store = makeStore(engine, { batch: 1 });
    await store.getState().actions.boot();
    await store.getState().actions.generate();
    store.getState().actions.setPosition(2);
    store.getState().actions.setBranchCount(2);
    await store.getState().actions.reroll();
    expect(calls.reroll[0]).toMatchObject({ fromK: 2, branches: 2 });
    const r = store.getState().reroll;
    expect(r.status).toBe('done');
    expect(r.branches).toHaveLength(2);
    const main = store.getState().gen.trajectory!;
    for (const b of r.branches) {
      expect(b.xs[0]).toBe(main.xs[0]);
      expect(b.xs[2]!.hash).toBe(main.xs[2]!.hash);
      expect(b.xs[4]!.hash).not.toBe(main.xs[4]!.hash);
    }
    expect(r.branches[0].xs[4]!.hash).not.toBe(r.branches[1].xs[4]!.hash);
  });

  it('a failed load shows the error and a retry loads again', async () => {
    const { engine, calls } = fakeEngine({ failLoad: true });
    const store = makeStore(engine);
    await store.getState().actions.boot();
    expect(store.getState().models.status).toBe('error');
    expect(store.getState().models.error).toMatchObject({ code: 'model-load-failed' });
    await store.getState().actions.loadModel();
    expect(calls.load).toHaveLength(2);
  });

  it('switching backends forgets the run and reloads the model', async () => {
    const { engine, calls } = fakeEngine();
    const store = makeStore(engine, { batch: 1 });
    await store.getState().actions.boot();
    await store.getState().actions.generate();
    await store.getState().actions.initEngine('cpu');
    expect(store.getState().engine.info!.backend).toBe('cpu');
    expect(store.getState().gen.trajectory).toBeNull();
    expect(calls.load).toHaveLength(2);
    expect(store.getState().models.status).toBe('ready');
  });
});
