/**
 * The app state's shape, shared by the slices (src/store/slices/*) and the UI. Plain data
 * only: frames are RGBA bytes, never tensors; nothing here runs model code (DESIGN §1).
 */
import type { FewshotSet } from '../core/data/fewshot';
import type { AuxiliaryEntry, ModelIndexEntry, SkippedModel } from './modelCatalog';
import type { Frame, Trajectory, View } from './history';
import type { BatchSize } from './settings';
import type { SessionStorage, SessionSummary, TrainSeries } from './sessions';
import type { SessionLocks } from './sessionLocks';
import type { SelectableSet } from '../core/data/selection';
import type { DdpmSamplerSpec, SamplerKind } from '../core/diffusion/samplers/specs';
import type { NumericSetting } from '../worker/trainingSettings';
import type {
  BackendRequest,
  CompareJudgeStats,
  CompareOrder,
  ComparePreview,
  EngineApi,
  EngineMemory,
  InitResult,
  LoadModelResult,
  ProbeGeneratorResult,
  ProbeProgress,
  SerializedError,
  EmojiSet,
  TrainingCheckpoint,
  TrainingRecipe,
  TrainingSettings,
  TrainingState,
  ToyDatasetName,
  ToyLabIntervalStats,
  ToyLabMetrics,
  ToyLabRecipeInfo,
  ToyLabRecipeId,
  ToyLabSettings,
  ToyLabState,
  WarmupProgress,
} from '../worker/protocol';

export type { TrainSeries };

export type EngineStatus = 'idle' | 'initialising' | 'ready' | 'error';
export type ProbeStatus = 'idle' | 'running' | 'done' | 'error';
export type CatalogStatus = 'idle' | 'loading' | 'ready' | 'error';
/** downloading → warming → ready; warming again when a new batch size needs it. */
export type ModelStatus = 'idle' | 'downloading' | 'warming' | 'ready' | 'error';
export type RunStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'error';

export interface ProbeSettings {
  readonly baseChannels: number;
  readonly batch: number;
  readonly seed: number;
}

export interface EngineSlice {
  readonly status: EngineStatus;
  readonly requested: BackendRequest;
  readonly info: InitResult | null;
  readonly error: SerializedError | null;
  /** tf.memory() of the worker after its last model command. */
  readonly memory: EngineMemory | null;
  /**
   * A switch asked for from the UI that waits for a yes: webgpu on an adapter known to be
   * software (a CPU emulation of a GPU), with the adapter and why it counts as software.
   */
  readonly pending: { readonly backend: BackendRequest; readonly adapter: string; readonly why: string } | null;
  /** Set while running webgpu on a software adapter: the adapter (slow; the UI offers a way back). */
  readonly slowAdapter: string | null;
  /** Whether `requested` may be remembered on this device (not a choice that runs this slowly). */
  readonly remember: boolean;
}

export interface ProbeSlice {
  readonly status: ProbeStatus;
  readonly settings: ProbeSettings;
  readonly progress: ProbeProgress | null;
  readonly result: ProbeGeneratorResult | null;
  readonly error: SerializedError | null;
}

export interface ModelsSlice {
  readonly catalogStatus: CatalogStatus;
  /** DD-GAN generators: what the model picker offers. */
  readonly catalog: readonly ModelIndexEntry[];
  /** DDPM ε-nets and classifiers for the Compare view (never in the model picker). */
  readonly auxiliary: readonly AuxiliaryEntry[];
  readonly skipped: readonly SkippedModel[];
  readonly catalogError: string | null;
  /** Catalog name of the model the user picked (loaded or loading). */
  readonly selected: string | null;
  readonly status: ModelStatus;
  readonly loadedBytes: number;
  readonly totalBytes: number;
  readonly warmup: WarmupProgress | null;
  readonly result: LoadModelResult | null;
  /** Batch sizes warmed up on the current backend for the current model. */
  readonly warmBatches: readonly number[];
  readonly error: SerializedError | null;
  /** File name of an imported model now loaded in place of the selected catalog model. */
  readonly imported: string | null;
}

