/**
 * Diffusion-GAN (Wang, Zheng, He, Chen & Zhou 2022; DESIGN §2.5): the pieces that are not
 * networks — the per-T forward schedule, the diffusion of D's inputs, the step
 * distribution and the adaptive-T rule with its running r_d. The image and the 2-D recipes
 * (../training/diffusionGanImageTrainer.ts, ../toy/recipes.ts) both use them.
 *
 * Notation (name here -> name in the paper / official code):
 *   T            -> T, the current number of diffusion steps (`num_timesteps`)
 *   t            -> t, the step applied to a sample; 0 = the clean sample, 1..T diffused
 *   alphaBars[t] -> ᾱ_t = Π_{j≤t}(1 − β_j), β linear from 1e-4 to 0.02 over the T steps
 *   noiseStd     -> σ (`noise_std`): y = √ᾱ_t x + √(1 − ᾱ_t) σ ε
 *   p            -> p (`diffusion.p`), the position of T between T_min and T_max
 *   rd           -> r_d = E[sign(D(y_real))], the overfitting statistic (ADA's r_t)
 *   target       -> d_target (`ada_target`, 0.6)
 *   delta        -> the step of p per update (official: batch·interval / (ada_kimg·1000))
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { extract } from './ddgan';

export const DIFFUSION_GAN_BETA_START = 1e-4;
export const DIFFUSION_GAN_BETA_END = 0.02;

export interface DiffusionGanSchedule {
  readonly T: number;
  /** β_t for t = 1..T (index 0 is 0). */
  readonly betas: Float64Array;
  /** ᾱ_t for t = 0..T, ᾱ_0 = 1. */
  readonly alphaBars: Float64Array;
  readonly sqrtAlphaBars: Float64Array;
  readonly sqrtOneMinusAlphaBars: Float64Array;
}

/** The linear β schedule from 1e-4 to 0.02 spread over T steps (rebuilt whenever T changes). */
export function diffusionGanSchedule(T: number): DiffusionGanSchedule {
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`T must be a whole number ≥ 1, got ${T}`);
  const betas = new Float64Array(T + 1);
  const alphaBars = new Float64Array(T + 1);
  alphaBars[0] = 1;
  for (let t = 1; t <= T; t++) {
    betas[t] =
      T === 1
        ? DIFFUSION_GAN_BETA_START
        : DIFFUSION_GAN_BETA_START + ((DIFFUSION_GAN_BETA_END - DIFFUSION_GAN_BETA_START) * (t - 1)) / (T - 1);
    alphaBars[t] = alphaBars[t - 1] * (1 - betas[t]);
  }
  return {
    T,
    betas,
    alphaBars,
    sqrtAlphaBars: alphaBars.map(Math.sqrt),
    sqrtOneMinusAlphaBars: alphaBars.map((a) => Math.sqrt(1 - a)),
  };
}

/**
 * y = √ᾱ_t x + √(1 − ᾱ_t) σ ε per example (x of any rank, t an Int32 vector of steps in
 * 0..T); differentiable in x, so G's gradient reaches through it.
 */
export function diffuse(s: DiffusionGanSchedule, x: tf.Tensor, t: tf.Tensor1D, eps: tf.Tensor, noiseStd: number): tf.Tensor {
  return extract(s.sqrtAlphaBars, t, x.rank)
    .mul(x)
    .add(extract(s.sqrtOneMinusAlphaBars, t, x.rank).mul(eps).mul(noiseStd));
}

export type DiffusionStepDistribution = 'uniform' | 'priority';

/**
 * Draws n diffusion steps. With probability `cleanShare` a step is 0 (the clean sample; the
 * official code fills half of its table of steps with 0), otherwise t ∈ 1..T, uniformly or
 * with 'priority' P(t) ∝ t (more weight on the noisier steps).
 */
export function sampleDiffusionSteps(
  T: number,
  n: number,
  dist: DiffusionStepDistribution,
  cleanShare: number,
  rng: Rng,
): Int32Array {
  const out = new Int32Array(n);
  const total = (T * (T + 1)) / 2;
  for (let i = 0; i < n; i++) {
    if (rng.uniform() < cleanShare) continue;
    if (dist === 'uniform') {
      out[i] = 1 + rng.int(T);
    } else {
      // inverse CDF of P(t) = t / (T(T+1)/2): smallest t with t(t+1)/2 > u·total
      const u = rng.uniform() * total;
      let t = Math.ceil((-1 + Math.sqrt(1 + 8 * u)) / 2);
      if ((t * (t + 1)) / 2 <= u) t++;
      out[i] = Math.min(T, Math.max(1, t));
    }
  }
  return out;
}

