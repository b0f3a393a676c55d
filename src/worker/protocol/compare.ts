/**
 * Protocol, the compare view: `compare` samples one seed through several checkpoints and
 * samplers (DD-GAN vs the DDPM samplers, the T ablation, class guidance), row by row or in turns.
 */
import type { SamplerKind, SamplerSpec } from '../../core/diffusion/samplers/specs';
import type { BackendName } from '../../shared/backends';
import type { EngineMemory } from './backend';
import type { SerializedError } from './envelope';

/** A checkpoint folder listed in models/index.json. */
export interface CompareModelRef {
  /** Catalog name, echoed in progress events. */
  readonly name: string;
  /** Absolute URL of the checkpoint folder (the app's own origin). */
  readonly url: string;
  /** The index's `createdAt` of that checkpoint: a cached copy with another version is reloaded. */
  readonly version: string | null;
}

/**
 * How a row samples: any sampler of the core list (src/core/diffusion/samplers/specs.ts),
 * as its plain spec: DD-GAN's own T steps `{ kind: 'ddgan' }` (NFE = T), every ancestral
 * DDPM step `{ kind: 'ancestral' }` (NFE = N), DDIM `{ kind: 'ddim', steps, eta }` or
 * DPM-Solver++ `{ kind: 'dpm-solver', steps }` (NFE = steps). The worker checks it with
 * `parseSamplerSpec`.
 */
export type CompareSampler = SamplerSpec;

export type CompareSamplerKind = SamplerKind;

export interface CompareGuidance {
  /** A noise-aware classifier (models/index.json role 'guide'). */
  readonly classifier: CompareModelRef;
  /** Guidance scale s ≥ 0; 0 samples unguided (the classifier is not run). */
  readonly scale: number;
}

export interface CompareRowSpec {
  /** The UI's key for the row, unique within a request; every progress event names it. */
  readonly id: string;
  readonly model: CompareModelRef;
  readonly sampler: CompareSampler;
  /** Classifier guidance toward `target`; null: unguided. */
  readonly guidance: CompareGuidance | null;
  /** Class the judge's accuracy counts against (needed with guidance); null: no accuracy. */
  readonly target: number | null;
}

/** 'sequential': one row after the other; 'interleaved': the rows take turns on the device. */
export type CompareOrder = 'sequential' | 'interleaved';

/** Preview frames show the prediction x̂₀ or the state x_t after the step. */
export type ComparePreview = 'x0' | 'xt';

export interface CompareParams {
  readonly rows: readonly CompareRowSpec[];
  /** Images per row; every row draws its x_T (and all later noise) from `seed`. */
  readonly batch: number;
  readonly seed: number;
  readonly order: CompareOrder;
  readonly preview: ComparePreview;
  /** At most this many preview frames per row (the final sample comes with 'row-done'). */
  readonly maxFrames: number;
  /** A clean classifier (role 'judge') that scores each row's final samples; null: none. */
  readonly judge: CompareModelRef | null;
}

/** Inclusive upper bounds the worker enforces on a compare request. */
export const COMPARE_LIMITS = { rows: 8, batch: 16, maxFrames: 200, classes: 1000, scale: 1000 } as const;

/** The judge's view of a row's final samples. */
export interface CompareJudgeStats {
  readonly classifier: string;
  /** The judge's most probable class per image. */
  readonly predicted: readonly number[];
  /** The judge's probability of that class, per image (its confidence in each verdict). */
  readonly confidences: readonly number[];
  /** Mean top-class probability. */
  readonly confidence: number;
  /** Share of images whose predicted class is the row's target; null without a target. */
  readonly accuracy: number | null;
  /** Mean pairwise Euclidean distance of the images' judge features; null for one image. */
  readonly diversity: number | null;
  /** Distinct predicted classes. */
  readonly classes: number;
}

export type CompareProgress =
  /** Checkpoint download for a row (models shared by rows are fetched once, under the first). */
  | { readonly status: 'load'; readonly row: string; readonly model: string; readonly loadedBytes: number; readonly totalBytes: number }
  /** A row is about to sample (after its untimed warm-up forward pass). */
  | {
      readonly status: 'row';
      readonly row: string;
      readonly model: string;
      readonly sampler: CompareSamplerKind;
      /** Network calls the row will make (NFE); steps = nfe. */
      readonly steps: number;
      readonly batch: number;
      readonly width: number;
      readonly height: number;
      readonly guided: boolean;
      readonly warmupMs: number;
    }
  /**
   * A row finished `step` of `steps` (NFE so far = step). `elapsedMs` is the row's own
   * sampling time so far (turns of other rows excluded). `frame` (RGBA8, transferred) comes
   * every few steps; in between, steps are reported at most every few hundred ms.
   */
  | {
      readonly status: 'step';
      readonly row: string;
      readonly step: number;
      readonly steps: number;
      /** The diffusion index of this step's input: k for DD-GAN, t for DDPM/DDIM. */
      readonly t: number;
      readonly elapsedMs: number;
      readonly frame: ArrayBuffer | null;
    }
  | {
      readonly status: 'row-done';
      readonly row: string;
      readonly nfe: number;
      readonly elapsedMs: number;
      readonly imagesPerSecond: number;
      /** The final samples x_0, RGBA8 (transferred). */
      readonly x0: ArrayBuffer;
      readonly judge: CompareJudgeStats | null;
    }
  /** A row could not run (its model did not load, guidance unavailable, …); the others go on. */
  | { readonly status: 'row-error'; readonly row: string; readonly error: SerializedError };

export interface CompareRowResult {
  readonly id: string;
  readonly status: 'done' | 'error';
  readonly nfe: number;
  readonly elapsedMs: number;
  readonly imagesPerSecond: number;
}

export interface CompareResult {
  readonly batch: number;
  readonly seed: number;
  readonly rows: readonly CompareRowResult[];
  /** Request to result, downloads included. */
  readonly totalMs: number;
  readonly backend: BackendName;
  readonly memory: EngineMemory;
}
