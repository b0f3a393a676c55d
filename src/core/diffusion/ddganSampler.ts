/**
 * DD-GAN sampling of an image generator (official code: `sample_from_model`), with every
 * step reported: the posterior sampler (./samplers/ddganPosterior.ts) run by the pipeline
 * (./pipeline.ts) on the generator, for callers that hold a generator and a schedule (the
 * Generate view's engine, the trainers' previews, the benchmark).
 *
 *   1. x_T ~ N(0, I)                                   (or a given x_k to start from)
 *   2. for k = T … 1:
 *        z ~ N(0, I_nz)
 *        x̂₀ = G(x_k, k, z)                              (one network call: NFE = T)
 *        x_{k−1} ~ q(x_{k−1} | x_k, x̂₀)                 (exactly x̂₀ at k = 1)
 *
 * Randomness is drawn from one `Rng` in a fixed order (x_T, then z_k and the posterior noise
 * for each step from T down), so a seed reproduces a picture on a given backend, and a
 * "re-roll from step k" is a run that starts at k with a fresh Rng.
 *
 * The loop awaits between steps, so a worker can answer a cancel message mid-run and
 * stream every frame; each step's tensors live only until `onStep` resolves.
 *
 * `ddganChain` is the same chain as one synchronous function of given randomness, for
 * training through it (Diffusion-GAN's fakes): a tape needs the whole chain inside one
 * synchronous call, where the pipeline awaits between steps and frees each step's tensors.
 * It uses the same denoiser call and the same posterior sampler step.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import type { Network } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import { ddganDenoiser } from './denoiser';
import { runSampler } from './pipeline';
import { ddganPosteriorSampler } from './samplers/ddganPosterior';
import { DDGAN_INFO, defaultSpec } from './samplers/specs';
import type { DdganSchedule } from './schedule';

export { SamplingAborted } from './pipeline';

export interface DdganStep {
  /** Step index of the input: this step maps x_k to x_{k−1}. */
  readonly k: number;
  readonly T: number;
  readonly xK: tf.Tensor4D;
  /** The generator's prediction x̂₀ at this step. */
  readonly x0Pred: tf.Tensor4D;
  readonly xPrev: tf.Tensor4D;
  /** Wall time of the network call and posterior draw (ms; excludes `onStep`). */
  readonly ms: number;
}

export interface DdganSampleOptions {
  readonly batch: number;
  readonly rng: Rng;
  /** Start from this x_k instead of drawing x_T (re-roll): the run begins at `startK`. */
  readonly start?: { readonly k: number; readonly xK: tf.Tensor4D };
  /**
   * Optional mean shift for the posterior step (classifier guidance): given x_k and k,
   * returns a tensor added to the posterior mean.
   */
  readonly meanShift?: (xK: tf.Tensor4D, k: number, x0Pred: tf.Tensor4D) => tf.Tensor4D | null;
  /**
   * Optional correction of x_k before the generator sees it (classifier guidance of the
   * last step, which the posterior mean shift cannot reach): given x_k, k and the step's
   * z, returns the x_k to use instead, or null to keep it. The corrected x_k is the one
   * the step reports and the posterior mean is built from. It draws no randomness, so a
   * seed gives the same x_T and z either way.
   */
  readonly inputShift?: (xK: tf.Tensor4D, k: number, z: tf.Tensor2D) => tf.Tensor4D | null;
  /** Called after each step; the step's tensors are disposed once it resolves. */
  readonly onStep?: (step: DdganStep) => void | Promise<void>;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

/** Runs the reverse chain; returns x₀ (the caller owns and disposes it). */
export async function sampleDdgan(
  generator: Network<GeneratorConfig>,
  schedule: DdganSchedule,
  opts: DdganSampleOptions,
): Promise<tf.Tensor4D> {
  const model = ddganDenoiser(generator, schedule);
  const sampler = ddganPosteriorSampler(defaultSpec(DDGAN_INFO.kind), schedule);
  const { meanShift, inputShift, onStep } = opts;
  if (opts.start && !(opts.start.k >= 1 && opts.start.k <= schedule.T)) throw new RangeError(`start step ${opts.start.k} is outside 1..${schedule.T}`);
  return (await runSampler(model, sampler, {
    batch: opts.batch,
    rng: opts.rng,
    signal: opts.signal,
    now: opts.now,
    start: opts.start ? { t: opts.start.k, x: opts.start.xK } : undefined,
    guidance: {
      meanShift: meanShift ? (x, k, x0Pred) => meanShift(x as tf.Tensor4D, k, x0Pred as tf.Tensor4D) : undefined,
      inputShift: inputShift ? (x, k, z) => inputShift(x as tf.Tensor4D, k, z as tf.Tensor2D) : undefined,
    },
    onStep: onStep
      ? (st) => onStep({ k: st.t, T: schedule.T, xK: st.x as tf.Tensor4D, x0Pred: st.x0Pred as tf.Tensor4D, xPrev: st.prev as tf.Tensor4D, ms: st.ms })
      : undefined,
  })) as tf.Tensor4D;
}

/** The randomness of one run of the DD-GAN chain, given instead of drawn. */
export interface ChainDraws {
  readonly xT: tf.Tensor4D;
  /** z_k for k = T, T−1, …, 1. */
  readonly z: readonly tf.Tensor2D[];
  /** The posterior noise for k = T, T−1, …, 2 (none at k = 1: that step is x̂₀). */
  readonly noise: readonly tf.Tensor4D[];
}

/** Rewrites the generator's x̂₀ at step k (tests: scale or cut one step of the chain). */
export type ChainEdit = (k: number, x0Pred: tf.Tensor4D) => tf.Tensor4D;

/**
 * The DD-GAN sampling chain as one differentiable function of G: from x_T, for k = T..1
 * x̂₀ = G(x_k, k, z_k) and x_{k−1} = the posterior sampler's step (x̂₀ itself at k = 1).
 * Under a tape the gradient reaches G through every step. Call inside tf.tidy.
 */
export function ddganChain(generator: Network<GeneratorConfig>, schedule: DdganSchedule, draws: ChainDraws, edit?: ChainEdit): tf.Tensor4D {
  const model = ddganDenoiser(generator, schedule);
  const sampler = ddganPosteriorSampler(defaultSpec(DDGAN_INFO.kind), schedule);
  let x: tf.Tensor = draws.xT;
  sampler.timesteps.forEach((k, i) => {
    let x0Pred = model.apply(x, k, draws.z[i]) as tf.Tensor4D;
    if (edit) x0Pred = edit(k, x0Pred);
    x = sampler.step(x0Pred, i, x, { noise: draws.noise[i] }).prev;
  });
  return x as tf.Tensor4D;
}
