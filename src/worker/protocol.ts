/**
 * The message protocol between the UI thread and the engine worker, in one file.
 *
 *   UI ──Command──▶ worker        { id, type, params }
 *   UI ◀──Event─── worker         { id, kind: 'result' | 'error' | 'progress', … }
 *
 * Every command type is declared once, in `CommandSpecs` (its params, its result and its
 * progress payload). The wire unions below are derived from that table, so a `switch` on
 * `type` or `kind` narrows, and adding a command without handling it is a compile error in
 * the worker (its handler table is a mapped type over the same keys).
 *
 * Everything here is plain data (structured-clone safe, JSON safe): no classes, no tensors,
 * no functions. Errors cross the boundary as `{ name, code, message }` and are rebuilt on
 * the client as `EngineError` (see client.ts), because a thrown `Error` loses its type and
 * any extra fields when it is cloned by `postMessage`.
 *
 * Images cross as RGBA8 frames (src/worker/frames.ts) in ArrayBuffers that are
 * *transferred*, not copied: a step event owns its buffers, and the worker keeps no reference
 * to them after posting. The worker keeps its own float copy of each x_k for re-rolls.
 *
 * Cancellation: a newer `generate`, `reroll`, `compare`, `loadModel`, `warmup` or `init` supersedes any
 * sampling request still running or queued; that request answers with an error of code
 * 'cancelled' at its next step boundary. `cancel` does the same on demand.
 *
 * This file must stay free of runtime imports from tfjs: the UI imports it, and the main
 * thread never loads tensor code (DESIGN §1). Type-only imports are erased by the compiler.
 */
import type { BackendName } from '../core/backend';
import type { SamplerKind, SamplerSpec } from '../core/diffusion/samplers/specs';
import type { GeneratorConfig } from '../core/models/generator';
import type { ImageGanRecipe } from '../core/training/imageGan';
import type { ToyDatasetName } from '../core/toy/data';
import type { WasmInfo, WasmThreadsParams } from './wasmThreads';

export type { BackendName };

/** The backends the worker knows, in the order of the software fallback chain. */
export const BACKEND_NAMES = ['webgpu', 'wasm', 'webgl', 'cpu'] as const satisfies readonly BackendName[];

/** What the UI may ask for: a specific backend (honoured as asked), or 'auto'. */
export type BackendRequest = BackendName | 'auto';

export function isBackendRequest(s: string): s is BackendRequest {
  return s === 'auto' || (BACKEND_NAMES as readonly string[]).includes(s);
}

/** Correlation id of one request; the reply events carry the same id. */
export type RequestId = number | string;

// ─── data shapes ────────────────────────────────────────────────────────────────────────

/**
 * What `navigator.gpu.requestAdapter()` told us. `available: false` means no WebGPU at all
 * (no `navigator.gpu`, or `requestAdapter()` returned null or threw); `detail` says which.
 */
export type AdapterFacts =
  | {
      readonly available: true;
      readonly vendor: string;
      readonly architecture: string;
      readonly device: string;
      readonly description: string;
      /** True for a software (CPU-emulated) adapter such as SwiftShader. */
      readonly isFallbackAdapter: boolean;
    }
  | { readonly available: false; readonly detail: string };

/** A backend that was tried and could not be initialised, with the reason. */
export interface BackendFailure {
  readonly backend: BackendName;
  readonly message: string;
}

export interface InitParams {
  readonly backend: BackendRequest;
  /**
   * Threads for the wasm backend (`?threads=`) and whether the page is cross-origin
   * isolated, as the page knows it (wasmThreads.ts). Fixed when wasm first starts in a worker.
   */
  readonly wasm?: WasmThreadsParams;
}

export interface InitResult {
  readonly requested: BackendRequest;
  /** The backend tfjs is now running on. */
  readonly backend: BackendName;
  readonly adapter: AdapterFacts;
  /** Why this backend: the choice rule that applied, plus any fallback that happened. */
  readonly reason: string;
  /** Backends tried before `backend` that failed to initialise (auto mode only). */
  readonly failures: readonly BackendFailure[];
  /** wasm only: whether the SIMD build runs, how many threads XNNPACK uses and why. */
  readonly wasm: WasmInfo | null;
  readonly numTensors: number;
  readonly ms: number;
}

