/**
 * Diffusion-GAN training of the DD-GAN generator (DESIGN §2.5; Wang, Zheng, He, Chen & Zhou
 * 2022), one iteration at a time. The generator is still G(x_k, k, z) with its T denoising
 * steps; the Diffusion-GAN "generator" is the whole DD-GAN sampling chain, so after training
 * G is still a valid T-step DD-GAN (Generate, previews and export are unchanged).
 *
 * Notation (name here -> name in the papers / official code):
 *   T            -> T of DD-GAN: the generator's number of denoising steps (fixed by the model)
 *   k            -> k ∈ 1..T, a denoising step of the chain
 *   diffusionT   -> T of Diffusion-GAN (`num_timesteps`), called T_dg in the UI: adaptive,
 *                   T_dg = T_min + round(p (T_max − T_min))
 *   t            -> t ∈ 0..T_dg, the diffusion step D's input went through (0 = clean)
 *   noiseStd     -> σ (`noise_std`): y = √ᾱ_t x + √(1 − ᾱ_t) σ ε, with the per-T_dg linear β
 *                   schedule of ../diffusion/diffusionGan.ts
 *   rd, target   -> r_d = E[sign(D(y_real))] and d_target (`ada_target`)
 *   p, delta     -> p (`diffusion.p`) and its step per update
 *
 * Per iteration (the GAN step of ./ganStep.ts: D step with lazy R1, G step, EMA; the
 * resumable state is ./imageGan.ts's):
 *   1. The fake x is the DD-GAN chain: x_T ~ N(0, I); for k = T..1: x̂₀ = G(x_k, k, z_k),
 *      x_{k−1} ~ q(x_{k−1} | x_k, x̂₀) reparameterised with drawn noise (x̂₀ itself at k = 1).
 *   2. D step: y_real from a data batch, y_fake from a chain run without a tape (no gradient
 *      memory kept), each with its own t ~ 'priority' or 'uniform' over 1..T_dg (a share
 *      `cleanShare` at t = 0); R1 on y_real.
 *   3. G step: the chain on the tape, so the gradient reaches G through all T calls.
 *   4. Adaptive T: Σ sign(D(y_real)) is accumulated; every `adaptEvery` iterations
 *      r_d = its mean, p ← clip(p + sign(r_d − target)·Δ, 0, 1) (`AdaptiveT`).
 *
 * Defaults for images: src/shared/recipes.ts (DIFFUSION_GAN_IMAGE_DEFAULTS).
 *
 * All randomness comes from the trainer's one Rng; the adaptive state is part of the
 * resumable state, so a resumed run takes the same next step bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { randn } from '../rng';
import type { Network } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import type { DiffusionGanDiscriminatorConfig } from '../models/discriminator';
import { ddganChain, type ChainDraws, type ChainEdit } from '../diffusion/ddganSampler';
import type { ImageDataset } from '../data/dataset';
import { AdaptiveT, diffuse, type DiffusionGanSettings } from '../diffusion/diffusionGan';
import { DIFFUSION_GAN_IMAGE_DEFAULTS } from '../../shared/recipes';
import {
  ImageGanTrainerBase,
  defaultImageGanTrainConfig,
  freshGanNetworks,
  type DiscriminatorBatch,
  type ImageGanStateJson,
  type ImageGanTrainConfig,
  type TrainStepStats,
} from './imageGan';

export { ddganChain, type ChainDraws, type ChainEdit } from '../diffusion/ddganSampler';

export interface DiffusionGanImageTrainConfig extends ImageGanTrainConfig, DiffusionGanSettings {
  readonly recipe: 'diffusion-gan';
}

export function defaultDiffusionGanTrainConfig(overrides: Partial<DiffusionGanImageTrainConfig> = {}): DiffusionGanImageTrainConfig {
  return { ...defaultImageGanTrainConfig(), recipe: 'diffusion-gan', ...DIFFUSION_GAN_IMAGE_DEFAULTS, ...overrides };
}

/** The randomness of one batch of D's fake inputs: the chain, then t and ε of the diffusion. */
export interface FakeDraws {
  readonly chain: ChainDraws;
  readonly t: tf.Tensor1D;
  readonly eps: tf.Tensor4D;
}

export class DiffusionGanImageTrainer extends ImageGanTrainerBase<DiffusionGanImageTrainConfig, DiffusionGanDiscriminatorConfig> {
  private readonly adaptive: AdaptiveT;

  constructor(
    G: Network<GeneratorConfig>,
    D: Network<DiffusionGanDiscriminatorConfig>,
    Gema: Network<GeneratorConfig>,
    data: ImageDataset,
    config: DiffusionGanImageTrainConfig,
  ) {
    checkConfig(config, D.config, G.config);
    super(G, D, Gema, data, config);
    this.adaptive = new AdaptiveT(config);
  }