/** Timings of the last finished run (ms). */
export interface RunStats {
  /** What reproduces the run: model (catalog name; null for an imported file), seed and batch. */
  readonly model: string | null;
  readonly seed: number;
  readonly batch: number;
  readonly backend: string;
  readonly stepMs: readonly number[];
  readonly totalMs: number;
}

export interface GenerateSlice {
  readonly status: RunStatus;
  readonly batch: BatchSize;
  /**
   * The seed field: the seed of the next Generate until it runs, then the seed of the picture
   * shown. With `randomSeed`, a Generate after that draws a fresh one (shown as it starts).
   */
  readonly seed: number;
  readonly randomSeed: boolean;
  /** True once a run has used `seed`: with `randomSeed`, the next Generate draws a new one. */
  readonly seedUsed: boolean;
  readonly slowMotion: boolean;
  readonly trajectory: Trajectory | null;
  /** Slider position 0..T (x_T … x_0). */
  readonly position: number;
  readonly view: View;
  /** While true, the slider follows the newest frame. Scrubbing turns it off. */
  readonly follow: boolean;
  readonly playing: boolean;
  readonly stats: RunStats | null;
  readonly error: SerializedError | null;
  /** Generations finished in this session (a test hook for leak checks, also shown). */
  readonly count: number;
  /** Set when a loaded model's batch limit lowered `batch`: what happened and why. */
  readonly batchNotice: string | null;
}

export interface RerollSlice {
  readonly status: RunStatus;
  readonly fromK: number | null;
  readonly branchCount: number;
  readonly branches: readonly Trajectory[];
  readonly seeds: readonly number[];
  readonly error: SerializedError | null;
}

/** Which trajectory a sample comes from: the main run, or re-roll branch i. */
export type TrajectoryRef = { readonly kind: 'main' } | { readonly kind: 'branch'; readonly index: number };

export interface Enlarged {
  readonly source: TrajectoryRef;
  readonly sample: number;
}

/** One decoded upload: `pixels` is size × size × channels uint8 at the model's size. */
export interface UploadItem {
  readonly id: number;
  readonly name: string;
  readonly pixels: Uint8Array;
  readonly size: number;
  readonly channels: number;
  /** The original image's dimensions and format. */
  readonly width: number;
  readonly height: number;
  readonly format: string;
}

export interface UploadProblem {
  readonly name: string;
  readonly message: string;
}

