/**
 * The 2-D toy recipes of the mode-coverage lab: vanilla GAN, Diffusion-GAN and DD-GAN,
 * trained one iteration at a time so a worker can interleave steps with drawing.
 *
 *   gan            non-saturating GAN: L_D = softplus(−D(x)) + softplus(D(G(z))),
 *                  L_G = softplus(−D(G(z))).
 *   diffusion-gan  the same losses on diffused points y = √ᾱ_t x + √(1−ᾱ_t) σ ε (real and
 *                  fake alike, differentiably for G), t fed to D, and the adaptive T of
 *                  DESIGN §2.5 (`adaptT` in ./diffusionGan).
 *   ddgan          DESIGN §2.2 on points: real pair (x_{k−1}, x_k) from `qSamplePairs`, fake
 *                  x′_{k−1} ~ q(x_{k−1} | x_k, x̂₀) with x̂₀ = G(x_k, k, z), pair discriminator
 *                  D(x_{k−1}, x_k, k), T large steps of the VP schedule of §2.1.
 *
 * One iteration = one D update + one G update (Adam, keyed by parameter name), then the EMA
 * of G when `emaDecay` > 0 (warmed up as min(decay, (1+i)/(10+i)), DESIGN §2.2). Optional R1
 * on the reals, γ/2 · E‖∇D‖², w.r.t. D's first input (the point, the diffused point, x_{k−1}).
 *
 * Coordinates: the networks see points × `dataScale` ("model coordinates"); everything a
 * caller gets back (samples, trajectories) is in data coordinates. DD-GAN's noise prior
 * N(0, I) and Diffusion-GAN's σ are in model coordinates, which is why the scale matters:
 * with dataScale 0.25 the 25-Gaussians grid spans [−1, 1], the range Diffusion-GAN's
 * σ = 0.05 was chosen for.
 *
 * DD-GAN uses dataScale 4. With T = 4 steps of the VP schedule, the last step's input is
 * x_1 = √ᾱ₁ x₀ + √(1−ᾱ₁) ε with √(1−ᾱ₁)/√ᾱ₁ ≈ 0.95 model units. At dataScale 0.25 that is
 * ≈ 3.8 data units: q(x₀ | x_1) spreads over several modes 2 apart, and the small MLP
 * generator never learned to sample it sharply (1–2 % high-quality samples, what points
 * spread evenly over the grid score). At dataScale 4 it is ≈ 0.24 data units, the last
 * step is nearly a denoiser, and the choice of mode moves to the earlier, noisier steps,
 * where G does learn it. The prior stays N(0, I): √ᾱ_T times the data's std (2.8 × 4) is
 * below 0.1. Measured with the same budget: 25 of 25 modes, high-quality share rising from
 * ≈ 1 % to the values in README's "Mode-coverage benchmark".
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
import { qSamplePairs, samplePosterior } from '../diffusion/ddgan';
import { ddganDenoiser } from '../diffusion/denoiser';
import { runSampler } from '../diffusion/pipeline';
import { createSampler } from '../diffusion/samplers/registry';
import { defaultSpec } from '../diffusion/samplers/specs';
import { Adam } from '../training/adam';
import { TrainingDiverged } from '../training/ddganTrainer';
import { sampleToy, toyDataStd, type ToyDatasetName } from './data';
import {
  adaptT,
  diffusionGanSchedule,
  sampleDiffusionSteps,
  tFromP,
  type AdaptiveTState,
  type DiffusionGanSchedule,
  type DiffusionGanSettings,
} from './diffusionGan';

export const TOY_RECIPES = ['gan', 'diffusion-gan', 'ddgan'] as const;
export type ToyRecipe = (typeof TOY_RECIPES)[number];

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
 * Defaults for 25 Gaussians: 3 hidden layers × 128 (ReLU in G, leaky ReLU in D), batch 256,
 * and an EMA of G (0.999) for every recipe, so that the comparison is about the objectives.
 * What they reach is measured by `npm run bench:modes` (README, "Mode-coverage benchmark").
 * Choices measured at 2,000–12,000 iterations on 25 Gaussians (seed 0, modes / high-quality
 * share of 2,500 EMA samples):
 *  - G's hidden layers use ReLU. Every recipe gained from it, the one-shot generators most:
 *    at 6,000 iterations Diffusion-GAN 25 / 74 % (leaky ReLU: 23 / 42 %), the GAN 23 / 69 %
 *    (20 / 18 %); DD-GAN T = 4 reached 88 % at 3,000 (81 %). The slopes of a leaky-ReLU
 *    MLP never vanish, so squeezing a patch of the 2-D latent plane into one 3-std disk takes
 *    large weights; ReLU units switch off, G learns nearly flat pieces that land inside the
 *    disks, and the samples between modes shrink to the narrow seams. Diffusion-GAN kept rising: 85 / 88 / 91 % at 8,000 /
 *    10,000 / 12,000, which is why the benchmark's budget is 12,000 iterations.
 *  - Tried on the leaky-ReLU Diffusion-GAN at 6,000 iterations, none of which moved it far
 *    from 23 / 42 %: decaying both learning rates linearly to 0 over the second half 23 / 42 %,
 *    batch 1024 25 / 45 %, EMA 0.9995 23 / 38 %, uniform instead of priority steps 23 / 38 %,
 *    T_max 100 23 / 36 %, no EMA with the decay 23 / 44 %.
 *  - GAN and Diffusion-GAN discriminators see raw points. With random Fourier features
 *    (1 cycle per data unit) D told real from fake so easily that the GAN collapsed onto one
 *    mode, and Diffusion-GAN's r_d stayed above any target, its T ran to T_max and its
 *    samples spread between the modes (14 modes, 2 % high quality); with 0.25 cycles it
 *    collapsed onto 2 modes. On raw points both cover 15–25 modes.
 *  - Diffusion-GAN's d_target is 0.3: a raw-point D's r_d sits between 0.3 and 0.5, so at
 *    the images' 0.6 the adaptive T never left T_min.
 *  - Diffusion-GAN variants with a leaky-ReLU G at 6,000 iterations: those defaults 23 / 38 %
 *    (T at T_max = 500 from about 3,000 on; with the ReLU G, T rises to ≈ 70 by 2,000 and
 *    is back at T_min by 4,500); σ = 0.25 instead of 0.05 (five times the noise) 22 / 44 %;
 *    lr 2e-3 for both 19 / 46 %; at 3,000:
 *    lr_G 2e-4 21 / 14 % (defaults 25 / 25 %); at 2,000: R1 γ = 0.1 21 / 6 %, γ = 1 18 / 2 %
 *    (defaults 21 / 18 %); D on 0.25-cycle Fourier features with σ = 0.5: one mode from
 *    1,000 on, even with T at T_max. Without the EMA of G it loses 10–17 points. Wider or
 *    deeper networks trade modes for precision: 256-unit layers 22 / 52 %, 4 layers 15 / 53 %;
 *    a latent of 8 instead of 2: 20 / 31 %; 16 with 256-unit G collapsed (T stayed at T_min).
 *    dataScale does not touch the vanilla GAN (its layers work in data units).
 *  - DD-GAN trains at lr 2e-3 (72 % high-quality samples at 4,000 iterations, against 67 %
 *    at 1e-3 and 51 % at 5e-4); decaying it to 0 over the second half of a run did not help.
 *  - DD-GAN's pair discriminator sees Fourier features of 0.25 cycles per data unit. Share
 *    of high-quality samples at 1,000 / 2,000 / 3,000 iterations (seed 0, all 25 modes
 *    covered from 2,000 on): 1 cycle 37 / 59 / 70 %, 2 cycles 10 / 20 % (stopped), 0.5
 *    cycles 57 / 72 / 77 %, 0.35 cycles 63 / 75 / 81 %, 0.25 cycles 66 / 78 / 81 %, raw
 *    points 9 / 51 % (stopped). Halving G's frequencies as well changed nothing (78 % at
 *    3,000). Without the EMA of G the same runs lose 8–15 points.
 */
