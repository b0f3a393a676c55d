/**
 * The compare job behind the worker, driven in-process on the wasm backend with tiny
 * random-weight checkpoints: the rows stream steps, frames and their own times in the
 * right order, the same seed gives the same pixels as the Generate path, interleaving
 * lets the short DD-GAN row finish before the long DDPM row, a cancel stops every row at
 * once, a missing model fails its row only, guidance runs (or says why it cannot), and
 * tf.memory() stays flat (STYLE habit 15).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAST_STEP_GUIDE_ITERATIONS } from '../../src/core/diffusion/guidance';
import { parseCheckpoint } from '../../src/core/models/checkpoint';
import { hashBytes } from '../../src/store/history';
import { CompareEngine, checkCompareParams, type CheckpointLoader } from '../../src/worker/compareEngine';
import { DdganEngine } from '../../src/worker/ddganEngine';
import { EngineFailure } from '../../src/worker/errors';
import { CancelledError } from '../../src/worker/jobs';
import type { CompareModelRef, CompareParams, CompareProgress, CompareRowSpec } from '../../src/worker/protocol';
import { backend } from '../helpers';
import { TINY_CONFIG, buildTinyCheckpoint, type CheckpointFiles } from '../fixtures/tinyCheckpoint';
import { TINY_DDPM_STEPS, buildTinyDdpm, buildTinyGuide, buildTinyJudge } from '../fixtures/tinyCompareModels';

const S = TINY_CONFIG.imageSize;
const files = new Map<string, CheckpointFiles>();
const loads: string[] = [];

const load: CheckpointLoader = async (ref, onProgress) => {
  loads.push(ref.name);
  const f = files.get(ref.name);
  if (!f) throw new Error(`could not fetch ${ref.url}model.json: HTTP 404`);
  onProgress(0, f.weights.byteLength);
  onProgress(f.weights.byteLength, f.weights.byteLength);
  return parseCheckpoint(f.modelJson, f.weights);
};

const ref = (name: string, version: string | null = 'v1'): CompareModelRef => ({ name, url: `http://127.0.0.1/models/${name}/`, version });
const ddganRow: CompareRowSpec = { id: 'ddgan', model: ref('ddgan'), sampler: { kind: 'ddgan' }, guidance: null, target: null };
const ddimRow: CompareRowSpec = { id: 'ddim', model: ref('ddpm'), sampler: { kind: 'ddim', steps: 50, eta: 0 }, guidance: null, target: null };
const ddpmRow: CompareRowSpec = { id: 'ddpm', model: ref('ddpm'), sampler: { kind: 'ancestral' }, guidance: null, target: null };
/** A quick DDPM row for the tests that do not need the long ones. */
const shortRow: CompareRowSpec = { id: 'short', model: ref('ddpm'), sampler: { kind: 'ddim', steps: 8, eta: 1 }, guidance: null, target: null };

function params(p: Partial<CompareParams> = {}): CompareParams {
  return { rows: [ddganRow, ddimRow, ddpmRow], batch: 2, seed: 5, order: 'sequential', preview: 'x0', maxFrames: 10, judge: ref('judge'), ...p };
}

async function run(engine: CompareEngine, p: CompareParams, signal = new AbortController().signal) {
  const events: CompareProgress[] = [];
  const result = await engine.run(p, (e) => events.push(e), signal);
  return { events, result };
}

const of = <S extends CompareProgress['status']>(events: CompareProgress[], status: S, row?: string) =>
  events.filter((e): e is Extract<CompareProgress, { status: S }> => e.status === status && (row === undefined || e.row === row));

let engine: CompareEngine;

beforeAll(async () => {
  await backend('wasm');
  const [ddgan, ddpm, judge, guide] = await Promise.all([buildTinyCheckpoint(), buildTinyDdpm(), buildTinyJudge(), buildTinyGuide()]);
  files.set('ddgan', ddgan);
  files.set('ddpm', ddpm);
  files.set('judge', judge);
  files.set('guide', guide);
  engine = new CompareEngine({ load, tickMs: 0 });
});

afterAll(() => engine?.unload());

