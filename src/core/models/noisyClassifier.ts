/**
 * The noise-aware classifier p_φ(y | x, σ) of classifier guidance (Dhariwal & Nichol 2021):
 * the judge's trunk (classifier.ts) with the noise level as a second input.
 *
 * It is conditioned on the continuous noise level σ = √(1 − ᾱ) (diffusion/noiseLevel.ts),
 * not on a step index, so one network serves DDPM steps t = 1..1000 and the steps k of
 * every DD-GAN T alike: both schedules are variance preserving, and σ fixes how much of
 * the input is signal.
 *
 * Notation (name here -> meaning):
 *   sigma      -> σ per example, [B] floats in [0, 1] (0 = clean image)
 *   noiseEmbed -> e(σ) = MLP(sinusoidal(NOISE_EMBED_SCALE · σ)), [B, noiseEmbedDim]
 *   norm1      -> in each block, GroupNorm without affine, then (1 + γ(e))·h + β(e): the
 *                 noise level scales and shifts every channel of the block
 */
import * as tf from '@tensorflow/tfjs';
import { adaptiveGroupNorm, dense, sinusoidalEmbedding, swish, type Ctx } from './layers';
import { classifierTrunk, type ClassifierShape } from './classifier';

export interface NoisyClassifierConfig extends ClassifierShape {
  readonly kind: 'noisy-classifier';
  /** Width of the noise-level embedding. */
  readonly noiseEmbedDim: number;
}

/**
 * σ is multiplied by this before the sinusoidal embedding, so σ ∈ [0, 1] spans the same
 * range of positions as DDPM's step index (0..1000) and the embedding's frequencies
 * resolve both the near-clean levels and those close to pure noise.
 */
export const NOISE_EMBED_SCALE = 1000;

export function defaultNoisyClassifierConfig(overrides: Partial<NoisyClassifierConfig> = {}): NoisyClassifierConfig {
  return {
    kind: 'noisy-classifier',
    imageSize: 32,
    channels: 1,
    numClasses: 10,
    baseChannels: 16,
    channelMults: [1, 2, 4],
    featureDim: 128,
    groups: 8,
    noiseEmbedDim: 64,
    ...overrides,
  };
}

/** e(σ): sinusoidal embedding of NOISE_EMBED_SCALE · σ, then two dense layers with swish. */
export function noiseEmbedding(ctx: Ctx, sigma: tf.Tensor1D, dim: number): tf.Tensor2D {
  let e = sinusoidalEmbedding(sigma.mul(NOISE_EMBED_SCALE) as tf.Tensor1D, dim);
  e = swish(dense(ctx, 'noise/fc1', e, dim)) as tf.Tensor2D;
  e = swish(dense(ctx, 'noise/fc2', e, dim)) as tf.Tensor2D;
  return e;
}

/** Penultimate features, [B, featureDim]. */
export function noisyClassifierFeatures(ctx: Ctx, cfg: NoisyClassifierConfig, x: tf.Tensor4D, sigma: tf.Tensor1D): tf.Tensor2D {
  const e = noiseEmbedding(ctx, sigma, cfg.noiseEmbedDim);
  return classifierTrunk(ctx, cfg, x, (c, name, h) => adaptiveGroupNorm(c, name, h, e, cfg.groups));
}

/** Logits of p_φ(y | x, σ), [B, numClasses]. */
export function noisyClassifierApply(ctx: Ctx, cfg: NoisyClassifierConfig, x: tf.Tensor4D, sigma: tf.Tensor1D): tf.Tensor2D {
  return dense(ctx, 'logits', noisyClassifierFeatures(ctx, cfg, x, sigma), cfg.numClasses);
}

/** σ as the network's second input: one level for the whole batch, or one per example. */
export function sigmaInput(sigma: number | ArrayLike<number> | tf.Tensor1D, batch: number): tf.Tensor1D {
  if (sigma instanceof tf.Tensor) {
    if (sigma.shape[0] !== batch) throw new Error(`${sigma.shape[0]} noise levels for a batch of ${batch}`);
    return sigma.cast('float32') as tf.Tensor1D;
  }
  if (typeof sigma === 'number') return tf.fill([batch], sigma, 'float32') as tf.Tensor1D;
  if (sigma.length !== batch) throw new Error(`${sigma.length} noise levels for a batch of ${batch}`);
  return tf.tensor1d(Array.from(sigma), 'float32');
}
