/**
 * One interface for every sampler (STYLE habit 1, diffusers' `scheduler.step`): a sampler
 * knows its time grid and how to go from one state to the next given the network's output;
 * it never calls the network, draws randomness or loops (the pipeline does: ../pipeline.ts).
 *
 *   const sampler = createSampler(spec, model);          // ./registry.ts
 *   for (let i = 0; i < sampler.nfe; i++) {
 *     const out = model.apply(x, sampler.timesteps[i], z);  // x̂₀ or ε, by sampler.prediction
 *     ({ prev: x } = sampler.step(out, i, x, { noise }));
 *   }
 *
 * `step` is synchronous tensor code over tensors of any shape (NHWC images, N×2 points):
 * the caller wraps it in tf.tidy, so a sampler may create intermediates freely. It returns
 * the next state and the step's prediction of the clean sample x̂₀ (a preview of where
 * the run is heading), and may hand a tensor to the next step (`carry`: a multistep
 * method's history).
 */
import type * as tf from '@tensorflow/tfjs';
import type { GuidanceRule, SamplerEntry, SamplerSpec } from './specs';

/**
 * The shift added to the mean of a Gaussian step (classifier guidance, DESIGN §2.4), given
 * the step's input x, its time index t, the prediction x̂₀ and the step's variance; null
 * where it would be zero.
 */
export type MeanShift = (x: tf.Tensor, t: number, x0Pred: tf.Tensor, variance: number) => tf.Tensor | null;

export interface StepOptions {
  /** The step's standard normal noise, the shape of x (samplers with `noise: true`). */
  readonly noise?: tf.Tensor;
  /** Added to the mean of a Gaussian step (samplers whose guidance rule is 'mean-shift'). */
  readonly meanShift?: MeanShift;
  /** What the previous step returned as `carry` (null at the first step). */
  readonly carry?: tf.Tensor | null;
}

export interface StepResult {
  /** The next state: x at the next grid time (x₀ after the last step). */
  readonly prev: tf.Tensor;
  /** The step's prediction of the clean sample. */
  readonly x0Pred: tf.Tensor;
  /** State for the next step (multistep samplers); the pipeline keeps it across the await. */
  readonly carry?: tf.Tensor;
}

export interface Sampler {
  /** The spec it was made from (plain JSON). */
  readonly spec: SamplerSpec;
  readonly info: SamplerEntry;
  /** e.g. 'DDIM-50 (η = 0)' (./specs.ts `specLabel`). */
  readonly label: string;
  /** What the network must predict: x̂₀ (DD-GAN generator) or ε (DDPM ε-network). */
  readonly prediction: 'x0' | 'eps';
  /** The network's time index at each step, first to last. */
  readonly timesteps: readonly number[];
  /** Network calls per sample = timesteps.length. */
  readonly nfe: number;
  /** Whether each step takes a noise tensor (the pipeline then draws one per step). */
  readonly noise: boolean;
  readonly guidance: GuidanceRule;
  /** Step `index` of the grid: x at timesteps[index] → x at the next grid time. */
  step(modelOutput: tf.Tensor, index: number, x: tf.Tensor, opts: StepOptions): StepResult;
}
