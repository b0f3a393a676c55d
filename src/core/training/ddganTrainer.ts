/**
 * DD-GAN training (DESIGN §2.2; official `train_ddgan.py`), one iteration at a time.
 *
 * Per iteration (the GAN step of ./ganStep.ts: D step with lazy R1, G step, EMA):
 *   1. D step. Real pair (x_{k−1}, x_k) from `qSamplePairs`; fake x′_{k−1} from the posterior
 *      with the generator's x̂₀ = G(x_k, k, z); R1 is taken w.r.t. x_{k−1}.
 *   2. G step on a fresh pair: loss softplus(−D(x′_{k−1}, x_k, k)).
 *
 * All randomness (batch indices, flips, k, noise, z) comes from one Rng whose state is part
 * of the training state, so a resumed run takes the same next step bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { randn, type Rng } from '../rng';
import type { Network } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import type { DiscriminatorConfig } from '../models/discriminator';
import { qSamplePairs, samplePosterior } from '../diffusion/ddgan';
import type { DdganSchedule } from '../diffusion/schedule';
import type { ImageDataset } from '../data/dataset';
import { ImageGanTrainerBase, defaultImageGanTrainConfig, freshGanNetworks, type DiscriminatorBatch, type ImageGanTrainConfig } from './imageGan';

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

/** One DD-GAN training draw for a batch x₀ and its steps k (images or 2-D points). */
export interface DdganTrainingDraw {
  readonly xPrev: tf.Tensor;
  readonly xK: tf.Tensor;
  readonly k: tf.Tensor1D;
  readonly z: tf.Tensor2D;
  /** The posterior noise of the fake x′_{k−1}. */
  readonly postNoise: tf.Tensor;
}

/**
 * The real pair (x_{k−1}, x_k) from `qSamplePairs`, then the generator's z (`nz` wide) and
 * the posterior noise, drawn from `rng` in this order.
 */
export function drawTrainingPair(schedule: DdganSchedule, x0: tf.Tensor, k: tf.Tensor1D, nz: number, rng: Rng): DdganTrainingDraw {
  const shape = x0.shape;
  const [xPrev, xK] = qSamplePairs(schedule, x0, k, randn(shape, rng), randn(shape, rng));
  const z = randn([shape[0], nz], rng) as tf.Tensor2D;
  const postNoise = randn(shape, rng);
  return { xPrev, xK, k, z, postNoise };
}

/** The fake x′_{k−1} ~ q(x_{k−1} | x_k, x̂₀) with the generator's x̂₀ = G(x_k, k, z). */
export function fakePrev(schedule: DdganSchedule, G: Network, d: DdganTrainingDraw): tf.Tensor {
  return samplePosterior(schedule, G.apply(d.xK, d.k, d.z), d.xK, d.k, d.postNoise);
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
    const { G, D, Gema } = freshGanNetworks(gConfig, dConfig, config.seed);
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

  /** One draw of a training pair and of the generator's randomness (`drawTrainingPair`). */
  private drawPair(): DdganTrainingDraw {
    return drawTrainingPair(this.schedule, this.realBatch(), this.randomSteps(), this.G.config.nz, this.rng);
  }

  /** Real pair (x_{k−1}, x_k, k); fake x′_{k−1} with the same x_k and k. */
  protected discriminatorBatch(): DiscriminatorBatch {
    const draw = this.drawPair();
    const { xPrev, xK, k } = draw;
    const xPrevFake = tf.tidy(() => fakePrev(this.schedule, this.G, draw));
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
    const draw = this.drawPair();
    return () => [fakePrev(this.schedule, this.G, draw), draw.xK, draw.k];
  }
}
