/**
 * DDPM (Ho et al. 2020) and DDIM (Song et al. 2021) over the linear β schedule, as step
 * functions in the shape of DESIGN §2.3; the loop lives in `sampleDdpm`.
 *
 * Notation (name here -> name in the papers), t = 1..N, index 0 holds x_0's values:
 *   betas[t]      -> β_t, linear from 1e-4 to 0.02
 *   alphaBars[t]  -> ᾱ_t = Π_{s≤t} (1 − β_s)
 *   eps           -> ε_θ(x_t, t), the network's noise prediction
 *   x0Pred        -> x̂₀ = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t, clipped to [−1, 1]
 */
import * as tf from '@tensorflow/tfjs';
import { randn, type Rng } from '../rng';
import type { Network } from '../models/network';
import type { EpsNetConfig } from '../models/epsNet';
import { SamplingAborted } from './ddganSampler';

export interface DdpmSchedule {
  readonly N: number;
  readonly betas: Float64Array;
  readonly alphaBars: Float64Array;
}

export function ddpmSchedule(N = 1000, betaStart = 1e-4, betaEnd = 0.02): DdpmSchedule {
  const betas = new Float64Array(N + 1);
  const alphaBars = new Float64Array(N + 1);
  alphaBars[0] = 1;
  for (let t = 1; t <= N; t++) {
    betas[t] = N === 1 ? betaStart : betaStart + ((betaEnd - betaStart) * (t - 1)) / (N - 1);
    alphaBars[t] = alphaBars[t - 1] * (1 - betas[t]);
  }
  return { N, betas, alphaBars };
}

/** x̂₀ from x_t and the predicted noise, clipped to the data range. */
export function predictX0(s: DdpmSchedule, xT: tf.Tensor, eps: tf.Tensor, t: number): tf.Tensor {
  const ab = s.alphaBars[t];
  return tf.tidy(() => xT.sub(eps.mul(Math.sqrt(1 - ab))).div(Math.sqrt(ab)).clipByValue(-1, 1));
}

/**
 * One ancestral step t → t−1: posterior mean with the clipped x̂₀, σ_t² = β̃_t (the
 * posterior variance; `meanShift` adds s·Σ·∇log p for classifier guidance).
 */
export function ancestralStep(
  s: DdpmSchedule,
  xT: tf.Tensor,
  eps: tf.Tensor,
  t: number,
  noise: tf.Tensor,
  meanShift?: (variance: number) => tf.Tensor | null,
): { xPrev: tf.Tensor; x0Pred: tf.Tensor } {
  return tf.tidy(() => {
    const x0Pred = predictX0(s, xT, eps, t);
    const ab = s.alphaBars[t];
    const abPrev = s.alphaBars[t - 1];
    const beta = s.betas[t];
    const c1 = (beta * Math.sqrt(abPrev)) / (1 - ab);
    const c2 = ((1 - abPrev) * Math.sqrt(1 - beta)) / (1 - ab);
    const variance = (beta * (1 - abPrev)) / (1 - ab);
    let mean = x0Pred.mul(c1).add(xT.mul(c2));
    const shift = meanShift?.(variance);
    if (shift) mean = mean.add(shift);
    const xPrev = t > 1 ? mean.add(noise.mul(Math.sqrt(variance))) : mean;
    return { xPrev, x0Pred };
  });
}

/**
 * One DDIM step t → tPrev (tPrev = 0 means x_0):
 *   x_{t'} = √ᾱ_{t'} x̂₀ + √(1 − ᾱ_{t'} − σ²) ε + σ z,  σ = η √((1−ᾱ_{t'})/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'})
 * η = 0 is deterministic; η = 1 matches DDPM's ancestral variance on the sub-sequence.
 * ε is re-derived from the clipped x̂₀ so the two stay consistent.
 */
export function ddimStep(
  s: DdpmSchedule,
  xT: tf.Tensor,
  eps: tf.Tensor,
  t: number,
  tPrev: number,
  eta: number,
  noise: tf.Tensor,
): { xPrev: tf.Tensor; x0Pred: tf.Tensor } {
  return tf.tidy(() => {
    const ab = s.alphaBars[t];
    const abPrev = s.alphaBars[tPrev];
    const x0Pred = predictX0(s, xT, eps, t);
    const epsC = xT.sub(x0Pred.mul(Math.sqrt(ab))).div(Math.sqrt(1 - ab));
    const sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
    let xPrev = x0Pred.mul(Math.sqrt(abPrev)).add(epsC.mul(Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma))));
    if (sigma > 0 && tPrev > 0) xPrev = xPrev.add(noise.mul(sigma));
    return { xPrev, x0Pred };
  });
}