export function defaultToyConfig<R extends ToyRecipe>(
  recipe: R,
  overrides: Partial<Omit<ToyRecipeConfigOf<R>, 'recipe'>> = {},
): ToyRecipeConfigOf<R> {
  const common: ToyCommonConfig = {
    dataset: 'grid25',
    seed: 0,
    batch: 256,
    nz: 2,
    hiddenG: 128,
    layersG: 3,
    activationG: 'relu',
    hiddenD: 128,
    layersD: 3,
    activationD: 'leakyRelu',
    lrG: 1e-3,
    lrD: 1e-3,
    beta1: 0.5,
    beta2: 0.9,
    r1Gamma: 0,
    r1Every: 4,
    dataScale: 0.25,
    emaDecay: 0.999,
    fourierFeatures: 32,
    fourierD: 1,
    fourierG: 1,
  };
  let cfg: ToyRecipeConfig;
  switch (recipe) {
    case 'gan':
      cfg = { ...common, recipe: 'gan', fourierD: 0 };
      break;
    case 'diffusion-gan':
      cfg = {
        ...common,
        recipe: 'diffusion-gan',
        fourierD: 0,
        noiseStd: 0.05,
        tMin: 5,
        tMax: 500,
        target: 0.3,
        delta: 0.01,
        adaptEvery: 4,
        pInit: 0,
        tDist: 'priority',
        cleanShare: 0.5,
      };
      break;
    case 'ddgan':
      cfg = { ...common, recipe: 'ddgan', T: 4, tEmbedDim: 16, nz: 2, skip: true, dataScale: 4, lrG: 2e-3, lrD: 2e-3, fourierD: 0.25 };
      break;
    default:
      throw new Error(`unknown toy recipe "${recipe as string}"; use one of ${TOY_RECIPES.join(', ')}`);
  }
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
  readonly adaptive: { p: number; T: number; rdSum: number; rdCount: number; rd: number } | null;
}

