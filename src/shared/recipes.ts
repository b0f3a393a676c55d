/**
 * The training recipes by name: ids, labels, descriptions and default settings. Plain data
 * (no tfjs), read by the worker protocol, the store, the panels and the CLIs; the trainers
 * behind the ids are src/core/training/recipes/ (images) and src/core/toy/recipes.ts
 * (2-D points).
 *
 * Every recipe trains with the same GAN iteration (src/core/training/ganStep.ts); a recipe
 * is what its discriminator sees.
 */

// ─── image recipes (Train panel, `npm run train -- --model ddgan`) ──────────────────────

/** The image recipes, in the order the panel and --help list them. */
export const TRAINING_RECIPE_IDS = ['ddgan', 'diffusion-gan'] as const;
export type TrainingRecipeId = (typeof TRAINING_RECIPE_IDS)[number];

/** A run that names no recipe (and every state saved before there was a choice) is DD-GAN. */
export const DEFAULT_TRAINING_RECIPE: TrainingRecipeId = 'ddgan';

export function isTrainingRecipeId(v: unknown): v is TrainingRecipeId {
  return (TRAINING_RECIPE_IDS as readonly unknown[]).includes(v);
}

/** Per-iteration statistics a recipe reports besides the shared ones (losses, D outputs, R1). */
export type RecipeStatistic = 'diffusionT' | 'p' | 'rd';

export interface TrainingRecipeInfo {
  readonly id: TrainingRecipeId;
  /** Short name: 'DD-GAN'. */
  readonly label: string;
  /** What the discriminator judges, for the panel (T_dg marks a subscript). */
  readonly description: string;
  /** One sentence for the note a run starts with. */
  readonly runNote: string;
  /** The kind of discriminator network it trains (src/core/models/discriminator.ts). */
  readonly discriminator: 'ddgan-discriminator' | 'diffusion-gan-discriminator';
  /** Each fake runs the whole T-step sampling chain (T generator calls, all on the tape). */
  readonly chainFakes: boolean;
  /** Extra statistics of each iteration. */
  readonly reports: readonly RecipeStatistic[];
  /** The settings of its own, besides the shared ones (IMAGE_GAN_DEFAULTS). */
  readonly settings: readonly string[];
}

export const TRAINING_RECIPE_INFO: { readonly [R in TrainingRecipeId]: TrainingRecipeInfo & { readonly id: R } } = {
  ddgan: {
    id: 'ddgan',
    label: 'DD-GAN',
    description: 'Pair discriminator: D judges a denoising step (xₖ₋₁, xₖ, k), real pairs from the data against pairs the generator made from the same xₖ.',
    runNote: 'DD-GAN: the discriminator judges denoising pairs (x_{k−1}, x_k, k).',
    discriminator: 'ddgan-discriminator',
    chainFakes: false,
    reports: [],
    settings: ['stepWeights'],
  },
  'diffusion-gan': {
    id: 'diffusion-gan',
    label: 'Diffusion-GAN',
    description:
      'D judges diffused images (y, t): real images against the output of the whole T-step sampling chain, both noised to a random step t ≤ T_dg; T_dg rises while D is too sure of the reals. Slower: each fake runs the full chain.',
    runNote:
      'Diffusion-GAN: the discriminator judges diffused images (y, t) from the data and from the whole T-step sampling chain; the number of diffusion steps T_dg adapts to how sure D is of the reals.',
    discriminator: 'diffusion-gan-discriminator',
    chainFakes: true,
    reports: ['diffusionT', 'p', 'rd'],
    settings: ['noiseStd', 'tMin', 'tMax', 'target', 'delta', 'adaptEvery', 'pInit', 'tDist', 'cleanShare'],
  },
};

/** How a model's description names the recipe it was trained with: nothing for the default, else " with the Diffusion-GAN objective". */
export function objectiveNote(recipe: TrainingRecipeId | undefined): string {
  return recipe === undefined || recipe === DEFAULT_TRAINING_RECIPE ? '' : ` with the ${TRAINING_RECIPE_INFO[recipe].label} objective`;
}

/** The settings every image recipe has, at their defaults (the official CIFAR-10 optimiser, DESIGN §2.2). */
export const IMAGE_GAN_DEFAULTS = Object.freeze({
  batch: 32,
  lrG: 1.6e-4,
  lrD: 1.25e-4,
  beta1: 0.5,
  beta2: 0.9,
  /** R1 weight γ (the penalty is γ/2 · E‖∇D‖²). */
  r1Gamma: 0.05,
  /** Apply R1 every this many iterations (1 = every iteration). */
  r1Every: 4,
  emaDecay: 0.999,
  /** Random horizontal flips of the data (not for digits). */
  flip: false,
  seed: 0,
});