/** What `addFiles` needs of a file; a DOM `File` is one. */
export interface UploadSource {
  readonly name: string;
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type DataSource = 'uploads' | 'mnist' | 'emoji';
export type TrainStatus = 'idle' | 'starting' | TrainingState | 'error';

export interface PreviewFrame {
  readonly iteration: number;
  /** RGBA8, [batch, height, width, 4]. */
  readonly frame: Uint8ClampedArray<ArrayBuffer>;
  readonly batch: number;
  readonly width: number;
  readonly height: number;
  /** Per sample, the index into the run's `runUploads` of its nearest upload (runs on uploads only). */
  readonly nearest?: readonly number[];
}

export interface TrainRunInfo {
  readonly init: 'finetune' | 'scratch' | 'resume';
  readonly recipe: TrainingRecipe;
  readonly images: number;
  readonly generatorParams: number;
  readonly discriminatorParams: number;
  readonly imageSize: number;
  readonly channels: number;
  readonly startIteration: number;
}

export interface TrainSlice {
  readonly source: DataSource;
  readonly uploads: readonly UploadItem[];
  readonly problems: readonly UploadProblem[];
  /** Files being read and decoded (null when idle). */
  readonly decoding: { readonly done: number; readonly total: number } | null;
  readonly digits: readonly number[];
  readonly emojiCategory: number | null;
  readonly emojiSearch: string;
  /** Which emoji images: Twemoji alone ('emoji') or three styles of each ('icons'). */
  readonly emojiSet: EmojiSet;
  readonly init: 'finetune' | 'scratch';
  readonly settings: TrainingSettings;
  readonly status: TrainStatus;
  readonly run: TrainRunInfo | null;
  readonly note: string | null;
  /** The latest state message (divergence, rollback). */
  readonly message: string | null;
  readonly error: SerializedError | null;
  readonly iteration: number;
  readonly elapsedMs: number;
  readonly memory: EngineMemory | null;
  readonly series: TrainSeries;
  readonly length: number;
  readonly previews: readonly PreviewFrame[];
  /** Index into `previews` shown in the grid; null follows the newest. */
  readonly previewIndex: number | null;
  readonly lastGoodIteration: number | null;
  readonly checkpoint: TrainingCheckpoint | null;
  /** The page is hidden (background tab): browsers throttle it. */
  readonly hidden: boolean;
  /** Saved sessions (newest first) and the one this run autosaves to. */
  readonly sessions: readonly SessionSummary[];
  readonly sessionId: string | null;
  /**
   * The newest autosave notice, and `savedIteration`: the newest iteration this run has
   * written (null until one is). Under load one write follows the next, so 'saved' may
   * never be the current status for long; `savedIteration` still says what is kept.
   */
  readonly autosave: { readonly status: 'idle' | 'saving' | 'saved' | 'error'; readonly iteration: number; readonly message: string | null; readonly savedIteration: number | null };
  /**
   * The ready-made few-shot sets offered beside the uploads (16 icons of one theme in a style
   * the base never saw); null until read, with `sampleSetsError` set when they cannot be.
   */
  readonly sampleSets: readonly FewshotSet[] | null;
  readonly sampleSetsError: string | null;
  /** Images the built-in choice (MNIST digits, emoji filter) selects, of how many; null while unknown. */
  readonly selection: { readonly count: number; readonly total: number } | null;
  /** Why a value typed into a setting field was refused (the field keeps the last valid value). */
  readonly settingErrors: Readonly<Partial<Record<NumericSetting, string>>>;
  /** The model the current (or last) run started from: names its saved session and its export. */
  readonly modelName: string | null;
  /** Set when the run was brought back by itself after a reload or a crash: what came back. */
  readonly restored: string | null;
  /**
   * The uploads the current (or last) run trains on, in the order the worker received them
   * (null for a built-in data set): what a preview's `nearest` indices point at.
   */
  readonly runUploads: readonly UploadItem[] | null;
}

export type LabStatus = 'idle' | 'starting' | ToyLabState | 'error';

/** The lab's numeric settings (the data set and the recipes are chosen separately). */
export type LabSettingsFields = Omit<ToyLabSettings, 'dataset' | 'recipes'>;

/** One recipe of a lab run, as of its latest report. */
export interface LabRecipeView extends ToyLabRecipeInfo {
  /** Iteration of the latest report. */
  readonly iteration: number;
  readonly reports: number;
  /** Generated points of the latest report, row-major [n × 2], data coordinates. */
  readonly points: Float32Array | null;
  readonly metrics: ToyLabMetrics | null;
  /** Means over the iterations before the latest report that had any. */
  readonly stats: ToyLabIntervalStats | null;
  readonly diffusion: { readonly T: number; readonly p: number; readonly rd: number } | null;
  /** DD-GAN: the particles of `points` along x_T … x_0, [(T + 1) × n × 2]. */
  readonly trajectory: { readonly T: number; readonly frames: Float32Array } | null;
  readonly trainMs: number;
  readonly diverged: { readonly iteration: number; readonly message: string } | null;
}

/** Diffusion-GAN's T per iteration, as columns appended in place (`traceLength` changes). */
export interface LabTrace {
  readonly iteration: number[];
  readonly T: number[];
}

export interface LabSlice {
  readonly dataset: ToyDatasetName;
  /** The recipes picked, in the protocol's order. */
  readonly recipes: readonly ToyLabRecipeId[];
  readonly settings: LabSettingsFields;
  readonly status: LabStatus;
  readonly error: SerializedError | null;
  /** What the running (or last) run was started with, and its real points (grey layer). */
  readonly run: { readonly dataset: ToyDatasetName; readonly iterations: number; readonly extent: number; readonly real: Float32Array } | null;
  readonly results: readonly LabRecipeView[];
  readonly trace: LabTrace;
  readonly traceLength: number;
  /** Iterations each recipe has trained (from ticks and reports), by recipe. */
  readonly trained: Readonly<Partial<Record<ToyLabRecipeId, number>>>;
  /** DD-GAN plots: the chain step shown, 0 = x_T … T = x_0; absent = x_0 (follows new reports). */
  readonly chainStep: Readonly<Partial<Record<ToyLabRecipeId, number>>>;
  /** Training time of the run so far (pauses excluded). */
  readonly elapsedMs: number;
  readonly memory: EngineMemory | null;
}

/** A row of the compare view; 'missing': the index has no model for it (it is not run). */
export type CompareRowStatus = 'missing' | 'waiting' | 'loading' | 'running' | 'done' | 'error' | 'cancelled';

export interface CompareRowView {
  /**
   * The sampler's id in the trilemma run ('ddgan', 'ddim', 'dpm-solver', 'ddpm' for
   * ancestral; core samplers/specs.ts), `t<T>-<model>` in the ablation, 'guided'.
   */
  readonly id: string;
  /** 'DD-GAN T = 4', 'DDIM-50', 'DPM-Solver++ 20', 'DDPM-1000'. */
  readonly label: string;
  /** Catalog name of the checkpoint ('' when missing). */
  readonly model: string;
  readonly sampler: SamplerKind;
  /** Where the checkpoint's stored metrics for this sampler are (compareModels.ts `rowMetricKeys`). */
  readonly metricKeys: readonly string[];
  readonly status: CompareRowStatus;
  /** Network calls of the whole run (= its steps); known once the row starts. */
  readonly steps: number;
  /** Steps done (= NFE so far). */
  readonly step: number;
  /** Diffusion index of the latest step's input (k or t); null before the first step. */
  readonly t: number | null;
  /** The row's own sampling time so far (turns of other rows excluded). */
  readonly elapsedMs: number;
  readonly warmupMs: number | null;
  /** Measured when done; while running, projected from the steps so far. */
  readonly imagesPerSecond: number | null;
  readonly download: { readonly loadedBytes: number; readonly totalBytes: number } | null;
  /** The latest preview (or, once done, the final samples) and the step it shows. */
  readonly frame: Frame | null;
  readonly frameStep: number;
  readonly final: boolean;
  readonly batch: number;
  readonly width: number;
  readonly height: number;
  readonly guided: boolean;
  /** The class the row was steered toward (class control); null for the other rows. */
  readonly target: number | null;
  readonly judge: CompareJudgeStats | null;
  /** Why the row did not run or failed ('missing' rows: what the index lacks). */
  readonly error: SerializedError | null;
}

export interface CompareRunView {
  readonly status: RunStatus;
  readonly error: SerializedError | null;
  readonly seed: number | null;
  readonly batch: number;
  readonly rows: readonly CompareRowView[];
  /** Request to result (downloads included), once finished. */
  readonly totalMs: number | null;
}

/** One guided batch as scored by the judge (the class-control table, one point per run). */
export interface GuidedPoint {
  readonly digit: number;
  readonly scale: number;
  readonly sampler: SamplerKind;
  readonly model: string;
  readonly batch: number;
  readonly seed: number;
  readonly accuracy: number | null;
  readonly diversity: number | null;
  readonly confidence: number;
}

/** A DDPM sampler the trilemma run may put beside the DD-GAN, with its parameters. */
export interface CompareBaseline {
  readonly spec: DdpmSamplerSpec;
  /** Whether the user picked it for the run. */
  readonly on: boolean;
}

export interface CompareSettings {
  /** Images per row (1..COMPARE_LIMITS.batch). */
  readonly batch: number;
  readonly seed: number;
  readonly order: CompareOrder;
  readonly preview: ComparePreview;
  /** Chosen checkpoints by catalog name; null: the default pick (compareModels.ts). */
  readonly ddgan: string | null;
  readonly ddpm: string | null;
  /** The DDPM samplers of the trilemma run, one per sampler of the core list (compareModels.ts `defaultBaselines`). */
  readonly baselines: readonly CompareBaseline[];
  /** Class control: the digit, the guidance scale s and the sampler it steers. */
  readonly digit: number;
  /** Class control's own images per batch and seed (1..COMPARE_LIMITS.batch). */
  readonly guidedBatch: number;
  readonly guidedSeed: number;
  readonly scale: number;
  /** DD-GAN or a DDPM sampler with a step count (compareModels.ts `guidableSamplers`); its steps are its baseline's. */
  readonly guidedSampler: SamplerKind;
}

export interface CompareSlice {
  readonly settings: CompareSettings;
  /** DD-GAN T = 4 vs the picked DDPM samplers (DDIM-50, DDPM-1000, …) on the same seed. */
  readonly trilemma: CompareRunView;
  /** One small grid per DD-GAN T of the family. */
  readonly ablation: CompareRunView;
  /** The latest guided batch. */
  readonly guided: CompareRunView;
  readonly guidedHistory: readonly GuidedPoint[];
}

export interface AppActions {
  /** Fetches the model list and initialises the engine, then loads the selected model. */
  boot(): Promise<void>;
  /**
   * (Re)initialises the engine on `backend`; the latest call wins if several overlap. webgpu
   * on an adapter already known to be software only sets `engine.pending` (a warning to
   * confirm) unless `confirmed`.
   */
  initEngine(backend: BackendRequest, opts?: { readonly confirmed?: boolean }): Promise<void>;
  /** Drops the pending switch (the user keeps the current backend). */
  cancelBackendSwitch(): void;
  loadCatalog(): Promise<void>;
  selectModel(name: string): Promise<void>;
  /** Loads (or retries loading) the selected model, with download and warm-up progress. */
  loadModel(): Promise<void>;
  /** Ignored for a batch over the loaded model's limit on this backend (models.result.batchLimit). */
  setBatch(batch: BatchSize): Promise<void>;
  dismissBatchNotice(): void;
  setSeed(seed: number): void;
  setRandomSeed(on: boolean): void;
  setSlowMotion(on: boolean): void;
  generate(): Promise<void>;
  /** Cancels whatever sampling runs in the worker. */
  stop(): Promise<void>;
  setPosition(position: number): void;
  stepPosition(delta: number): void;
  setView(view: GenerateSlice['view']): void;
  setPlaying(on: boolean): void;
  setBranchCount(n: number): void;
  /** Re-roll from step k (default: the x_k at the slider, or k = 1 at x_0). */
  reroll(fromK?: number): Promise<void>;
  enlarge(source: TrajectoryRef, sample: number): void;
  closeEnlarged(): void;
  setProbeSettings(patch: Partial<ProbeSettings>): void;
  runProbe(): Promise<void>;
  /** Reads and decodes files (in the worker); bad ones become problems, the rest load. */
  addFiles(files: readonly UploadSource[]): Promise<void>;
  /** Reads the list of ready-made few-shot sets (once; again after a failure). */
  loadSampleSets(): Promise<void>;
  /** Adds the images of one ready-made few-shot set to the uploads, as files would be. */
  addSampleSet(name: string): Promise<void>;
  removeUpload(id: number): void;
  clearUploads(): void;
  setDataSource(source: DataSource): void;
  setDigits(digits: readonly number[]): void;
  setEmojiFilter(category: number | null, search: string): void;
  /** Twemoji alone or three styles of each emoji (the category and search apply to both). */
  setEmojiSet(set: EmojiSet): void;
  setTrainInit(init: 'finetune' | 'scratch'): void;
  setTrainSettings(patch: Partial<TrainingSettings>): void;
  startTraining(): Promise<void>;
  pauseTraining(): Promise<void>;
  resumeTraining(): Promise<void>;
  stepTraining(): Promise<void>;
  stopTraining(): Promise<void>;
  rollbackTraining(): Promise<void>;
  selectPreview(index: number | null): void;
  setHidden(hidden: boolean): void;
  listSessions(): Promise<void>;
  /** Restores a saved session's data, curves and previews and continues training it. */
  resumeSession(id: string): Promise<void>;
  /**
   * After a reload or a crash: brings back the newest session whose run was interrupted
   * (saved while running or paused, and not open in another tab) and continues it.
   */
  restoreInterrupted(): Promise<void>;
  deleteSession(id: string): Promise<void>;
  /** Loads a model file exported by this app in place of the catalog model. */
  importModelFile(file: UploadSource): Promise<void>;
  /** The last training checkpoint's EMA generator as a model file (null: nothing trained). */
  exportModelFile(): { filename: string; bytes: Uint8Array } | null;
  setLabDataset(dataset: ToyDatasetName): void;
  toggleLabRecipe(id: ToyLabRecipeId, on: boolean): void;
  setLabSettings(patch: Partial<LabSettingsFields>): void;
  /** Trains the picked recipes side by side in the worker, following the reports. */
  startLab(): Promise<void>;
  pauseLab(): Promise<void>;
  resumeLab(): Promise<void>;
  stopLab(): Promise<void>;
  /** Shows step `step` of a DD-GAN plot's chain (null: follow x_0). */
  setChainStep(id: ToyLabRecipeId, step: number | null): void;
  setCompareSettings(patch: Partial<CompareSettings>): void;
  /** Samples the same seed with DD-GAN, DDIM and DDPM (the rows whose models exist). */
  runCompare(): Promise<void>;
  /** Draws a small grid from every DD-GAN T of the chosen model's family. */
  runAblation(): Promise<void>;
  /** Draws a batch guided toward the chosen digit at scale s, scored by the judge. */
  runGuided(): Promise<void>;
  /** Cancels the compare job running in the worker. */
  cancelCompare(): Promise<void>;
  clearGuidedHistory(): void;
}

export interface AppState {
  readonly engine: EngineSlice;
  readonly probe: ProbeSlice;
  readonly models: ModelsSlice;
  readonly gen: GenerateSlice;
  readonly reroll: RerollSlice;
  readonly enlarged: Enlarged | null;
  readonly train: TrainSlice;
  readonly lab: LabSlice;
  readonly compare: CompareSlice;
  readonly actions: AppActions;
}

/** What the store needs from its surroundings; tests inject fakes. */
export interface StoreEnv {
  readonly engine: EngineApi;
  /** Absolute URL of models/index.json; model folders resolve against it. */
  readonly indexUrl: string;
  fetchJson(url: string): Promise<unknown>;
  /** The bytes at `url` (default: fetch); throws on a failed response. */
  fetchBytes?(url: string): Promise<ArrayBuffer>;
  /** Uniform in [0, 1), for random seeds. */
  random(): number;
  /**
   * The saved training sessions, to list, load (resume) and delete; the engine worker writes
   * them (autosave). Absent: runs are not saved.
   */
  readonly sessions?: SessionStorage;
  /**
   * One tab per saved session (sessionLocks.ts). Absent: the browser's Web Locks where there
   * are any; null: no locking.
   */
  readonly locks?: SessionLocks | null;
  /** Labels and names of a built-in data set, to count a selection (default: fetched from the app's data/). */
  datasetIndex?(name: 'mnist-train' | 'emoji' | 'icons-train'): Promise<SelectableSet>;
  /** ISO time stamp (tests inject a fixed clock). */
  now?(): string;
}

export interface InitialSettings {
  readonly backend?: BackendRequest;
  readonly model?: string;
  readonly batch?: BatchSize;
  readonly seed?: number;
  readonly slowMotion?: boolean;
}

export type SetState = (fn: (s: AppState) => Partial<AppState>) => void;
export type GetState = () => AppState;
