/**
 * What the image-GAN training recipes share. Every recipe trains the DD-GAN generator
 * G(x_k, k, z) (so sampling, previews and export never depend on the recipe); they differ
 * in what the discriminator sees. The recipes are listed in ./recipes/registry.ts.
 *
 * One iteration (`ImageGanTrainerBase.step`) is the GAN step of ./ganStep.ts (D step with
 * lazy R1, G step, EMA of G) on the recipe's real and fake inputs of D, then the recipe's
 * own bookkeeping (`afterStep`).
 *
 * All randomness (batch indices, flips, steps, noise, z) comes from the trainer's one Rng,
 * whose state is part of the resumable state, so a resumed run takes the same next step
 * bit for bit.
 */
import type * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import { Network, type NetworkConfig } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import { ddganSchedule, type DdganSchedule } from '../diffusion/schedule';
import type { AdaptiveTStateJson } from '../diffusion/diffusionGan';
import { batchTensor, randomIndices, type ImageDataset } from '../data/dataset';
import { IMAGE_GAN_DEFAULTS, type TrainingRecipeId } from '../../shared/recipes';
import type { Adam } from './adam';
import { checkFinite, ganOptimizers, ganStep, type DiscriminatorBatch } from './ganStep';
import { augmentInputs, type Augmentation } from './diffAugment';
import type { IterationStats } from '../../shared/training';

export { TrainingDiverged, type DiscriminatorBatch } from './ganStep';
export type { AdaptiveTStateJson } from '../diffusion/diffusionGan';

export type ImageGanRecipe = TrainingRecipeId;

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
  /**
   * Differentiable augmentation of everything D sees, reals and fakes alike
   * (./diffAugment.ts); absent or empty: none. Its draws come from the run's random stream.
   */
  readonly augment?: readonly Augmentation[];
}

/** The defaults of the shared settings (the official CIFAR-10 optimiser, DESIGN §2.2). */
export function defaultImageGanTrainConfig(): ImageGanTrainConfig {
  return { ...IMAGE_GAN_DEFAULTS };
}

/** One iteration's statistics: the numbers the tab charts (IterationStats) and a few more. */
export interface TrainStepStats extends IterationStats {
  readonly gradNormD: number;
  readonly gradNormG: number;
  readonly emaDecay: number;
  /** Diffusion-GAN only: the position p ∈ [0, 1] of T_dg between T_min and T_max. */
  readonly p?: number;
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

/** Fresh networks for a run: G from seed·2+1, D from seed·2+2, the EMA copy equal to G. */
export function freshGanNetworks<DC extends NetworkConfig>(
  gConfig: GeneratorConfig,
  dConfig: DC,
  seed: number,
): { G: Network<GeneratorConfig>; D: Network<DC>; Gema: Network<GeneratorConfig> } {
  const G = Network.create(gConfig, seed * 2 + 1);
  const D = Network.create(dConfig, seed * 2 + 2);
  return { G, D, Gema: G.clone() };
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
    ({ optG: this.optG, optD: this.optD } = ganOptimizers(G, D, config));
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
    const { r1Gamma, r1Every, emaDecay } = this.config;
    const policy = this.config.augment ?? [];
    const v = await ganStep(
      this,
      { discriminatorBatch: () => this.discriminatorBatch(), generatorFakes: () => this.generatorFakes() },
      {
        iteration: this.iteration,
        r1Gamma,
        r1Every,
        emaDecay,
        gradNorms: true,
        augment: policy.length > 0 ? (inputs) => augmentInputs(inputs, policy, this.rng) : undefined,
      },
    );
    const iteration = ++this.iteration;
    const extra = this.afterStep(v.realSignSum, v.realCount);
    const stats: TrainStepStats = {
      iteration,
      lossD: v.lossD,
      lossG: v.lossG,
      r1: v.r1,
      dReal: v.dReal,
      dFake: v.dFake,
      gradNormD: v.gradNormD,
      gradNormG: v.gradNormG,
      emaDecay: v.emaDecay,
      ms: performance.now() - t0,
      ...extra,
    };
    const { lossD, lossG, dReal, dFake, gradNormD, gradNormG } = stats;
    checkFinite('training', iteration, { lossD, lossG, dReal, dFake, gradNormD, gradNormG });
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
