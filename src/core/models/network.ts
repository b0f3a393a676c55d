/**
 * A network = a frozen, JSON-serialisable config + named parameters + the pure function
 * of its kind. The registry below is the one place that knows every kind, so checkpoints,
 * the CLIs and the worker build models from a config alone.
 */
import * as tf from '@tensorflow/tfjs';
import { ParamSet, type Ctx } from './layers';
import { generatorApply, validateGeneratorConfig, type GeneratorConfig } from './generator';
import { diffusionGanDiscriminatorApply, discriminatorApply, type DiffusionGanDiscriminatorConfig, type DiscriminatorConfig } from './discriminator';
import { classifierApply, classifierFeatures, type ClassifierConfig } from './classifier';
import { epsNetApply, type EpsNetConfig } from './epsNet';
import { noisyClassifierApply, noisyClassifierFeatures, type NoisyClassifierConfig } from './noisyClassifier';
import {
  mlp2dCondGeneratorApply,
  mlp2dDiscriminatorApply,
  mlp2dGeneratorApply,
  mlp2dPairDiscriminatorApply,
  mlp2dTimeDiscriminatorApply,
  type Mlp2dConfig,
} from './mlp2d';

export type NetworkConfig =
  | GeneratorConfig
  | DiscriminatorConfig
  | DiffusionGanDiscriminatorConfig
  | ClassifierConfig
  | NoisyClassifierConfig
  | EpsNetConfig
  | Mlp2dConfig;

interface KindSpec<C extends NetworkConfig> {
  validate?(cfg: C): void;
  /** A batch of dummy inputs of the right shapes (used to create the parameters). */
  dummyInputs(cfg: C, batch: number): tf.Tensor[];
  apply(ctx: Ctx, cfg: C, inputs: tf.Tensor[]): tf.Tensor;
}

const stepIndices = (cfg: { T: number }, batch: number): tf.Tensor1D =>
  tf.tensor1d(Array.from({ length: batch }, (_, i) => 1 + (i % cfg.T)), 'int32');

const image = (cfg: { imageSize: number; channels: number }, batch: number): tf.Tensor4D =>
  tf.zeros([batch, cfg.imageSize, cfg.imageSize, cfg.channels]);

const points2d = (batch: number): tf.Tensor2D => tf.zeros([batch, 2]);

const KINDS: { [K in NetworkConfig['kind']]: KindSpec<Extract<NetworkConfig, { kind: K }>> } = {
  'ddgan-generator': {
    validate: validateGeneratorConfig,
    dummyInputs: (cfg, b) => [image(cfg, b), stepIndices(cfg, b), tf.zeros([b, cfg.nz])],
    apply: (ctx, cfg, [x, k, z]) => generatorApply(ctx, cfg, x as tf.Tensor4D, k as tf.Tensor1D, z as tf.Tensor2D),
  },
  'ddgan-discriminator': {
    dummyInputs: (cfg, b) => [image(cfg, b), image(cfg, b), stepIndices(cfg, b)],
    apply: (ctx, cfg, [xPrev, xK, k]) =>
      discriminatorApply(ctx, cfg, xPrev as tf.Tensor4D, xK as tf.Tensor4D, k as tf.Tensor1D),
  },
  'diffusion-gan-discriminator': {
    // inputs: y [B, H, W, C] and the diffusion step t [B] (int32 in 0..tMax, 0 = clean)
    dummyInputs: (cfg, b) => [image(cfg, b), tf.tensor1d(Array.from({ length: b }, (_, i) => i % (cfg.tMax + 1)), 'int32')],
    apply: (ctx, cfg, [y, t]) => diffusionGanDiscriminatorApply(ctx, cfg, y as tf.Tensor4D, t as tf.Tensor1D),
  },
  'ddpm-eps': {
    dummyInputs: (cfg, b) => [image(cfg, b), tf.tensor1d(Array.from({ length: b }, (_, i) => 1 + i), 'int32')],
    apply: (ctx, cfg, [x, t]) => epsNetApply(ctx, cfg, x as tf.Tensor4D, t as tf.Tensor1D),
  },
  classifier: {
    dummyInputs: (cfg, b) => [image(cfg, b)],
    apply: (ctx, cfg, [x]) => classifierApply(ctx, cfg, x as tf.Tensor4D),
  },
  'noisy-classifier': {
    // inputs: x [B, H, W, C] and the noise level σ [B] (float, 0 = clean)
    dummyInputs: (cfg, b) => [image(cfg, b), tf.tensor1d(Array.from({ length: b }, (_, i) => i / Math.max(1, b - 1)))],
    apply: (ctx, cfg, [x, sigma]) => noisyClassifierApply(ctx, cfg, x as tf.Tensor4D, sigma as tf.Tensor1D),
  },
  'mlp2d-generator': {
    dummyInputs: (cfg, b) => [tf.zeros([b, cfg.nz])],
    apply: (ctx, cfg, [z]) => mlp2dGeneratorApply(ctx, cfg, z as tf.Tensor2D),
  },
  'mlp2d-cond-generator': {
    dummyInputs: (cfg, b) => [points2d(b), stepIndices(cfg, b), tf.zeros([b, cfg.nz])],
    apply: (ctx, cfg, [xK, k, z]) => mlp2dCondGeneratorApply(ctx, cfg, xK as tf.Tensor2D, k as tf.Tensor1D, z as tf.Tensor2D),
  },
  'mlp2d-discriminator': {
    dummyInputs: (_cfg, b) => [points2d(b)],
    apply: (ctx, cfg, [x]) => mlp2dDiscriminatorApply(ctx, cfg, x as tf.Tensor2D),
  },
  'mlp2d-t-discriminator': {
    dummyInputs: (cfg, b) => [points2d(b), tf.tensor1d(Array.from({ length: b }, (_, i) => i % (cfg.tMax + 1)), 'int32')],
    apply: (ctx, cfg, [y, t]) => mlp2dTimeDiscriminatorApply(ctx, cfg, y as tf.Tensor2D, t as tf.Tensor1D),
  },
  'mlp2d-pair-discriminator': {
    dummyInputs: (cfg, b) => [points2d(b), points2d(b), stepIndices(cfg, b)],
    apply: (ctx, cfg, [xPrev, xK, k]) =>
      mlp2dPairDiscriminatorApply(ctx, cfg, xPrev as tf.Tensor2D, xK as tf.Tensor2D, k as tf.Tensor1D),
  },
};

