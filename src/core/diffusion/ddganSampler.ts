/**
 * The DD-GAN sampler (official code: `sample_from_model`), with every step reported.
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
 */
import * as tf from '@tensorflow/tfjs';
import { randn, type Rng } from '../rng';
import type { Network } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import { samplePosterior } from './ddgan';
import type { DdganSchedule } from './schedule';

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

export class SamplingAborted extends Error {
  readonly code = 'aborted';
  constructor() {
    super('sampling was cancelled');
    this.name = 'SamplingAborted';
  }
}

/** Runs the reverse chain; returns x₀ (the caller owns and disposes it). */
export async function sampleDdgan(
  generator: Network<GeneratorConfig>,
  schedule: DdganSchedule,
  opts: DdganSampleOptions,
): Promise<tf.Tensor4D> {
  const cfg = generator.config;
  const T = schedule.T;
  if (cfg.T !== T) throw new Error(`generator was trained for T = ${cfg.T}, the schedule has T = ${T}`);
  const { batch, rng } = opts;
  const now = opts.now ?? (() => performance.now());
  const shape = [batch, cfg.imageSize, cfg.imageSize, cfg.channels];

  let startK = T;
  let x: tf.Tensor4D;
  if (opts.start) {
    startK = opts.start.k;
    if (startK < 1 || startK > T) throw new RangeError(`start step ${startK} is outside 1..${T}`);
    if (opts.start.xK.shape.join() !== shape.join()) {
      throw new Error(`start tensor has shape [${opts.start.xK.shape}], expected [${shape}]`);
    }
    x = tf.keep(opts.start.xK.clone());
  } else {
    x = randn(shape, rng) as tf.Tensor4D;
  }

  try {
    for (let k = startK; k >= 1; k--) {
      if (opts.signal?.aborted) throw new SamplingAborted();
      const t0 = now();
      const z = randn([batch, cfg.nz], rng) as tf.Tensor2D;
      let x0Pred: tf.Tensor4D;
      let xPrev: tf.Tensor4D;
      try {
        const corrected = opts.inputShift?.(x, k, z) ?? null;
        if (corrected) {
          x.dispose();
          x = corrected;
        }
        const xIn = x;
        [x0Pred, xPrev] = tf.tidy(() => {
          const kVec = tf.fill([batch], k, 'int32') as tf.Tensor1D;
          const pred = generator.apply(xIn, kVec, z) as tf.Tensor4D;
          const noise = randn(shape, rng);
          const shift = opts.meanShift?.(xIn, k, pred) ?? undefined;
          return [pred, samplePosterior(schedule, pred, xIn, k, noise, shift) as tf.Tensor4D];
        });
      } finally {
        z.dispose();
      }
      const xK = x;
      const ms = now() - t0;
      x = xPrev;
      try {
        await opts.onStep?.({ k, T, xK, x0Pred, xPrev, ms });
      } finally {
        xK.dispose();
        x0Pred.dispose();
      }
    }
  } catch (e) {
    x.dispose();
    throw e;
  }
  return x;
}
