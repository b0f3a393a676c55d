/**
 * DD-GAN generator G(x_k, k, z) → x̂₀: a small U-Net.
 *
 *  - the step index k (1..T) goes through a sinusoidal embedding and a 2-layer MLP and is
 *    added per channel inside each residual block;
 *  - the latent z ~ N(0, I_nz) goes through a mapping MLP to a code w, which modulates every
 *    normalisation layer (adaptive group norm: GroupNorm without affine, then (1+γ(w))h + β(w));
 *  - the output is tanh, in the data range [−1, 1].
 *
 * Width, depth and channel count come from the config, so a 1-channel and a 3-channel 32×32
 * model (or any size divisible by 2^(levels−1)) use the same code.
 */
import * as tf from '@tensorflow/tfjs';
import { adaptiveGroupNorm, conv2d, dense, sinusoidalEmbedding, swish, upsample2x, type Ctx } from './layers';

export interface GeneratorConfig {
  readonly kind: 'ddgan-generator';
  readonly imageSize: number;
  readonly channels: number;
  /** Number of denoising steps the model was trained for. */
  readonly T: number;
  readonly baseChannels: number;
  /** Channel multiplier per resolution level; level i works at imageSize / 2^i. */
  readonly channelMults: readonly number[];
  readonly resBlocksPerLevel: number;
  readonly nz: number;
  readonly zEmbedDim: number;
  readonly tEmbedDim: number;
  readonly groups: number;
}

export function defaultGeneratorConfig(overrides: Partial<GeneratorConfig> = {}): GeneratorConfig {
  return {
    kind: 'ddgan-generator',
    imageSize: 32,
    channels: 1,
    T: 4,
    baseChannels: 32,
    channelMults: [1, 2, 2],
    resBlocksPerLevel: 1,
    nz: 50,
    zEmbedDim: 128,
    tEmbedDim: 128,
    groups: 8,
    ...overrides,
  };
}

export function validateGeneratorConfig(cfg: GeneratorConfig): void {
  const levels = cfg.channelMults.length;
  if (cfg.imageSize % 2 ** (levels - 1) !== 0) {
    throw new Error(`image size ${cfg.imageSize} is not divisible by 2^${levels - 1} (one halving per level)`);
  }
  for (const m of cfg.channelMults) {
    if ((cfg.baseChannels * m) % Math.min(cfg.groups, cfg.baseChannels * m) !== 0) {
      throw new Error(`${cfg.baseChannels * m} channels do not split into ${cfg.groups} groups`);
    }
  }
}

/** The normalisation a U-Net uses: adaptive (modulated by z) or plain learned affine. */
export type UnetNorm = (ctx: Ctx, name: string, h: tf.Tensor4D) => tf.Tensor4D;

/** The architecture numbers shared by the U-Nets (DD-GAN generator, DDPM ε-network). */
export interface UnetShape {
  readonly baseChannels: number;
  readonly channelMults: readonly number[];
  readonly resBlocksPerLevel: number;
  readonly channels: number;
}

function resBlock(ctx: Ctx, name: string, x: tf.Tensor4D, temb: tf.Tensor2D, norm: UnetNorm, outCh: number): tf.Tensor4D {
  const inCh = x.shape[3];
  let h = swish(norm(ctx, `${name}/norm1`, x)) as tf.Tensor4D;
  h = conv2d(ctx, `${name}/conv1`, h, outCh);
  h = h.add(dense(ctx, `${name}/temb`, temb, outCh).reshape([-1, 1, 1, outCh]));
  h = swish(norm(ctx, `${name}/norm2`, h)) as tf.Tensor4D;
  h = conv2d(ctx, `${name}/conv2`, h, outCh, { gain: 0.2 });
  const skip = inCh === outCh ? x : conv2d(ctx, `${name}/skip`, x, outCh, { kernel: 1 });
  return h.add(skip).mul(Math.SQRT1_2) as tf.Tensor4D;
}

/** Maps z to the modulation code w (pixel-normalised z, then a 2-layer MLP). */
function mapping(ctx: Ctx, cfg: GeneratorConfig, z: tf.Tensor2D): tf.Tensor2D {
  const zn = z.mul(tf.rsqrt(z.square().mean(1, true).add(1e-8))) as tf.Tensor2D;
  let w = swish(dense(ctx, 'map/fc1', zn, cfg.zEmbedDim)) as tf.Tensor2D;
  w = swish(dense(ctx, 'map/fc2', w, cfg.zEmbedDim)) as tf.Tensor2D;
  return w;
}

export function timeEmbedding(ctx: Ctx, prefix: string, k: tf.Tensor1D, dim: number): tf.Tensor2D {
  let t = sinusoidalEmbedding(k, dim);
  t = swish(dense(ctx, `${prefix}/fc1`, t, dim)) as tf.Tensor2D;
  t = swish(dense(ctx, `${prefix}/fc2`, t, dim)) as tf.Tensor2D;
  return t;
}

/**
 * The U-Net body: input conv, residual blocks with a skip per block and per down-sampling,
 * a middle of two blocks, the mirrored up path on concatenated skips, and an output conv
 * (no output activation: callers add theirs).
 */
export function unet(ctx: Ctx, cfg: UnetShape, x: tf.Tensor4D, temb: tf.Tensor2D, norm: UnetNorm): tf.Tensor4D {
  const levels = cfg.channelMults.length;
  let h = conv2d(ctx, 'in', x, cfg.baseChannels);
  const skips: tf.Tensor4D[] = [h];
  for (let i = 0; i < levels; i++) {
    const ch = cfg.baseChannels * cfg.channelMults[i];
    for (let j = 0; j < cfg.resBlocksPerLevel; j++) {
      h = resBlock(ctx, `down${i}/res${j}`, h, temb, norm, ch);
      skips.push(h);
    }
    if (i < levels - 1) {
      h = conv2d(ctx, `down${i}/downsample`, h, ch, { stride: 2 });
      skips.push(h);
    }
  }
  const midCh = cfg.baseChannels * cfg.channelMults[levels - 1];
  h = resBlock(ctx, 'mid/res0', h, temb, norm, midCh);
  h = resBlock(ctx, 'mid/res1', h, temb, norm, midCh);
  for (let i = levels - 1; i >= 0; i--) {
    const ch = cfg.baseChannels * cfg.channelMults[i];
    for (let j = 0; j <= cfg.resBlocksPerLevel; j++) {
      const skip = skips.pop()!;
      h = resBlock(ctx, `up${i}/res${j}`, tf.concat([h, skip], 3) as tf.Tensor4D, temb, norm, ch);
    }
    if (i > 0) {
      h = conv2d(ctx, `up${i}/upsample`, upsample2x(h), ch);
    }
  }
  h = swish(norm(ctx, 'out/norm', h)) as tf.Tensor4D;
  return conv2d(ctx, 'out/conv', h, cfg.channels, { gain: 0.5 });
}

/**
 * One generator call. `xK`: [B, H, W, C] in data scale; `k`: [B] int32 step indices in 1..T;
 * `z`: [B, nz]. Returns x̂₀, [B, H, W, C] in [−1, 1].
 */
export function generatorApply(ctx: Ctx, cfg: GeneratorConfig, xK: tf.Tensor4D, k: tf.Tensor1D, z: tf.Tensor2D): tf.Tensor4D {
  const temb = timeEmbedding(ctx, 'temb', k, cfg.tEmbedDim);
  const w = mapping(ctx, cfg, z);
  const norm: UnetNorm = (c, name, h) => adaptiveGroupNorm(c, name, h, w, cfg.groups);
  return tf.tanh(unet(ctx, cfg, xK, temb, norm));
}
