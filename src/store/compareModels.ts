/**
 * What the Compare view needs from the model index, as pure functions (no React, no tfjs):
 * which checkpoints to compare, the DD-GAN family of the T ablation, the stored quality
 * metrics that belong to each row, and the speed-up one row has over another.
 */
import {
  defaultSpec,
  fitSpec,
  infoOf,
  metricKeysFor,
  samplersOf,
  specShortLabel,
  type DdpmSamplerSpec,
  type SamplerKind,
  type SamplerSpec,
} from '../core/diffusion/samplers/specs';
import type { AuxiliaryEntry, ModelIndexEntry } from './modelCatalog';
import type { CompareBaseline, CompareRowView } from './types';

/** The ε-net length assumed for a label when no DDPM ships (the DESIGN's N). */
const DEFAULT_DDPM_STEPS = 1000;

/**
 * The DDPM samplers the trilemma run can put beside the DD-GAN, one per sampler of the
 * core list (src/core/diffusion/samplers/specs.ts), at its default parameters and picked
 * when its entry says so (DDIM-50 and ancestral DDPM: yes; DPM-Solver++: the user's pick).
 */
export function defaultBaselines(): CompareBaseline[] {
  return samplersOf('ddpm').map((info) => ({ spec: defaultSpec(info.kind) as DdpmSamplerSpec, on: info.compare?.on ?? false }));
}

/** `spec` as run on an ε-net of `steps` steps (null: none ships; the DESIGN's N is assumed). */
export function fittedSpec<S extends SamplerSpec>(spec: S, steps: number | null): S {
  return fitSpec(spec, steps ?? DEFAULT_DDPM_STEPS);
}

/** A row's title: 'DD-GAN T = 4', 'DDIM-50', 'DDPM-1000', 'DPM-Solver++ 20'. */
export function samplerRowLabel(spec: SamplerSpec, model: { readonly T?: number; readonly steps?: number | null } | null): string {
  if (spec.kind === 'ddgan') return model?.T ? `DD-GAN T = ${model.T}` : 'DD-GAN';
  const N = model?.steps ?? DEFAULT_DDPM_STEPS;
  return specShortLabel(fittedSpec(spec, N), N);
}

/** Where the row's checkpoint keeps this sampler's stored metrics (samplers/specs.ts `metricKeysFor`). */
export function rowMetricKeys(spec: SamplerSpec, steps: number | null): readonly string[] {
  const N = steps ?? DEFAULT_DDPM_STEPS;
  return metricKeysFor(spec.kind === 'ddgan' ? spec : fittedSpec(spec, N), N);
}

/** The samplers class control can steer: DD-GAN and the DDPM samplers with a step count (not all N steps). */
export function guidableSamplers(): SamplerKind[] {
  return [...samplersOf('ddgan'), ...samplersOf('ddpm').filter((i) => 'steps' in i.params)].map((i) => i.kind);
}

/** The name a sampler kind goes by in tables ('DD-GAN', 'DDIM', 'DPM-Solver++ (2M)'). */
export const samplerName = (kind: SamplerKind): string => infoOf(kind).name;

/** The T values of the ablation table (DESIGN: T ∈ {1, 2, 4, 8}). */
export const ABLATION_T = [1, 2, 4, 8] as const;

export interface CompareChoices {
  readonly ddgan: ModelIndexEntry | null;
  readonly ddpm: AuxiliaryEntry | null;
  /** A clean classifier that reads the DD-GAN's images (same size and channels). */
  readonly judge: AuxiliaryEntry | null;
  /** A noise-aware classifier for guidance, of the same image size. */
  readonly guide: AuxiliaryEntry | null;
}

const sameImages = (a: { imageSize: number; channels: number }, b: { imageSize: number; channels: number }): boolean =>
  a.imageSize === b.imageSize && a.channels === b.channels;

/** Trained on the same data set (model.json `data.name`) at the same image size and channels. */
export const sameData = (a: { imageSize: number; channels: number; dataset: string | null }, b: { imageSize: number; channels: number; dataset: string | null }): boolean =>
  sameImages(a, b) && a.dataset === b.dataset;

/** The DDPM ε-nets a DD-GAN can be compared with: those trained on its data (none for no DD-GAN). */
export function baselinesFor(auxiliary: readonly AuxiliaryEntry[], ddgan: ModelIndexEntry | null): AuxiliaryEntry[] {
  return ddgan ? auxiliary.filter((m) => m.role === 'ddpm' && sameData(m, ddgan)) : [];
}

/** A data set's name as the user reads it (model.json `data.name`). */
export function datasetLabel(name: string | null): string {
  if (name === null || name === 'none') return 'unnamed data';
  if (/^mnist(-train)?$/.test(name)) return 'MNIST digits';
  return name;
}