function specOf<C extends NetworkConfig>(cfg: C): KindSpec<C> {
  const spec = (KINDS as Record<string, KindSpec<NetworkConfig> | undefined>)[cfg.kind];
  if (!spec) throw new Error(`unknown network kind "${(cfg as { kind: string }).kind}"`);
  return spec as unknown as KindSpec<C>;
}

export class Network<C extends NetworkConfig = NetworkConfig> {
  private constructor(
    readonly config: C,
    readonly params: ParamSet,
  ) {}

  /** Builds a network with freshly initialised parameters (deterministic in `seed`). */
  static create<C extends NetworkConfig>(config: C, seed = 0): Network<C> {
    const spec = specOf(config);
    spec.validate?.(config);
    const net = new Network(Object.freeze({ ...config }) as unknown as C, new ParamSet(seed));
    tf.tidy(() => {
      spec.apply({ params: net.params }, config, spec.dummyInputs(config, 2));
    });
    net.params.creating = false;
    return net;
  }

  /** Runs the network; call inside `tf.tidy` or dispose the result. */
  apply(...inputs: tf.Tensor[]): tf.Tensor {
    return specOf(this.config).apply({ params: this.params }, this.config, inputs);
  }

  /**
   * A classifier's penultimate features (the metric space of the evaluation). A noise-aware
   * classifier also needs the noise level σ per example.
   */
  features(x: tf.Tensor4D, sigma?: tf.Tensor1D): tf.Tensor2D {
    const cfg = this.config as NetworkConfig;
    if (cfg.kind === 'classifier') return classifierFeatures({ params: this.params }, cfg, x);
    if (cfg.kind === 'noisy-classifier') {
      if (!sigma) throw new Error('a noisy-classifier needs the noise level σ of its input');
      return noisyClassifierFeatures({ params: this.params }, cfg, x, sigma);
    }
    throw new Error(`a ${cfg.kind} has no feature layer`);
  }

  paramCount(): number {
    return this.params.count();
  }

  /** FLOPs of one example's forward pass (convolutions and dense layers, 2 per MAC). */
  flopsPerExample(): number {
    const spec = specOf(this.config);
    const flops = { total: 0 };
    tf.tidy(() => {
      spec.apply({ params: this.params, flops }, this.config, spec.dummyInputs(this.config, 1));
    });
    return flops.total;
  }

  /** Copies another network's parameter values into this one (same architecture). */
  copyFrom(other: Network<C>): void {
    for (const [name, v] of this.params.vars) {
      const src = other.params.vars.get(name);
      if (!src) throw new Error(`parameter ${name} is missing in the source network`);
      v.assign(src);
    }
  }

  clone(): Network<C> {
    const copy = Network.create(this.config);
    copy.copyFrom(this);
    return copy;
  }

  dispose(): void {
    this.params.dispose();
  }
}
