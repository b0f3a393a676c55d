/**
 * Compare slice: the generative learning trilemma side by side. Three jobs share the
 * worker's `compare` command, each with its own live view:
 *
 *   trilemma  DD-GAN T = 4 beside the DDPM samplers the user picked (by default DDIM-50
 *             and ancestral DDPM-1000; DPM-Solver++ and the rest of the core list one
 *             click away) on one seed and batch
 *   ablation  one small grid per DD-GAN T of the chosen model's family
 *   guided    a batch steered toward a digit at guidance scale s, scored by the judge;
 *             every finished batch adds a point to `guidedHistory` (accuracy and
 *             diversity as s changes)
 *
 * Rows whose checkpoint the index lacks are shown as 'missing' with the reason and are not
 * sent. Progress arrives as deltas per row (a step, a frame, a row done); only the newest
 * frame of a row is kept. A newer job (or a Generate) supersedes the running one in the
 * worker, which then answers 'cancelled'.
 */
import { toSerializedError } from '../../worker/client';
import { infoOf, parseSamplerSpec, type DdpmSamplerSpec, type SamplerKind, type SamplerSpec } from '../../core/diffusion/samplers/specs';
import { COMPARE_LIMITS, type CompareModelRef, type CompareParams, type CompareProgress, type CompareRowSpec, type SerializedError } from '../../worker/protocol';
import { makeFrame } from '../history';
import {
  ablationTable,
  compareChoices,
  defaultBaselines,
  fittedSpec,
  guidableSamplers,
  noBaselineReason,
  rowImagesPerSecond,
  rowMetricKeys,
  samplerRowLabel,
} from '../compareModels';
import type { AuxiliaryEntry, ModelIndexEntry } from '../modelCatalog';
import type { AppActions, AppState, CompareBaseline, CompareRowView, CompareRunView, CompareSettings, CompareSlice, GuidedPoint } from '../types';
import { isLabBusy, isTraining, type SliceContext } from './context';

export const DEFAULT_COMPARE_SETTINGS: CompareSettings = {
  batch: 4,
  seed: 0,
  order: 'interleaved',
  preview: 'x0',
  ddgan: null,
  ddpm: null,
  baselines: defaultBaselines(),
  digit: 3,
  // Class control's own batch and seed (not the trilemma's fields above).
  guidedBatch: 8,
  guidedSeed: 0,
  // Where the shipped guide visibly steers the shipped DD-GAN (judge accuracy 11 % → 48 % on
  // 100 samples, `npm run eval -- --class all --scale 10`); 0 draws unguided.
  scale: 10,
  guidedSampler: 'ddgan',
};

/** Preview frames per row at most (DDPM-1000 then shows every 40th step). */
export const COMPARE_MAX_FRAMES = 25;
/** Points kept in the class-control table. */
export const GUIDED_HISTORY = 24;

export const emptyRun = (batch = 0): CompareRunView => ({ status: 'idle', error: null, seed: null, batch, rows: [], totalMs: null });

export function initialCompare(): CompareSlice {
  return { settings: DEFAULT_COMPARE_SETTINGS, trilemma: emptyRun(), ablation: emptyRun(), guided: emptyRun(), guidedHistory: [] };
}

/**
 * The compare jobs need a ready engine whose queue is free (training and the lab hold it),
 * and no model load or warm-up in flight: a compare request would supersede (cancel) it.
 */
export function canCompare(s: AppState): boolean {
  const loading = s.models.status === 'downloading' || s.models.status === 'warming';
  return s.engine.status === 'ready' && s.models.catalogStatus === 'ready' && !loading && !isTraining(s) && !isLabBusy(s);
}

export function isCompareBusy(s: AppState): boolean {
  return s.compare.trilemma.status === 'running' || s.compare.ablation.status === 'running' || s.compare.guided.status === 'running';
}

type JobKey = 'trilemma' | 'ablation' | 'guided';

interface RowPlan {
  readonly label: string;
  readonly sampler: SamplerKind;
  readonly metricKeys: readonly string[];
  /** The row to send, or why it cannot run. */
  readonly spec: CompareRowSpec | null;
  readonly missing: string | null;
}

