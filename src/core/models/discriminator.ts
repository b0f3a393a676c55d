/**
 * The discriminators of the image GANs, one trunk for both:
 *
 *   'ddgan-discriminator'          D(x_{k−1}, x_k, k) → logit (DD-GAN, DESIGN §2.2): the pair
 *                                  is concatenated on channels, k ∈ 1..T.
 *   'diffusion-gan-discriminator'  D(y, t) → logit (Diffusion-GAN, DESIGN §2.5): one diffused
 *                                  image y and its diffusion step t ∈ 0..tMax (0 = clean).
 *
 * The trunk: residual down-sampling blocks get the step embedding added per channel; a
 * minibatch standard-deviation feature is appended at the lowest resolution (it lets D see
 * a lack of diversity across the batch); a dense layer gives one logit per example.
 * LeakyReLU(0.2) throughout. No custom gradients anywhere: the R1 penalty differentiates
 * a gradient of D.
 */
import * as tf from '@tensorflow/tfjs';
import { avgPool2x, conv2d, dense, type Ctx } from './layers';
import { timeEmbedding } from './generator';

/** The architecture numbers both discriminators share. */
export interface DiscriminatorTrunkShape {
  readonly baseChannels: number;
  /** Channel multiplier per down-sampling block; each block halves the resolution. */
  readonly channelMults: readonly number[];
  readonly tEmbedDim: number;
  /** Group size of the minibatch-stddev feature (clipped to a divisor of the batch). */
  readonly mbstdGroup: number;
}

export interface DiscriminatorConfig extends DiscriminatorTrunkShape {
  readonly kind: 'ddgan-discriminator';
  readonly imageSize: number;
  readonly channels: number;
  readonly T: number;
}

export interface DiffusionGanDiscriminatorConfig extends DiscriminatorTrunkShape {
  readonly kind: 'diffusion-gan-discriminator';
  readonly imageSize: number;
  readonly channels: number;
  /** The largest diffusion step it is shown (the adaptive T's T_max). */
  readonly tMax: number;
}

export function defaultDiscriminatorConfig(overrides: Partial<DiscriminatorConfig> = {}): DiscriminatorConfig {
  return {
    kind: 'ddgan-discriminator',
    imageSize: 32,
    channels: 1,
    T: 4,
    baseChannels: 32,
    channelMults: [1, 2, 4],
    tEmbedDim: 64,
    mbstdGroup: 4,
    ...overrides,
  };
}

/** The same trunk as the DD-GAN discriminator's default, for one image and its step t. */
export function defaultDiffusionGanDiscriminatorConfig(overrides: Partial<DiffusionGanDiscriminatorConfig> = {}): DiffusionGanDiscriminatorConfig {
  const d = defaultDiscriminatorConfig();
  return {
    kind: 'diffusion-gan-discriminator',
    imageSize: d.imageSize,
    channels: d.channels,
    tMax: 1000,
    baseChannels: d.baseChannels,
    channelMults: d.channelMults,
    tEmbedDim: d.tEmbedDim,
    mbstdGroup: d.mbstdGroup,
    ...overrides,
  };
}

const leaky = (x: tf.Tensor): tf.Tensor => tf.leakyRelu(x, 0.2);

function downBlock(ctx: Ctx, name: string, x: tf.Tensor4D, temb: tf.Tensor2D, outCh: number): tf.Tensor4D {
  let h = conv2d(ctx, `${name}/conv1`, leaky(x) as tf.Tensor4D, outCh);
  h = h.add(dense(ctx, `${name}/temb`, temb, outCh).reshape([-1, 1, 1, outCh]));
  h = conv2d(ctx, `${name}/conv2`, leaky(h) as tf.Tensor4D, outCh, { gain: 0.5 });
  h = avgPool2x(h);
  const skip = conv2d(ctx, `${name}/skip`, avgPool2x(x), outCh, { kernel: 1, bias: false });
  return h.add(skip).mul(Math.SQRT1_2) as tf.Tensor4D;
}

/** Appends the minibatch standard deviation (averaged over features) as one channel. */
export function minibatchStd(x: tf.Tensor4D, groupSize: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  let g = Math.min(groupSize, b);
  while (b % g !== 0) g--;
  const m = b / g;
  // example i belongs to group i mod m (as in StyleGAN's implementation)
  const grouped = x.reshape([g, m, h, w, c]);
  const centered = grouped.sub(grouped.mean(0, true));
  const std = centered.square().mean(0).add(1e-8).sqrt(); // [m, h, w, c]
  const feature = std.mean([1, 2, 3]).reshape([1, m, 1, 1, 1]);
  const tiled = feature.mul(tf.ones([g, 1, h, w, 1])).reshape([b, h, w, 1]); // broadcast: its gradient is a sum
  return tf.concat([x, tiled], 3) as tf.Tensor4D;
}

/**
 * The shared trunk: `x` is what D looks at ([B, H, W, C]: a pair on channels, or one
 * image), `step` its per-example step index (k or t), embedded as in the generator.
 */
function discriminatorTrunk(ctx: Ctx, cfg: DiscriminatorTrunkShape, x: tf.Tensor4D, step: tf.Tensor1D): tf.Tensor1D {
  const temb = timeEmbedding(ctx, 'temb', step, cfg.tEmbedDim);
  let h = conv2d(ctx, 'in', x, cfg.baseChannels);
  for (let i = 0; i < cfg.channelMults.length; i++) {
    h = downBlock(ctx, `block${i}`, h, temb, cfg.baseChannels * cfg.channelMults[i]);
  }
  h = minibatchStd(h, cfg.mbstdGroup);
  const ch = cfg.baseChannels * cfg.channelMults[cfg.channelMults.length - 1];
  h = conv2d(ctx, 'final/conv', leaky(h) as tf.Tensor4D, ch);
  const flat = leaky(h).reshape([h.shape[0], -1]) as tf.Tensor2D;
  return dense(ctx, 'final/fc', flat, 1).reshape([-1]) as tf.Tensor1D;
}

/** DD-GAN: D(x_{k−1}, x_k, k), the pair concatenated on channels. */
export function discriminatorApply(
  ctx: Ctx,
  cfg: DiscriminatorConfig,
  xPrev: tf.Tensor4D,
  xK: tf.Tensor4D,
  k: tf.Tensor1D,
): tf.Tensor1D {
  return discriminatorTrunk(ctx, cfg, tf.concat([xPrev, xK], 3) as tf.Tensor4D, k);
}

/** Diffusion-GAN: D(y, t) on one (diffused) image, t ∈ 0..tMax int32. */
export function diffusionGanDiscriminatorApply(ctx: Ctx, cfg: DiffusionGanDiscriminatorConfig, y: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor1D {
  return discriminatorTrunk(ctx, cfg, y, t);
}