/**
 * The checkpoints to compare: the picked DD-GAN when it exists, else one that has a DDPM
 * baseline trained on the same data, T = 4 first (then any T = 4, then the first generator:
 * the index is sorted by name, and an emoji model must not stand in for the digits). The
 * DDPM is always one trained on the DD-GAN's data (the picked one when it is), or none: an
 * emoji generator is never pitted against a digit DDPM. The judge and the guide are the
 * classifiers that read the DD-GAN's images.
 */
export function compareChoices(
  catalog: readonly ModelIndexEntry[],
  auxiliary: readonly AuxiliaryEntry[],
  picks: { readonly ddgan: string | null; readonly ddpm: string | null },
): CompareChoices {
  const hasBaseline = (g: ModelIndexEntry): boolean => baselinesFor(auxiliary, g).length > 0;
  const ddgan =
    catalog.find((m) => m.name === picks.ddgan) ??
    catalog.find((m) => m.T === 4 && hasBaseline(m)) ??
    catalog.find(hasBaseline) ??
    catalog.find((m) => m.T === 4) ??
    catalog[0] ??
    null;
  const baselines = baselinesFor(auxiliary, ddgan);
  const ddpm = baselines.find((m) => m.name === picks.ddpm) ?? baselines[0] ?? null;
  const reads = (m: AuxiliaryEntry): boolean => (ddgan ? sameImages(m, ddgan) : true);
  const judge = auxiliary.find((m) => m.role === 'judge' && reads(m)) ?? null;
  const guide = auxiliary.find((m) => m.role === 'guide' && reads(m)) ?? null;
  return { ddgan, ddpm, judge, guide };
}

/**
 * Why a DD-GAN has no DDPM to be compared with, in plain words (null when it has one):
 * none ships at all, or none trained on its data (naming the data sets that have one).
 */
export function noBaselineReason(auxiliary: readonly AuxiliaryEntry[], ddgan: ModelIndexEntry | null): string | null {
  if (!ddgan || baselinesFor(auxiliary, ddgan).length > 0) return null;
  const ddpms = auxiliary.filter((m) => m.role === 'ddpm');
  if (ddpms.length === 0) return 'No DDPM model ships with the app yet, so there is nothing to run DDIM and DDPM with.';
  const others = [...new Set(ddpms.map((m) => datasetLabel(m.dataset)))].join(', ');
  return `No DDPM trained on ${datasetLabel(ddgan.dataset)} ships with the app, and a DDPM trained on other images would not be a fair comparison. DDPM models exist for: ${others}.`;
}

export interface AblationTable {
  /** The family: generators trained on the same data at the same image size as `base`. */
  readonly models: readonly ModelIndexEntry[];
  /** T values of ABLATION_T without a model in the family. */
  readonly missingT: readonly number[];
  /**
   * The training length (iterations) that the most different T values share, when at least
   * two do: the rows at this budget compare models, the others compare budgets. Null when
   * no two T values were trained equally long.
   */
  readonly matchedIterations: number | null;
}

function matchedIterations(models: readonly ModelIndexEntry[]): number | null {
  const Ts = new Map<number, Set<number>>();
  for (const m of models) if (m.iterations !== null) Ts.set(m.iterations, (Ts.get(m.iterations) ?? new Set()).add(m.T));
  let best: number | null = null;
  let bestCount = 1;
  for (const [iterations, set] of Ts) {
    if (set.size > bestCount || (set.size === bestCount && best !== null && iterations > best)) {
      best = iterations;
      bestCount = set.size;
    }
  }
  return best;
}

/** The DD-GAN models of `base`'s family, by T (then name), and the T values that have none. */
export function ablationTable(catalog: readonly ModelIndexEntry[], base: ModelIndexEntry | null): AblationTable {
  if (!base) return { models: [], missingT: [...ABLATION_T], matchedIterations: null };
  const models = catalog
    .filter((m) => m.dataset === base.dataset && sameImages(m, base))
    .sort((a, b) => a.T - b.T || (a.iterations ?? 0) - (b.iterations ?? 0) || a.name.localeCompare(b.name));
  return { models, missingT: ABLATION_T.filter((T) => !models.some((m) => m.T === T)), matchedIterations: matchedIterations(models) };
}

/**
 * The quality metrics the compare rows show, as stored by `npm run eval` (the floor beside
 * the Fréchet distance: it depends on the number of samples each row was measured with).
 */
export const QUALITY_METRICS = ['frechetDistance', 'frechetDistanceFloor', 'precision', 'recall', 'confidentShare', 'classesPresent', 'classKlToUniform'] as const;
export type QualityMetric = (typeof QUALITY_METRICS)[number];