function blankRow(id: string, plan: RowPlan, batch: number): CompareRowView {
  return {
    id,
    label: plan.label,
    model: plan.spec?.model.name ?? '',
    sampler: plan.sampler,
    metricKeys: plan.metricKeys,
    status: plan.spec ? 'waiting' : 'missing',
    steps: 0,
    step: 0,
    t: null,
    elapsedMs: 0,
    warmupMs: null,
    imagesPerSecond: null,
    download: null,
    frame: null,
    frameStep: 0,
    final: false,
    batch,
    width: 0,
    height: 0,
    guided: false,
    target: plan.spec?.target ?? null,
    judge: null,
    error: plan.missing ? { name: 'MissingModelError', code: 'no-model', message: plan.missing } : null,
  };
}

const NO_DDGAN = 'No DD-GAN model ships with the app.';

/**
 * A baseline list as the settings keep it: one entry per sampler of `defaults` (the core
 * list), in its order, with the patch's parameters where they are valid and the old ones
 * (or the defaults) elsewhere.
 */
function mergeBaselines(defaults: readonly CompareBaseline[], old: readonly CompareBaseline[], patch: readonly CompareBaseline[] | undefined): CompareBaseline[] {
  return defaults.map((d) => {
    const pick = (list: readonly CompareBaseline[] | undefined) => list?.find((b) => b.spec.kind === d.spec.kind);
    const next = pick(patch) ?? pick(old) ?? d;
    let spec: DdpmSamplerSpec;
    try {
      spec = parseSamplerSpec(next.spec) as DdpmSamplerSpec;
    } catch {
      spec = pick(old)?.spec ?? d.spec;
    }
    return { spec, on: Boolean(next.on) };
  });
}

type CompareActions = Pick<AppActions, 'setCompareSettings' | 'runCompare' | 'runAblation' | 'runGuided' | 'cancelCompare' | 'clearGuidedHistory'>;

