/**
 * The DDPM ε-network ε_θ(x_t, t): the same U-Net family as the DD-GAN generator, without the
 * latent z (GroupNorm with a learned affine instead of adaptive group norm) and without an
 * output activation, since ε is unbounded. t is the 1-based DDPM step, 1..steps.
 */
import type * as tf from '@tensorflow/tfjs';
import { groupNorm, type Ctx } from './layers';
import { timeEmbedding, unet, type UnetNorm } from './generator';

export interface EpsNetConfig {
  readonly kind: 'ddpm-eps';
  readonly imageSize: number;
  readonly channels: number;
  /** Number of diffusion steps of the schedule it was trained on. */
  readonly steps: number;
  readonly baseChannels: number;
  readonly channelMults: readonly number[];
  readonly resBlocksPerLevel: number;
  readonly tEmbedDim: number;
  readonly groups: number;
}

export function defaultEpsNetConfig(overrides: Partial<EpsNetConfig> = {}): EpsNetConfig {
  return {
    kind: 'ddpm-eps',
    imageSize: 32,
    channels: 1,
    steps: 1000,
    baseChannels: 16,
    channelMults: [1, 2, 2],
    resBlocksPerLevel: 1,
    tEmbedDim: 64,
    groups: 8,
    ...overrides,
  };
}

export function epsNetApply(ctx: Ctx, cfg: EpsNetConfig, xT: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor4D {
  const temb = timeEmbedding(ctx, 'temb', t, cfg.tEmbedDim);
  const norm: UnetNorm = (c, name, h) => groupNorm(c, name, h, cfg.groups);
  return unet(ctx, cfg, xT, temb, norm);
}