/** Evenly spaced DDIM time steps, from N down to 1, `count` of them. */
export function ddimTimesteps(N: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > N) throw new RangeError(`DDIM needs 1..${N} steps, got ${count}`);
  const out: number[] = [];
  for (let i = count; i >= 1; i--) out.push(Math.max(1, Math.round((i * N) / count)));
  return [...new Set(out)];
}

export type DdpmSampler = { readonly kind: 'ancestral' } | { readonly kind: 'ddim'; readonly steps: number; readonly eta: number };

export interface DdpmStep {
  /** Index of this step in the run (0-based) and the number of steps. */
  readonly index: number;
  readonly count: number;
  readonly t: number;
  readonly xT: tf.Tensor4D;
  readonly x0Pred: tf.Tensor4D;
  readonly xPrev: tf.Tensor4D;
}

export interface DdpmSampleOptions {
  readonly batch: number;
  readonly rng: Rng;
  readonly sampler: DdpmSampler;
  /** Called every `every` steps and at the last one (long runs show every k-th frame). */
  readonly onStep?: (step: DdpmStep) => void | Promise<void>;
  readonly every?: number;
  /** Classifier guidance hook: given x_t and t, the gradient ∇log p(y | x_t, t) (or null). */
  readonly guidance?: (xT: tf.Tensor4D, t: number) => tf.Tensor4D | null;
  readonly guidanceScale?: number;
  readonly signal?: AbortSignal;
}

/** Runs the reverse process; returns x_0 (the caller disposes it). NFE = number of steps. */
export async function sampleDdpm(net: Network<EpsNetConfig>, s: DdpmSchedule, opts: DdpmSampleOptions): Promise<tf.Tensor4D> {
  const cfg = net.config;
  const shape = [opts.batch, cfg.imageSize, cfg.imageSize, cfg.channels];
  const times =
    opts.sampler.kind === 'ancestral' ? Array.from({ length: s.N }, (_, i) => s.N - i) : ddimTimesteps(s.N, opts.sampler.steps);
  const every = Math.max(1, opts.every ?? 1);
  const scale = opts.guidanceScale ?? 0;
  let x = randn(shape, opts.rng) as tf.Tensor4D;
  try {
    for (let i = 0; i < times.length; i++) {
      if (opts.signal?.aborted) throw new SamplingAborted();
      const t = times[i];
      const tPrev = i + 1 < times.length ? times[i + 1] : 0;
      const xT = x;
      const { xPrev, x0Pred } = tf.tidy(() => {
        const tVec = tf.fill([opts.batch], t, 'int32') as tf.Tensor1D;
        let eps = net.apply(xT, tVec);
        const noise = randn(shape, opts.rng);
        const grad = scale !== 0 ? opts.guidance?.(xT, t) : null;
        if (opts.sampler.kind === 'ancestral') {
          const shift = grad ? (variance: number) => grad.mul(scale * variance) : undefined;
          return ancestralStep(s, xT, eps, t, noise, shift);
        }
        // DDIM guidance: ε̂ = ε − s √(1−ᾱ_t) ∇log p
        if (grad) eps = eps.sub(grad.mul(scale * Math.sqrt(1 - s.alphaBars[t])));
        return ddimStep(s, xT, eps, t, tPrev, opts.sampler.eta, noise);
      });
      x = xPrev as tf.Tensor4D;
      try {
        if (opts.onStep && (i % every === 0 || i === times.length - 1)) {
          await opts.onStep({ index: i, count: times.length, t, xT, x0Pred: x0Pred as tf.Tensor4D, xPrev: x });
        } else if (i % 25 === 0) {
          // yield now and then so a worker can see a cancel message during long runs
          await new Promise((r) => setTimeout(r, 0));
        }
      } finally {
        xT.dispose();
        x0Pred.dispose();
      }
    }
  } catch (e) {
    x.dispose();
    throw e;
  }
  return x;
}