/**
 * Diffusion-GAN's own settings for images: σ = 0.05, T_min 10, T_max 1000, target 0.6 (the
 * official defaults), 'priority' steps, half of D's examples clean (as the official code),
 * an update every 4 iterations with Δ = 0.01: p crosses 0 → 1 in 400 iterations, within an
 * in-tab fine-tune, where the official Δ (batch·interval/(ada_kimg·1000) ≈ 0.0013 at batch
 * 32) would need thousands.
 */
export const DIFFUSION_GAN_IMAGE_DEFAULTS = Object.freeze({
  noiseStd: 0.05,
  tMin: 10,
  tMax: 1000,
  target: 0.6,
  delta: 0.01,
  adaptEvery: 4,
  pInit: 0,
  tDist: 'priority' as const,
  cleanShare: 0.5,
});

// ─── 2-D toy recipes (the mode-coverage lab, `npm run bench:modes`) ─────────────────────

export const TOY_RECIPE_IDS = ['gan', 'diffusion-gan', 'ddgan'] as const;
export type ToyRecipeId = (typeof TOY_RECIPE_IDS)[number];

export interface ToyRecipeInfo {
  readonly id: ToyRecipeId;
  readonly label: string;
  readonly description: string;
  /** Samples come from a chain of T steps (trajectories), not one generator call. */
  readonly chain: boolean;
}

export const TOY_RECIPE_INFO: { readonly [R in ToyRecipeId]: ToyRecipeInfo & { readonly id: R } } = {
  gan: {
    id: 'gan',
    label: 'GAN',
    description: 'Non-saturating GAN: D judges points, G maps a latent to a point in one call.',
    chain: false,
  },
  'diffusion-gan': {
    id: 'diffusion-gan',
    label: 'Diffusion-GAN',
    description: 'The GAN losses on diffused points y = √ᾱ_t x + √(1−ᾱ_t) σ ε with t fed to D, and the adaptive T.',
    chain: false,
  },
  ddgan: {
    id: 'ddgan',
    label: 'DD-GAN',
    description: 'T large denoising steps, each a conditional GAN: D judges pairs (xₖ₋₁, xₖ, k).',
    chain: true,
  },
};

/**
 * The toy settings every recipe shares, for 25 Gaussians: 3 hidden layers × 128 (ReLU in
 * G, leaky ReLU in D), batch 256, and an EMA of G (0.999) for every recipe, so that the
 * comparison is about the objectives. BENCHMARKS.md ("Toy lab: tuning the recipes") has the
 * measurements behind these values and the per-recipe ones below.
 */
export const TOY_COMMON_DEFAULTS = Object.freeze({
  dataset: 'grid25' as const,
  seed: 0,
  batch: 256,
  nz: 2,
  hiddenG: 128,
  layersG: 3,
  activationG: 'relu' as const,
  hiddenD: 128,
  layersD: 3,
  activationD: 'leakyRelu' as const,
  lrG: 1e-3,
  lrD: 1e-3,
  beta1: 0.5,
  beta2: 0.9,
  r1Gamma: 0,
  r1Every: 4,
  /** Model coordinates = data coordinates × dataScale. */
  dataScale: 0.25,
  emaDecay: 0.999,
  fourierFeatures: 32,
  fourierD: 1,
  fourierG: 1,
});

/** Each toy recipe's departures from the common defaults, and its own settings. */
export const TOY_RECIPE_DEFAULTS = Object.freeze({
  /** D sees raw points. */
  gan: Object.freeze({ fourierD: 0 }),
  /** D sees raw points; d_target 0.3 (a raw-point D's r_d sits between 0.3 and 0.5). */
  'diffusion-gan': Object.freeze({
    fourierD: 0,
    noiseStd: 0.05,
    tMin: 5,
    tMax: 500,
    target: 0.3,
    delta: 0.01,
    adaptEvery: 4,
    pInit: 0,
    tDist: 'priority' as const,
    cleanShare: 0.5,
  }),
  /** T = 4 steps in model coordinates × 4, a skip-connected G, D on 0.25-cycle Fourier features. */
  ddgan: Object.freeze({ T: 4, tEmbedDim: 16, nz: 2, skip: true, dataScale: 4, lrG: 2e-3, lrD: 2e-3, fourierD: 0.25 }),
});
