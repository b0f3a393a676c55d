/**
 * The 2-D toy recipes of the mode-coverage lab: vanilla GAN, Diffusion-GAN and DD-GAN,
 * trained one iteration at a time so a worker can interleave steps with drawing.
 *
 *   gan            non-saturating GAN: L_D = softplus(−D(x)) + softplus(D(G(z))),
 *                  L_G = softplus(−D(G(z))).
 *   diffusion-gan  the same losses on diffused points y = √ᾱ_t x + √(1−ᾱ_t) σ ε (real and
 *                  fake alike, differentiably for G), t fed to D, and the adaptive T of
 *                  DESIGN §2.5 (`AdaptiveT` in ../diffusion/diffusionGan.ts).
 *   ddgan          DESIGN §2.2 on points: real pair (x_{k−1}, x_k) from `qSamplePairs`, fake
 *                  x′_{k−1} ~ q(x_{k−1} | x_k, x̂₀) with x̂₀ = G(x_k, k, z), pair discriminator
 *                  D(x_{k−1}, x_k, k), T large steps of the VP schedule of §2.1.
 *
 * One iteration is the GAN step of ../training/ganStep.ts (D update with optional lazy R1
 * w.r.t. D's first input — the point, the diffused point, x_{k−1} —, G update, EMA of G when
 * `emaDecay` > 0), with D run once over reals and fakes together. The recipes are listed in
 * `TOY_TRAINERS` at the end of this file (ids, labels, defaults: src/shared/recipes.ts).
 *
 * Coordinates: the networks see points × `dataScale` ("model coordinates"); everything a
 * caller gets back (samples, trajectories) is in data coordinates. DD-GAN's noise prior
 * N(0, I) and Diffusion-GAN's σ are in model coordinates, which is why the scale matters:
 * with dataScale 0.25 the 25-Gaussians grid spans [−1, 1], the range Diffusion-GAN's
 * σ = 0.05 was chosen for.
 *
 * DD-GAN works at dataScale 4, so that its last step is nearly a denoiser and the choice of
 * mode falls to the earlier, noisier steps (BENCHMARKS.md, "Toy lab: tuning the recipes").
 *
 * All randomness (data, z, t/k, noise) comes from one Rng whose state is part of the
 * training state, so `stateJson()` + `stateTensors()` resume a run bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import { Network } from '../models/network';
import type {
  FourierFeatures,
  Mlp2dActivation,
  Mlp2dCondGeneratorConfig,
  Mlp2dDiscriminatorConfig,
  Mlp2dGeneratorConfig,
  Mlp2dPairDiscriminatorConfig,
  Mlp2dTimeDiscriminatorConfig,
} from '../models/mlp2d';
import { ddganSchedule, type DdganSchedule } from '../diffusion/schedule';
import { ddganDenoiser } from '../diffusion/denoiser';
import { runSampler } from '../diffusion/pipeline';
import { createSampler } from '../diffusion/samplers/registry';
import { defaultSpec } from '../diffusion/samplers/specs';
import { AdaptiveT, diffuse, type AdaptiveTStateJson, type DiffusionGanSettings } from '../diffusion/diffusionGan';
import type { Adam } from '../training/adam';
import { checkFinite, ganOptimizers, ganStep, type DiscriminatorBatch } from '../training/ganStep';
import { drawTrainingPair, fakePrev, type DdganTrainingDraw } from '../training/ddganTrainer';
import { TOY_COMMON_DEFAULTS, TOY_RECIPE_DEFAULTS, TOY_RECIPE_IDS, type ToyRecipeId } from '../../shared/recipes';
import { sampleToy, toyDataStd, type ToyDatasetName } from './data';

export const TOY_RECIPES = TOY_RECIPE_IDS;
export type ToyRecipe = ToyRecipeId;

export interface ToyCommonConfig {
  readonly dataset: ToyDatasetName;
  readonly seed: number;
  readonly batch: number;
  /** Latent size of G. */
  readonly nz: number;
  readonly hiddenG: number;
  readonly layersG: number;
  readonly activationG: Mlp2dActivation;
  readonly hiddenD: number;
  readonly layersD: number;
  readonly activationD: Mlp2dActivation;
  readonly lrG: number;
  readonly lrD: number;
  readonly beta1: number;
  readonly beta2: number;
  /** R1 weight γ on the reals (0 = off). */
  readonly r1Gamma: number;
  /** Apply R1 every this many iterations, scaled by it (lazy R1, as the image trainer). */
  readonly r1Every: number;
  /** Model coordinates = data coordinates × dataScale. */
  readonly dataScale: number;
  /** EMA decay of G (0 = no EMA copy; samples come from the raw G). */
  readonly emaDecay: number;
  /** Number of random Fourier features of the point inputs (models/mlp2d.ts). */
  readonly fourierFeatures: number;
  /** Std of D's Fourier frequencies in cycles per data unit (0 = raw points). */
  readonly fourierD: number;
  /** The same for G's point input x_k (DD-GAN only; a latent z is never embedded). */
  readonly fourierG: number;
}