/** Generator architecture fields a request may override; the worker fills in the rest. */
export type GeneratorOverrides = Partial<Omit<GeneratorConfig, 'kind'>>;

export interface ProbeGeneratorParams {
  readonly config: GeneratorOverrides;
  /** Images in the forward pass (1..64). */
  readonly batch: number;
  /** Seeds the weights, the input x_k and z; one seed reproduces one result per backend. */
  readonly seed: number;
}

export interface ProbeGeneratorResult {
  readonly backend: BackendName;
  /** The full config that was built (defaults merged with the overrides). */
  readonly config: GeneratorConfig;
  readonly outputShape: readonly number[];
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Count of NaN/±Inf values in the output; anything but 0 means a broken kernel. */
  readonly nonFinite: number;
  readonly paramCount: number;
  readonly flopsPerImage: number;
  /** Network.create: parameter initialisation plus one dummy forward (batch 2). */
  readonly buildMs: number;
  /** The probed forward pass including `await data()`; on WebGPU the first call also
   *  pays for shader compilation, so this is a cold number, not a benchmark. */
  readonly forwardMs: number;
  readonly numTensorsBefore: number;
  readonly numTensorsAfter: number;
}

export type ProbeStage = 'build' | 'forward' | 'readback';

/** Progress payloads are plain objects keyed on `status` (STYLE habit 9). */
export type ProbeProgress = { readonly status: 'stage'; readonly stage: ProbeStage; readonly index: number; readonly total: number };

/** tf.memory() of the worker, reported after every model command (leak checks). */
export interface EngineMemory {
  readonly numTensors: number;
  readonly numBytes: number;
}

export interface LoadModelParams {
  /** Catalog name (models/index.json), echoed in the result. */
  readonly name: string;
  /** Absolute URL of the checkpoint folder (the worker resolves nothing against its own URL). */
  readonly url: string;
  /** Batch size to warm up for (shader compilation happens per shape on GPU backends). */
  readonly warmupBatch: number;
  /**
   * The batch sizes the UI offers. If `warmupBatch` is over the model's `maxBatch` on this
   * backend, the largest of these that fits is warmed up instead (else `maxBatch` itself).
   */
  readonly batchSizes?: readonly number[];
}

/**
 * A backend's cap on the size of one tensor, in bytes: a WebGPU device limit, WebGL's
 * texture size (MAX_TEXTURE_SIZE² floats) or the wasm heap budget for one tensor
 * (src/worker/batchLimit.ts says how each is derived).
 */
export interface TensorLimit {
  readonly name: 'maxStorageBufferBindingSize' | 'maxBufferSize' | 'WEBGL_MAX_TEXTURE_SIZE' | 'wasmTensorBudget';
  readonly bytes: number;
}

/** The largest batch the loaded generator can run on the current backend, and why. */
export interface BatchLimit {
  /** Largest usable batch; null: no cap on this backend (cpu), or nothing grows with the batch. */
  readonly maxBatch: number | null;
  /** Measured bytes per example of the largest tensor of one sampling step. */
  readonly bytesPerExample: number;
  /** Headroom factor applied to `bytesPerExample` before dividing the limit by it. */
  readonly safety: number;
  /** The kernel that tensor belongs to ('FusedConv2D', 'FusedConv2D im2col', …). */
  readonly kernel: string;
  /** The smallest of the backend's limits, which binds; null where there is none. */
  readonly limit: TensorLimit | null;
}

/** The model as loaded in the worker. */
export interface ModelInfo {
  readonly name: string;
  readonly T: number;
  readonly imageSize: number;
  readonly channels: number;
  readonly nz: number;
  readonly paramCount: number;
}

export interface WarmupResult {
  readonly batch: number;
  /** Parallel shader compilation (webgpu only; 0 elsewhere). */
  readonly compileMs: number;
  /** Programs compiled in that phase. */
  readonly shaders: number;
  /** The first full run of the sampler at this batch size. */
  readonly firstRunMs: number;
  readonly ms: number;
}

export interface LoadModelResult {
  readonly model: ModelInfo;
  readonly backend: BackendName;
  readonly bytes: number;
  readonly downloadMs: number;
  readonly warmup: WarmupResult;
  readonly memory: EngineMemory;
  /** Measured after the load, before the warm-up (which runs at a batch under it). */
  readonly batchLimit?: BatchLimit;
}

