/**
 * The compare slice against a fake engine (no worker, no tfjs): which rows it sends for the
 * trilemma, the ablation and a guided batch (checkpoint URLs, versions, judge), the live
 * row views built from streamed deltas, rows the index has no model for, cancellation, the
 * class-control history, and the pure helpers (model picks, ablation family, stored
 * metrics per sampler, speed-up with its lower bound while DDPM still runs).
 */
import { describe, expect, it } from 'vitest';
import { createAppStore, isCompareBusy, type AppStore, type CompareRowView } from '../../src/store/store';
import { ablationTable, baselinesFor, compareChoices, noBaselineReason, rowImagesPerSecond, rowMetricKeys, rowMetrics, rowProgressText, speedup } from '../../src/store/compareModels';
import { makeFrame } from '../../src/store/history';
import { MODEL_INDEX_FORMAT, type AuxiliaryEntry, type ModelIndexEntry } from '../../src/store/modelCatalog';
import { EngineError } from '../../src/worker/client';
import type { CompareParams, CompareProgress, EngineApi } from '../../src/worker/protocol';
import { trainingStubs } from './trainingStubs';

const S = 2;
const INDEX_URL = 'http://127.0.0.1:1/models/index.json';
const memory = { numTensors: 7, numBytes: 100 };

const gen = (name: string, T: number, extra: Partial<ModelIndexEntry> = {}): ModelIndexEntry => ({
  name, path: `${name}/`, description: name, kind: 'ddgan-generator', T, imageSize: S, channels: 1, paramCount: 10, weightBytes: 400,
  dataset: 'mnist-train', iterations: 100, wallSeconds: 60, createdAt: `${name}-v1`, metrics: {}, ...extra,
});
const aux = (name: string, role: AuxiliaryEntry['role'], extra: Partial<AuxiliaryEntry> = {}): AuxiliaryEntry => ({
  name, path: `${name}/`, description: name, role, kind: role === 'ddpm' ? 'ddpm-eps' : role === 'guide' ? 'noisy-classifier' : 'classifier', network: role === 'ddpm' ? 'eps' : 'classifier',
  imageSize: S, channels: 1, steps: role === 'ddpm' ? 1000 : null, numClasses: role === 'ddpm' ? null : 10, paramCount: 5, weightBytes: 100,
  dataset: 'mnist-train', iterations: 50, wallSeconds: 30, createdAt: `${name}-v1`, metrics: {}, ...extra,
});

const frame = (batch: number, v: number): ArrayBuffer => new Uint8ClampedArray(batch * S * S * 4).fill(v).buffer;
const stepsOf = (p: CompareParams, i: number): number => {
  const s = p.rows[i].sampler;
  return s.kind === 'ddgan' ? 4 : s.kind === 'ancestral' ? 1000 : s.steps;
};

interface Fake {
  engine: EngineApi;
  calls: CompareParams[];
  cancels: number;
  /** Set to make the next compare wait (after its first row) until released. */
  hold: { wait: Promise<void>; release(): void } | null;
}

function hold(): { wait: Promise<void>; release(): void } {
  let release = (): void => undefined;
  const wait = new Promise<void>((r) => (release = r));
  return { wait, release };
}