export interface GanRecipeConfig extends ToyCommonConfig {
  readonly recipe: 'gan';
}

export interface DiffusionGanRecipeConfig extends ToyCommonConfig, DiffusionGanSettings {
  readonly recipe: 'diffusion-gan';
}

export interface DdganRecipeConfig extends ToyCommonConfig {
  readonly recipe: 'ddgan';
  /** Number of denoising steps (1, 2, 4 or 8 in the lab). */
  readonly T: number;
  readonly tEmbedDim: number;
  /** Skip-connected generator x̂₀ = c_skip x_k + c_out F (models/mlp2d.ts `condGeneratorSkip`). */
  readonly skip: boolean;
}

export type ToyRecipeConfig = GanRecipeConfig | DiffusionGanRecipeConfig | DdganRecipeConfig;
export type ToyRecipeConfigOf<R extends ToyRecipe> = Extract<ToyRecipeConfig, { recipe: R }>;

/**
 * A recipe's config: the shared toy defaults, the recipe's own (src/shared/recipes.ts; the
 * measurements behind them are in BENCHMARKS.md, "Toy lab: tuning the recipes"), then
 * `overrides`. Frozen.
 */
export function defaultToyConfig<R extends ToyRecipe>(
  recipe: R,
  overrides: Partial<Omit<ToyRecipeConfigOf<R>, 'recipe'>> = {},
): ToyRecipeConfigOf<R> {
  if (!Object.prototype.hasOwnProperty.call(TOY_RECIPE_DEFAULTS, recipe)) {
    throw new Error(`unknown toy recipe "${recipe as string}"; use one of ${TOY_RECIPES.join(', ')}`);
  }
  const cfg = { ...TOY_COMMON_DEFAULTS, recipe, ...TOY_RECIPE_DEFAULTS[recipe] } as ToyRecipeConfig;
  return Object.freeze({ ...cfg, ...overrides }) as ToyRecipeConfigOf<R>;
}

interface ToyStepStatsBase {
  readonly iteration: number;
  readonly lossD: number;
  readonly lossG: number;
  /** Mean discriminator logit on the real / fake batch of the D step. */
  readonly dReal: number;
  readonly dFake: number;
  /** Mean sigmoid(D) on the real / fake batch (the "probability real"). */
  readonly pReal: number;
  readonly pFake: number;
  /** R1 penalty E‖∇D‖² (before γ/2); NaN on iterations without R1. */
  readonly r1: number;
  readonly ms: number;
}

export type ToyStepStats =
  | (ToyStepStatsBase & { readonly recipe: 'gan' })
  | (ToyStepStatsBase & {
      readonly recipe: 'diffusion-gan';
      /** T after this iteration's adaptive update (if any). */
      readonly T: number;
      readonly p: number;
      /** r_d of the last completed adaptive-T interval (NaN before the first). */
      readonly rd: number;
      /** Whether T/p were updated at this iteration. */
      readonly adapted: boolean;
    })
  | (ToyStepStatsBase & { readonly recipe: 'ddgan'; readonly T: number });

/** One DD-GAN sampling step, in data coordinates. */
export interface ToyTrajectoryStep {
  /** The step index k of the input x_k (T..1). */
  readonly k: number;
  /** x_k, row-major [n × 2]. */
  readonly xK: Float32Array;
  /** The generator's x̂₀ = G(x_k, k, z). */
  readonly x0Pred: Float32Array;
}