/**
 * 'measure': sizing the largest batch right after a load (on webgpu this traces a step and
 * compiles most of its shaders: done / total shaders, total 0 until they are known);
 * 'compile': the rest of the shaders (webgpu); 'run': one full sampler run (steps).
 */
export type WarmupPhase = 'measure' | 'compile' | 'run';

/** Warm-up progress: the batch-limit measurement, shader compilation (webgpu), then one full sampler run. */
export type WarmupProgress = { readonly status: 'warmup'; readonly phase: WarmupPhase; readonly done: number; readonly total: number };

export type LoadModelProgress = { readonly status: 'download'; readonly loadedBytes: number; readonly totalBytes: number } | WarmupProgress;

export interface WarmupParams {
  readonly batch: number;
}

/** Geometry of the frames of one sampling run: RGBA8, [batch, height, width, 4]. */
export interface FrameGeometry {
  readonly batch: number;
  readonly width: number;
  readonly height: number;
  readonly T: number;
}

export interface GenerateParams {
  readonly batch: number;
  /** 0..2^32−1; the same seed on the same backend gives the same pixels. */
  readonly seed: number;
  /** Slow motion: each step is shown for at least this long (0 = as fast as possible). */
  readonly minStepMs: number;
}

/**
 * One step x_k → x_{k−1} as it happens: its input x_k and the prediction x̂₀ = G(x_k, k, z),
 * as RGBA8 frames (transferred). `branch` is 0 for a generate and the branch index for a
 * re-roll; `ms` is the step's wall time including the read-back (not the slow-motion wait).
 */
export interface StepProgress {
  readonly status: 'step';
  readonly branch: number;
  readonly k: number;
  readonly T: number;
  readonly xK: ArrayBuffer;
  readonly x0Pred: ArrayBuffer;
  readonly ms: number;
}

export interface GenerateResult extends FrameGeometry {
  readonly seed: number;
  /** The sample x_0 as an RGBA8 frame (transferred). */
  readonly x0: ArrayBuffer;
  readonly stepMs: readonly number[];
  /** Request to result, excluding slow-motion waits. */
  readonly totalMs: number;
  readonly backend: BackendName;
  readonly memory: EngineMemory;
}

export interface RerollParams {
  /** Keep x_T … x_k of the last generate; draw new z and posterior noise from step k on. */
  readonly fromK: number;
  /** Number of branches (1..8), each with its own random stream `branchSeed(seed, b)`. */
  readonly branches: number;
  readonly seed: number;
  readonly minStepMs: number;
}

export interface RerollBranch {
  readonly seed: number;
  readonly x0: ArrayBuffer;
  readonly stepMs: readonly number[];
}

export interface RerollResult extends FrameGeometry {
  readonly fromK: number;
  /** Seed of the generate this re-roll branched from. */
  readonly parentSeed: number;
  readonly branches: readonly RerollBranch[];
  readonly memory: EngineMemory;
}

export type CancelParams = Record<string, never>;
export interface CancelResult {
  /** Sampling requests that were running or queued and are now cancelled. */
  readonly cancelled: number;
}

export type MemoryParams = Record<string, never>;