export interface RowMetrics {
  readonly values: Partial<Record<QualityMetric, number>>;
  /** The dotted prefix the numbers were found under ('' = top level). */
  readonly source: string;
  /** True when a DDPM checkpoint's numbers do not say which sampler produced them. */
  readonly samplerUnstated: boolean;
}

function valuesAt(metrics: Readonly<Record<string, number>>, prefix: string): Partial<Record<QualityMetric, number>> {
  const out: Partial<Record<QualityMetric, number>> = {};
  for (const k of QUALITY_METRICS) {
    const v = metrics[prefix ? `${prefix}.${k}` : k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  return out;
}

/**
 * The stored metrics of a row's checkpoint for its sampler, or null when the checkpoint
 * was never evaluated. `keys` are the row's metric prefixes (`rowMetricKeys`: '' for a
 * DD-GAN; `samplers.<label>` and older keys for a DDPM), tried in order; a DDPM's
 * top-level numbers come last, flagged as not saying which sampler.
 */
export function rowMetrics(metrics: Readonly<Record<string, number>> | undefined, keys: readonly string[]): RowMetrics | null {
  if (!metrics) return null;
  for (const prefix of keys) {
    const values = valuesAt(metrics, prefix);
    if (Object.keys(values).length > 0) return { values, source: prefix, samplerUnstated: false };
  }
  if (!keys.includes('')) {
    const values = valuesAt(metrics, '');
    if (Object.keys(values).length > 0) return { values, source: '', samplerUnstated: true };
  }
  return null;
}

export type Speedup =
  | { readonly kind: 'none' }
  /** Both rows finished: the measured ratio of their sampling times. */
  | { readonly kind: 'measured'; readonly ratio: number }
  /**
   * The fast row finished, the slow one still runs (or was cancelled): its time so far over
   * the fast row's is a lower bound; `projected` extrapolates its time per step to all its
   * steps; `running` is false once it was cancelled.
   */
  | { readonly kind: 'lower-bound'; readonly ratio: number; readonly projected: number | null; readonly step: number; readonly steps: number; readonly running: boolean };

/** How many times faster `fast` sampled the same batch than `slow`. */
export function speedup(fast: CompareRowView | undefined, slow: CompareRowView | undefined): Speedup {
  if (!fast || !slow || fast.status !== 'done' || !(fast.elapsedMs > 0)) return { kind: 'none' };
  if (slow.status === 'done') return { kind: 'measured', ratio: slow.elapsedMs / fast.elapsedMs };
  if ((slow.status === 'running' || slow.status === 'cancelled') && slow.step > 0) {
    const projected = slow.steps > 0 ? (slow.elapsedMs * slow.steps) / slow.step / fast.elapsedMs : null;
    return { kind: 'lower-bound', ratio: slow.elapsedMs / fast.elapsedMs, projected, step: slow.step, steps: slow.steps, running: slow.status === 'running' };
  }
  return { kind: 'none' };
}

/** Images per second of a row: measured when done, projected while it runs; null before. */
export function rowImagesPerSecond(batch: number, elapsedMs: number, step: number, steps: number, done: boolean): number | null {
  if (done) return elapsedMs > 0 ? (1000 * batch) / elapsedMs : null;
  if (step <= 0 || steps <= 0 || !(elapsedMs > 0)) return null;
  return (1000 * batch) / ((elapsedMs * steps) / step);
}

/**
 * What a row's picture and its step counter say, from the same numbers, so they never
 * disagree: while it runs, the preview lags the counter by up to one preview interval and
 * says which step it shows; a stopped row says where it stopped and, if its picture is from
 * an earlier step, which.
 */
export function rowProgressText(row: Pick<CompareRowView, 'status' | 'step' | 'steps' | 'frameStep' | 'final' | 'frame'>): { readonly counter: string; readonly picture: string } {
  const counter = row.steps > 0 ? `${row.step} / ${row.steps}` : '–';
  if (!row.frame) return { counter, picture: '' };
  if (row.final) return { counter, picture: 'final samples' };
  if (row.status === 'cancelled' || row.status === 'error') {
    const stopped = `${row.status === 'cancelled' ? 'cancelled' : 'stopped'} after step ${row.step} of ${row.steps}`;
    return {
      counter: `${counter} · ${row.status === 'cancelled' ? 'cancelled' : 'stopped'}`,
      picture: row.frameStep === row.step ? `${stopped}: the picture at that step` : `${stopped}; picture from step ${row.frameStep}, its last preview`,
    };
  }
  return { counter, picture: `preview after step ${row.frameStep} of ${row.steps}` };
}