  /** Fresh networks; G and the EMA copy start identical. */
  static create(gConfig: GeneratorConfig, dConfig: DiffusionGanDiscriminatorConfig, data: ImageDataset, config: DiffusionGanImageTrainConfig): DiffusionGanImageTrainer {
    const { G, D, Gema } = freshGanNetworks(gConfig, dConfig, config.seed);
    return new DiffusionGanImageTrainer(G, D, Gema, data, config);
  }

  /** The adaptive state: T_dg, p, and the last r_d (NaN before the first update). */
  get diffusion(): { T: number; p: number; rd: number } {
    return { T: this.adaptive.T, p: this.adaptive.p, rd: this.adaptive.rd };
  }

  private diffusionSteps(): tf.Tensor1D {
    return tf.tensor1d(this.adaptive.drawSteps(this.config.batch, this.rng), 'int32');
  }

  /** y = √ᾱ_t x + √(1−ᾱ_t) σ ε with the current T_dg's schedule (differentiable in x). */
  private diffuse(x: tf.Tensor4D, t: tf.Tensor1D, eps: tf.Tensor4D): tf.Tensor4D {
    return diffuse(this.adaptive.schedule, x, t, eps, this.config.noiseStd) as tf.Tensor4D;
  }

  /** Draws one batch of fakes' randomness from the trainer's Rng (x_T, z_k and noise for k = T..1, t, ε). */
  drawFakes(): FakeDraws {
    const { batch } = this.config;
    const shape = this.imageShape();
    const xT = randn(shape, this.rng) as tf.Tensor4D;
    const z: tf.Tensor2D[] = [];
    const noise: tf.Tensor4D[] = [];
    for (let k = this.schedule.T; k >= 1; k--) {
      z.push(randn([batch, this.G.config.nz], this.rng) as tf.Tensor2D);
      if (k > 1) noise.push(randn(shape, this.rng) as tf.Tensor4D);
    }
    const t = this.diffusionSteps();
    const eps = randn(shape, this.rng) as tf.Tensor4D;
    return { chain: { xT, z, noise }, t, eps };
  }

  /** D's fake inputs [y, t]: the chain's x₀, diffused. Differentiable w.r.t. G under a tape. */
  fakeInputs(draws: FakeDraws, edit?: ChainEdit): [tf.Tensor4D, tf.Tensor1D] {
    return [this.diffuse(ddganChain(this.G, this.schedule, draws.chain, edit), draws.t, draws.eps), draws.t];
  }

  protected discriminatorBatch(): DiscriminatorBatch {
    const x = this.realBatch();
    const tReal = this.diffusionSteps();
    const yReal = this.diffuse(x, tReal, randn(this.imageShape(), this.rng) as tf.Tensor4D);
    const draws = this.drawFakes();
    // No tape here: the chain's activations are freed as soon as y_fake exists.
    const yFake = tf.tidy(() => this.fakeInputs(draws)[0]);
    return { real: [yReal, tReal], fake: [yFake, draws.t] };
  }

  protected generatorFakes(): () => tf.Tensor[] {
    const draws = this.drawFakes();
    return () => this.fakeInputs(draws);
  }

  protected afterStep(realSignSum: number, realCount: number): Partial<TrainStepStats> {
    this.adaptive.observe(realSignSum, realCount, this.iteration);
    return { diffusionT: this.adaptive.T, p: this.adaptive.p, rd: this.adaptive.rd };
  }

  stateJson(): ImageGanStateJson {
    return { ...super.stateJson(), adaptive: this.adaptive.toJson() };
  }

  loadState(json: ImageGanStateJson, tensors: Record<string, tf.Tensor>): void {
    if (!json.adaptive) throw new Error('the saved Diffusion-GAN state has no adaptive-T part');
    super.loadState(json, tensors);
    this.adaptive.load(json.adaptive);
  }
}

function checkConfig(c: DiffusionGanImageTrainConfig, d: DiffusionGanDiscriminatorConfig, g: GeneratorConfig): void {
  if (!(Number.isInteger(c.tMin) && Number.isInteger(c.tMax) && c.tMin >= 1 && c.tMax >= c.tMin)) {
    throw new RangeError(`need whole numbers 1 ≤ tMin ≤ tMax, got tMin ${c.tMin}, tMax ${c.tMax}`);
  }
  if (c.tMax > d.tMax) throw new RangeError(`tMax ${c.tMax} is beyond the discriminator's tMax ${d.tMax}`);
  if (!(Number.isInteger(c.adaptEvery) && c.adaptEvery >= 1)) throw new RangeError(`adaptEvery must be a whole number ≥ 1, got ${c.adaptEvery}`);
  if (!(c.pInit >= 0 && c.pInit <= 1)) throw new RangeError(`pInit must be in [0, 1], got ${c.pInit}`);
  if (!(c.cleanShare >= 0 && c.cleanShare < 1)) throw new RangeError(`cleanShare must be in [0, 1), got ${c.cleanShare}`);
  if (d.imageSize !== g.imageSize || d.channels !== g.channels) {
    throw new Error(`D sees ${d.imageSize}×${d.imageSize}×${d.channels} images but G makes ${g.imageSize}×${g.imageSize}×${g.channels}`);
  }
}
