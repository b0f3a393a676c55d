/**
 * The sampling loop, written once for every model and sampler (STYLE habits 5 and 6):
 *
 *   1. x = N(0, I) of the batch's shape (or a given x at a given grid time: a re-roll)
 *   2. for each time t of the sampler's grid:
 *        z     = N(0, I_nz)                        (models with a latent: DD-GAN)
 *        x     = inputShift(x, t, z) ?? x          (guidance of DD-GAN's last step)
 *        out   = model(x, t, z)                    (one network call)
 *        noise = N(0, I)                           (samplers that take noise)
 *        out   = outputShift(x, t, out) ?? out     (guidance of ε-samplers)
 *        x     = sampler.step(out, i, x, { noise, meanShift, carry }).prev
 *        await onStep(…)                           (frames, progress, a cancel lands here)
 *
 * Randomness comes from one Rng in that order (x_T, then per step z and the noise), so a
 * seed reproduces a picture on a given backend, and a re-roll is a run that starts at a
 * stored x with a fresh Rng. Each step runs inside tf.tidy; only x and the sampler's
 * `carry` cross the await, and each step's tensors live until its `onStep` resolves.
 * The signal is checked before every step; on abort everything is freed and
 * `SamplingAborted` is thrown.
 */
import * as tf from '@tensorflow/tfjs';
import { randn, type Rng } from '../rng';
import type { Denoiser } from './denoiser';
import type { MeanShift, Sampler } from './samplers/sampler';

export class SamplingAborted extends Error {
  readonly code = 'aborted';
  constructor() {
    super('sampling was cancelled');
    this.name = 'SamplingAborted';
  }
}

/** How classifier guidance (or any other steering) enters the loop; see guidance.ts. */
export interface GuidanceHooks {
  /**
   * Before the network call: the x to use instead (null keeps it). The corrected x is the
   * one the step reports and steps from. It must draw no randomness.
   */
  readonly inputShift?: (x: tf.Tensor, t: number, latent: tf.Tensor | null) => tf.Tensor | null;
  /** After the network call: the output to step with instead (ε-samplers' guidance). */
  readonly outputShift?: (x: tf.Tensor, t: number, output: tf.Tensor) => tf.Tensor | null;
  /** Added to a Gaussian step's mean (ancestral DDPM, DD-GAN's posterior). */
  readonly meanShift?: MeanShift;
}

export interface PipelineStep {
  /** 0-based position in the grid, and the grid's length (= NFE of a full run). */
  readonly index: number;
  readonly count: number;
  /** The time index of the step's input (DD-GAN k, DDPM t). */
  readonly t: number;
  /** The step's input x_t (after any input shift). */
  readonly x: tf.Tensor;
  /** The step's prediction of the clean sample. */
  readonly x0Pred: tf.Tensor;
  /** The step's output: the next state (x₀ after the last step). */
  readonly prev: tf.Tensor;
  /** Wall time of the network call and the step (ms; `onStep` excluded). */
  readonly ms: number;
}

export interface PipelineOptions {
  readonly batch: number;
  readonly rng: Rng;
  /** Start from this x at grid time t instead of drawing x_T (a re-roll from a stored step). */
  readonly start?: { readonly t: number; readonly x: tf.Tensor };
  readonly guidance?: GuidanceHooks;
  /** Called after every step; the step's x and x0Pred are disposed once it resolves. */
  readonly onStep?: (step: PipelineStep) => void | Promise<void>;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

/** Steps between yields to the event loop when no `onStep` awaits (so a cancel can arrive). */
const YIELD_EVERY = 25;

/** Runs `sampler` with `model`; returns the final sample (the caller owns and disposes it). */
export async function runSampler(model: Denoiser, sampler: Sampler, opts: PipelineOptions): Promise<tf.Tensor> {
  if (sampler.prediction !== (model.family === 'ddgan' ? 'x0' : 'eps')) {
    throw new Error(`${sampler.label} steps with ${sampler.prediction === 'x0' ? 'x̂₀' : 'ε'}, which ${model.name} does not predict`);
  }
  const { batch, rng, guidance } = opts;
  const now = opts.now ?? (() => performance.now());
  const shape = [batch, ...model.exampleShape];
  const grid = sampler.timesteps;

  let first = 0;
  let x: tf.Tensor;
  if (opts.start) {
    first = grid.indexOf(opts.start.t);
    if (first < 0) throw new RangeError(`start step ${opts.start.t} is not on the grid of ${sampler.label} (${grid[grid.length - 1]}..${grid[0]})`);
    if (opts.start.x.shape.join() !== shape.join()) throw new Error(`start tensor has shape [${opts.start.x.shape}], expected [${shape}]`);
    x = tf.keep(opts.start.x.clone());
  } else {
    x = randn(shape, rng);
  }

  let carry: tf.Tensor | null = null;
  try {
    for (let i = first; i < grid.length; i++) {
      if (opts.signal?.aborted) throw new SamplingAborted();
      const t = grid[i];
      const t0 = now();
      const latent = model.latentDim > 0 ? randn([batch, model.latentDim], rng) : null;
      let out: { prev: tf.Tensor; x0Pred: tf.Tensor; carry?: tf.Tensor };
      try {
        const shifted = guidance?.inputShift?.(x, t, latent) ?? null;
        if (shifted) {
          x.dispose();
          x = shifted;
        }
        const xIn = x;
        const history = carry;
        out = tf.tidy(() => {
          let output = model.apply(xIn, t, latent);
          const noise = sampler.noise ? randn(shape, rng) : undefined;
          output = guidance?.outputShift?.(xIn, t, output) ?? output;
          const r = sampler.step(output, i, xIn, { noise, meanShift: guidance?.meanShift, carry: history });
          return r.carry ? { prev: r.prev, x0Pred: r.x0Pred, carry: r.carry } : { prev: r.prev, x0Pred: r.x0Pred };
        });
      } finally {
        latent?.dispose();
      }
      carry?.dispose();
      carry = out.carry ?? null;
      const xIn = x;
      x = out.prev;
      const ms = now() - t0;
      try {
        if (opts.onStep) await opts.onStep({ index: i, count: grid.length, t, x: xIn, x0Pred: out.x0Pred, prev: x, ms });
        else if (i % YIELD_EVERY === 0) await new Promise((r) => setTimeout(r, 0));
      } finally {
        xIn.dispose();
        out.x0Pred.dispose();
      }
    }
  } catch (e) {
    x.dispose();
    throw e;
  } finally {
    carry?.dispose();
  }
  return x;
}
