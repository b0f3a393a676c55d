/**
 * The engine worker: a thin adapter between `postMessage` and the in-process `Engine`
 * (engine.ts), which owns the backend, the models, the runs and the command queue.
 *
 * This file supplies what only a dedicated worker has: the WebGPU adapter from
 * `navigator.gpu`, the wasm binaries Vite emitted and the wasm thread set-up, the Cache
 * Storage for downloaded weights, IndexedDB for autosaved sessions, and the page's origin.
 * Incoming messages go to `engine.receive`; engine events go back with `postMessage`, their
 * frame buffers transferred, never copied.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// `?url` makes Vite emit the binaries from the npm package into dist/ and hand us their
// (hashed) URLs, so nothing is fetched from a CDN at run time.
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { useBackend } from '../core/backend';
import { fetchCheckpoint } from '../core/models/checkpointFetch';
import { idbSessions } from '../shared/idbSessions';
import { Engine, type EngineHost } from './engine';
import { messageOf } from './errors';
import type { AdapterFacts, EngineEvent } from './protocol';
import { loadTrainingData } from './trainingData';
import { chooseThreadCount, describeThreads, reportedConcurrency, withReportedConcurrency, type ThreadChoice, type WasmInfo, type WasmThreadsParams } from './wasmThreads';
import { cacheStorageWeights } from './weightCache';

// The tsconfig loads both the DOM and WebWorker libs (the UI and the worker share it), so
// `self` is typed as Window; this file only ever runs as a dedicated worker.
const scope = self as unknown as DedicatedWorkerGlobalScope;

// Must happen before the wasm backend is first initialised; a map (not a folder prefix)
// because Vite renames each file with a content hash.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
});

// Multithreaded wasm (wasmThreads.ts): the production build keeps the threaded factory
// intact for its pthread workers (src/scripts/threadedWasmFactory.ts), so the threaded-SIMD
// build runs wherever the worker is cross-origin isolated.

/**
 * The thread count the wasm backend was started with: fixed for the worker's life, since
 * tfjs instantiates the wasm module once (null until wasm first starts).
 */
let wasmThreads: { readonly choice: ThreadChoice; readonly params: WasmThreadsParams } | null = null;

/** What the browser says about its WebGPU adapter; never throws. */
async function adapterFacts(): Promise<AdapterFacts> {
  // The lib types declare navigator.gpu as always present; at run time it is missing in
  // browsers without WebGPU (and in Chromium without --enable-unsafe-webgpu on Linux).
  const gpu: GPU | undefined = 'gpu' in navigator ? navigator.gpu : undefined;
  if (!gpu) return { available: false, detail: 'navigator.gpu is missing: this browser has no WebGPU, or it is disabled' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { available: false, detail: `requestAdapter() threw: ${messageOf(e)}` };
  }
  if (!adapter) return { available: false, detail: 'requestAdapter() returned null (no usable GPU adapter)' };
  // `info.isFallbackAdapter` is the current spec; older Chromium exposed the flag on the
  // adapter itself. Both are read so an old browser's software adapter is still recognised.
  const legacy = adapter as GPUAdapter & { readonly isFallbackAdapter?: boolean };
  const info: Partial<GPUAdapterInfo> = adapter.info ?? {};
  return {
    available: true,
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: info.isFallbackAdapter ?? legacy.isFallbackAdapter ?? false,
  };
}

/**
 * Starts the wasm backend with the thread count chosen from the core count and `?threads=`
 * (wasmThreads.ts): set before the module exists, and with the worker's
 * navigator.hardwareConcurrency reporting 2 × threads while the module is instantiated, so
 * the C++ cap (min(requested, cores / 2, 8)) lets them all through. One thread runs the
 * single-threaded SIMD build (no pthread pool). Later calls only switch back to it.
 */
async function startWasm(params: WasmThreadsParams): Promise<void> {
  if (wasmThreads !== null) return useBackend('wasm');
  const choice = chooseThreadCount(navigator.hardwareConcurrency, params);
  if (choice.threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(choice.threads);
  await withReportedConcurrency(navigator, reportedConcurrency(choice.threads), () => useBackend('wasm'));
  wasmThreads = { choice, params };
}

async function wasmInfo(): Promise<WasmInfo> {
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threaded = simd && Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  const threads = getThreadsCount();
  const isolated = scope.crossOriginIsolated === true;
  const started = wasmThreads ?? { choice: { threads, why: 'unknown' }, params: {} };
  const why = describeThreads({ choice: started.choice, threads, threaded, isolated, isolation: started.params.isolation });
  return { simd, threads, requestedThreads: started.choice.threads, threaded, isolated, why };
}

/** Downloaded checkpoints, kept for later visits (Cache Storage; undefined where there is none). */
const weightCache = cacheStorageWeights() ?? undefined;

const host: EngineHost = {
  origin: scope.location.origin,
  adapterFacts,
  startBackend: (name, wasm) => (name === 'wasm' ? startWasm(wasm) : useBackend(name)),
  wasmInfo,
  loadCheckpoint: (url, onProgress) => fetchCheckpoint(url, onProgress, weightCache),
  loadTrainingData: (data, size, channels) => loadTrainingData(data, size, channels, scope.location.origin),
  // IndexedDB where the browser gives workers one.
  sessions: () => (typeof indexedDB !== 'undefined' ? idbSessions() : null),
};

/** ArrayBuffers inside a plain event payload (a few levels deep), to transfer rather than copy. */
function transferables(value: unknown, out: ArrayBuffer[] = [], depth = 0): ArrayBuffer[] {
  if (value instanceof ArrayBuffer) out.push(value);
  else if (depth < 4 && typeof value === 'object' && value !== null) {
    for (const v of Array.isArray(value) ? value : Object.values(value)) transferables(v, out, depth + 1);
  }
  return out;
}

function post(event: EngineEvent): void {
  const transfer = event.kind === 'error' ? [] : transferables(event.kind === 'result' ? event.result : event.progress);
  scope.postMessage(event, transfer);
}

const engine = new Engine(host, post);

scope.addEventListener('message', (e: MessageEvent<unknown>) => engine.receive(e.data));