export interface ToySample {
  /** Generated points, row-major [n × 2], data coordinates. */
  readonly points: Float32Array;
  readonly n: number;
  /** DD-GAN only: the steps k = T..1 (x_T first); null for one-shot generators. */
  readonly trajectory: ToyTrajectoryStep[] | null;
}

export interface ToySampleOptions {
  /** Sample from the EMA generator when there is one (default true). */
  readonly ema?: boolean;
}

export interface ToyTrainerStateJson {
  readonly format: 'ddgan-web/toy-trainer@1';
  readonly config: ToyRecipeConfig;
  readonly iteration: number;
  readonly rng: number[];
  readonly optGSteps: number;
  readonly optDSteps: number;
  /** Diffusion-GAN's adaptive-T state; null for the other recipes. */
  readonly adaptive: AdaptiveTStateJson | null;
}

/** A trainer for any toy recipe; build one with `createToyTrainer`. */
export abstract class ToyTrainer<C extends ToyRecipeConfig = ToyRecipeConfig> {
  readonly rng: Rng;
  readonly optG: Adam;
  readonly optD: Adam;
  readonly Gema: Network | null;
  iteration = 0;

  protected constructor(
    readonly config: C,
    readonly G: Network,
    readonly D: Network,
  ) {
    this.rng = new Rng(config.seed);
    const { optG, optD } = ganOptimizers(G, D, config);
    this.optG = optG;
    this.optD = optD;
    this.Gema = config.emaDecay > 0 ? G.clone() : null;
  }

  get recipe(): C['recipe'] {
    return this.config.recipe;
  }

  /** A batch of real points in model coordinates. */
  protected realBatch(n = this.config.batch): tf.Tensor2D {
    const { points } = sampleToy(this.config.dataset, n, this.rng);
    return tf.tidy(() => tf.tensor2d(points, [n, 2]).mul(this.config.dataScale));
  }

  protected latent(n: number): tf.Tensor2D {
    return tf.tensor2d(this.rng.normalArray(n * this.config.nz), [n, this.config.nz]);
  }

  protected noise(n: number): tf.Tensor2D {
    return tf.tensor2d(this.rng.normalArray(n * 2), [n, 2]);
  }

  /** D's real and fake inputs for the D step (fakes need no gradient to G). */
  protected abstract discriminatorInputs(): DiscriminatorBatch;
  /** Draws the G step's randomness; returns D's fake inputs as a function of G (run on the tape). */
  protected abstract generatorFakes(): () => tf.Tensor[];
  /**
   * After the iteration count went up: Σ sign(D(real)) of the D step over `realCount`
   * logits (Diffusion-GAN's r_d). Returns the recipe's extra statistics.
   */
  protected abstract afterStep(realSignSum: number, realCount: number): Record<string, unknown>;

  /** One D update and one G update. Resolves with plain-number statistics. */
  async step(): Promise<ToyStepStats> {
    const t0 = performance.now();
    const { r1Gamma, r1Every, emaDecay, recipe } = this.config;
    const v = await ganStep(
      this,
      { discriminatorBatch: () => this.discriminatorInputs(), generatorFakes: () => this.generatorFakes() },
      // one D pass over reals and fakes together: half the kernel launches of two passes
      { iteration: this.iteration, r1Gamma, r1Every, emaDecay, jointPass: true, probabilities: true },
    );
    const iteration = ++this.iteration;
    const extra = this.afterStep(v.realSignSum, v.realCount);
    const { lossD, lossG, dReal, dFake, pReal, pFake, r1 } = v;
    const stats = { recipe, iteration, lossD, lossG, dReal, dFake, pReal, pFake, r1, ms: performance.now() - t0, ...extra } as ToyStepStats;
    checkFinite(`toy ${recipe}`, iteration, { lossD, lossG, dReal, dFake });
    return stats;
  }

  /** Generates n points (and, for DD-GAN, the trajectory) from `rng`. */
  abstract sample(n: number, rng: Rng, opts?: ToySampleOptions): Promise<ToySample>;

  protected generatorFor(opts?: ToySampleOptions): Network {
    return (opts?.ema ?? true) && this.Gema ? this.Gema : this.G;
  }

  /** n points from a one-shot generator G(z), z from `rng`. */
  protected async sampleOneShot(n: number, rng: Rng, opts?: ToySampleOptions): Promise<ToySample> {
    const G = this.generatorFor(opts);
    const x = tf.tidy(() => G.apply(tf.tensor2d(rng.normalArray(n * this.config.nz), [n, this.config.nz])));
    const points = await toData(x, this.config.dataScale);
    x.dispose();
    return { points, n, trajectory: null };
  }

