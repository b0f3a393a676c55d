/**
 * The sampler list as plain data: what every sampler is called, which checkpoints it
 * draws from, which numbers configure it and how its runs are labelled. A sampler is
 * chosen by a `SamplerSpec`, a frozen JSON-able object `{ kind, …params }` such as
 * `{ kind: 'ddim', steps: 50, eta: 0 }`: the worker protocol, the CLIs' flags, the eval
 * table, the benchmark and the store all speak it, and `createSampler` (./registry.ts)
 * turns one into a `Sampler` over a model's schedule.
 *
 * This file loads no tensor code, so the UI thread can list the samplers, build their
 * rows and find their stored metrics. The code of each sampler lives in its own file
 * (./ddganPosterior.ts, ./ddpmAncestral.ts, ./ddim.ts, ./dpmSolver.ts); a new sampler is
 * that file, one entry here and one line in ./registry.ts.
 *
 * Labels are the keys `npm run eval` files metrics under (model.json
 * `metrics.samplers[<label>]`, read back by the Compare view), so they must stay stable.
 */
import { ddimTimesteps } from './timesteps';

/** Which checkpoints a sampler draws from: a DD-GAN generator (x̂₀) or a DDPM ε-network. */
export type SamplerFamily = 'ddgan' | 'ddpm';

/**
 * How classifier guidance enters a sampler (DESIGN §2.4): 'mean-shift' adds s·Σ·∇log p
 * to the mean of a Gaussian step (ancestral DDPM, DD-GAN's posterior); 'eps-shift'
 * replaces ε by ε − s·√(1−ᾱ_t)·∇log p (deterministic ε-samplers: DDIM, DPM-Solver++).
 */
export type GuidanceRule = 'mean-shift' | 'eps-shift';

/** A number that configures a sampler (a field of its spec and a CLI flag of the same name). */
export interface SamplerParam {
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** What the value does, for --help and the UI. */
  readonly help: string;
}

/** The spec of one sampler kind: its kind and one number per parameter. */
export type SpecOf<K extends string, P extends string> = { readonly kind: K } & { readonly [N in P]: number };

export interface SamplerInfo<K extends string = string, P extends string = string> {
  readonly kind: K;
  /** A short stable id for UI rows and test hooks ('ddpm' for ancestral sampling). */
  readonly id: string;
  readonly family: SamplerFamily;
  /** The sampler's name as the paper gives it. */
  readonly name: string;
  /** One sentence: what a step does and what it costs. */
  readonly about: string;
  readonly params: { readonly [N in P]: SamplerParam };
  readonly guidance: GuidanceRule;
  /**
   * The Compare view's row for this sampler against the DD-GAN (its params at their
   * defaults; `on`: picked until the user says otherwise); null: the DD-GAN row itself.
   */
  readonly compare: { readonly on: boolean } | null;
  /** Network calls per sample for a model whose schedule has `length` steps (T or N). */
  nfe(spec: SpecOf<K, P>, length: number): number;
  /** e.g. 'DDIM-50 (η = 0)': the eval key and the CLIs' name of a run. */
  label(spec: SpecOf<K, P>, length: number): string;
  /** e.g. 'DDIM-50': the Compare view's row title. */
  shortLabel(spec: SpecOf<K, P>, length: number): string;
  /** Older metric prefixes of model files evaluated before the labels above (first match wins). */
  legacyMetricKeys(spec: SpecOf<K, P>, length: number): readonly string[];
  /** The spec with its step count capped to what a schedule of `length` steps offers. */
  fit(spec: SpecOf<K, P>, length: number): SpecOf<K, P>;
}

/** An entry with its spec type erased to any sampler's (what lookups by kind return). */
export interface SamplerEntry {
  readonly kind: SamplerKind;
  readonly id: string;
  readonly family: SamplerFamily;
  readonly name: string;
  readonly about: string;
  readonly params: Readonly<Record<string, SamplerParam>>;
  readonly guidance: GuidanceRule;
  readonly compare: { readonly on: boolean } | null;
  nfe(spec: SamplerSpec, length: number): number;
  label(spec: SamplerSpec, length: number): string;
  shortLabel(spec: SamplerSpec, length: number): string;
  legacyMetricKeys(spec: SamplerSpec, length: number): readonly string[];
  fit(spec: SamplerSpec, length: number): SamplerSpec;
}

/** Infers K and P of an entry (the list below keeps each entry's own spec type). */
function samplerInfo<const K extends string, P extends string = never>(info: SamplerInfo<K, P>): SamplerInfo<K, P> {
  return Object.freeze(info);
}

