/**
 * The engine behind the worker, driven in-process on the wasm backend with the tiny fixture
 * model: stream order, frame sizes, determinism, re-roll semantics, cancellation, and that
 * tf.memory() stays flat (DESIGN §1: the worker is a thin adapter over exactly this).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/core/models/checkpoint';
import { DdganEngine } from '../../src/worker/ddganEngine';
import { CancelledError } from '../../src/worker/jobs';
import { branchSeed, type StepProgress, type WarmupProgress } from '../../src/worker/protocol';
import { hashBytes } from '../../src/store/history';
import { backend } from '../helpers';
import { TINY_CONFIG, buildTinyCheckpoint, type CheckpointFiles } from '../fixtures/tinyCheckpoint';

let files: CheckpointFiles;
let engine: DdganEngine;
const T = TINY_CONFIG.T;
const S = TINY_CONFIG.imageSize;

beforeAll(async () => {
  await backend('wasm');
  files = await buildTinyCheckpoint();
  engine = new DdganEngine();
  engine.adopt('tiny', parseCheckpoint(files.modelJson, files.weights));
});

afterAll(() => engine?.unload());

const h = (b: ArrayBuffer): number => hashBytes(new Uint8Array(b));

async function generate(seed: number, batch = 2, signal?: AbortSignal) {
  const steps: StepProgress[] = [];
  const result = await engine.generate({ batch, seed, minStepMs: 0 }, (s) => steps.push(s), signal);
  return { steps, result };
}

describe('DdganEngine', () => {
  it('reports the loaded model', () => {
    expect(engine.loaded).toMatchObject({ name: 'tiny', T, imageSize: S, channels: 1, nz: TINY_CONFIG.nz });
    expect(engine.loaded!.paramCount).toBeGreaterThan(1000);
  });

  it('warms up with run progress 0..T', async () => {
    const seen: WarmupProgress[] = [];
    const r = await engine.warmup(2, (p) => seen.push(p));
    expect(seen.map((p) => `${p.phase}:${p.done}/${p.total}`)).toEqual(['run:0/4', 'run:1/4', 'run:2/4', 'run:3/4', 'run:4/4']);
    expect(r).toMatchObject({ batch: 2, shaders: 0, compileMs: 0 });
    expect(engine.isWarm(2)).toBe(true);
    expect(engine.isWarm(4)).toBe(false);
  });

  it('streams T steps in order k = T … 1 with RGBA frames of the whole batch', async () => {
    const { steps, result } = await generate(7);
    expect(steps.map((s) => s.k)).toEqual([4, 3, 2, 1]);
    for (const s of steps) {
      expect(s.T).toBe(T);
      expect(s.branch).toBe(0);
      expect(s.xK.byteLength).toBe(2 * S * S * 4);
      expect(s.x0Pred.byteLength).toBe(2 * S * S * 4);
      expect(s.ms).toBeGreaterThanOrEqual(0);
    }
    expect(result).toMatchObject({ seed: 7, batch: 2, width: S, height: S, T });
    expect(result.stepMs).toHaveLength(T);
    // No noise is added at the last step: x_0 is exactly the last prediction.
    expect(h(result.x0)).toBe(h(steps[3].x0Pred));
    // Each step's input is a different state of the chain.
    expect(new Set(steps.map((s) => h(s.xK))).size).toBe(T);
  });

  it('the same seed gives identical pixels; another seed does not', async () => {
    const a = await generate(42);
    const b = await generate(42);
    const c = await generate(43);
    expect(a.steps.map((s) => h(s.xK))).toEqual(b.steps.map((s) => h(s.xK)));
    expect(h(a.result.x0)).toBe(h(b.result.x0));
    expect(h(c.result.x0)).not.toBe(h(a.result.x0));
  });

  it('re-roll from k keeps x_k and changes what follows, branch by branch', async () => {
    const base = await generate(11);
    const steps: StepProgress[] = [];
    const r = await engine.reroll({ fromK: 2, branches: 3, seed: 99, minStepMs: 0 }, (s) => steps.push(s));
    expect(r).toMatchObject({ fromK: 2, parentSeed: 11, batch: 2, T });
    expect(r.branches.map((b) => b.seed)).toEqual([0, 1, 2].map((b) => branchSeed(99, b)));
    expect(steps.map((s) => `${s.branch}:${s.k}`)).toEqual(['0:2', '0:1', '1:2', '1:1', '2:2', '2:1']);
    const xK2 = h(base.steps[2].xK);
    for (const s of steps.filter((s) => s.k === 2)) expect(h(s.xK)).toBe(xK2);
    const finals = r.branches.map((b) => h(b.x0));
    expect(new Set([...finals, h(base.result.x0)]).size).toBe(4);
    // Deterministic too: the same re-roll seed repeats the same branches.
    const again = await engine.reroll({ fromK: 2, branches: 3, seed: 99, minStepMs: 0 }, () => undefined);
    expect(again.branches.map((b) => h(b.x0))).toEqual(finals);
  });

  it('re-roll from T keeps only x_T', async () => {
    const base = await generate(5, 1);
    const steps: StepProgress[] = [];
    await engine.reroll({ fromK: T, branches: 1, seed: 1, minStepMs: 0 }, (s) => steps.push(s));
    expect(steps.map((s) => s.k)).toEqual([4, 3, 2, 1]);
    expect(h(steps[0].xK)).toBe(h(base.steps[0].xK));
    expect(h(steps[0].x0Pred)).not.toBe(h(base.steps[0].x0Pred));
  });

  it('keeps tf.memory() flat over many generations and re-rolls', async () => {
    await generate(0);
    const before = engine.memory().numTensors;
    const counts: number[] = [];
    for (let i = 0; i < 20; i++) {
      counts.push((await generate(i, 1)).result.memory.numTensors);
      counts.push((await engine.reroll({ fromK: 3, branches: 2, seed: i, minStepMs: 0 }, () => undefined)).memory.numTensors);
    }
    expect(new Set(counts)).toEqual(new Set([before]));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a cancelled generate rejects, leaks nothing and leaves the last history in place', async () => {
    await generate(21);
    const before = engine.memory().numTensors;
    const ctrl = new AbortController();
    const steps: StepProgress[] = [];
    const p = engine.generate({ batch: 2, seed: 22, minStepMs: 0 }, (s) => {
      steps.push(s);
      if (steps.length === 2) ctrl.abort(new CancelledError('newer request'));
    }, ctrl.signal);
    await expect(p).rejects.toThrow(/newer request|cancelled/);
    expect(steps.length).toBe(2);
    expect(engine.memory().numTensors).toBe(before);
    const r = await engine.reroll({ fromK: 1, branches: 1, seed: 0, minStepMs: 0 }, () => undefined);
    expect(r.parentSeed).toBe(21);
  });

  it('slow motion holds each step for at least minStepMs, and an abort cuts the wait short', async () => {
    const t0 = performance.now();
    await engine.generate({ batch: 1, seed: 1, minStepMs: 60 }, () => undefined);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(4 * 60 - 5);
    const ctrl = new AbortController();
    const t1 = performance.now();
    const p = engine.generate({ batch: 1, seed: 1, minStepMs: 5000 }, () => setTimeout(() => ctrl.abort(new CancelledError()), 10), ctrl.signal);
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(performance.now() - t1).toBeLessThan(3000);
  });

  it('answers bad input with typed errors', async () => {
    await expect(engine.generate({ batch: 65, seed: 1, minStepMs: 0 }, () => undefined)).rejects.toMatchObject({ code: 'bad-request' });
    await expect(engine.generate({ batch: 1, seed: -1, minStepMs: 0 }, () => undefined)).rejects.toMatchObject({ code: 'bad-request' });
    await expect(engine.reroll({ fromK: 0, branches: 1, seed: 1, minStepMs: 0 }, () => undefined)).rejects.toMatchObject({ code: 'bad-request' });
    await expect(engine.reroll({ fromK: 1, branches: 9, seed: 1, minStepMs: 0 }, () => undefined)).rejects.toMatchObject({ code: 'bad-request' });
    const fresh = new DdganEngine();
    await expect(fresh.generate({ batch: 1, seed: 1, minStepMs: 0 }, () => undefined)).rejects.toMatchObject({ code: 'no-model' });
    fresh.adopt('tiny', parseCheckpoint(files.modelJson, files.weights));
    await expect(fresh.reroll({ fromK: 1, branches: 1, seed: 1, minStepMs: 0 }, () => undefined)).rejects.toMatchObject({ code: 'no-history' });
    fresh.unload();
    const n = tf.memory().numTensors;
    expect(() => fresh.adopt('empty', { meta: files.modelJson, networks: {}, state: {} })).toThrow(/no DD-GAN generator/);
    expect(tf.memory().numTensors).toBe(n);
  });

  it('measures the batch limit on wasm: positive, within the 1 GiB budget, no leak', async () => {
    const n = tf.memory().numTensors;
    const progress: WarmupProgress[] = [];
    const measuring = engine.measureBatchLimit(undefined, (p) => progress.push(p));
    // Reported before any work: the UI says "warming up" at once, not after the shaders.
    expect(progress).toEqual([{ status: 'warmup', phase: 'measure', done: 0, total: 0 }]);
    const limit = await measuring;
    expect(progress.every((p) => p.phase === 'measure')).toBe(true);
    expect(tf.memory().numTensors).toBe(n);
    expect(engine.batchLimit).toEqual(limit);
    expect(limit.limit).toEqual({ name: 'wasmTensorBudget', bytes: 1024 ** 3 });
    // The largest tensor of a step is at least a feature map of the base channels at full
    // resolution, and (no im2col copy on wasm) at most a few of them concatenated: weights,
    // which do not grow with the batch, are not counted.
    const featureMap = S * S * TINY_CONFIG.baseChannels * 4;
    expect(limit.bytesPerExample).toBeGreaterThanOrEqual(featureMap);
    expect(limit.bytesPerExample).toBeLessThanOrEqual(4 * featureMap);
    expect(limit.kernel).not.toMatch(/im2col/);
    expect(limit.maxBatch).toBeGreaterThan(0);
    expect(limit.maxBatch! * limit.bytesPerExample * limit.safety).toBeLessThanOrEqual(1024 ** 3);
    expect((limit.maxBatch! + 1) * Math.ceil(limit.bytesPerExample * limit.safety)).toBeGreaterThan(1024 ** 3);
  });

  it('refuses warm-ups and runs over a measured limit, naming the limit', async () => {
    const measured = await engine.measureBatchLimit();
    // A device that holds the largest tensor of 3 examples (with headroom), not of 4.
    const bytes = 3 * Math.ceil(measured.bytesPerExample * measured.safety);
    const tight = await engine.measureBatchLimit([{ name: 'maxStorageBufferBindingSize', bytes }]);
    try {
      expect(tight.maxBatch).toBe(3);
      await expect(engine.generate({ batch: 4, seed: 1, minStepMs: 0 }, () => undefined)).rejects.toMatchObject({
        code: 'bad-request',
        message: expect.stringMatching(/batch 4 is too large.*maxStorageBufferBindingSize.*largest usable batch is 3/),
      });
      await expect(engine.warmup(4, () => undefined)).rejects.toMatchObject({ code: 'bad-request' });
      // At the limit it runs.
      const { result } = await generate(5, 3);
      expect(result.batch).toBe(3);
    } finally {
      await engine.measureBatchLimit();
    }
    // A new model starts without a limit until it is measured.
    const fresh = new DdganEngine();
    fresh.adopt('tiny', parseCheckpoint(files.modelJson, files.weights));
    expect(fresh.batchLimit).toBeNull();
    fresh.unload();
  });
});