/** The settings of Diffusion-GAN's diffusion and adaptive T, shared by the toy and image recipes. */
export interface DiffusionGanSettings {
  /** σ of the diffusion noise, in the coordinates the networks see. */
  readonly noiseStd: number;
  readonly tMin: number;
  readonly tMax: number;
  /** d_target of the adaptive T: r_d above it means D is too sure of the reals (T goes up). */
  readonly target: number;
  /** Step of p per update. */
  readonly delta: number;
  /** Iterations between adaptive-T updates (r_d is averaged over them). */
  readonly adaptEvery: number;
  /** Starting p (T = T_min + round(p (T_max − T_min))). */
  readonly pInit: number;
  readonly tDist: DiffusionStepDistribution;
  /** Share of the examples shown to D undiffused (t = 0); the official code uses ½. */
  readonly cleanShare: number;
}

export interface AdaptiveTState {
  /** Position in [0, 1] between T_min and T_max. */
  readonly p: number;
  readonly T: number;
}

export interface AdaptiveTOptions {
  readonly tMin: number;
  readonly tMax: number;
  /** d_target: r_d above it means D is overfitting (too sure the reals are real). */
  readonly target: number;
  /** How far p moves per update. */
  readonly delta: number;
}

/**
 * One update of the adaptive T (DESIGN §2.5, the official training loop):
 *   p ← clip(p + sign(r_d − d_target) · Δ, 0, 1),  T = T_min + round(p (T_max − T_min)).
 * An overfitting D (r_d > target) gets more noise (T up); otherwise T comes down.
 * At r_d exactly on the target, sign is 0 and nothing moves. Pure.
 */
export function adaptT(state: AdaptiveTState, rd: number, opts: AdaptiveTOptions): AdaptiveTState {
  if (!Number.isFinite(rd)) return state;
  const p = Math.min(1, Math.max(0, state.p + Math.sign(rd - opts.target) * opts.delta));
  return { p, T: tFromP(p, opts) };
}

export function tFromP(p: number, opts: Pick<AdaptiveTOptions, 'tMin' | 'tMax'>): number {
  return opts.tMin + Math.round(p * (opts.tMax - opts.tMin));
}

/** The adaptive-T part of a run's resumable state (plain JSON). */
export interface AdaptiveTStateJson {
  readonly p: number;
  readonly T: number;
  /** Σ sign(D(y_real)) and the number of logits summed, since the last update. */
  readonly rdSum: number;
  readonly rdCount: number;
  /** The last r_d (null before the first update). */
  readonly rd: number | null;
}

/**
 * The adaptive T of a run: accumulates sign(D(y_real)) after every iteration and, every
 * `adaptEvery` iterations, sets r_d to its mean and moves p and T (`adaptT`); keeps the
 * schedule of the current T. Its state is part of the resumable state.
 */
export class AdaptiveT {
  private state: AdaptiveTState;
  private current: DiffusionGanSchedule;
  private rdSum = 0;
  private rdCount = 0;
  /** r_d of the last completed interval (NaN before the first). */
  rd = NaN;
  /** Whether the last `observe` updated p and T. */
  adapted = false;

  constructor(private readonly settings: DiffusionGanSettings) {
    this.state = { p: settings.pInit, T: tFromP(settings.pInit, settings) };
    this.current = diffusionGanSchedule(this.state.T);
  }

  get T(): number {
    return this.state.T;
  }

  get p(): number {
    return this.state.p;
  }

  /** The forward schedule of the current T. */
  get schedule(): DiffusionGanSchedule {
    return this.current;
  }

  /** n diffusion steps for D's inputs under the current T, drawn from `rng`. */
  drawSteps(n: number, rng: Rng): Int32Array {
    const { tDist, cleanShare } = this.settings;
    return sampleDiffusionSteps(this.state.T, n, tDist, cleanShare, rng);
  }

  /**
   * After iteration `iteration` (counted already): Σ sign(D(y_real)) of its D step over
   * `count` logits; updates p and T when `iteration` is a multiple of `adaptEvery`.
   */
  observe(realSignSum: number, count: number, iteration: number): void {
    this.rdSum += realSignSum;
    this.rdCount += count;
    this.adapted = iteration % this.settings.adaptEvery === 0;
    if (!this.adapted) return;
    this.rd = this.rdSum / this.rdCount;
    const next = adaptT(this.state, this.rd, this.settings);
    if (next.T !== this.state.T) this.current = diffusionGanSchedule(next.T);
    this.state = next;
    this.rdSum = 0;
    this.rdCount = 0;
  }

  toJson(): AdaptiveTStateJson {
    const { p, T } = this.state;
    return { p, T, rdSum: this.rdSum, rdCount: this.rdCount, rd: Number.isFinite(this.rd) ? this.rd : null };
  }

  /** Restores a saved state (an r_d saved as NaN or null reads as "none yet"). */
  load(json: AdaptiveTStateJson): void {
    this.state = { p: json.p, T: json.T };
    this.current = diffusionGanSchedule(json.T);
    this.rdSum = json.rdSum;
    this.rdCount = json.rdCount;
    this.rd = json.rd ?? NaN;
    this.adapted = false;
  }
}