const stepsParam = (dflt: number): SamplerParam => ({
  integer: true,
  min: 1,
  max: 1000,
  default: dflt,
  help: 'network calls per sample, at most the ε-network’s N',
});

export const DDGAN_INFO = samplerInfo({
  kind: 'ddgan',
  id: 'ddgan',
  family: 'ddgan',
  name: 'DD-GAN',
  about: 'the generator’s own T large steps: x̂₀ = G(x_k, k, z), then x_{k−1} from the posterior q(x_{k−1} | x_k, x̂₀); T network calls',
  params: {},
  guidance: 'mean-shift',
  compare: null,
  nfe: (_s, T) => T,
  label: (_s, T) => `DD-GAN T = ${T}`,
  shortLabel: (_s, T) => `DD-GAN T = ${T}`,
  legacyMetricKeys: () => [''],
  fit: (s) => s,
});

export const ANCESTRAL_INFO = samplerInfo({
  kind: 'ancestral',
  id: 'ddpm',
  family: 'ddpm',
  name: 'DDPM ancestral',
  about: 'every step of the schedule, x_{t−1} from the posterior with the clipped x̂₀ and variance β̃_t; N network calls',
  params: {},
  guidance: 'mean-shift',
  compare: { on: true },
  nfe: (_s, N) => N,
  label: (_s, N) => `DDPM-${N} ancestral`,
  shortLabel: (_s, N) => `DDPM-${N}`,
  legacyMetricKeys: (_s, N) => [`ddpm${N}`, `ddpm-${N}`, 'ancestral', 'ddpm', 'samplers.ancestral', `samplers.ddpm${N}`],
  fit: (s) => s,
});

export const DDIM_INFO = samplerInfo({
  kind: 'ddim',
  id: 'ddim',
  family: 'ddpm',
  name: 'DDIM',
  about: 'evenly spaced steps of the ε-network’s schedule; η = 0 is deterministic, η = 1 adds DDPM-like noise; one network call per step',
  params: {
    steps: stepsParam(50),
    eta: { integer: false, min: 0, max: 1, default: 0, help: 'noise per step: 0 deterministic, 1 like ancestral DDPM' },
  },
  guidance: 'eps-shift',
  compare: { on: true },
  nfe: (s, N) => ddimTimesteps(N, Math.min(s.steps, N)).length,
  label: (s, N) => `DDIM-${ddimTimesteps(N, Math.min(s.steps, N)).length} (η = ${s.eta})`,
  shortLabel: (s, N) => `DDIM-${Math.min(s.steps, N)}`,
  legacyMetricKeys: (s) => [`ddim${s.steps}`, `ddim-${s.steps}`, `samplers.ddim${s.steps}`, ...(s.steps === 50 ? ['ddim', 'samplers.ddim'] : [])],
  fit: (s, N) => ({ ...s, steps: Math.min(s.steps, N) }),
});

export const DPM_SOLVER_INFO = samplerInfo({
  kind: 'dpm-solver',
  id: 'dpm-solver',
  family: 'ddpm',
  name: 'DPM-Solver++ (2M)',
  about: 'a second-order multistep solver of the diffusion ODE in data-prediction form; deterministic, one network call per step',
  params: { steps: stepsParam(20) },
  guidance: 'eps-shift',
  compare: { on: false },
  nfe: (s) => s.steps,
  label: (s) => `DPM-Solver++(2M)-${s.steps}`,
  shortLabel: (s) => `DPM-Solver++ ${s.steps}`,
  legacyMetricKeys: () => [],
  fit: (s, N) => ({ ...s, steps: Math.min(s.steps, N) }),
});

/** Every sampler, in the order the CLIs, the tables and the Compare view list them (few steps first). */
export const SAMPLER_INFO = [DDGAN_INFO, DDIM_INFO, DPM_SOLVER_INFO, ANCESTRAL_INFO] as const;

type InfoSpec<I> = I extends SamplerInfo<infer K, infer P> ? SpecOf<K, P> : never;

/** Any sampler's spec: `{ kind, …params }`, plain JSON. */
export type SamplerSpec = InfoSpec<(typeof SAMPLER_INFO)[number]>;
export type SamplerKind = SamplerSpec['kind'];
/** The spec of one kind. */
export type SamplerSpecOf<K extends SamplerKind> = Extract<SamplerSpec, { readonly kind: K }>;
/** Specs of the samplers that draw from a DDPM ε-network. */
export type DdpmSamplerSpec = Exclude<SamplerSpec, { readonly kind: 'ddgan' }>;