/** Seed of branch `b` of a re-roll with base seed `seed` (both sides agree on this mix). */
export function branchSeed(seed: number, b: number): number {
  let x = (seed ^ Math.imul(b + 1, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

// ─── uploads ────────────────────────────────────────────────────────────────────────────

/** One file as read by the UI (bytes transferred); decoding happens in the worker. */
export interface UploadFile {
  readonly name: string;
  readonly bytes: ArrayBuffer;
}

export interface DecodeImagesParams {
  readonly files: readonly UploadFile[];
  /** The model's image size and channels: every image is centre-cropped and resized to it. */
  readonly size: number;
  readonly channels: 1 | 3;
}

/** A decoded image: `pixels` is size × size × channels uint8 (transferred), or why not. */
export type DecodedImage =
  | { readonly name: string; readonly ok: true; readonly pixels: ArrayBuffer; readonly width: number; readonly height: number; readonly format: string }
  | { readonly name: string; readonly ok: false; readonly error: string };

export interface DecodeImagesResult {
  readonly images: readonly DecodedImage[];
  readonly ms: number;
}

// ─── training ───────────────────────────────────────────────────────────────────────────

/**
 * Where a run starts. 'finetune': G and its EMA copy from the loaded model's (EMA) generator,
 * a fresh discriminator (shipped models carry no discriminator or optimiser state).
 * 'scratch': fresh G and D with the loaded model's architecture. 'resume': a resume
 * checkpoint (autosave) with G, D, EMA G, both optimisers and the iteration.
 */
export type TrainingInit =
  | { readonly kind: 'finetune' }
  | { readonly kind: 'scratch' }
  | { readonly kind: 'resume'; readonly modelJson: unknown; readonly weights: ArrayBuffer };

/** The training images. Built-in sets are fetched by the worker from the app's origin. */
export type TrainingData =
  | { readonly kind: 'pixels'; readonly name: string; readonly pixels: ArrayBuffer; readonly count: number; readonly size: number; readonly channels: number }
  | { readonly kind: 'mnist'; readonly dataUrl: string; readonly digits: readonly number[] }
  | {
      readonly kind: 'emoji';
      readonly dataUrl: string;
      readonly category: number | null;
      readonly search: string;
      /** 'icons': the same emoji in three styles (icons-train); absent or 'emoji': Twemoji alone. */
      readonly set?: EmojiSet;
    };

/** The built-in emoji data sets: Twemoji alone, or Twemoji, Noto and Fluent side by side. */
export const EMOJI_SETS = ['emoji', 'icons'] as const;
export type EmojiSet = (typeof EMOJI_SETS)[number];

/**
 * The training recipes of the Train panel (src/core/training/imageGan.ts). Both train the
 * DD-GAN generator; they differ in the discriminator: 'ddgan' judges denoising pairs
 * (x_{k−1}, x_k, k), 'diffusion-gan' judges diffused images (y, t) made from the whole
 * sampling chain, with an adaptive number of diffusion steps T_dg.
 */
export const TRAINING_RECIPES = ['ddgan', 'diffusion-gan'] as const satisfies readonly ImageGanRecipe[];
export type TrainingRecipe = (typeof TRAINING_RECIPES)[number];

export function isTrainingRecipe(v: unknown): v is TrainingRecipe {
  return (TRAINING_RECIPES as readonly unknown[]).includes(v);
}

export interface TrainingSettings {
  /** A fresh run's recipe ('ddgan' when absent: sessions saved before the choice). A resumed run keeps its saved one. */
  readonly recipe?: TrainingRecipe;
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

/** One iteration's numbers: a delta, never a history (STYLE anti-pattern 4). */
export interface IterationStats {
  readonly iteration: number;
  readonly lossD: number;
  readonly lossG: number;
  /** NaN on iterations without the (lazy) R1 penalty. */
  readonly r1: number;
  readonly dReal: number;
  readonly dFake: number;
  readonly ms: number;
  /** Diffusion-GAN only: the adaptive number of diffusion steps T_dg after this iteration. */
  readonly diffusionT?: number;
  /** Diffusion-GAN only: r_d = E[sign(D(y_real))] of the last adaptive-T interval (NaN before the first). */
  readonly rd?: number;
}

export type TrainingState = 'running' | 'paused' | 'diverged' | 'stopped' | 'done';

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
      readonly recipe: TrainingRecipe;
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

/** A model file exported by this app (src/core/models/modelFile.ts), as its raw bytes. */
export interface ImportModelParams {
  readonly name: string;
  readonly bytes: ArrayBuffer;
  readonly warmupBatch: number;
  /** As in LoadModelParams. */
  readonly batchSizes?: readonly number[];
}

export type TrainingControlParams = Record<string, never>;
export interface TrainingControlResult {
  /** State after the command; null when no training run exists. */
  readonly state: TrainingState | null;
  readonly iteration: number;
}

// ─── mode-coverage lab (2-D toy data) ───────────────────────────────────────────────────

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

/** The lab's data sets, as core/toy/data.ts names them (repeated here: no runtime import). */
export const TOY_LAB_DATASETS = ['grid25', 'ring8', 'swissroll', 'moons'] as const satisfies readonly ToyDatasetName[];
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

// ─── compare view (DD-GAN vs the DDPM samplers, the T ablation, class guidance) ──────────

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

export const MAX_BATCH = 64;
export const MAX_BRANCHES = 8;

// ─── the command table ──────────────────────────────────────────────────────────────────

/** One entry per command: `params` in, `result` out, `progress` while it runs. */
export interface CommandSpecs {
  init: { params: InitParams; result: InitResult; progress: never };
  probeGenerator: { params: ProbeGeneratorParams; result: ProbeGeneratorResult; progress: ProbeProgress };
  loadModel: { params: LoadModelParams; result: LoadModelResult; progress: LoadModelProgress };
  warmup: { params: WarmupParams; result: WarmupResult; progress: WarmupProgress };
  generate: { params: GenerateParams; result: GenerateResult; progress: StepProgress };
  reroll: { params: RerollParams; result: RerollResult; progress: StepProgress };
  cancel: { params: CancelParams; result: CancelResult; progress: never };
  memory: { params: MemoryParams; result: EngineMemory; progress: never };
  decodeImages: { params: DecodeImagesParams; result: DecodeImagesResult; progress: never };
  startTraining: { params: StartTrainingParams; result: StartTrainingResult; progress: TrainingProgress };
  pauseTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  resumeTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  stepTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  stopTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  /** Loads a model file in place of the current model (like loadModel, from bytes). */
  importModel: { params: ImportModelParams; result: LoadModelResult; progress: WarmupProgress };
  /** After a divergence: restore the last good checkpoint and pause there. */
  rollbackTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  /** Writes a resume checkpoint (autosave) now, at the next iteration boundary: the page is being hidden or left. */
  saveTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  /** Trains the chosen toy recipes side by side until the budget or a stop (holds the queue). */
  startToyLab: { params: StartToyLabParams; result: StartToyLabResult; progress: ToyLabProgress };
  pauseToyLab: { params: ToyLabControlParams; result: ToyLabControlResult; progress: never };
  resumeToyLab: { params: ToyLabControlParams; result: ToyLabControlResult; progress: never };
  stopToyLab: { params: ToyLabControlParams; result: ToyLabControlResult; progress: never };
  /** Samples the same seed through several checkpoints and samplers, row by row or in turns. */
  compare: { params: CompareParams; result: CompareResult; progress: CompareProgress };
}

export type CommandType = keyof CommandSpecs;
export type ParamsOf<K extends CommandType> = CommandSpecs[K]['params'];
export type ResultOf<K extends CommandType> = CommandSpecs[K]['result'];
export type ProgressOf<K extends CommandType> = CommandSpecs[K]['progress'];

export const COMMAND_TYPES = [
  'init',
  'probeGenerator',
  'loadModel',
  'warmup',
  'generate',
  'reroll',
  'cancel',
  'memory',
  'decodeImages',
  'startTraining',
  'pauseTraining',
  'resumeTraining',
  'stepTraining',
  'stopTraining',
  'rollbackTraining',
  'saveTraining',
  'importModel',
  'startToyLab',
  'pauseToyLab',
  'resumeToyLab',
  'stopToyLab',
  'compare',
] as const satisfies readonly CommandType[];

/**
 * Commands answered on arrival, outside the serial queue: `startTraining` and `startToyLab`
 * hold the queue for the whole run, so their controls must not wait behind them;
 * `decodeImages` uses no tfjs (OffscreenCanvas only), so uploads decode while a run trains.
 */
export const IMMEDIATE_COMMANDS: readonly CommandType[] = [
  'cancel',
  'decodeImages',
  'pauseTraining',
  'resumeTraining',
  'stepTraining',
  'stopTraining',
  'rollbackTraining',
  'saveTraining',
  'pauseToyLab',
  'resumeToyLab',
  'stopToyLab',
];

/** Commands that supersede (cancel) any sampling request still running or queued. */
export const SUPERSEDING_COMMANDS: readonly CommandType[] = ['init', 'loadModel', 'importModel', 'warmup', 'generate', 'reroll', 'compare', 'cancel'];

/** Commands that run sampling and can therefore be cancelled. */
export const CANCELLABLE_COMMANDS: readonly CommandType[] = ['loadModel', 'importModel', 'warmup', 'generate', 'reroll', 'compare'];

/** UI → worker. A union over `type`, so `switch (cmd.type)` narrows `params`. */
export type Command = { [K in CommandType]: { readonly id: RequestId; readonly type: K; readonly params: ParamsOf<K> } }[CommandType];

// ─── errors ─────────────────────────────────────────────────────────────────────────────

/**
 * Literal error codes (STYLE habit 10). The UI can branch on them; the message says what
 * to do about it.
 */
export const ERROR_CODES = [
  /** The message is not a well-formed command (unknown type, bad params). */
  'bad-request',
  /** The generator config does not describe a buildable network. */
  'invalid-config',
  /** The requested backend could not be initialised here. */
  'backend-unavailable',
  /** A model command arrived before a successful `init`. */
  'not-initialised',
  /** The checkpoint could not be fetched or is not a usable DD-GAN generator. */
  'model-load-failed',
  /** A sampling command arrived before a model was loaded. */
  'no-model',
  /** A re-roll arrived before any generate finished on the loaded model. */
  'no-history',
  /** A newer request (or `cancel`) superseded this one; not a failure. */
  'cancelled',
  /** The worker script failed to load or crashed (reported by the client). */
  'worker-crashed',
  /** The client was disposed while the request was in flight. */
  'disposed',
  /** An uploaded file or a built-in data set could not be turned into training data. */
  'bad-data',
  /** A training command that needs a run arrived when there is none (or a second run). */
  'no-training',
  /** Anything else: a bug or an unexpected runtime failure. */
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && (ERROR_CODES as readonly string[]).includes(s);
}

/** The form in which an error crosses the worker boundary. */
export interface SerializedError {
  readonly name: string;
  readonly code: ErrorCode;
  readonly message: string;
}

// ─── events ─────────────────────────────────────────────────────────────────────────────

export type EngineResultEvent = { [K in CommandType]: { readonly id: RequestId; readonly kind: 'result'; readonly type: K; readonly result: ResultOf<K> } }[CommandType];

export type EngineProgressEvent = {
  [K in CommandType]: { readonly id: RequestId; readonly kind: 'progress'; readonly type: K; readonly progress: ProgressOf<K> };
}[CommandType];

export interface EngineErrorEvent {
  readonly id: RequestId;
  readonly kind: 'error';
  /** Absent when the command was too malformed to have a type. */
  readonly type?: CommandType;
  readonly error: SerializedError;
}

/** worker → UI. `switch (ev.kind)` narrows to one of the three. */
export type EngineEvent = EngineResultEvent | EngineProgressEvent | EngineErrorEvent;

// ─── the API both sides implement ───────────────────────────────────────────────────────

export interface RequestOptions<K extends CommandType> {
  onProgress?: (progress: ProgressOf<K>) => void;
}

/**
 * The engine as the UI sees it: one async method per command. `EngineClient` implements it
 * over postMessage; tests can implement it in-process with a fake (STYLE habit 7).
 */
export type EngineApi = {
  [K in CommandType]: (params: ParamsOf<K>, opts?: RequestOptions<K>) => Promise<ResultOf<K>>;
};

// ─── runtime guards for the worker's inbox ──────────────────────────────────────────────

/**
 * Checks the envelope of an incoming message (id + known type + params object). Param
 * fields are validated by each handler, which knows what it needs.
 */
export function parseCommand(data: unknown): { ok: true; command: Command } | { ok: false; id: RequestId; message: string } {
  if (typeof data !== 'object' || data === null) return { ok: false, id: -1, message: 'message is not an object' };
  const rec = data as Record<string, unknown>;
  const id = rec.id;
  if (typeof id !== 'number' && typeof id !== 'string') return { ok: false, id: -1, message: 'message has no numeric or string id' };
  const type = rec.type;
  if (typeof type !== 'string' || !(COMMAND_TYPES as readonly string[]).includes(type)) {
    return { ok: false, id, message: `unknown command type ${JSON.stringify(type)}; expected one of ${COMMAND_TYPES.join(', ')}` };
  }
  if (typeof rec.params !== 'object' || rec.params === null) return { ok: false, id, message: `command ${type} has no params object` };
  // The envelope is checked; the params' fields are the handler's business.
  return { ok: true, command: data as Command };
}
