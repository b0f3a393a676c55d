/**
 * Protocol, the mode-coverage lab (2-D toy data): `startToyLab` trains the chosen toy
 * recipes side by side (holding the queue), reporting samples and metrics; pause, resume
 * and stop are answered on arrival.
 */
import { TOY_DATASETS, type ToyDatasetName } from '../../shared/datasets';
import type { EngineMemory } from './backend';

/** The lab's recipes: the three toy recipes of core/toy/recipes.ts, DD-GAN at three T. */
export const TOY_LAB_RECIPES = ['gan', 'diffusion-gan', 'ddgan-t2', 'ddgan-t4', 'ddgan-t8'] as const;
export type ToyLabRecipeId = (typeof TOY_LAB_RECIPES)[number];

export const TOY_LAB_RECIPE_LABELS: Readonly<Record<ToyLabRecipeId, string>> = {
  gan: 'GAN',
  'diffusion-gan': 'Diffusion-GAN',
  'ddgan-t2': 'DD-GAN T = 2',
  'ddgan-t4': 'DD-GAN T = 4',
  'ddgan-t8': 'DD-GAN T = 8',
};

export function isToyLabRecipeId(s: unknown): s is ToyLabRecipeId {
  return typeof s === 'string' && (TOY_LAB_RECIPES as readonly string[]).includes(s);
}

/** The lab's data sets: every toy distribution of core/toy/data.ts. */
export const TOY_LAB_DATASETS: readonly ToyDatasetName[] = TOY_DATASETS;
export type { ToyDatasetName };

export interface ToyLabSettings {
  readonly dataset: ToyDatasetName;
  /** Trained side by side, one iteration each in turn; no duplicates. */
  readonly recipes: readonly ToyLabRecipeId[];
  /** Iterations per recipe (one D and one G update each): every recipe gets the same budget. */
  readonly iterations: number;
  /** A report (samples, metrics) per recipe at iteration 0, every this many, and at the end. */
  readonly reportEvery: number;
  /** Generated points scored by the metrics at each report (DESIGN §2.6 uses 2500). */
  readonly samples: number;
  /** Points of each report that are sent for the scatter plot (≤ samples), and real points drawn. */
  readonly scatter: number;
  readonly batch: number;
  /** Width of every hidden layer of G and D. */
  readonly hidden: number;
  /** Hidden layers of G and D. */
  readonly layers: number;
  readonly seed: number;
}

/** Inclusive ranges of the numeric lab settings (whole numbers); the worker enforces them. */
export const TOY_LAB_LIMITS = {
  iterations: [1, 100_000],
  reportEvery: [1, 100_000],
  samples: [10, 10_000],
  scatter: [10, 5_000],
  batch: [2, 2048],
  hidden: [2, 512],
  layers: [1, 8],
  seed: [0, 0xffffffff],
} as const satisfies Record<Exclude<keyof ToyLabSettings, 'dataset' | 'recipes'>, readonly [number, number]>;

export interface StartToyLabParams {
  readonly settings: ToyLabSettings;
  /** Testing only: make this recipe diverge after this iteration. */
  readonly faultAt?: { readonly recipe: ToyLabRecipeId; readonly iteration: number };
}

/** Numbers of the metric modules for one report; fields are null where they do not apply. */
export interface ToyLabMetrics {
  /** Samples scored. */
  readonly n: number;
  /** Mixtures only (25 Gaussians, ring): modes that own a high-quality sample, of `numModes`. */
  readonly modesCovered: number | null;
  readonly numModes: number | null;
  /** Share of samples within 3 std of their nearest mode (0..1). */
  readonly highQualityShare: number | null;
  /** KL(high-quality mode histogram ‖ uniform) in nats; NaN without high-quality samples. */
  readonly reverseKl: number | null;
  /** Mean distance from a sample to its nearest mode mean / from a mode mean to its nearest sample. */
  readonly meanPointToMode: number | null;
  readonly meanModeToPoint: number | null;
  /** Every data set: k-NN precision and recall (k = 3) of the scatter points against as many real points. */
  readonly precision: number;
  readonly recall: number;
}

/** Means over the iterations since the previous report of the same recipe (a delta). */
export interface ToyLabIntervalStats {
  readonly iterations: number;
  readonly lossD: number;
  readonly lossG: number;
  /** Mean discriminator logit on the real / fake batches. */
  readonly dReal: number;
  readonly dFake: number;
  /** Mean sigmoid(D) on the real / fake batches. */
  readonly pReal: number;
  readonly pFake: number;
  /** Mean wall time of one iteration. */
  readonly ms: number;
}

export interface ToyLabRecipeInfo {
  readonly id: ToyLabRecipeId;
  readonly label: string;
  /** DD-GAN's number of denoising steps; null for the one-shot generators. */
  readonly T: number | null;
  readonly generatorParams: number;
  readonly discriminatorParams: number;
}

export type ToyLabState = 'running' | 'paused' | 'stopped' | 'done';

export type ToyLabProgress =
  | {
      readonly status: 'started';
      readonly dataset: ToyDatasetName;
      readonly iterations: number;
      readonly recipes: readonly ToyLabRecipeInfo[];
      /** Real points for the grey layer, Float32 row-major [scatter × 2] (transferred). */
      readonly real: ArrayBuffer;
      /** The plots show [−extent, extent]². */
      readonly extent: number;
    }
  | {
      readonly status: 'report';
      readonly id: ToyLabRecipeId;
      readonly iteration: number;
      /** Generated points, Float32 row-major [n × 2], data coordinates (transferred). */
      readonly points: ArrayBuffer;
      readonly n: number;
      readonly metrics: ToyLabMetrics;
      /** null for the report at iteration 0 (nothing trained yet). */
      readonly stats: ToyLabIntervalStats | null;
      /** Diffusion-GAN: the adaptive T now, its p and the last r_d. */
      readonly diffusion: { readonly T: number; readonly p: number; readonly rd: number } | null;
      /** Diffusion-GAN: T after each iteration since the previous report (a delta of the trace). */
      readonly tTrace: { readonly iteration: readonly number[]; readonly T: readonly number[] } | null;
      /**
       * DD-GAN: the particles of these same points along the chain x_T, x_{T−1}, …, x_0:
       * Float32 [(T + 1) × n × 2], x_T first (transferred).
       */
      readonly trajectory: { readonly T: number; readonly frames: ArrayBuffer } | null;
      /** This recipe's training time so far (reports excluded). */
      readonly trainMs: number;
      readonly memory: EngineMemory;
    }
  /**
   * At most every few hundred ms while training: the iterations each recipe has done, in
   * the order of 'started', and the run's training time so far (pauses excluded).
   */
  | { readonly status: 'tick'; readonly iterations: readonly number[]; readonly elapsedMs: number }
  /** A recipe's training blew up; it stops, the others go on. */
  | { readonly status: 'diverged'; readonly id: ToyLabRecipeId; readonly iteration: number; readonly message: string }
  | { readonly status: 'state'; readonly state: ToyLabState; readonly iteration: number };

export interface StartToyLabResult {
  readonly state: 'stopped' | 'done';
  /** Iterations of the recipe that got furthest. */
  readonly iteration: number;
  readonly elapsedMs: number;
  readonly memory: EngineMemory;
}

export type ToyLabControlParams = Record<string, never>;
export interface ToyLabControlResult {
  /** State after the command; null when no lab run exists. */
  readonly state: ToyLabState | null;
  readonly iteration: number;
}