type DInputs = tf.Tensor[];

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
    const adam = (lr: number) => ({ lr, beta1: config.beta1, beta2: config.beta2, eps: 1e-8 });
    this.optG = new Adam(G.params, adam(config.lrG));
    this.optD = new Adam(D.params, adam(config.lrD));
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
  protected abstract discriminatorInputs(): { real: DInputs; fake: DInputs };
  /** D's logits on fresh fakes, differentiable w.r.t. G (called inside the G step's tape). */
  protected abstract generatorLogits(): { run: () => tf.Tensor1D };
  /** Hook after the D step with D's logits on the reals (Diffusion-GAN's r_d). */
  protected onRealLogits(_dReal: Float32Array | null): void {}
  /** Per-iteration extras for the stats. */
  protected abstract extraStats(): Record<string, unknown>;
  protected abstract wantsRealLogits(): boolean;

  /** One D update and one G update. Resolves with plain-number statistics. */
  async step(): Promise<ToyStepStats> {
    const t0 = performance.now();
    const { r1Gamma, r1Every, batch } = this.config;
    const doR1 = r1Gamma > 0 && this.iteration % r1Every === 0;
    const D = this.D;
    const G = this.G;

    // 1. discriminator
    const dOut = tf.tidy(() => {
      const { real, fake } = this.discriminatorInputs();
      let r1: tf.Scalar = tf.scalar(NaN);
      let realLogits: tf.Tensor1D = tf.zeros([batch]);
      let fakeLogits: tf.Tensor1D = tf.zeros([batch]);
      // one pass over reals and fakes together: half the kernel launches of two passes
      const both = real.map((r, i) => tf.concat([r, fake[i]], 0));
      const { value, grads } = tf.variableGrads(() => {
        const [dReal, dFake] = tf.split(D.apply(...both), 2) as tf.Tensor1D[];
        let loss = tf.softplus(dReal.neg()).mean().add(tf.softplus(dFake).mean());
        if (doR1) {
          const gradReal = tf.grad((x: tf.Tensor) => D.apply(x, ...real.slice(1)).sum())(real[0]);
          const penalty = gradReal.square().sum(1).mean();
          r1 = tf.keep(penalty) as tf.Scalar;
          loss = loss.add(penalty.mul((r1Gamma / 2) * r1Every));
        }
        realLogits = tf.keep(dReal);
        fakeLogits = tf.keep(dFake);
        return loss as tf.Scalar;
      }, D.params.list());
      this.optD.apply(byName(D, grads));
      const out = {
        lossD: value,
        r1,
        realLogits,
        dReal: realLogits.mean(),
        dFake: fakeLogits.mean(),
        pReal: tf.sigmoid(realLogits).mean(),
        pFake: tf.sigmoid(fakeLogits).mean(),
      };
      fakeLogits.dispose(); // kept out of the tape's scope above, so tidy would not free it
      return out;
    });

    // 2. generator
    const lossG = tf.tidy(() => {
      const { run } = this.generatorLogits();
      const { value, grads } = tf.variableGrads(() => tf.softplus(run().neg()).mean() as tf.Scalar, G.params.list());
      this.optG.apply(byName(G, grads));
      return value;
    });

    // 3. EMA
    if (this.Gema) {
      const decay = Math.min(this.config.emaDecay, (1 + this.iteration) / (10 + this.iteration));
      tf.tidy(() => {
        for (const [name, v] of this.Gema!.params.vars) {
          v.assign(v.mul(decay).add(G.params.vars.get(name)!.mul(1 - decay)));
        }
      });
    }

    const scalars = [dOut.lossD, lossG, dOut.dReal, dOut.dFake, dOut.pReal, dOut.pFake, dOut.r1];
    const [values, realLogits] = await Promise.all([
      Promise.all(scalars.map((t) => t.data())),
      this.wantsRealLogits() ? (dOut.realLogits.data() as Promise<Float32Array>) : Promise.resolve(null),
    ]);
    scalars.forEach((t) => t.dispose());
    dOut.realLogits.dispose();
    const [lossD, lossGv, dReal, dFake, pReal, pFake, r1] = values.map((v) => v[0]);
    const iteration = ++this.iteration;
    this.onRealLogits(realLogits);
    const stats = {
      recipe: this.config.recipe,
      iteration,
      lossD,
      lossG: lossGv,
      dReal,
      dFake,
      pReal,
      pFake,
      r1,
      ms: performance.now() - t0,
      ...this.extraStats(),
    } as ToyStepStats;
    for (const key of ['lossD', 'lossG', 'dReal', 'dFake'] as const) {
      if (!Number.isFinite(stats[key])) {
        throw new TrainingDiverged(`toy ${this.config.recipe} diverged at iteration ${iteration}: ${key} is ${stats[key]}`, iteration);
      }
    }
    return stats;
  }

  /** Generates n points (and, for DD-GAN, the trajectory) from `rng`. */
  abstract sample(n: number, rng: Rng, opts?: ToySampleOptions): Promise<ToySample>;

  protected generatorFor(opts?: ToySampleOptions): Network {
    return (opts?.ema ?? true) && this.Gema ? this.Gema : this.G;
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

function byName(net: Network, grads: tf.NamedTensorMap): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [pname, v] of net.params.vars) {
    const g = grads[v.name];
    if (g) out.set(pname, g);
  }
  return out;
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

  protected discriminatorInputs(): { real: DInputs; fake: DInputs } {
    const n = this.config.batch;
    const real = this.realBatch(n);
    const fake = this.G.apply(this.latent(n));
    return { real: [real], fake: [fake] };
  }

  protected generatorLogits(): { run: () => tf.Tensor1D } {
    const z = this.latent(this.config.batch);
    return { run: () => this.D.apply(this.G.apply(z)) as tf.Tensor1D };
  }

  protected extraStats(): Record<string, unknown> {
    return {};
  }

  protected wantsRealLogits(): boolean {
    return false;
  }

  async sample(n: number, rng: Rng, opts?: ToySampleOptions): Promise<ToySample> {
    const G = this.generatorFor(opts);
    const x = tf.tidy(() => G.apply(tf.tensor2d(rng.normalArray(n * this.config.nz), [n, this.config.nz])));
    const points = await toData(x, this.config.dataScale);
    x.dispose();
    return { points, n, trajectory: null };
  }
}