  /** Plain-JSON part of the resumable state (the config included). */
  stateJson(): ToyTrainerStateJson {
    return {
      format: 'ddgan-web/toy-trainer@1',
      config: this.config,
      iteration: this.iteration,
      rng: this.rng.getState(),
      optGSteps: this.optG.steps,
      optDSteps: this.optD.steps,
      adaptive: null,
    };
  }

  /**
   * The tensors of the resumable state: the networks (`G/…`, `D/…`, `Gema/…`) and both
   * optimisers' moments. These are the trainer's live variables: copy or serialise them
   * before the next `step()`, do not dispose them.
   */
  stateTensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    const nets: [string, Network | null][] = [['G/', this.G], ['D/', this.D], ['Gema/', this.Gema]];
    for (const [prefix, net] of nets) {
      if (!net) continue;
      for (const [name, v] of net.params.vars) out[`${prefix}${name}`] = v;
    }
    return { ...out, ...this.optG.stateTensors('optG/'), ...this.optD.stateTensors('optD/') };
  }

  /** Restores a state saved by `stateJson()` / `stateTensors()` of a trainer with the same config. */
  loadState(json: ToyTrainerStateJson, tensors: Record<string, tf.Tensor>): void {
    if (json.format !== 'ddgan-web/toy-trainer@1') throw new Error(`not a toy trainer state: ${String(json.format)}`);
    if (json.config.recipe !== this.config.recipe) {
      throw new Error(`the state is for a ${json.config.recipe} run, this trainer is ${this.config.recipe}`);
    }
    const nets: [string, Network | null][] = [['G/', this.G], ['D/', this.D], ['Gema/', this.Gema]];
    for (const [prefix, net] of nets) {
      if (!net) continue;
      for (const [name, v] of net.params.vars) {
        const src = tensors[`${prefix}${name}`];
        if (!src) throw new Error(`parameter ${prefix}${name} is missing from the saved state`);
        v.assign(src);
      }
    }
    this.optG.loadState(tensors, 'optG/', json.optGSteps);
    this.optD.loadState(tensors, 'optD/', json.optDSteps);
    this.iteration = json.iteration;
    this.rng.setState(json.rng);
  }

  /** Parameter counts of G and D. */
  paramCounts(): { G: number; D: number } {
    return { G: this.G.paramCount(), D: this.D.paramCount() };
  }

  dispose(): void {
    this.optG.dispose();
    this.optD.dispose();
    this.G.dispose();
    this.D.dispose();
    this.Gema?.dispose();
  }
}

async function toData(x: tf.Tensor, scale: number): Promise<Float32Array> {
  const scaled = tf.tidy(() => x.div(scale));
  const out = (await scaled.data()) as Float32Array;
  scaled.dispose();
  return out;
}

function mlpShape(cfg: ToyCommonConfig, net: 'G' | 'D') {
  const scale = net === 'G' ? cfg.fourierG : cfg.fourierD;
  const fourier: FourierFeatures | null =
    scale > 0 && cfg.fourierFeatures > 0 ? { features: cfg.fourierFeatures, scale, seed: net === 'G' ? 1 : 2 } : null;
  const pointScale = cfg.dataScale; // the layers work in data units
  return net === 'G'
    ? { hidden: cfg.hiddenG, layers: cfg.layersG, activation: cfg.activationG, fourier, pointScale }
    : { hidden: cfg.hiddenD, layers: cfg.layersD, activation: cfg.activationD, fourier, pointScale };
}

// ---------------------------------------------------------------------------------------
// vanilla GAN

export class GanToyTrainer extends ToyTrainer<GanRecipeConfig> {
  constructor(config: GanRecipeConfig) {
    const gCfg: Mlp2dGeneratorConfig = { kind: 'mlp2d-generator', nz: config.nz, ...mlpShape(config, 'G'), fourier: null };
    const dCfg: Mlp2dDiscriminatorConfig = { kind: 'mlp2d-discriminator', ...mlpShape(config, 'D') };
    super(config, Network.create(gCfg, config.seed * 2 + 1), Network.create(dCfg, config.seed * 2 + 2));
  }