/** A compare that plays each row: 'row', a frame at step 1, a tick at the last step, 'row-done' (row i takes 10·steps ms). */
function fake(opts: { failRow?: string } = {}): Fake {
  const f: Fake = { engine: null as unknown as EngineApi, calls: [], cancels: 0, hold: null };
  let cancelled: (() => void) | null = null;
  f.engine = {
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
    async cancel() {
      f.cancels++;
      cancelled?.();
      return { cancelled: 1 };
    },
    memory: async () => memory,
    ...trainingStubs(),
    async compare(p, o) {
      f.calls.push(p);
      const emit = (e: CompareProgress): void => o?.onProgress?.(e);
      const h = f.hold;
      f.hold = null;
      for (let i = 0; i < p.rows.length; i++) {
        const row = p.rows[i].id;
        const steps = stepsOf(p, i);
        const ms = 10 * steps;
        emit({ status: 'load', row, model: p.rows[i].model.name, loadedBytes: 50, totalBytes: 100 });
        if (row === opts.failRow) {
          emit({ status: 'row-error', row, error: { name: 'ModelLoadError', code: 'model-load-failed', message: `${row}: HTTP 404` } });
          continue;
        }
        emit({ status: 'row', row, model: p.rows[i].model.name, sampler: p.rows[i].sampler.kind, steps, batch: p.batch, width: S, height: S, guided: (p.rows[i].guidance?.scale ?? 0) > 0, warmupMs: 3 });
        emit({ status: 'step', row, step: 1, steps, t: steps, elapsedMs: ms / steps, frame: frame(p.batch, 10 + i) });
        if (h && i === 1) {
          emit({ status: 'step', row, step: steps / 2, steps, t: steps / 2, elapsedMs: ms / 2, frame: null });
          await Promise.race([h.wait, new Promise<void>((r) => (cancelled = r))]);
          if (f.cancels > 0) throw new EngineError({ name: 'CancelledError', code: 'cancelled', message: 'cancelled by request' });
        }
        emit({ status: 'step', row, step: steps, steps, t: 1, elapsedMs: ms, frame: null });
        const judge = p.judge ? { classifier: p.judge.name, predicted: Array.from({ length: p.batch }, () => 3), confidences: Array.from({ length: p.batch }, (_, j) => 0.5 + j / (4 * p.batch)), confidence: 0.9, accuracy: p.rows[i].target === null ? null : 0.75, diversity: p.batch > 1 ? 2.5 : null, classes: 1 } : null;
        emit({ status: 'row-done', row, nfe: steps, elapsedMs: ms, imagesPerSecond: (1000 * p.batch) / ms, x0: frame(p.batch, 200 + i), judge });
      }
      return { batch: p.batch, seed: p.seed, rows: p.rows.map((r) => ({ id: r.id, status: 'done' as const, nfe: 4, elapsedMs: 1, imagesPerSecond: 1 })), totalMs: 99, backend: 'wasm', memory };
    },
  };
  return f;
}

async function booted(engine: EngineApi, models: ModelIndexEntry[], auxiliary: AuxiliaryEntry[] | undefined): Promise<AppStore> {
  const index = { format: MODEL_INDEX_FORMAT, models, skipped: [], ...(auxiliary ? { auxiliary } : {}) };
  const store = createAppStore({ engine, indexUrl: INDEX_URL, random: () => 0.5, fetchJson: async () => index }, { batch: 1 });
  await store.getState().actions.boot();
  return store;
}

const rows = (store: AppStore, key: 'trilemma' | 'ablation' | 'guided'): CompareRowView[] => [...store.getState().compare[key].rows];

const fullIndex = (): [ModelIndexEntry[], AuxiliaryEntry[]] => [
  [gen('mnist-ddgan-t4', 4, { metrics: { frechetDistance: 6.5, precision: 0.78, recall: 0.8, classesPresent: 10, classKlToUniform: 0.11 } })],
  [aux('mnist-classifier', 'judge'), aux('mnist-ddpm', 'ddpm', { metrics: { 'ddim50.frechetDistance': 9 } }), aux('mnist-guide', 'guide')],
];

