/**
 * An image classifier: the judge for the MNIST metrics (its penultimate features are the
 * space in which Fréchet distance and precision/recall are measured). The same trunk, with
 * a noise-level embedding, is the noise-aware classifier used for guidance
 * (noisyClassifier.ts).
 *
 * conv blocks (conv → GroupNorm → LeakyReLU, ×2, then 2× average pool) → global average →
 * dense features → logits.
 */
import * as tf from '@tensorflow/tfjs';
import { avgPool2x, conv2d, dense, groupNorm, type Ctx } from './layers';

export interface ClassifierConfig {
  readonly kind: 'classifier';
  readonly imageSize: number;
  readonly channels: number;
  readonly numClasses: number;
  readonly baseChannels: number;
  readonly channelMults: readonly number[];
  readonly featureDim: number;
  readonly groups: number;
}

export function defaultClassifierConfig(overrides: Partial<ClassifierConfig> = {}): ClassifierConfig {
  return {
    kind: 'classifier',
    imageSize: 32,
    channels: 1,
    numClasses: 10,
    baseChannels: 16,
    channelMults: [1, 2, 4],
    featureDim: 128,
    groups: 8,
    ...overrides,
  };
}

const leaky = (x: tf.Tensor): tf.Tensor4D => tf.leakyRelu(x, 0.1) as tf.Tensor4D;

/** The shape fields shared by the clean and the noise-aware classifier. */
export type ClassifierShape = Omit<ClassifierConfig, 'kind'>;

/** The first normalisation of each block: plain GroupNorm, or one conditioned on something. */
export type BlockNorm = (ctx: Ctx, name: string, h: tf.Tensor4D) => tf.Tensor4D;

/**
 * The convolutional trunk and the feature layer, [B, featureDim]. `norm1` is the first
 * normalisation of each block (the noise-aware classifier conditions it on the noise level);
 * the default is the clean classifier's GroupNorm with a learned affine.
 */
export function classifierTrunk(ctx: Ctx, cfg: ClassifierShape, x: tf.Tensor4D, norm1?: BlockNorm): tf.Tensor2D {
  const firstNorm: BlockNorm = norm1 ?? ((c, name, h) => groupNorm(c, name, h, cfg.groups));
  let h = x;
  cfg.channelMults.forEach((m, i) => {
    const ch = cfg.baseChannels * m;
    h = leaky(firstNorm(ctx, `block${i}/norm1`, conv2d(ctx, `block${i}/conv1`, h, ch)));
    h = leaky(groupNorm(ctx, `block${i}/norm2`, conv2d(ctx, `block${i}/conv2`, h, ch), cfg.groups));
    h = avgPool2x(h);
  });
  const pooled = h.mean([1, 2]) as tf.Tensor2D;
  return leaky(dense(ctx, 'features', pooled, cfg.featureDim)) as unknown as tf.Tensor2D;
}

/** Penultimate features, [B, featureDim]. */
export function classifierFeatures(ctx: Ctx, cfg: ClassifierConfig, x: tf.Tensor4D): tf.Tensor2D {
  return classifierTrunk(ctx, cfg, x);
}

export function classifierApply(ctx: Ctx, cfg: ClassifierConfig, x: tf.Tensor4D): tf.Tensor2D {
  return dense(ctx, 'logits', classifierFeatures(ctx, cfg, x), cfg.numClasses);
}