  protected discriminatorInputs(): DiscriminatorBatch {
    const n = this.config.batch;
    const real = this.realBatch(n);
    const fake = this.G.apply(this.latent(n));
    return { real: [real], fake: [fake] };
  }

  protected generatorFakes(): () => tf.Tensor[] {
    const z = this.latent(this.config.batch);
    return () => [this.G.apply(z)];
  }

  protected afterStep(): Record<string, unknown> {
    return {};
  }

  sample(n: number, rng: Rng, opts?: ToySampleOptions): Promise<ToySample> {
    return this.sampleOneShot(n, rng, opts);
  }
}

// ---------------------------------------------------------------------------------------
// Diffusion-GAN

export class DiffusionGanToyTrainer extends ToyTrainer<DiffusionGanRecipeConfig> {
  private readonly adaptive: AdaptiveT;

  constructor(config: DiffusionGanRecipeConfig) {
    if (!(config.tMin >= 1 && config.tMax >= config.tMin)) {
      throw new RangeError(`need 1 ≤ tMin ≤ tMax, got tMin ${config.tMin}, tMax ${config.tMax}`);
    }
    const gCfg: Mlp2dGeneratorConfig = { kind: 'mlp2d-generator', nz: config.nz, ...mlpShape(config, 'G'), fourier: null };
    const dCfg: Mlp2dTimeDiscriminatorConfig = {
      kind: 'mlp2d-t-discriminator',
      tMax: config.tMax,
      tEmbedDim: 16,
      ...mlpShape(config, 'D'),
    };
    super(config, Network.create(gCfg, config.seed * 2 + 1), Network.create(dCfg, config.seed * 2 + 2));
    this.adaptive = new AdaptiveT(config);
  }

  /** The current adaptive state (T, p) and the last r_d. */
  get diffusion(): { T: number; p: number; rd: number } {
    return { T: this.adaptive.T, p: this.adaptive.p, rd: this.adaptive.rd };
  }

  private steps(n: number): tf.Tensor1D {
    return tf.tensor1d(this.adaptive.drawSteps(n, this.rng), 'int32');
  }

  /** y = √ᾱ_t x + √(1−ᾱ_t) σ ε (differentiable in x). */
  private diffuse(x: tf.Tensor, t: tf.Tensor1D, eps: tf.Tensor2D): tf.Tensor2D {
    return diffuse(this.adaptive.schedule, x, t, eps, this.config.noiseStd) as tf.Tensor2D;
  }

  protected discriminatorInputs(): DiscriminatorBatch {
    const n = this.config.batch;
    const x = this.realBatch(n);
    const tReal = this.steps(n);
    const yReal = this.diffuse(x, tReal, this.noise(n));
    const xFake = this.G.apply(this.latent(n));
    const tFake = this.steps(n);
    const yFake = this.diffuse(xFake, tFake, this.noise(n));
    return { real: [yReal, tReal], fake: [yFake, tFake] };
  }

  protected generatorFakes(): () => tf.Tensor[] {
    const n = this.config.batch;
    const z = this.latent(n);
    const t = this.steps(n);
    const eps = this.noise(n);
    return () => [this.diffuse(this.G.apply(z), t, eps), t];
  }

  protected afterStep(realSignSum: number, realCount: number): Record<string, unknown> {
    const a = this.adaptive;
    a.observe(realSignSum, realCount, this.iteration);
    return { T: a.T, p: a.p, rd: a.rd, adapted: a.adapted };
  }

  sample(n: number, rng: Rng, opts?: ToySampleOptions): Promise<ToySample> {
    return this.sampleOneShot(n, rng, opts);
  }

  stateJson(): ToyTrainerStateJson {
    return { ...super.stateJson(), adaptive: this.adaptive.toJson() };
  }

  loadState(json: ToyTrainerStateJson, tensors: Record<string, tf.Tensor>): void {
    super.loadState(json, tensors);
    if (!json.adaptive) throw new Error('the saved Diffusion-GAN state has no adaptive-T part');
    this.adaptive.load(json.adaptive);
  }
}

// ---------------------------------------------------------------------------------------
// DD-GAN

export class DdganToyTrainer extends ToyTrainer<DdganRecipeConfig> {
  readonly schedule: DdganSchedule;

