/**
 * DD-GAN training (DESIGN §2.2; official `train_ddgan.py`), one iteration at a time.
 *
 * Per iteration (the loop, R1, EMA and the resumable state are shared: ./imageGan.ts):
 *   1. D step. Real pair (x_{k−1}, x_k) from `qSamplePairs`; fake x′_{k−1} from the posterior
 *      with the generator's x̂₀ = G(x_k, k, z). Loss softplus(−D(real)) + softplus(D(fake)),
 *      plus R1 = γ/2 · E‖∇_{x_{k−1}} D(real)‖² every `r1Every` iterations (lazy: scaled
 *      by `r1Every`, as in StyleGAN2).
 *   2. G step on a fresh pair: loss softplus(−D(x′_{k−1}, x_k, k)).
 *   3. EMA of the generator with a warmed-up decay min(emaDecay, (1+i)/(10+i)).
 *
 * All randomness (batch indices, flips, k, noise, z) comes from one Rng whose state is part
 * of the training state, so a resumed run takes the same next step bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { randn } from '../rng';
import { Network } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import type { DiscriminatorConfig } from '../models/discriminator';
import { qSamplePairs, samplePosterior } from '../diffusion/ddgan';
import type { ImageDataset } from '../data/dataset';
import { ImageGanTrainerBase, defaultImageGanTrainConfig, type DiscriminatorBatch, type ImageGanTrainConfig } from './imageGan';

export { TrainingDiverged, type TrainStepStats } from './imageGan';

export interface DdganTrainConfig extends ImageGanTrainConfig {
  readonly recipe: 'ddgan';
  /**
   * Relative frequencies of the steps k = 1…T in the training pairs (both D and G steps);
   * absent: uniform, as in the official code. The step whose fakes the discriminator tells
   * apart most easily is where the generator decides the image's shape (k = 2 for T = 4 on
   * MNIST), and weighting it up spends more of each batch there.
   */
  readonly stepWeights?: readonly number[];
}

/** Checks that `weights` are T finite, non-negative frequencies with a positive sum. */
export function checkStepWeights(weights: readonly number[], T: number): void {
  if (weights.length !== T) throw new RangeError(`step weights: give one per step k = 1…${T} (${T} numbers), got ${weights.length}`);
  if (!weights.every((w) => Number.isFinite(w) && w >= 0) || !weights.some((w) => w > 0)) {
    throw new RangeError(`step weights must be non-negative numbers with at least one above 0, got ${weights.join(', ')}`);
  }
}

export function defaultTrainConfig(overrides: Partial<DdganTrainConfig> = {}): DdganTrainConfig {
  return { recipe: 'ddgan', ...defaultImageGanTrainConfig(), ...overrides };
}

export class DdganTrainer extends ImageGanTrainerBase<DdganTrainConfig, DiscriminatorConfig> {
  constructor(
    G: Network<GeneratorConfig>,
    D: Network<DiscriminatorConfig>,
    Gema: Network<GeneratorConfig>,
    data: ImageDataset,
    config: DdganTrainConfig,
  ) {
    if (G.config.T !== D.config.T) throw new Error(`G has T = ${G.config.T} but D has T = ${D.config.T}`);
    if (config.stepWeights) checkStepWeights(config.stepWeights, G.config.T);
    super(G, D, Gema, data, config);
  }

  /** Fresh networks for a config pair; G and the EMA copy start identical. */
  static create(
    gConfig: GeneratorConfig,
    dConfig: DiscriminatorConfig,
    data: ImageDataset,
    config: DdganTrainConfig,
  ): DdganTrainer {
    const G = Network.create(gConfig, config.seed * 2 + 1);
    const D = Network.create(dConfig, config.seed * 2 + 2);
    const Gema = G.clone();
    return new DdganTrainer(G, D, Gema, data, config);
  }

  /** k for each pair of the batch: uniform on 1…T, or drawn by `stepWeights`. */
  private randomSteps(): tf.Tensor1D {
    const T = this.schedule.T;
    const weights = this.config.stepWeights;
    const draw = weights ? this.weightedStep(weights) : () => 1 + this.rng.int(T);
    return tf.tensor1d(Array.from({ length: this.config.batch }, draw), 'int32');
  }

  private weightedStep(weights: readonly number[]): () => number {
    const total = weights.reduce((a, b) => a + b, 0);
    return () => {
      let u = this.rng.uniform() * total;
      let last = 1;
      for (let k = 0; k < weights.length; k++) {
        if (weights[k] === 0) continue;
        if (u < weights[k]) return k + 1;
        u -= weights[k];
        last = k + 1;
      }
      return last; // only when rounding leaves u a hair above the total
    };
  }

  /**
   * One draw of a training pair and of the generator's randomness: x₀ from the data, k, the
   * pair (x_{k−1}, x_k) from `qSamplePairs`, z and the posterior noise (in this order).
   */
  private drawPair(): { xPrev: tf.Tensor; xK: tf.Tensor; k: tf.Tensor1D; z: tf.Tensor2D; postNoise: tf.Tensor } {
    const shape = this.imageShape();
    const x0 = this.realBatch();
    const k = this.randomSteps();
    const [xPrev, xK] = qSamplePairs(this.schedule, x0, k, randn(shape, this.rng), randn(shape, this.rng));
    const z = randn([this.config.batch, this.G.config.nz], this.rng) as tf.Tensor2D;
    const postNoise = randn(shape, this.rng);
    return { xPrev, xK, k, z, postNoise };
  }

  /** x′_{k−1} ~ q(x_{k−1} | x_k, x̂₀) with the generator's x̂₀ = G(x_k, k, z). */
  private fakePrev(xK: tf.Tensor, k: tf.Tensor1D, z: tf.Tensor2D, postNoise: tf.Tensor): tf.Tensor {
    return samplePosterior(this.schedule, this.G.apply(xK, k, z), xK, k, postNoise);
  }

  /** Real pair (x_{k−1}, x_k, k); fake x′_{k−1} with the same x_k and k. */
  protected discriminatorBatch(): DiscriminatorBatch {
    const { xPrev, xK, k, z, postNoise } = this.drawPair();
    const xPrevFake = tf.tidy(() => this.fakePrev(xK, k, z, postNoise));
    return { real: [xPrev, xK, k], fake: [xPrevFake, xK, k] };
  }

  /**
   * Diagnostic: D's logits on one batch of real pairs and of fakes made from the same x_k,
   * with each pair's k. Draws from the run's random stream, so call it on a trainer that is
   * not going to be saved (as `npm run info -- --per-step` does), never mid-run.
   */
  async scorePairs(): Promise<{ k: Int32Array; real: Float32Array; fake: Float32Array }> {
    const [k, dReal, dFake] = tf.tidy(() => {
      const { real, fake } = this.discriminatorBatch();
      return [real[2], this.D.apply(...real), this.D.apply(...fake)];
    });
    try {
      return {
        k: (await k.data()) as Int32Array,
        real: (await dReal.data()) as Float32Array,
        fake: (await dFake.data()) as Float32Array,
      };
    } finally {
      tf.dispose([k, dReal, dFake]);
    }
  }

  /** A fresh pair: D(x′_{k−1}, x_k, k), differentiable w.r.t. G. */
  protected generatorFakes(): () => tf.Tensor[] {
    const { xK, k, z, postNoise } = this.drawPair();
    return () => [this.fakePrev(xK, k, z, postNoise), xK, k];
  }
}
