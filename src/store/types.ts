/**
 * The app state's shape, shared by the slices (src/store/slices/*) and the UI. Plain data
 * only: frames are RGBA bytes, never tensors; nothing here runs model code (DESIGN §1).
 */
import type { ModelIndexEntry, SkippedModel } from './modelCatalog';
import type { Trajectory, View } from './history';
import type { BatchSize } from './settings';
import type {
  BackendRequest,
  EngineApi,
  EngineMemory,
  InitResult,
  LoadModelResult,
  ProbeGeneratorResult,
  ProbeProgress,
  SerializedError,
  WarmupProgress,
} from '../worker/protocol';

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
  readonly catalog: readonly ModelIndexEntry[];
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
}

/** Timings of the last finished run (ms). */
export interface RunStats {
  readonly seed: number;
  readonly batch: number;
  readonly backend: string;
  readonly stepMs: readonly number[];
  readonly totalMs: number;
}

export interface GenerateSlice {
  readonly status: RunStatus;
  readonly batch: BatchSize;
  /** The seed field; with `randomSeed`, replaced by a fresh seed at every Generate. */
  readonly seed: number;
  readonly randomSeed: boolean;
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

export interface AppActions {
  /** Fetches the model list and initialises the engine, then loads the selected model. */
  boot(): Promise<void>;
  /** (Re)initialises the engine on `backend`; the latest call wins if several overlap. */
  initEngine(backend: BackendRequest): Promise<void>;
  loadCatalog(): Promise<void>;
  selectModel(name: string): Promise<void>;
  /** Loads (or retries loading) the selected model, with download and warm-up progress. */
  loadModel(): Promise<void>;
  setBatch(batch: BatchSize): Promise<void>;
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
}

export interface AppState {
  readonly engine: EngineSlice;
  readonly probe: ProbeSlice;
  readonly models: ModelsSlice;
  readonly gen: GenerateSlice;
  readonly reroll: RerollSlice;
  readonly enlarged: Enlarged | null;
  readonly actions: AppActions;
}

/** What the store needs from its surroundings; tests inject fakes. */
export interface StoreEnv {
  readonly engine: EngineApi;
  /** Absolute URL of models/index.json; model folders resolve against it. */
  readonly indexUrl: string;
  fetchJson(url: string): Promise<unknown>;
  /** Uniform in [0, 1), for random seeds. */
  random(): number;
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