  constructor(config: DdganRecipeConfig) {
    const gCfg: Mlp2dCondGeneratorConfig = {
      kind: 'mlp2d-cond-generator',
      T: config.T,
      nz: config.nz,
      tEmbedDim: config.tEmbedDim,
      sigmaData: config.skip ? toyDataStd(config.dataset) * config.dataScale : null,
      ...mlpShape(config, 'G'),
    };
    const dCfg: Mlp2dPairDiscriminatorConfig = {
      kind: 'mlp2d-pair-discriminator',
      T: config.T,
      tEmbedDim: config.tEmbedDim,
      ...mlpShape(config, 'D'),
    };
    const schedule = ddganSchedule(config.T);
    super(config, Network.create(gCfg, config.seed * 2 + 1), Network.create(dCfg, config.seed * 2 + 2));
    this.schedule = schedule;
  }

  private steps(n: number): tf.Tensor1D {
    return tf.tensor1d(Array.from({ length: n }, () => 1 + this.rng.int(this.config.T)), 'int32');
  }

  /** A real pair and the generator's randomness for its fake (`drawTrainingPair`). */
  private pair(n: number): DdganTrainingDraw {
    return drawTrainingPair(this.schedule, this.realBatch(n), this.steps(n), this.config.nz, this.rng);
  }

  protected discriminatorInputs(): DiscriminatorBatch {
    const draw = this.pair(this.config.batch);
    const { xPrev, xK, k } = draw;
    return { real: [xPrev, xK, k], fake: [fakePrev(this.schedule, this.G, draw), xK, k] };
  }

  protected generatorFakes(): () => tf.Tensor[] {
    const draw = this.pair(this.config.batch);
    return () => [fakePrev(this.schedule, this.G, draw), draw.xK, draw.k];
  }

  protected afterStep(): Record<string, unknown> {
    return { T: this.config.T };
  }

  /**
   * DESIGN §2.2 sampling: x_T ~ N(0, I); for k = T..1: x̂₀ = G(x_k, k, z),
   * x_{k−1} ~ q(x_{k−1} | x_k, x̂₀). The trajectory holds x_k and x̂₀ of every step.
   */
  async sample(n: number, rng: Rng, opts?: ToySampleOptions): Promise<ToySample> {
    const model = ddganDenoiser(this.generatorFor(opts) as Network<Mlp2dCondGeneratorConfig>, this.schedule);
    const { dataScale } = this.config;
    const trajectory: ToyTrajectoryStep[] = [];
    // The image sampler's pipeline and posterior step, on points of shape n × 2.
    const x = await runSampler(model, createSampler(defaultSpec('ddgan'), model), {
      batch: n,
      rng,
      onStep: async (step) => {
        trajectory.push({ k: step.t, xK: await toData(step.x, dataScale), x0Pred: await toData(step.x0Pred, dataScale) });
      },
    });
    const points = await toData(x, dataScale);
    x.dispose();
    return { points, n, trajectory };
  }
}

// ---------------------------------------------------------------------------------------

/**
 * The toy recipes by id: how to build each one's trainer from its config. Adding a recipe:
 * its plain description and defaults in src/shared/recipes.ts, its config type and trainer
 * class here, one line below, and its entry in the recipe contract test.
 */
export const TOY_TRAINERS: { readonly [R in ToyRecipe]: (config: ToyRecipeConfigOf<R>) => ToyTrainer } = {
  gan: (config) => new GanToyTrainer(config),
  'diffusion-gan': (config) => new DiffusionGanToyTrainer(config),
  ddgan: (config) => new DdganToyTrainer(config),
};

/** A fresh trainer for a recipe config (deterministic in `config.seed`). */
export function createToyTrainer(config: ToyRecipeConfig): ToyTrainer {
  const create = TOY_TRAINERS[config.recipe] as ((c: ToyRecipeConfig) => ToyTrainer) | undefined;
  if (!create) throw new Error(`unknown toy recipe "${String(config.recipe)}"; use one of ${TOY_RECIPES.join(', ')}`);
  return create(config);
}

/** Rebuilds a trainer from a saved state (config included), ready to take the next step. */
export function restoreToyTrainer(json: ToyTrainerStateJson, tensors: Record<string, tf.Tensor>): ToyTrainer {
  const trainer = createToyTrainer(json.config);
  trainer.loadState(json, tensors);
  return trainer;
}