// ---------------------------------------------------------------------------------------
// Diffusion-GAN

export class DiffusionGanToyTrainer extends ToyTrainer<DiffusionGanRecipeConfig> {
  private adaptive: AdaptiveTState;
  private schedule: DiffusionGanSchedule;
  private rdSum = 0;
  private rdCount = 0;
  private rd = NaN;
  private adapted = false;

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
    this.adaptive = { p: config.pInit, T: tFromP(config.pInit, config) };
    this.schedule = diffusionGanSchedule(this.adaptive.T);
  }

  /** The current adaptive state (T, p) and the last r_d. */
  get diffusion(): { T: number; p: number; rd: number } {
    return { T: this.adaptive.T, p: this.adaptive.p, rd: this.rd };
  }

  private steps(n: number): tf.Tensor1D {
    const c = this.config;
    return tf.tensor1d(sampleDiffusionSteps(this.adaptive.T, n, c.tDist, c.cleanShare, this.rng), 'int32');
  }

  /** y = √ᾱ_t x + √(1−ᾱ_t) σ ε (differentiable in x). */
  private diffuse(x: tf.Tensor2D, t: tf.Tensor1D, eps: tf.Tensor2D): tf.Tensor2D {
    const s = this.schedule;
    const a = tf.gather(tf.tensor1d(Array.from(s.sqrtAlphaBars), 'float32'), t).reshape([-1, 1]);
    const b = tf.gather(tf.tensor1d(Array.from(s.sqrtOneMinusAlphaBars), 'float32'), t).reshape([-1, 1]);
    return x.mul(a).add(b.mul(eps).mul(this.config.noiseStd)) as tf.Tensor2D;
  }

  protected discriminatorInputs(): { real: DInputs; fake: DInputs } {
    const n = this.config.batch;
    const x = this.realBatch(n);
    const tReal = this.steps(n);
    const yReal = this.diffuse(x, tReal, this.noise(n));
    const xFake = this.G.apply(this.latent(n)) as tf.Tensor2D;
    const tFake = this.steps(n);
    const yFake = this.diffuse(xFake, tFake, this.noise(n));
    return { real: [yReal, tReal], fake: [yFake, tFake] };
  }

  protected generatorLogits(): { run: () => tf.Tensor1D } {
    const n = this.config.batch;
    const z = this.latent(n);
    const t = this.steps(n);
    const eps = this.noise(n);
    return { run: () => this.D.apply(this.diffuse(this.G.apply(z) as tf.Tensor2D, t, eps), t) as tf.Tensor1D };
  }

  protected wantsRealLogits(): boolean {
    return true;
  }

  protected onRealLogits(dReal: Float32Array | null): void {
    this.adapted = false;
    if (!dReal) return;
    for (const v of dReal) this.rdSum += Math.sign(v);
    this.rdCount += dReal.length;
    if (this.iteration % this.config.adaptEvery === 0) {
      this.rd = this.rdSum / this.rdCount;
      const next = adaptT(this.adaptive, this.rd, this.config);
      if (next.T !== this.adaptive.T) this.schedule = diffusionGanSchedule(next.T);
      this.adaptive = next;
      this.rdSum = 0;
      this.rdCount = 0;
      this.adapted = true;
    }
  }

  protected extraStats(): Record<string, unknown> {
    return { T: this.adaptive.T, p: this.adaptive.p, rd: this.rd, adapted: this.adapted };
  }

  async sample(n: number, rng: Rng, opts?: ToySampleOptions): Promise<ToySample> {
    const G = this.generatorFor(opts);
    const x = tf.tidy(() => G.apply(tf.tensor2d(rng.normalArray(n * this.config.nz), [n, this.config.nz])));
    const points = await toData(x, this.config.dataScale);
    x.dispose();
    return { points, n, trajectory: null };
  }

  stateJson(): ToyTrainerStateJson {
    return {
      ...super.stateJson(),
      adaptive: { p: this.adaptive.p, T: this.adaptive.T, rdSum: this.rdSum, rdCount: this.rdCount, rd: this.rd },
    };
  }

  loadState(json: ToyTrainerStateJson, tensors: Record<string, tf.Tensor>): void {
    super.loadState(json, tensors);
    if (!json.adaptive) throw new Error('the saved Diffusion-GAN state has no adaptive-T part');
    const a = json.adaptive;
    this.adaptive = { p: a.p, T: a.T };
    this.schedule = diffusionGanSchedule(a.T);
    this.rdSum = a.rdSum;
    this.rdCount = a.rdCount;
    this.rd = a.rd ?? NaN;
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

  /** A real pair and the generator's fake x′_{k−1} for the same x_k. */
  private pairs(n: number): { xPrev: tf.Tensor2D; xK: tf.Tensor2D; k: tf.Tensor1D; fakePrev: () => tf.Tensor2D } {
    const x0 = this.realBatch(n);
    const k = this.steps(n);
    const [xPrev, xK] = qSamplePairs(this.schedule, x0, k, this.noise(n), this.noise(n)) as [tf.Tensor2D, tf.Tensor2D];
    const z = this.latent(n);
    const postNoise = this.noise(n);
    const fakePrev = () =>
      samplePosterior(this.schedule, this.G.apply(xK, k, z), xK, k, postNoise) as tf.Tensor2D;
    return { xPrev, xK, k, fakePrev };
  }

  protected discriminatorInputs(): { real: DInputs; fake: DInputs } {
    const { xPrev, xK, k, fakePrev } = this.pairs(this.config.batch);
    return { real: [xPrev, xK, k], fake: [fakePrev(), xK, k] };
  }

  protected generatorLogits(): { run: () => tf.Tensor1D } {
    const { xK, k, fakePrev } = this.pairs(this.config.batch);
    return { run: () => this.D.apply(fakePrev(), xK, k) as tf.Tensor1D };
  }

  protected wantsRealLogits(): boolean {
    return false;
  }

  protected extraStats(): Record<string, unknown> {
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

/** A fresh trainer for a recipe config (deterministic in `config.seed`). */
export function createToyTrainer(config: ToyRecipeConfig): ToyTrainer {
  switch (config.recipe) {
    case 'gan':
      return new GanToyTrainer(config);
    case 'diffusion-gan':
      return new DiffusionGanToyTrainer(config);
    case 'ddgan':
      return new DdganToyTrainer(config);
  }
}

/** Rebuilds a trainer from a saved state (config included), ready to take the next step. */
export function restoreToyTrainer(json: ToyTrainerStateJson, tensors: Record<string, tf.Tensor>): ToyTrainer {
  const trainer = createToyTrainer(json.config);
  trainer.loadState(json, tensors);
  return trainer;
}
