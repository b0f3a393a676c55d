/**
 * What the image-GAN training recipes share. Both train the DD-GAN generator G(x_k, k, z)
 * (so sampling, previews and export never depend on the recipe); they differ in what the
 * discriminator sees:
 *
 *   'ddgan'          D(x_{k−1}, x_k, k) on denoising pairs (DESIGN §2.2, ./ddganTrainer.ts);
 *   'diffusion-gan'  D(y, t) on diffused images, y from real data and from the whole T-step
 *                    DD-GAN sampling chain, with the adaptive T (DESIGN §2.5,
 *                    ./diffusionGanImageTrainer.ts).
 *
 * One iteration (`ImageGanTrainerBase.step`):
 *   1. D step. The recipe's real and fake inputs of D (fakes made without a tape), loss
 *      softplus(−D(real)) + softplus(D(fake)), plus R1 = γ/2 · E‖∇D(real)‖² w.r.t. D's first
 *      input every `r1Every` iterations (lazy: scaled by `r1Every`, as in StyleGAN2).
 *   2. G step. The recipe's fakes, made on the tape; loss softplus(−D(fake)).
 *   3. EMA of the generator with a warmed-up decay min(emaDecay, (1+i)/(10+i)).
 *
 * All randomness (batch indices, flips, steps, noise, z) comes from the trainer's one Rng,
 * whose state is part of the resumable state, so a resumed run takes the same next step
 * bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import type { Network, NetworkConfig } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import { ddganSchedule, type DdganSchedule } from '../diffusion/schedule';
import { batchTensor, randomIndices, type ImageDataset } from '../data/dataset';
import { Adam } from './adam';

export const IMAGE_GAN_RECIPES = ['ddgan', 'diffusion-gan'] as const;
export type ImageGanRecipe = (typeof IMAGE_GAN_RECIPES)[number];

/** The settings every recipe has. */
export interface ImageGanTrainConfig {
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

/** The defaults of the shared settings (the official CIFAR-10 optimiser, DESIGN §2.2). */
export function defaultImageGanTrainConfig(): ImageGanTrainConfig {
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
  /** Diffusion-GAN only: the adaptive T (T_dg) after this iteration's update, if any. */
  readonly diffusionT?: number;
  /** Diffusion-GAN only: the position p ∈ [0, 1] of T_dg between T_min and T_max. */
  readonly p?: number;
  /** Diffusion-GAN only: r_d = E[sign(D(y_real))] of the last adaptive-T interval (NaN before the first). */
  readonly rd?: number;
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

/** The adaptive-T part of a Diffusion-GAN run's resumable state. */
export interface AdaptiveTStateJson {
  readonly p: number;
  readonly T: number;
  /** Σ sign(D(y_real)) and the number of logits summed, since the last update. */
  readonly rdSum: number;
  readonly rdCount: number;
  /** The last r_d (null in JSON before the first update). */
  readonly rd: number | null;
}

/** Plain-JSON part of the resumable state. */
export interface ImageGanStateJson {
  readonly iteration: number;
  readonly rng: number[];
  readonly optGSteps: number;
  readonly optDSteps: number;
  /** Diffusion-GAN only. */
  readonly adaptive?: AdaptiveTStateJson;
}

/** An image-GAN trainer of either recipe: what the worker, the CLI and the state files use. */
export interface ImageGanTrainer {
  readonly recipe: ImageGanRecipe;
  readonly G: Network<GeneratorConfig>;
  readonly D: Network;
  readonly Gema: Network<GeneratorConfig>;
  /** The DD-GAN schedule of the generator (sampling, previews). */
  readonly schedule: DdganSchedule;
  readonly config: ImageGanTrainConfig & { readonly recipe: ImageGanRecipe };
  readonly rng: Rng;
  iteration: number;
  /** One D step and one G step. Resolves with the step's statistics. */
  step(): Promise<TrainStepStats>;
  /** Tensors that make up the resumable state besides the networks. */
  stateTensors(): Record<string, tf.Tensor>;
  stateJson(): ImageGanStateJson;
  loadState(json: ImageGanStateJson, tensors: Record<string, tf.Tensor>): void;
  dispose(): void;
}

/** D's inputs for the real and the fake batch; the first input is what R1 differentiates. */
export interface DiscriminatorBatch {
  readonly real: tf.Tensor[];
  readonly fake: tf.Tensor[];
}

/** Throws unless the data have the generator's image shape. */
export function checkDataFitsGenerator(data: ImageDataset, g: GeneratorConfig): void {
  if (data.size !== g.imageSize || data.channels !== g.channels) {
    throw new Error(`data are ${data.size}×${data.size}×${data.channels} but the model is ${g.imageSize}×${g.imageSize}×${g.channels}`);
  }
}

export abstract class ImageGanTrainerBase<C extends ImageGanTrainConfig & { readonly recipe: ImageGanRecipe }, DC extends NetworkConfig>
  implements ImageGanTrainer
{
  readonly schedule: DdganSchedule;
  readonly optG: Adam;
  readonly optD: Adam;
  readonly rng: Rng;
  iteration = 0;

  protected constructor(
    readonly G: Network<GeneratorConfig>,
    readonly D: Network<DC>,
    readonly Gema: Network<GeneratorConfig>,
    readonly data: ImageDataset,
    readonly config: C,
  ) {
    checkDataFitsGenerator(data, G.config);
    this.schedule = ddganSchedule(G.config.T);
    this.optG = new Adam(G.params, { lr: config.lrG, beta1: config.beta1, beta2: config.beta2, eps: 1e-8 });
    this.optD = new Adam(D.params, { lr: config.lrD, beta1: config.beta1, beta2: config.beta2, eps: 1e-8 });
    this.rng = new Rng(config.seed);
  }

  get recipe(): C['recipe'] {
    return this.config.recipe;
  }

  /** D's real and fake inputs for the D step; called outside any tape (no gradient to G). */
  protected abstract discriminatorBatch(): DiscriminatorBatch;
  /**
   * Draws the G step's randomness now and returns what makes D's fake inputs from it; the
   * function runs on the G step's tape, so it must be differentiable w.r.t. G.
   */
  protected abstract generatorFakes(): () => tf.Tensor[];
  /**
   * After the iteration count went up: Σ sign(D(real)) of the D step and the number of
   * logits, for statistics such as Diffusion-GAN's r_d. Returns extra step statistics.
   */
  protected afterStep(_realSignSum: number, _realCount: number): Partial<TrainStepStats> {
    return {};
  }

  /** [batch, H, W, C] of the generator's images. */
  protected imageShape(): number[] {
    const g = this.G.config;
    return [this.config.batch, g.imageSize, g.imageSize, g.channels];
  }

  /** A batch of real images (random indices and, with `flip`, random horizontal flips). */
  protected realBatch(): tf.Tensor4D {
    const { batch, flip } = this.config;
    const idx = randomIndices(this.data.count, batch, this.rng);
    const flips = flip ? Array.from({ length: batch }, () => this.rng.uniform() < 0.5) : undefined;
    return batchTensor(this.data, idx, flips);
  }

  async step(): Promise<TrainStepStats> {
    const t0 = performance.now();
    const { r1Gamma, r1Every, batch } = this.config;
    const G = this.G;
    const D = this.D;
    const doR1 = r1Gamma > 0 && this.iteration % r1Every === 0;

    // 1. discriminator
    const dStats = tf.tidy(() => {
      const { real, fake } = this.discriminatorBatch();
      let r1: tf.Scalar = tf.scalar(NaN);
      let dRealMean = tf.scalar(0);
      let dFakeMean = tf.scalar(0);
      let realSigns = tf.scalar(0);
      const { value, grads } = tf.variableGrads(() => {
        const dReal = D.apply(...real);
        const dFake = D.apply(...fake);
        let loss = tf.softplus(dReal.neg()).mean().add(tf.softplus(dFake).mean());
        if (doR1) {
          const gradReal = tf.grad((x: tf.Tensor) => D.apply(x, ...real.slice(1)).sum())(real[0]);
          const penalty = gradReal.square().sum([1, 2, 3]).mean();
          r1 = tf.keep(penalty) as tf.Scalar;
          loss = loss.add(penalty.mul((r1Gamma / 2) * r1Every));
        }
        dRealMean = tf.keep(dReal.mean());
        dFakeMean = tf.keep(dFake.mean());
        realSigns = tf.keep(tf.sign(dReal).sum());
        return loss as tf.Scalar;
      }, D.params.list());
      const named = byName(D, grads);
      this.optD.apply(named);
      return [value, r1, dRealMean, dFakeMean, globalNorm(named), realSigns];
    });

    // 2. generator
    const gStats = tf.tidy(() => {
      const fakes = this.generatorFakes();
      const { value, grads } = tf.variableGrads(() => tf.softplus(D.apply(...fakes()).neg()).mean() as tf.Scalar, G.params.list());
      const named = byName(G, grads);
      this.optG.apply(named);
      return [value, globalNorm(named)];
    });

    // 3. EMA
    const decay = Math.min(this.config.emaDecay, (1 + this.iteration) / (10 + this.iteration));
    tf.tidy(() => {
      for (const [name, v] of this.Gema.params.vars) {
        const src = G.params.vars.get(name)!;
        v.assign(v.mul(decay).add(src.mul(1 - decay)));
      }
    });

    const all = [...dStats, ...gStats];
    const values = await Promise.all(all.map((t) => t.data()));
    all.forEach((t) => t.dispose());
    const [lossD, r1, dReal, dFake, gradNormD, realSigns, lossG, gradNormG] = values.map((v) => v[0]);
    const iteration = ++this.iteration;
    const extra = this.afterStep(realSigns, batch);
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
      ...extra,
    };
    for (const key of ['lossD', 'lossG', 'dReal', 'dFake', 'gradNormD', 'gradNormG'] as const) {
      if (!Number.isFinite(stats[key])) {
        throw new TrainingDiverged(`training diverged at iteration ${iteration}: ${key} is ${stats[key]}`, iteration);
      }
    }
    return stats;
  }

  stateTensors(): Record<string, tf.Tensor> {
    return { ...this.optG.stateTensors('optG/'), ...this.optD.stateTensors('optD/') };
  }

  stateJson(): ImageGanStateJson {
    return { iteration: this.iteration, rng: this.rng.getState(), optGSteps: this.optG.steps, optDSteps: this.optD.steps };
  }

  loadState(json: ImageGanStateJson, tensors: Record<string, tf.Tensor>): void {
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

/** Gradients keyed by parameter name (variableGrads keys them by the tf.Variable's name). */
function byName(net: Network, grads: tf.NamedTensorMap): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [pname, v] of net.params.vars) {
    const g = grads[v.name];
    if (g) out.set(pname, g);
  }
  return out;
}

function globalNorm(grads: Map<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.addN([...grads.values()].map((g) => g.square().sum())).sqrt() as tf.Scalar);
}