describe('CompareEngine', () => {
  it('runs DD-GAN, DDIM-50 and DDPM-N one after the other, streaming steps, frames and times', async () => {
    const { events, result } = await run(engine, params());
    expect(of(events, 'row').map((e) => [e.row, e.sampler, e.steps])).toEqual([
      ['ddgan', 'ddgan', 4],
      ['ddim', 'ddim', 50],
      ['ddpm', 'ancestral', TINY_DDPM_STEPS],
    ]);
    // Sequential: each row's events lie between its 'row' and its 'row-done'.
    const order = events.filter((e) => e.status !== 'load').map((e) => ('row' in e ? e.row : ''));
    expect(order.indexOf('ddim')).toBeGreaterThan(order.lastIndexOf('ddgan'));
    expect(order.indexOf('ddpm')).toBeGreaterThan(order.lastIndexOf('ddim'));
    for (const [row, steps] of [['ddgan', 4], ['ddim', 50], ['ddpm', TINY_DDPM_STEPS]] as const) {
      const stepEvents = of(events, 'step', row);
      // tickMs = 0: every step is reported, in order, with a non-decreasing clock.
      expect(stepEvents.map((e) => e.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
      for (let i = 1; i < stepEvents.length; i++) expect(stepEvents[i].elapsedMs).toBeGreaterThanOrEqual(stepEvents[i - 1].elapsedMs);
      const frames = stepEvents.filter((e) => e.frame !== null);
      expect(frames.length).toBeGreaterThan(0);
      expect(frames.length).toBeLessThanOrEqual(10);
      for (const f of frames) expect(f.frame!.byteLength).toBe(2 * S * S * 4);
      const [done] = of(events, 'row-done', row);
      expect(done).toMatchObject({ nfe: steps });
      expect(done.x0.byteLength).toBe(2 * S * S * 4);
      expect(done.elapsedMs).toBeGreaterThanOrEqual(stepEvents[stepEvents.length - 1].elapsedMs);
      expect(done.imagesPerSecond).toBeCloseTo((1000 * 2) / done.elapsedMs, 6);
      expect(done.judge).toMatchObject({ classifier: 'judge', accuracy: null, predicted: [expect.any(Number), expect.any(Number)] });
      expect(done.judge!.diversity).toBeGreaterThanOrEqual(0);
    }
    // DD-GAN steps count k down from T; DDPM steps t down from N.
    expect(of(events, 'step', 'ddgan').map((e) => e.t)).toEqual([4, 3, 2, 1]);
    expect(of(events, 'step', 'ddpm')[0].t).toBe(TINY_DDPM_STEPS);
    expect(result.rows.map((r) => [r.id, r.status, r.nfe])).toEqual([
      ['ddgan', 'done', 4],
      ['ddim', 'done', 50],
      ['ddpm', 'done', TINY_DDPM_STEPS],
    ]);
    expect(result).toMatchObject({ batch: 2, seed: 5 });
  });

  it('draws the same pixels as the Generate path for the same seed, and again on a second run', async () => {
    const ddgan = new DdganEngine();
    try {
      const f = files.get('ddgan')!;
      ddgan.adopt('ddgan', parseCheckpoint(f.modelJson, f.weights));
      const g = await ddgan.generate({ batch: 2, seed: 11, minStepMs: 0 }, () => undefined);
      const a = await run(engine, params({ rows: [ddganRow, ddimRow], seed: 11 }));
      const b = await run(engine, params({ rows: [ddganRow, ddimRow], seed: 11, order: 'interleaved' }));
      const x0 = (r: { events: CompareProgress[] }, row: string) => hashBytes(new Uint8Array(of(r.events, 'row-done', row)[0].x0));
      expect(x0(a, 'ddgan')).toBe(hashBytes(new Uint8Array(g.x0)));
      expect(x0(b, 'ddgan')).toBe(x0(a, 'ddgan'));
      expect(x0(b, 'ddim')).toBe(x0(a, 'ddim'));
    } finally {
      ddgan.unload();
    }
  });

  it('interleaved: the rows take turns, and the 4-step DD-GAN row is done long before the DDPM row', async () => {
    const turns = new CompareEngine({ load, tickMs: 0, sliceMs: 0 });
    try {
      const { events, result } = await run(turns, params({ order: 'interleaved', preview: 'xt' }));
      const seq = events.filter((e) => e.status === 'step' || e.status === 'row-done').map((e) => (e as { row: string }).row);
      const ddganDone = events.findIndex((e) => e.status === 'row-done' && e.row === 'ddgan');
      const ddpmSteps = events.map((e, i) => (e.status === 'step' && e.row === 'ddpm' ? i : -1)).filter((i) => i >= 0);
      // sliceMs = 0: one step each in turn, so DD-GAN finishes after 4 DDPM steps.
      expect(seq.slice(0, 6)).toEqual(['ddgan', 'ddim', 'ddpm', 'ddgan', 'ddim', 'ddpm']);
      expect(ddganDone).toBeLessThan(ddpmSteps[5]);
      expect(result.rows.every((r) => r.status === 'done')).toBe(true);
      // Each row's clock ran only during its own turns: together they fit in the run's wall time.
      expect(result.rows.reduce((a, r) => a + r.elapsedMs, 0)).toBeLessThanOrEqual(result.totalMs + 1);
    } finally {
      turns.unload();
    }
  });

  it('a missing or broken model fails its row only; the others run', async () => {
    const { events, result } = await run(engine, params({ rows: [ddganRow, { ...ddpmRow, model: ref('nowhere') }, { ...ddimRow, id: 'wrong', model: ref('judge') }] }));
    expect(of(events, 'row-error').map((e) => [e.row, e.error.code])).toEqual([
      ['ddpm', 'model-load-failed'],
      ['wrong', 'model-load-failed'],
    ]);
    expect(of(events, 'row-error', 'ddpm')[0].error.message).toMatch(/nowhere.*HTTP 404/);
    expect(of(events, 'row-error', 'wrong')[0].error.message).toMatch(/no DDPM ε-network \(networks: classifier: classifier\)/);
    expect(result.rows.map((r) => r.status)).toEqual(['done', 'error', 'error']);
  });

  it('cancels every row at once, mid-run, and frees every tensor', async () => {
    await run(engine, params({ rows: [ddganRow, shortRow] }));
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    const events: CompareProgress[] = [];
    const done = engine.run(params({ rows: [ddganRow, ddpmRow], order: 'interleaved' }), (e) => {
      events.push(e);
      if (e.status === 'step' && e.row === 'ddpm' && e.step === 10) ctrl.abort(new CancelledError('cancelled by request'));
    }, ctrl.signal);
    await expect(done).rejects.toMatchObject({ code: 'cancelled' });
    const last = of(events, 'step', 'ddpm').pop()!;
    expect(last.step).toBe(10);
    // The row's last picture is of the step it stopped at (not an older preview), so the
    // view's counter and picture agree after a Cancel.
    expect(last.frame).toBeInstanceOf(ArrayBuffer);
    const framed = of(events, 'step', 'ddpm').filter((e) => e.frame);
    expect(framed[framed.length - 1].step).toBe(10);
    expect(of(events, 'row-done', 'ddpm')).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps tf.memory() flat over runs; unload frees the cached networks', async () => {
    const fresh = new CompareEngine({ load });
    const base = tf.memory().numTensors;
    const rows = [ddganRow, shortRow];
    await run(fresh, params({ rows }));
    const cached = tf.memory().numTensors;
    expect(cached).toBeGreaterThan(base);
    await run(fresh, params({ rows, seed: 9, order: 'interleaved' }));
    await run(fresh, params({ rows, seed: 10, preview: 'xt' }));
    expect(tf.memory().numTensors).toBe(cached);
    fresh.unload();
    expect(tf.memory().numTensors).toBe(base);
  });

  it('loads each checkpoint once, and again when its version changes', async () => {
    const fresh = new CompareEngine({ load });
    try {
      const rows = [ddganRow, shortRow, { ...shortRow, id: 'again' }];
      loads.length = 0;
      await run(fresh, params({ rows }));
      expect(loads.sort()).toEqual(['ddgan', 'ddpm', 'judge']);
      loads.length = 0;
      await run(fresh, params({ rows }));
      expect(loads).toEqual([]);
      await run(fresh, params({ rows: [{ ...ddganRow, model: ref('ddgan', 'v2') }] }));
      expect(loads).toEqual(['ddgan']);
      // The new version replaced the old one.
      expect(fresh.cached).toHaveLength(3);
    } finally {
      fresh.unload();
    }
  });

  it('guides a batch toward a class with a noise-aware classifier, and scores accuracy against it', async () => {
    const guided = (scale: number, sampler: CompareRowSpec['sampler'], model: string): CompareRowSpec => ({
      id: `g${scale}-${sampler.kind}`,
      model: ref(model),
      sampler,
      guidance: { classifier: ref('guide'), scale },
      target: 3,
    });
    const base = tf.memory().numTensors;
    const rows = [guided(0, { kind: 'ddgan' }, 'ddgan'), guided(50, { kind: 'ddgan' }, 'ddgan'), guided(50, { kind: 'ddim', steps: 10, eta: 0 }, 'ddpm')];
    const { events } = await run(engine, params({ rows }));
    const done = of(events, 'row-done');
    expect(done.map((e) => e.row)).toEqual(rows.map((r) => r.id));
    expect(of(events, 'row').map((e) => e.guided)).toEqual([false, true, true]);
    // A guided DD-GAN row counts its last-step guide's passes through the generator.
    expect(done.map((e) => e.nfe)).toEqual([4, 4 + LAST_STEP_GUIDE_ITERATIONS, 10]);
    for (const d of done) {
      expect(d.judge!.accuracy).toBeGreaterThanOrEqual(0);
      // The judge's confidence in its verdict on each sample: the top-class probability.
      expect(d.judge!.confidences).toHaveLength(d.judge!.predicted.length);
      for (const p of d.judge!.confidences) expect(p).toBeGreaterThanOrEqual(1 / 10 - 1e-6);
      const mean = d.judge!.confidences.reduce((a, b) => a + b, 0) / d.judge!.confidences.length;
      expect(mean).toBeCloseTo(d.judge!.confidence, 5);
    }
    // The gradient moved the samples away from the unguided ones of the same seed.
    expect(hashBytes(new Uint8Array(done[1].x0))).not.toBe(hashBytes(new Uint8Array(done[0].x0)));
    const unguided = await run(engine, params({ rows: [{ ...ddganRow, id: 'plain' }] }));
    expect(hashBytes(new Uint8Array(of(unguided.events, 'row-done')[0].x0))).toBe(hashBytes(new Uint8Array(done[0].x0)));
    // Only the guide was added to the cache.
    expect(tf.memory().numTensors - base).toBe(files.get('guide')!.modelJson.weightsManifest[0].weights.length);
  });

  it('says so when guidance is asked for without guidance code', async () => {
    const bare = new CompareEngine({ load, guidance: null });
    try {
      const { events } = await run(bare, params({ rows: [{ ...ddganRow, guidance: { classifier: ref('guide'), scale: 2 }, target: 1 }] }));
      expect(of(events, 'row-error')[0].error).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/guidance is not available/) });
    } finally {
      bare.unload();
    }
  });

  it('rejects malformed requests with a reason', () => {
    const bad = (p: Partial<CompareParams>) => () => checkCompareParams(params(p));
    expect(bad({ rows: [] })).toThrow(EngineFailure);
    expect(bad({ batch: 17 })).toThrow(/batch/);
    expect(bad({ rows: [ddganRow, ddganRow] })).toThrow(/used twice/);
    expect(bad({ rows: [{ ...ddimRow, sampler: { kind: 'ddim', steps: 0, eta: 0 } }] })).toThrow(/DDIM steps/);
    expect(bad({ rows: [{ ...ddganRow, guidance: { classifier: ref('guide'), scale: 1 } }] })).toThrow(/target/);
    expect(bad({ order: 'random' as 'sequential' })).toThrow(/order/);
    expect(bad({ seed: -1 })).toThrow(/seed/);
  });
});
