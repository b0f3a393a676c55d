/**
 * The store against a fake engine that reports a batch limit with the loaded model: a batch
 * over it is lowered to the largest offered one that fits (once, with a notice), cannot be
 * chosen again, and nothing changes when the limit is above every offered batch.
 */
import { describe, expect, it } from 'vitest';
import { createAppStore, isBatchOverLimit, type AppStore } from '../../src/store/store';
import { MODEL_INDEX_FORMAT } from '../../src/store/modelCatalog';
import { fakeModelEntry } from './fakeModel';
import type { BatchSize } from '../../src/store/settings';
import { batchLimitFor, batchWithin, tensorLimitsFor } from '../../src/worker/batchLimit';
import type { BackendName, BatchLimit, EngineApi, LoadModelParams } from '../../src/worker/protocol';
import { trainingStubs } from './trainingStubs';

const S = 2;
const T = 4;
const MiB = 1024 ** 2;
const entry = fakeModelEntry(S, T);
const memory = { numTensors: 7, numBytes: 100 };

/** 2 MiB per example under a 128 MiB binding limit: batch 51 with the default headroom. */
const gpuLimit = (): BatchLimit =>
  batchLimitFor({ bytes: 2 * MiB, kernel: 'FusedConv2D' }, tensorLimitsFor('webgpu', { gpu: { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB } }));

interface Calls {
  load: LoadModelParams[];
  warmup: number[];
  generate: number[];
}

/** Reports `limit` per backend with every load and, like the worker, warms up under it. */
function fakeEngine(limitFor: (backend: BackendName) => BatchLimit | undefined): { engine: EngineApi; calls: Calls } {
  const calls: Calls = { load: [], warmup: [], generate: [] };
  let backend: BackendName = 'wasm';
  const engine: EngineApi = {
    async init(p) {
      backend = p.backend === 'auto' ? 'wasm' : p.backend;
      return { requested: p.backend, backend, adapter: { available: false, detail: 'fake' }, reason: 'fake', failures: [], wasm: null, numTensors: 0, ms: 1 };
    },
    async probeGenerator() {
      throw new Error('not used');
    },
    async loadModel(p) {
      calls.load.push(p);
      const batchLimit = limitFor(backend);
      const batch = batchWithin(p.warmupBatch, batchLimit?.maxBatch ?? null, p.batchSizes ?? []);
      const warmup = { batch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 };
      return { model: { name: p.name, T, imageSize: S, channels: 1, nz: 2, paramCount: 10 }, backend, bytes: 400, downloadMs: 1, warmup, memory, ...(batchLimit ? { batchLimit } : {}) };
    },
    async warmup({ batch }) {
      calls.warmup.push(batch);
      return { batch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 };
    },
    async generate(p) {
      calls.generate.push(p.batch);
      const x0 = new Uint8ClampedArray(p.batch * S * S * 4).buffer;
      return { seed: p.seed, batch: p.batch, width: S, height: S, T, x0, stepMs: [], totalMs: 1, backend, memory };
    },
    async reroll() {
      throw new Error('not used');
    },
    async cancel() {
      return { cancelled: 0 };
    },
    async memory() {
      return memory;
    },
    ...trainingStubs(),
  };
  return { engine, calls };
}

function makeStore(engine: EngineApi, batch: BatchSize, backend: 'webgpu' | 'auto' = 'webgpu'): AppStore {
  return createAppStore(
    {
      engine,
      indexUrl: 'http://127.0.0.1:1/models/index.json',
      fetchJson: async () => ({ format: MODEL_INDEX_FORMAT, models: [entry], skipped: [] }),
      random: () => 0.5,
    },
    { batch, backend },
  );
}

