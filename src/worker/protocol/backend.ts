/**
 * Protocol, backend and diagnostics: `init` (choose and start a tfjs backend), the generator
 * health check `probeGenerator`, and `memory` (tf.memory() of the worker).
 */
import type { GeneratorConfig } from '../../core/models/generator';
import { BACKENDS, type BackendName } from '../../shared/backends';
import type { WasmInfo, WasmThreadsParams } from '../wasmThreads';

export type { BackendName };

/** The backends the worker knows, in the order of the software fallback chain. */
export const BACKEND_NAMES: readonly BackendName[] = BACKENDS;

/** What the UI may ask for: a specific backend (honoured as asked), or 'auto'. */
export type BackendRequest = BackendName | 'auto';

export function isBackendRequest(s: string): s is BackendRequest {
  return s === 'auto' || (BACKEND_NAMES as readonly string[]).includes(s);
}

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

export type MemoryParams = Record<string, never>;