describe('compare slice', () => {
  it('sends DD-GAN, DDIM-50 and DDPM-1000 rows with resolved URLs, versions and the judge, and builds live rows', async () => {
    const f = fake();
    const store = await booted(f.engine, ...fullIndex());
    store.getState().actions.setCompareSettings({ batch: 2, seed: 42, order: 'sequential', preview: 'xt' });
    await store.getState().actions.runCompare();
    expect(f.calls).toHaveLength(1);
    const p = f.calls[0];
    expect(p).toMatchObject({ batch: 2, seed: 42, order: 'sequential', preview: 'xt', judge: { name: 'mnist-classifier', url: 'http://127.0.0.1:1/models/mnist-classifier/', version: 'mnist-classifier-v1' } });
    expect(p.rows.map((r) => [r.id, r.model.name, r.sampler])).toEqual([
      ['ddgan', 'mnist-ddgan-t4', { kind: 'ddgan' }],
      ['ddim', 'mnist-ddpm', { kind: 'ddim', steps: 50, eta: 0 }],
      ['ddpm', 'mnist-ddpm', { kind: 'ancestral' }],
    ]);
    expect(p.rows[0].model).toEqual({ name: 'mnist-ddgan-t4', url: 'http://127.0.0.1:1/models/mnist-ddgan-t4/', version: 'mnist-ddgan-t4-v1' });

    const run = store.getState().compare.trilemma;
    expect(run).toMatchObject({ status: 'done', seed: 42, batch: 2, totalMs: 99 });
    const [g, ddim, ddpm] = rows(store, 'trilemma');
    expect(g).toMatchObject({ label: 'DD-GAN T = 4', status: 'done', steps: 4, step: 4, elapsedMs: 40, final: true, warmupMs: 3, width: S, batch: 2 });
    expect(g.imagesPerSecond).toBeCloseTo(50, 6);
    expect(g.frame!.rgba[0]).toBe(200);
    expect(g.judge).toMatchObject({ classifier: 'mnist-classifier', diversity: 2.5 });
    expect(ddim).toMatchObject({ label: 'DDIM-50', status: 'done', steps: 50 });
    expect(ddpm).toMatchObject({ label: 'DDPM-1000', status: 'done', steps: 1000, elapsedMs: 10_000 });
    expect(speedup(g, ddpm)).toEqual({ kind: 'measured', ratio: 250 });
    expect(store.getState().engine.memory).toEqual(memory);
  });

  it('the DDPM rows are the user’s picks from the sampler list: DPM-Solver++ with its step count joins, DDIM leaves', async () => {
    const f = fake();
    const store = await booted(f.engine, ...fullIndex());
    const { actions } = store.getState();
    expect(store.getState().compare.settings.baselines.map((b) => [b.spec.kind, b.on])).toEqual([
      ['ddim', true],
      ['dpm-solver', false],
      ['ancestral', true],
    ]);
    const picked = store.getState().compare.settings.baselines.map((b) =>
      b.spec.kind === 'dpm-solver' ? { spec: { ...b.spec, steps: 12 }, on: true } : b.spec.kind === 'ddim' ? { ...b, on: false } : b,
    );
    actions.setCompareSettings({ baselines: picked });
    // An out-of-range step count is refused (the last valid one stays).
    actions.setCompareSettings({ baselines: picked.map((b) => (b.spec.kind === 'dpm-solver' ? { ...b, spec: { ...b.spec, steps: 0 } } : b)) });
    await actions.runCompare();
    expect(f.calls[0].rows.map((r) => [r.id, r.sampler])).toEqual([
      ['ddgan', { kind: 'ddgan' }],
      ['dpm-solver', { kind: 'dpm-solver', steps: 12 }],
      ['ddpm', { kind: 'ancestral' }],
    ]);
    const [, dpm] = rows(store, 'trilemma');
    expect(dpm).toMatchObject({ label: 'DPM-Solver++ 12', status: 'done', steps: 12, metricKeys: ['samplers.DPM-Solver++(2M)-12'] });
    // Class control steers DPM-Solver++ with the same step count.
    actions.setCompareSettings({ guidedSampler: 'dpm-solver', scale: 2 });
    await actions.runGuided();
    expect(f.calls[1].rows[0]).toMatchObject({ sampler: { kind: 'dpm-solver', steps: 12 }, model: { name: 'mnist-ddpm' }, target: 3 });
    expect(rows(store, 'guided')[0]).toMatchObject({ label: 'DPM-Solver++ 12', sampler: 'dpm-solver' });
    // A kind class control cannot steer (all 1000 ancestral steps) falls back to DD-GAN.
    actions.setCompareSettings({ guidedSampler: 'ancestral' });
    expect(store.getState().compare.settings.guidedSampler).toBe('ddgan');
  });

  it('while DDPM still runs: rows show progress, the speed-up is a lower bound, and Cancel stops the job', async () => {
    const f = fake();
    const store = await booted(f.engine, ...fullIndex());
    f.hold = hold();
    // Rows: ddgan, then ddim waits half-way (the fake's hold is at row 1).
    const pending = store.getState().actions.runCompare();
    await new Promise((r) => setTimeout(r, 0));
    expect(isCompareBusy(store.getState())).toBe(true);
    const [g, ddim, ddpm] = rows(store, 'trilemma');
    expect(g.status).toBe('done');
    expect(ddim).toMatchObject({ status: 'running', step: 25, steps: 50, elapsedMs: 250, final: false });
    expect(ddim.imagesPerSecond).toBeCloseTo(rowImagesPerSecond(4, 250, 25, 50, false)!, 9);
    expect(ddim.frame!.rgba[0]).toBe(11);
    expect(ddpm.status).toBe('waiting');
    expect(speedup(g, ddim)).toEqual({ kind: 'lower-bound', ratio: 250 / 40, projected: 500 / 40, step: 25, steps: 50, running: true });
    expect(speedup(g, ddpm)).toEqual({ kind: 'none' });

    await store.getState().actions.cancelCompare();
    await pending;
    expect(f.cancels).toBe(1);
    const after = rows(store, 'trilemma');
    expect(store.getState().compare.trilemma).toMatchObject({ status: 'cancelled', error: null });
    expect(after.map((r) => r.status)).toEqual(['done', 'cancelled', 'cancelled']);
    // The speed-up stays a lower bound, with what the cancelled row would have taken at its pace.
    expect(speedup(after[0], after[1])).toEqual({ kind: 'lower-bound', ratio: 250 / 40, projected: 500 / 40, step: 25, steps: 50, running: false });
  });

  it('without a DDPM checkpoint: the DD-GAN row runs alone and the others say what is missing', async () => {
    const f = fake();
    // An index written before `auxiliary` existed.
    const store = await booted(f.engine, [gen('mnist-ddgan-t4', 4)], undefined);
    expect(store.getState().models.auxiliary).toEqual([]);
    await store.getState().actions.runCompare();
    expect(f.calls[0].rows.map((r) => r.id)).toEqual(['ddgan']);
    expect(f.calls[0].judge).toBeNull();
    const [g, ddim, ddpm] = rows(store, 'trilemma');
    expect(g.status).toBe('done');
    for (const r of [ddim, ddpm]) {
      expect(r.status).toBe('missing');
      expect(r.error!.message).toMatch(/^No DDPM model ships with the app yet/);
      expect(r.error!.message).not.toMatch(/npm|index\.json/);
    }
    expect(store.getState().compare.trilemma.status).toBe('done');
  });

  it('with no model at all it does not call the engine and explains why', async () => {
    const f = fake();
    const store = await booted(f.engine, [], []);
    await store.getState().actions.runCompare();
    await store.getState().actions.runAblation();
    expect(f.calls).toEqual([]);
    expect(store.getState().compare.trilemma).toMatchObject({ status: 'error', error: { code: 'no-model', message: 'No DD-GAN model ships with the app.' } });
    expect(store.getState().compare.ablation.status).toBe('error');
  });

  it('a row whose model fails shows its error; the rest of the run completes', async () => {
    const f = fake({ failRow: 'ddim' });
    const store = await booted(f.engine, ...fullIndex());
    await store.getState().actions.runCompare();
    expect(rows(store, 'trilemma').map((r) => r.status)).toEqual(['done', 'error', 'done']);
    expect(rows(store, 'trilemma')[1].error).toMatchObject({ code: 'model-load-failed' });
  });

  it('the ablation samples every T of the chosen model’s family, one after the other', async () => {
    const f = fake();
    const models = [gen('mnist-ddgan-t4', 4), gen('mnist-ddgan-t1', 1), gen('emoji-ddgan-t2', 2, { dataset: 'emoji-train' })];
    const store = await booted(f.engine, models, []);
    await store.getState().actions.runAblation();
    expect(f.calls[0]).toMatchObject({ order: 'sequential' });
    expect(f.calls[0].rows.map((r) => [r.id, r.model.name])).toEqual([
      ['t1-mnist-ddgan-t1', 'mnist-ddgan-t1'],
      ['t4-mnist-ddgan-t4', 'mnist-ddgan-t4'],
    ]);
    expect(rows(store, 'ablation').map((r) => [r.label, r.status])).toEqual([
      ['DD-GAN T = 1', 'done'],
      ['DD-GAN T = 4', 'done'],
    ]);
    expect(ablationTable(models, models[0]).missingT).toEqual([2, 8]);
  });

  it('class control: unguided at s = 0, guided with the noise-aware classifier at s > 0, each batch a point in the history', async () => {
    const f = fake();
    const store = await booted(f.engine, ...fullIndex());
    const { actions } = store.getState();
    actions.setCompareSettings({ digit: 7, scale: 0, guidedBatch: 8, guidedSeed: 31, batch: 2, seed: 5 });
    await actions.runGuided();
    actions.setCompareSettings({ scale: 4 });
    await actions.runGuided();
    actions.setCompareSettings({ guidedSampler: 'ddim', scale: 2 });
    await actions.runGuided();
    expect(f.calls.map((p) => [p.rows[0].sampler.kind, p.rows[0].model.name, p.rows[0].target, p.rows[0].guidance])).toEqual([
      ['ddgan', 'mnist-ddgan-t4', 7, null],
      ['ddgan', 'mnist-ddgan-t4', 7, { classifier: { name: 'mnist-guide', url: 'http://127.0.0.1:1/models/mnist-guide/', version: 'mnist-guide-v1' }, scale: 4 }],
      ['ddim', 'mnist-ddpm', 7, expect.objectContaining({ scale: 2 })],
    ]);
    expect(store.getState().compare.guidedHistory).toEqual([
      { digit: 7, scale: 0, sampler: 'ddgan', model: 'mnist-ddgan-t4', batch: 8, seed: 31, accuracy: 0.75, diversity: 2.5, confidence: 0.9 },
      { digit: 7, scale: 4, sampler: 'ddgan', model: 'mnist-ddgan-t4', batch: 8, seed: 31, accuracy: 0.75, diversity: 2.5, confidence: 0.9 },
      { digit: 7, scale: 2, sampler: 'ddim', model: 'mnist-ddpm', batch: 8, seed: 31, accuracy: 0.75, diversity: 2.5, confidence: 0.9 },
    ]);
    // Class control draws with its own batch and seed, never the trilemma's fields.
    expect(f.calls.map((p) => [p.batch, p.seed])).toEqual([
      [8, 31],
      [8, 31],
      [8, 31],
    ]);
    // The judge's verdict per sample travels with the row (the panel shows it under each image).
    const row = store.getState().compare.guided.rows[0];
    expect(row.target).toBe(7);
    expect(row.judge!.confidences).toHaveLength(8);
    actions.clearGuidedHistory();
    expect(store.getState().compare.guidedHistory).toEqual([]);
  });

  it('class control without a noise-aware classifier: s > 0 is refused with a reason, s = 0 still runs', async () => {
    const f = fake();
    const [models, auxiliary] = fullIndex();
    const store = await booted(f.engine, models, auxiliary.filter((a) => a.role !== 'guide'));
    store.getState().actions.setCompareSettings({ scale: 3 });
    await store.getState().actions.runGuided();
    expect(f.calls).toEqual([]);
    expect(store.getState().compare.guided).toMatchObject({ status: 'error', error: { message: expect.stringMatching(/^No guidance classifier for these images ships with the app/) } });
    store.getState().actions.setCompareSettings({ scale: 0 });
    await store.getState().actions.runGuided();
    expect(store.getState().compare.guided.status).toBe('done');
  });

  it('clamps the settings to what the worker accepts', () => {
    const store = createAppStore({ engine: fake().engine, indexUrl: INDEX_URL, random: () => 0.5, fetchJson: async () => ({}) });
    store.getState().actions.setCompareSettings({ batch: 99, seed: -4, digit: 12, scale: -1, guidedBatch: 0, guidedSeed: 2 ** 33 });
    expect(store.getState().compare.settings).toMatchObject({ batch: 16, seed: 0, digit: 9, scale: 0, guidedBatch: 1, guidedSeed: 0xffffffff });
  });
});

