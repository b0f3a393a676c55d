/**
 * Protocol, model loading: `loadModel` (a checkpoint folder of the app's origin),
 * `importModel` (a model file's bytes) and `warmup`, with the batch limit measured after a load.
 */
import type { BackendName } from '../../shared/backends';
import type { EngineMemory } from './backend';

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

/** A model file exported by this app (src/core/models/modelFile.ts), as its raw bytes. */
export interface ImportModelParams {
  readonly name: string;
  readonly bytes: ArrayBuffer;
  readonly warmupBatch: number;
  /** As in LoadModelParams. */
  readonly batchSizes?: readonly number[];
}