export const SAMPLER_KINDS: readonly SamplerKind[] = SAMPLER_INFO.map((i) => i.kind);

export function isSamplerKind(v: unknown): v is SamplerKind {
  return typeof v === 'string' && (SAMPLER_KINDS as readonly string[]).includes(v);
}

/** The entry of a kind (its functions typed for any spec of that kind). */
export function infoOf(kind: SamplerKind): SamplerEntry {
  const info = SAMPLER_INFO.find((i) => i.kind === kind);
  if (!info) throw new RangeError(`unknown sampler "${String(kind)}"; use one of ${SAMPLER_KINDS.join(', ')}`);
  return info as unknown as SamplerEntry;
}

/** The samplers that draw from one family's checkpoints, in list order. */
export function samplersOf(family: SamplerFamily): SamplerEntry[] {
  return SAMPLER_INFO.filter((i) => i.family === family) as unknown as SamplerEntry[];
}

/** A kind with every parameter at its default (with `overrides` on top). */
export function defaultSpec<K extends SamplerKind>(kind: K, overrides: Partial<Omit<SamplerSpecOf<K>, 'kind'>> = {}): SamplerSpecOf<K> {
  const out: Record<string, unknown> = { kind };
  for (const [name, p] of Object.entries(infoOf(kind).params)) out[name] = p.default;
  return Object.freeze({ ...out, ...overrides }) as SamplerSpecOf<K>;
}

/** Why `value` is not a valid `name` of `info`, or null. */
function paramError(info: SamplerEntry, name: string, value: unknown): string | null {
  const p = info.params[name];
  const ok = typeof value === 'number' && Number.isFinite(value) && (!p.integer || Number.isInteger(value)) && value >= p.min && value <= p.max;
  return ok ? null : `${info.name} ${name} must be ${p.integer ? 'an integer' : 'a number'} in ${p.min}..${p.max}, got ${JSON.stringify(value)}`;
}

/**
 * Checks an untrusted spec (a worker message, a parsed file) field by field and returns a
 * frozen copy with only the kind and its parameters. Throws a RangeError that names the
 * field and the allowed values.
 */
export function parseSamplerSpec(raw: unknown): SamplerSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RangeError('a sampler must be an object { kind, … }');
  const r = raw as Record<string, unknown>;
  if (!isSamplerKind(r.kind)) throw new RangeError(`sampler kind must be one of ${SAMPLER_KINDS.join(', ')}, got ${JSON.stringify(r.kind)}`);
  const info = infoOf(r.kind);
  const out: Record<string, unknown> = { kind: r.kind };
  for (const name of Object.keys(info.params)) {
    const why = paramError(info, name, r[name]);
    if (why) throw new RangeError(why);
    out[name] = r[name];
  }
  return Object.freeze(out) as SamplerSpec;
}

/** e.g. 'DDIM-50 (η = 0)' for an ε-net of N = `length` steps ('DD-GAN T = 4' for a generator). */
export function specLabel(spec: SamplerSpec, length: number): string {
  return infoOf(spec.kind).label(spec, length);
}

/** e.g. 'DDIM-50': a row title. */
export function specShortLabel(spec: SamplerSpec, length: number): string {
  return infoOf(spec.kind).shortLabel(spec, length);
}

/** `spec` with its step count capped to a schedule of `length` steps (e.g. DDIM-50 of a 20-step ε-net). */
export function fitSpec<S extends SamplerSpec>(spec: S, length: number): S {
  return Object.freeze(infoOf(spec.kind).fit(spec, length)) as S;
}

/** Network calls per sample (before any guidance adds generator passes). */
export function specNfe(spec: SamplerSpec, length: number): number {
  return infoOf(spec.kind).nfe(spec, length);
}

/**
 * Where a checkpoint's model.json metrics (flattened with '.') keep this sampler's
 * numbers, most specific first: '' (the top level) for a DD-GAN; `samplers.<label>` (what
 * `npm run eval` writes) and the older keys for an ε-network.
 */
export function metricKeysFor(spec: SamplerSpec, length: number): readonly string[] {
  const info = infoOf(spec.kind);
  if (info.family === 'ddgan') return info.legacyMetricKeys(spec, length);
  return [`samplers.${info.label(spec, length)}`, ...info.legacyMetricKeys(spec, length)];
}
