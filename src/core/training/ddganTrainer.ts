/**
 * DD-GAN training (DESIGN §2.2; official `train_ddgan.py`), one iteration at a time.
 *
 * Per iteration:
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
import { Rng, randn } from '../rng';
import { Network } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import type { DiscriminatorConfig } from '../models/discriminator';
import { ddganSchedule, type DdganSchedule } from '../diffusion/schedule';
import { qSamplePairs, samplePosterior } from '../diffusion/ddgan';
import { batchTensor, randomIndices, type ImageDataset } from '../data/dataset';
import { Adam } from './adam';

export interface DdganTrainConfig {
  readonly batch: number;
  readonly lrG: number;
  readonly lrD: number;
  readonly beta1: number;
  readonly beta2: number;
  /** R1 weight γ (the penalty is γ/2 · E‖∇D‖²). */
  readonly r1Gamma: number;
  /** Apply R1 every this many iterations (1 = every iteration). */
  readonly r1Every: number;
  readonly emaDecay: number;
  /** Random horizontal flips of the data (not for digits). */
  readonly flip: boolean;
  readonly seed: number;
}

export function defaultTrainConfig(overrides: Partial<DdganTrainConfig> = {}): DdganTrainConfig {
  return {
    batch: 32,
    lrG: 1.6e-4,
    lrD: 1.25e-4,
    beta1: 0.5,
    beta2: 0.9,
    r1Gamma: 0.05,
    r1Every: 4,
    emaDecay: 0.999,
    flip: false,
    seed: 0,
    ...overrides,
  };
}

export interface TrainStepStats {
  readonly iteration: number;
  readonly lossD: number;
  readonly lossG: number;
  /** R1 penalty (unscaled by lazy factor); NaN on iterations without R1. */
  readonly r1: number;
  readonly dReal: number;
  readonly dFake: number;
  readonly gradNormD: number;
  readonly gradNormG: number;
  readonly emaDecay: number;
  readonly ms: number;
}

export class TrainingDiverged extends Error {
  readonly code = 'training-diverged';
  constructor(
    message: string,
    readonly iteration: number,
  ) {
    super(message);
    this.name = 'TrainingDiverged';
  }
}

export class DdganTrainer {
  readonly schedule: DdganSchedule;
  readonly optG: Adam;
  readonly optD: Adam;
  readonly rng: Rng;
  iteration = 0;