describe('compare helpers', () => {
  it('picks DD-GAN T = 4 and a DDPM of the same size and data; the picked names win', () => {
    const catalog = [gen('a-t1', 1), gen('b-t4', 4), gen('big-t4', 4, { imageSize: 32 })];
    const auxiliary = [aux('ddpm-32', 'ddpm', { imageSize: 32 }), aux('ddpm-2', 'ddpm'), aux('judge-32', 'judge', { imageSize: 32 }), aux('judge-2', 'judge')];
    expect(compareChoices(catalog, auxiliary, { ddgan: null, ddpm: null })).toMatchObject({ ddgan: { name: 'b-t4' }, ddpm: { name: 'ddpm-2' }, judge: { name: 'judge-2' }, guide: null });
    expect(compareChoices(catalog, auxiliary, { ddgan: 'big-t4', ddpm: null })).toMatchObject({ ddpm: { name: 'ddpm-32' }, judge: { name: 'judge-32' } });
    // A DDPM of other images is never paired, even when picked: the pair is the same data or none.
    expect(compareChoices(catalog, auxiliary, { ddgan: 'a-t1', ddpm: 'ddpm-32' })).toMatchObject({ ddgan: { name: 'a-t1' }, ddpm: { name: 'ddpm-2' } });
    expect(compareChoices([], [], { ddgan: 'x', ddpm: 'y' })).toEqual({ ddgan: null, ddpm: null, judge: null, guide: null });
  });

  it('by default compares a DD-GAN that has a DDPM baseline, not the first name in the index', () => {
    // sorted by name, the colour emoji model comes first; only the digits have a DDPM
    const emoji = gen('emoji-t4', 4, { channels: 3, dataset: 'emoji' });
    const catalog = [emoji, gen('mnist-t1', 1), gen('mnist-t4', 4)];
    const auxiliary = [aux('mnist-ddpm', 'ddpm'), aux('mnist-judge', 'judge'), aux('mnist-guide', 'guide')];
    expect(compareChoices(catalog, auxiliary, { ddgan: null, ddpm: null })).toMatchObject({
      ddgan: { name: 'mnist-t4' },
      ddpm: { name: 'mnist-ddpm' },
      judge: { name: 'mnist-judge' },
      guide: { name: 'mnist-guide' },
    });
    // without a T = 4 digit model, the T = 1 one (it has the baseline) before the emoji T = 4
    expect(compareChoices([emoji, gen('mnist-t1', 1)], auxiliary, { ddgan: null, ddpm: null }).ddgan?.name).toBe('mnist-t1');
    // no DDPM at all: T = 4 first, as before
    expect(compareChoices(catalog, [], { ddgan: null, ddpm: null }).ddgan?.name).toBe('emoji-t4');
    // a pick still wins
    expect(compareChoices(catalog, auxiliary, { ddgan: 'emoji-t4', ddpm: null })).toMatchObject({ ddgan: { name: 'emoji-t4' }, ddpm: null, judge: null, guide: null });
  });

  it('never pits a DD-GAN against a DDPM trained on other data, and says why in plain words', async () => {
    const emoji = gen('emoji-ddgan-t4', 4, { channels: 3, dataset: 'emoji' });
    const digits = gen('mnist-ddgan-t4', 4);
    // the same image size and channels, other data: still no pair
    const grey = gen('fashion-t4', 4, { dataset: 'fashion' });
    const ddpm = aux('mnist-ddpm', 'ddpm');
    expect(baselinesFor([ddpm], emoji)).toEqual([]);
    expect(baselinesFor([ddpm], grey)).toEqual([]);
    expect(baselinesFor([ddpm], digits)).toEqual([ddpm]);
    expect(compareChoices([emoji, grey, digits], [ddpm], { ddgan: 'emoji-ddgan-t4', ddpm: 'mnist-ddpm' }).ddpm).toBeNull();
    expect(compareChoices([emoji, grey, digits], [ddpm], { ddgan: 'fashion-t4', ddpm: 'mnist-ddpm' }).ddpm).toBeNull();
    const reason = noBaselineReason([ddpm], emoji)!;
    expect(reason).toMatch(/^No DDPM trained on emoji ships with the app/);
    expect(reason).toMatch(/MNIST digits/);
    expect(reason).not.toMatch(/npm|index\.json|mnist-train/);
    expect(noBaselineReason([ddpm], digits)).toBeNull();

    // Picked in the view: only the DD-GAN row is sent, the DDPM rows say why they do not run.
    const f = fake();
    const store = await booted(f.engine, [emoji, digits], [ddpm]);
    store.getState().actions.setCompareSettings({ ddgan: 'emoji-ddgan-t4', ddpm: 'mnist-ddpm' });
    await store.getState().actions.runCompare();
    expect(f.calls[0].rows.map((r) => [r.id, r.model.name])).toEqual([['ddgan', 'emoji-ddgan-t4']]);
    const [, ddimRow, ddpmRow] = rows(store, 'trilemma');
    expect([ddimRow.status, ddpmRow.status]).toEqual(['missing', 'missing']);
    expect(ddpmRow.error!.message).toBe(reason);
  });

  it("a row's counter and its picture agree: the step a preview shows, and where a cancelled row stopped", () => {
    const base = { frame: makeFrame(new Uint8ClampedArray(4)), final: false, steps: 1000 };
    expect(rowProgressText({ ...base, status: 'running', step: 96, frameStep: 81 })).toEqual({ counter: '96 / 1000', picture: 'preview after step 81 of 1000' });
    // the worker sends the picture of the step a cancel stopped at
    expect(rowProgressText({ ...base, status: 'cancelled', step: 96, frameStep: 96 })).toEqual({
      counter: '96 / 1000 · cancelled',
      picture: 'cancelled after step 96 of 1000: the picture at that step',
    });
    // and if it could not, the picture says it is older, and from when
    expect(rowProgressText({ ...base, status: 'cancelled', step: 96, frameStep: 81 }).picture).toBe('cancelled after step 96 of 1000; picture from step 81, its last preview');
    expect(rowProgressText({ ...base, status: 'done', step: 1000, frameStep: 1000, final: true })).toEqual({ counter: '1000 / 1000', picture: 'final samples' });
    expect(rowProgressText({ ...base, frame: null, status: 'waiting', step: 0, frameStep: 0, steps: 0 })).toEqual({ counter: '–', picture: '' });
  });

  it('finds stored metrics per sampler, falls back to unstated ones, and says when there are none', () => {
    const keys = (spec: Parameters<typeof rowMetricKeys>[0], N: number | null = 1000) => rowMetricKeys(spec, N);
    expect(rowMetrics({ frechetDistance: 6.5, recall: 0.8, 'evaluation.n': 2000 }, keys({ kind: 'ddgan' }))).toEqual({ values: { frechetDistance: 6.5, recall: 0.8 }, source: '', samplerUnstated: false });
    // keys of model files evaluated before the sampler labels
    const ddpm = { 'ddim50.frechetDistance': 9, 'ddim50.precision': 0.5, 'ddpm1000.frechetDistance': 4 };
    expect(rowMetrics(ddpm, keys({ kind: 'ddim', steps: 50, eta: 0 }))).toMatchObject({ values: { frechetDistance: 9, precision: 0.5 }, source: 'ddim50' });
    expect(rowMetrics(ddpm, keys({ kind: 'ancestral' }))).toMatchObject({ values: { frechetDistance: 4 }, source: 'ddpm1000' });
    // DDIM-20's row does not borrow DDIM-50's numbers
    expect(rowMetrics(ddpm, keys({ kind: 'ddim', steps: 20, eta: 0 }))).toBeNull();
    // the keys `npm run eval` writes (metrics.samplers[<sampler label>], flattened by the index)
    const evaluated = {
      'samplers.DDIM-50 (η = 0).frechetDistance': 11,
      'samplers.DDPM-1000 ancestral.recall': 0.7,
      'samplers.DPM-Solver++(2M)-20.frechetDistance': 3.5,
    };
    expect(rowMetrics(evaluated, keys({ kind: 'ddim', steps: 50, eta: 0 }))).toMatchObject({ values: { frechetDistance: 11 }, samplerUnstated: false });
    expect(rowMetrics(evaluated, keys({ kind: 'ancestral' }))).toMatchObject({ values: { recall: 0.7 }, samplerUnstated: false });
    expect(rowMetrics(evaluated, keys({ kind: 'dpm-solver', steps: 20 }))).toMatchObject({ values: { frechetDistance: 3.5 }, source: 'samplers.DPM-Solver++(2M)-20' });
    // a row asks for the steps its ε-net has: DDIM-50 of a 20-step net is DDIM-20
    expect(keys({ kind: 'ddim', steps: 50, eta: 0 }, 20)[0]).toBe('samplers.DDIM-20 (η = 0)');
    expect(rowMetrics({ frechetDistance: 7 }, keys({ kind: 'ancestral' }))).toEqual({ values: { frechetDistance: 7 }, source: '', samplerUnstated: true });
    expect(rowMetrics({ fixture: 1 }, keys({ kind: 'ddgan' }))).toBeNull();
    expect(rowMetrics(undefined, keys({ kind: 'ddim', steps: 50, eta: 0 }))).toBeNull();
  });

  it('projects images per second from the steps so far', () => {
    expect(rowImagesPerSecond(4, 1000, 10, 100, false)).toBeCloseTo(0.4, 9);
    expect(rowImagesPerSecond(4, 1000, 100, 100, true)).toBe(4);
    expect(rowImagesPerSecond(4, 0, 0, 100, false)).toBeNull();
  });
});