export function compareActions(ctx: SliceContext): CompareActions {
  const { get, env } = ctx;
  const patch = (p: Partial<CompareSlice>): void => ctx.patch('compare', p);
  const runIds: Record<JobKey, number> = { trilemma: 0, ablation: 0, guided: 0 };

  const ref = (m: { name: string; path: string; createdAt: string | null }): CompareModelRef => ({
    name: m.name,
    url: new URL(m.path, env.indexUrl).href,
    version: m.createdAt,
  });
  const choices = () => {
    const s = get();
    return compareChoices(s.models.catalog, s.models.auxiliary, s.compare.settings);
  };
  const ddganRow = (id: string, m: ModelIndexEntry): CompareRowSpec => ({ id, model: ref(m), sampler: { kind: 'ddgan' }, guidance: null, target: null });
  /** The spec of a guidable kind: DD-GAN's, or the baseline's (its step count) fitted to the ε-net. */
  const guidedSpec = (kind: SamplerKind, ddpm: AuxiliaryEntry | null): SamplerSpec => {
    if (kind === 'ddgan') return { kind: 'ddgan' };
    const b = get().compare.settings.baselines.find((x) => x.spec.kind === kind);
    return fittedSpec(b?.spec ?? parseSamplerSpec({ kind }), ddpm?.steps ?? null);
  };

  const updateRow = (key: JobKey, id: string, fn: (r: CompareRowView) => CompareRowView): void => {
    const run = get().compare[key];
    patch({ [key]: { ...run, rows: run.rows.map((r) => (r.id === id ? fn(r) : r)) } });
  };

  const onProgress = (key: JobKey, runId: number, batch: number) => (p: CompareProgress): void => {
    if (runId !== runIds[key]) return;
    switch (p.status) {
      case 'load':
        updateRow(key, p.row, (r) => ({ ...r, status: r.status === 'waiting' ? 'loading' : r.status, download: { loadedBytes: p.loadedBytes, totalBytes: p.totalBytes } }));
        return;
      case 'row':
        updateRow(key, p.row, (r) => ({ ...r, status: 'running', steps: p.steps, width: p.width, height: p.height, batch: p.batch, guided: p.guided, warmupMs: p.warmupMs }));
        return;
      case 'step':
        updateRow(key, p.row, (r) => ({
          ...r,
          step: p.step,
          steps: p.steps,
          t: p.t,
          elapsedMs: p.elapsedMs,
          imagesPerSecond: rowImagesPerSecond(batch, p.elapsedMs, p.step, p.steps, false),
          ...(p.frame ? { frame: makeFrame(new Uint8ClampedArray(p.frame)), frameStep: p.step } : {}),
        }));
        return;
      case 'row-done':
        updateRow(key, p.row, (r) => ({
          ...r,
          status: 'done',
          step: p.nfe,
          steps: p.nfe,
          elapsedMs: p.elapsedMs,
          imagesPerSecond: p.imagesPerSecond,
          frame: makeFrame(new Uint8ClampedArray(p.x0)),
          frameStep: p.nfe,
          final: true,
          judge: p.judge,
        }));
        return;
      case 'row-error':
        updateRow(key, p.row, (r) => ({ ...r, status: 'error', error: p.error }));
        return;
      default: {
        const unhandled: never = p;
        void unhandled;
      }
    }
  };

  /**
   * Sends one job; resolves with the run's final view (null when superseded). Batch and seed
   * are the trilemma's fields unless `extra` brings its own (class control does).
   */
  async function run(key: JobKey, plans: readonly (RowPlan & { id: string })[], extra: Partial<Pick<CompareParams, 'order' | 'judge' | 'batch' | 'seed'>>): Promise<CompareRunView | null> {
    const s = get();
    if (!canCompare(s)) return null;
    const { preview, order } = s.compare.settings;
    const batch = extra.batch ?? s.compare.settings.batch;
    const seed = extra.seed ?? s.compare.settings.seed;
    const id = ++runIds[key];
    const rows = plans.map((p) => blankRow(p.id, p, batch));
    const specs = plans.flatMap((p) => (p.spec ? [p.spec] : []));
    if (specs.length === 0) {
      const error: SerializedError = { name: 'MissingModelError', code: 'no-model', message: plans.find((p) => p.missing)?.missing ?? 'nothing to run' };
      patch({ [key]: { ...emptyRun(batch), status: 'error', error, rows } });
      return null;
    }
    patch({ [key]: { status: 'running', error: null, seed, batch, rows, totalMs: null } satisfies CompareRunView });
    const c = choices();
    try {
      const r = await env.engine.compare(
        { rows: specs, batch, seed, order: extra.order ?? order, preview, maxFrames: COMPARE_MAX_FRAMES, judge: extra.judge === undefined ? (c.judge ? ref(c.judge) : null) : extra.judge },
        { onProgress: onProgress(key, id, batch) },
      );
      if (id !== runIds[key]) return null;
      patch({ [key]: { ...get().compare[key], status: 'done', totalMs: r.totalMs } });
      ctx.patch('engine', { memory: r.memory });
    } catch (e) {
      if (id !== runIds[key]) return null;
      const error = toSerializedError(e);
      const cancelled = error.code === 'cancelled';
      const cur = get().compare[key];
      patch({
        [key]: {
          ...cur,
          status: cancelled ? 'cancelled' : 'error',
          error: cancelled ? null : error,
          rows: cur.rows.map((r) => (r.status === 'waiting' || r.status === 'loading' || r.status === 'running' ? { ...r, status: 'cancelled' } : r)),
        },
      });
    }
    return get().compare[key];
  }

  return {
    setCompareSettings(p) {
      const next = { ...get().compare.settings, ...p };
      const clampInt = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.round(v)));
      patch({
        settings: {
          ...next,
          batch: clampInt(next.batch, 1, COMPARE_LIMITS.batch),
          seed: clampInt(next.seed, 0, 0xffffffff),
          guidedBatch: clampInt(next.guidedBatch, 1, COMPARE_LIMITS.batch),
          guidedSeed: clampInt(next.guidedSeed, 0, 0xffffffff),
          digit: clampInt(next.digit, 0, 9),
          scale: Math.min(COMPARE_LIMITS.scale, Math.max(0, Number.isFinite(next.scale) ? next.scale : 0)),
          baselines: mergeBaselines(DEFAULT_COMPARE_SETTINGS.baselines, get().compare.settings.baselines, p.baselines),
          guidedSampler: guidableSamplers().includes(next.guidedSampler) ? next.guidedSampler : 'ddgan',
        },
      });
    },

    async runCompare() {
      const c = choices();
      const noDdpm = noBaselineReason(get().models.auxiliary, c.ddgan) ?? 'No DDPM model ships with the app yet.';
      const ddpmRef = c.ddpm ? ref(c.ddpm) : null;
      const steps = c.ddpm?.steps ?? null;
      const baselines = get().compare.settings.baselines.filter((b) => b.on);
      const plans: (RowPlan & { id: string })[] = [
        {
          id: 'ddgan',
          label: samplerRowLabel({ kind: 'ddgan' }, c.ddgan),
          sampler: 'ddgan',
          metricKeys: rowMetricKeys({ kind: 'ddgan' }, null),
          spec: c.ddgan ? ddganRow('ddgan', c.ddgan) : null,
          missing: c.ddgan ? null : NO_DDGAN,
        },
        ...baselines.map((b) => {
          const id = infoOf(b.spec.kind).id;
          return {
            id,
            label: samplerRowLabel(b.spec, c.ddpm),
            sampler: b.spec.kind,
            metricKeys: rowMetricKeys(b.spec, steps),
            spec: ddpmRef ? ({ id, model: ddpmRef, sampler: fittedSpec(b.spec, steps), guidance: null, target: null } satisfies CompareRowSpec) : null,
            missing: ddpmRef ? null : noDdpm,
          };
        }),
      ];
      await run('trilemma', plans, {});
    },

    async runAblation() {
      const c = choices();
      const table = ablationTable(get().models.catalog, c.ddgan);
      const plans = table.models.map((m) => ({
        id: `t${m.T}-${m.name}`,
        label: `DD-GAN T = ${m.T}`,
        sampler: 'ddgan' as const,
        metricKeys: rowMetricKeys({ kind: 'ddgan' }, null),
        spec: ddganRow(`t${m.T}-${m.name}`, m),
        missing: null,
      }));
      if (plans.length === 0) {
        patch({ ablation: { ...emptyRun(get().compare.settings.batch), status: 'error', error: { name: 'MissingModelError', code: 'no-model', message: NO_DDGAN } } });
        return;
      }
      // One grid after the other: the T rows are compared on their own times.
      await run('ablation', plans, { order: 'sequential' });
    },

    async runGuided() {
      const c = choices();
      const { digit, scale, guidedSampler, guidedBatch, guidedSeed } = get().compare.settings;
      const model = guidedSampler === 'ddgan' ? c.ddgan : c.ddpm;
      const guidedBy = scale > 0 ? c.guide : null;
      let missing: string | null = null;
      if (!model) missing = guidedSampler === 'ddgan' ? NO_DDGAN : (noBaselineReason(get().models.auxiliary, c.ddgan) ?? 'No DDPM model ships with the app yet.');
      else if (scale > 0 && !c.guide) missing = 'No guidance classifier for these images ships with the app: only s = 0 (unguided) can be drawn.';
      const sampler = guidedSpec(guidedSampler, c.ddpm);
      const label = samplerRowLabel(sampler, guidedSampler === 'ddgan' ? c.ddgan : c.ddpm);
      const spec: CompareRowSpec | null =
        model && !missing
          ? {
              id: 'guided',
              model: ref(model),
              sampler,
              guidance: guidedBy ? { classifier: ref(guidedBy), scale } : null,
              target: digit,
            }
          : null;
      const metricKeys = rowMetricKeys(sampler, c.ddpm?.steps ?? null);
      const view = await run('guided', [{ id: 'guided', label, sampler: guidedSampler, metricKeys, spec, missing }], { order: 'sequential', batch: guidedBatch, seed: guidedSeed });
      const row = view?.rows[0];
      if (!view || view.status !== 'done' || !row || row.status !== 'done' || !row.judge) return;
      const point: GuidedPoint = {
        digit,
        scale,
        sampler: guidedSampler,
        model: row.model,
        batch: row.batch,
        seed: guidedSeed,
        accuracy: row.judge.accuracy,
        diversity: row.judge.diversity,
        confidence: row.judge.confidence,
      };
      patch({ guidedHistory: [...get().compare.guidedHistory, point].slice(-GUIDED_HISTORY) });
    },

    async cancelCompare() {
      if (!isCompareBusy(get())) return;
      await env.engine.cancel({}).catch(() => undefined);
    },

    clearGuidedHistory() {
      patch({ guidedHistory: [] });
    },
  };
}