  constructor(
    readonly G: Network<GeneratorConfig>,
    readonly D: Network<DiscriminatorConfig>,
    readonly Gema: Network<GeneratorConfig>,
    readonly data: ImageDataset,
    readonly config: DdganTrainConfig,
  ) {
    if (G.config.T !== D.config.T) throw new Error(`G has T = ${G.config.T} but D has T = ${D.config.T}`);
    if (data.size !== G.config.imageSize || data.channels !== G.config.channels) {
      throw new Error(
        `data are ${data.size}×${data.size}×${data.channels} but the model is ` +
          `${G.config.imageSize}×${G.config.imageSize}×${G.config.channels}`,
      );
    }
    this.schedule = ddganSchedule(G.config.T);
    this.optG = new Adam(G.params, { lr: config.lrG, beta1: config.beta1, beta2: config.beta2, eps: 1e-8 });
    this.optD = new Adam(D.params, { lr: config.lrD, beta1: config.beta1, beta2: config.beta2, eps: 1e-8 });
    this.rng = new Rng(config.seed);
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

  private realBatch(): tf.Tensor4D {
    const { batch, flip } = this.config;
    const idx = randomIndices(this.data.count, batch, this.rng);
    const flips = flip ? Array.from({ length: batch }, () => this.rng.uniform() < 0.5) : undefined;
    return batchTensor(this.data, idx, flips);
  }

  private randomSteps(): tf.Tensor1D {
    const T = this.schedule.T;
    return tf.tensor1d(
      Array.from({ length: this.config.batch }, () => 1 + this.rng.int(T)),
      'int32',
    );
  }

  /** One D step and one G step. Resolves with the step's statistics. */
  async step(): Promise<TrainStepStats> {
    const t0 = performance.now();
    const { batch, r1Gamma, r1Every } = this.config;
    const s = this.schedule;
    const G = this.G;
    const D = this.D;
    const doR1 = r1Gamma > 0 && this.iteration % r1Every === 0;
    const shape = [batch, G.config.imageSize, G.config.imageSize, G.config.channels];

    // 1. discriminator
    const dStats = tf.tidy(() => {
      const x0 = this.realBatch();
      const k = this.randomSteps();
      const [xPrev, xK] = qSamplePairs(s, x0, k, randn(shape, this.rng), randn(shape, this.rng));
      const z = randn([batch, G.config.nz], this.rng) as tf.Tensor2D;
      const postNoise = randn(shape, this.rng);
      const xPrevFake = tf.tidy(() =>
        samplePosterior(s, G.apply(xK, k, z), xK, k, postNoise),
      ) as tf.Tensor4D;
      let r1: tf.Scalar = tf.scalar(NaN);
      let dRealMean = tf.scalar(0);
      let dFakeMean = tf.scalar(0);
      const { value, grads } = tf.variableGrads(() => {
        const dReal = D.apply(xPrev, xK, k);
        const dFake = D.apply(xPrevFake, xK, k);
        let loss = tf.softplus(dReal.neg()).mean().add(tf.softplus(dFake).mean());
        if (doR1) {
          const gradReal = tf.grad((x: tf.Tensor) => D.apply(x, xK, k).sum())(xPrev);
          const penalty = gradReal.square().sum([1, 2, 3]).mean();
          r1 = tf.keep(penalty) as tf.Scalar;
          loss = loss.add(penalty.mul((r1Gamma / 2) * r1Every));
        }
        dRealMean = tf.keep(dReal.mean());
        dFakeMean = tf.keep(dFake.mean());
        return loss as tf.Scalar;
      }, D.params.list());
      const named = this.byName(D, grads);
      this.optD.apply(named);
      return [value, r1, dRealMean, dFakeMean, globalNorm(named)];
    });

    // 2. generator
    const gStats = tf.tidy(() => {
      const x0 = this.realBatch();
      const k = this.randomSteps();
      const [, xK] = qSamplePairs(s, x0, k, randn(shape, this.rng), randn(shape, this.rng));
      const z = randn([batch, G.config.nz], this.rng) as tf.Tensor2D;
      const postNoise = randn(shape, this.rng);
      const { value, grads } = tf.variableGrads(() => {
        const xPrevFake = samplePosterior(s, G.apply(xK, k, z), xK, k, postNoise);
        return tf.softplus(D.apply(xPrevFake, xK, k).neg()).mean() as tf.Scalar;
      }, G.params.list());
      const named = this.byName(G, grads);
      this.optG.apply(named);
      return [value, globalNorm(named)];
    });

    // 3. EMA
    const decay = Math.min(this.config.emaDecay, (1 + this.iteration) / (10 + this.iteration));
    tf.tidy(() => {
      for (const [name, v] of this.Gema.params.vars) {
        const src = this.G.params.vars.get(name)!;
        v.assign(v.mul(decay).add(src.mul(1 - decay)));
      }
    });

    const all = [...dStats, ...gStats];
    const values = await Promise.all(all.map((t) => t.data()));
    all.forEach((t) => t.dispose());
    const [lossD, r1, dReal, dFake, gradNormD, lossG, gradNormG] = values.map((v) => v[0]);
    const iteration = ++this.iteration;
    const stats: TrainStepStats = {
      iteration,
      lossD,
      lossG,
      r1,
      dReal,
      dFake,
      gradNormD,
      gradNormG,
      emaDecay: decay,
      ms: performance.now() - t0,
    };
    for (const key of ['lossD', 'lossG', 'dReal', 'dFake', 'gradNormD', 'gradNormG'] as const) {
      if (!Number.isFinite(stats[key])) {
        throw new TrainingDiverged(`training diverged at iteration ${iteration}: ${key} is ${stats[key]}`, iteration);
      }
    }
    return stats;
  }

  private byName(net: Network, grads: tf.NamedTensorMap): Map<string, tf.Tensor> {
    // variableGrads keys by the tf.Variable name; map back to parameter names.
    const out = new Map<string, tf.Tensor>();
    for (const [pname, v] of net.params.vars) {
      const g = grads[v.name];
      if (g) out.set(pname, g);
    }
    return out;
  }

  /** Tensors that make up the resumable state besides the networks. */
  stateTensors(): Record<string, tf.Tensor> {
    return { ...this.optG.stateTensors('optG/'), ...this.optD.stateTensors('optD/') };
  }

  /** Plain-JSON part of the resumable state. */
  stateJson(): { iteration: number; rng: number[]; optGSteps: number; optDSteps: number } {
    return { iteration: this.iteration, rng: this.rng.getState(), optGSteps: this.optG.steps, optDSteps: this.optD.steps };
  }

  loadState(json: ReturnType<DdganTrainer['stateJson']>, tensors: Record<string, tf.Tensor>): void {
    this.iteration = json.iteration;
    this.rng.setState(json.rng);
    this.optG.loadState(tensors, 'optG/', json.optGSteps);
    this.optD.loadState(tensors, 'optD/', json.optDSteps);
  }

  dispose(): void {
    this.optG.dispose();
    this.optD.dispose();
    this.G.dispose();
    this.D.dispose();
    this.Gema.dispose();
  }
}

function globalNorm(grads: Map<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.addN([...grads.values()].map((g) => g.square().sum())).sqrt() as tf.Scalar);
}