describe('batch limit in the store', () => {
  it('lowers a batch over the limit to the largest offered one that fits, with a notice', async () => {
    const { engine, calls } = fakeEngine((b) => (b === 'webgpu' ? gpuLimit() : undefined));
    const store = makeStore(engine, 64);
    await store.getState().actions.boot();
    const s = store.getState();
    // The worker was told what the UI offers, so it warmed up 16 and nothing else runs.
    expect(calls.load).toEqual([{ name: 'm', url: 'http://127.0.0.1:1/models/m/', warmupBatch: 64, batchSizes: [1, 4, 16, 64] }]);
    expect(calls.warmup).toEqual([]);
    expect(s.models.result?.batchLimit?.maxBatch).toBe(51);
    expect(s.gen.batch).toBe(16);
    expect(s.models.warmBatches).toEqual([16]);
    expect(s.gen.batchNotice).toBe(
      "Batch 64 is too large for this model on webgpu: largest tensor 160 MiB at batch 64 (with 25% headroom) exceeds this GPU's maxStorageBufferBindingSize (128 MiB). Using batch 16.",
    );
    // 64 is disabled (the Generate panel greys out its radio with this reason); the others are not.
    expect([1, 4, 16, 64].map((b) => isBatchOverLimit(s, b))).toEqual([false, false, false, true]);

    await store.getState().actions.generate();
    expect(calls.generate).toEqual([16]);
  });

  it('refuses a batch over the limit; choosing another clears the notice', async () => {
    const { engine, calls } = fakeEngine(() => gpuLimit());
    const store = makeStore(engine, 64);
    await store.getState().actions.boot();
    await store.getState().actions.setBatch(64);
    expect(store.getState().gen.batch).toBe(16);
    expect(store.getState().gen.batchNotice).not.toBeNull();
    expect(calls.warmup).toEqual([]);

    await store.getState().actions.setBatch(4);
    expect(store.getState().gen).toMatchObject({ batch: 4, batchNotice: null });
    expect(calls.warmup).toEqual([4]);
  });

  it('shows the notice once: dismissed, it stays away, and a reload within the limit adds none', async () => {
    const { engine } = fakeEngine(() => gpuLimit());
    const store = makeStore(engine, 64);
    await store.getState().actions.boot();
    store.getState().actions.dismissBatchNotice();
    expect(store.getState().gen.batchNotice).toBeNull();
    await store.getState().actions.loadModel();
    expect(store.getState().gen).toMatchObject({ batch: 16, batchNotice: null });
  });

  it('a backend without the cap keeps the batch, and frees the larger batches again', async () => {
    const { engine } = fakeEngine((b) => (b === 'webgpu' ? gpuLimit() : batchLimitFor({ bytes: 2 * MiB, kernel: 'k' }, tensorLimitsFor('wasm'))));
    const store = makeStore(engine, 64);
    await store.getState().actions.boot();
    expect(store.getState().gen.batch).toBe(16);
    await store.getState().actions.initEngine('wasm');
    const s = store.getState();
    expect(s.models.status).toBe('ready');
    // 1 GiB / 2.5 MiB = 409: every offered batch fits; the older notice is gone.
    expect(s.models.result?.batchLimit?.maxBatch).toBe(409);
    expect(s.gen.batchNotice).toBeNull();
    expect(isBatchOverLimit(s, 64)).toBe(false);
    await store.getState().actions.setBatch(64);
    expect(store.getState().gen.batch).toBe(64);
  });

  it('nothing changes when the limit is above every offered batch, or not reported at all', async () => {
    for (const limit of [batchLimitFor({ bytes: 1000, kernel: 'k' }, tensorLimitsFor('wasm')), undefined]) {
      const { engine, calls } = fakeEngine(() => limit);
      const store = makeStore(engine, 64, 'auto');
      await store.getState().actions.boot();
      const s = store.getState();
      expect(s.gen).toMatchObject({ batch: 64, batchNotice: null });
      expect(s.models.warmBatches).toEqual([64]);
      expect(calls.warmup).toEqual([]);
      expect([1, 4, 16, 64].some((b) => isBatchOverLimit(s, b))).toBe(false);
    }
  });
});
