/**
 * Protocol, fine-tuning: `startTraining` (holds the queue while the run trains, streaming
 * iterations, previews, checkpoints and autosave notices) and its controls (pause, resume,
 * step, stop, rollback, save), answered on arrival.
 */
import { TRAINING_RECIPE_IDS, isTrainingRecipeId, type TrainingRecipeId } from '../../shared/recipes';
import { EMOJI_SETS, type EmojiSet } from '../../shared/datasets';
import type { IterationStats, TrainingData, TrainingState } from '../../shared/training';
import type { EngineMemory } from './backend';
import type { Augmentation } from '../../shared/augment';

export { EMOJI_SETS, type EmojiSet };
export type { IterationStats, TrainingData, TrainingState };

/**
 * Where a run starts. 'finetune': G and its EMA copy from the loaded model's (EMA) generator,
 * D from the model's own discriminator when it ships one that fits, else fresh (no shipped
 * model carries optimiser state).
 * 'scratch': fresh G and D with the loaded model's architecture. 'resume': a resume
 * checkpoint (autosave) with G, D, EMA G, both optimisers and the iteration.
 */
export type TrainingInit =
  | { readonly kind: 'finetune' }
  | { readonly kind: 'scratch' }
  | { readonly kind: 'resume'; readonly modelJson: unknown; readonly weights: ArrayBuffer };

/** The training recipes (src/shared/recipes.ts: ids, labels, what each discriminator judges). */
export { TRAINING_RECIPE_IDS as TRAINING_RECIPES, isTrainingRecipeId as isTrainingRecipe, type TrainingRecipeId as TrainingRecipe };

export interface TrainingSettings {
  /** A fresh run's recipe ('ddgan' when absent: sessions saved before the choice). A resumed run keeps its saved one. */
  readonly recipe?: TrainingRecipeId;
  readonly iterations: number;
  readonly batch: number;
  readonly lrG: number;
  readonly lrD: number;
  readonly r1Gamma: number;
  readonly emaDecay: number;
  readonly seed: number;
  /** Preview grid (fixed noise) every this many iterations. */
  readonly previewEvery: number;
  readonly previewCount: number;
  /** A resume checkpoint (last good state; autosave) every this many iterations. */
  readonly checkpointEvery: number;
  /**
   * Differentiable augmentation of what the discriminator sees, reals and fakes alike
   * (src/core/training/diffAugment.ts). Absent (sessions saved before the choice): none.
   */
  readonly augment?: readonly Augmentation[];
}

/**
 * Where a run autosaves: the worker writes the session (src/worker/autosave.ts) under `id`
 * at every resume checkpoint, and tells the UI with 'autosave' progress events.
 */
export interface AutosaveParams {
  readonly id: string;
  /** The catalog model the run started from (shown in the saved-session list). */
  readonly modelName: string;
  /** How the session began; a resumed run keeps its first run's. */
  readonly init: 'finetune' | 'scratch';
}

export interface StartTrainingParams {
  readonly init: TrainingInit;
  readonly data: TrainingData;
  readonly settings: TrainingSettings;
  /** Absent: the run is not saved. */
  readonly autosave?: AutosaveParams;
  /** Testing only: make iteration n report a NaN loss (divergence handling). */
  readonly faultAt?: number;
}

/** A serialised resume checkpoint (model.json object + weights, transferred). */
export interface TrainingCheckpoint {
  readonly iteration: number;
  readonly modelJson: unknown;
  readonly weights: ArrayBuffer;
}

export type TrainingProgress =
  | {
      readonly status: 'started';
      readonly iteration: number;
      readonly init: TrainingInit['kind'];
      /** The recipe being trained (a resumed run's is the saved one). */
      readonly recipe: TrainingRecipeId;
      readonly images: number;
      readonly generatorParams: number;
      readonly discriminatorParams: number;
      readonly imageSize: number;
      readonly channels: number;
      readonly note: string;
    }
  | { readonly status: 'iteration'; readonly stats: IterationStats; readonly elapsedMs: number; readonly memory: EngineMemory }
  | {
      readonly status: 'preview';
      readonly iteration: number;
      readonly frame: ArrayBuffer;
      readonly batch: number;
      readonly width: number;
      readonly height: number;
      /**
       * A run on uploads only: for each sample of the frame, the index of the training image
       * nearest to it (pixel L2), in the order the images were sent, so the panel can show
       * each sample beside it (adapting or copying). Indices, never the images.
       */
      readonly nearest?: readonly number[];
    }
  | { readonly status: 'state'; readonly state: TrainingState; readonly iteration: number; readonly message: string | null; readonly lastGoodIteration: number | null }
  | ({ readonly status: 'checkpoint' } & TrainingCheckpoint)
  /** The worker's write of the session to storage: a small notice, never the data. */
  | { readonly status: 'autosave'; readonly state: 'saving' | 'saved' | 'error'; readonly iteration: number; readonly message: string | null };

export interface StartTrainingResult {
  readonly state: 'stopped' | 'done';
  readonly iteration: number;
  readonly elapsedMs: number;
  readonly memory: EngineMemory;
}

export type TrainingControlParams = Record<string, never>;
export interface TrainingControlResult {
  /** State after the command; null when no training run exists. */
  readonly state: TrainingState | null;
  readonly iteration: number;
}
