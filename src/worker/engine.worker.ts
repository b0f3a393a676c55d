/**
 * The engine worker: a thin adapter from protocol commands to core-library calls.
 *
 * It owns the tfjs backend, the loaded model and the step history (through one
 * `DdganEngine`, ddganEngine.ts). Each command is handled in a try/catch and answered with
 * exactly one `result` or `error` event carrying the command's id, after any number of
 * `progress` events. Commands run one at a time, in arrival order: tfjs has a single global
 * backend, and switching it in the middle of a forward pass (an `init` overtaking a
 * `generate` at an `await`) would move tensors under the pass.
 *
 * Cancellation happens on *arrival*, outside that queue: a superseding command (protocol.ts,
 * SUPERSEDING_COMMANDS) aborts the sampling request that is running and any queued behind
 * it, so a newer Generate never waits for an older one to finish; `cancel` is answered
 * immediately. Frame buffers in events are transferred, never copied.
 *
 * Read-back rule (DESIGN §4): always `await tensor.data()`, never `dataSync()`, which
 * returned wrong values and lost the device on WebGPU/SwiftShader.
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
import { parseCheckpoint } from '../core/models/checkpoint';
import { decodeModelFile } from '../core/io/modelFile';
import { defaultGeneratorConfig, validateGeneratorConfig, type GeneratorConfig } from '../core/models/generator';
import { Network, type NetworkConfig } from '../core/models/network';
import { Rng, randn } from '../core/rng';
import { batchWithin } from './batchLimit';
import { chooseBackend } from './chooseBackend';
import { checkWasmThreadsParams, chooseThreadCount, describeThreads, reportedConcurrency, withReportedConcurrency, type ThreadChoice, type WasmInfo, type WasmThreadsParams } from './wasmThreads';
import { DdganEngine, checkBatch } from './ddganEngine';
import { ERROR_NAMES, EngineFailure, isCancellation, messageOf, serialize } from './errors';
import { CANCELLED_BY_REQUEST, JobRegistry, stoppedByRequest, throwIfAborted } from './jobs';
import { decodeImages } from './decodeImages';
import { loadTrainingData } from './trainingData';
import { CompareEngine, checkCompareParams } from './compareEngine';
import { TrainingSession, buildTrainer, checkSettings } from './trainingSession';
import { importProblem } from './importCheck';
import { SessionRecorder } from './autosave';
import { cacheStorageWeights } from './weightCache';
import { idbSessions } from '../store/idbSessions';
import type { SessionStorage } from '../store/sessions';
import { ToyLabSession, checkLabSettings } from './toyLab';
import {
  CANCELLABLE_COMMANDS,
  IMMEDIATE_COMMANDS,
  SUPERSEDING_COMMANDS,
  parseCommand,
  type AdapterFacts,
  type BackendFailure,
  type BackendName,
  type BatchLimit,
  type Command,
  type CommandType,
  type EngineEvent,
  type GeneratorOverrides,
  type InitParams,
  type InitResult,
  type LoadModelParams,
  type LoadModelResult,
  type ParamsOf,
  type ProbeGeneratorParams,
  type ProbeGeneratorResult,
  type ProgressOf,
  type RequestId,
  type ResultOf,
  type ImportModelParams,
  type WarmupProgress,
  type StartTrainingParams,
  type AutosaveParams,
  type StartTrainingResult,
  type TrainingControlResult,
  type TrainingProgress,
  type StartToyLabParams,
  type StartToyLabResult,
  type ToyLabControlResult,
  type ToyLabProgress,
  type CompareParams,
  type CompareProgress,
  type CompareResult,
} from './protocol';

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

// ─── state ──────────────────────────────────────────────────────────────────────────────

/**
 * The thread count the wasm backend was started with: fixed for the worker's life, since
 * tfjs instantiates the wasm module once (null until wasm first starts).
 */
let wasmThreads: { readonly choice: ThreadChoice; readonly params: WasmThreadsParams } | null = null;

/** The backend of the last successful init; model commands need one. */
let activeBackend: BackendName | null = null;

/** The loaded model and step history; unloaded whenever the backend changes. */
const engine = new DdganEngine();

/** Downloaded checkpoints, kept for later visits (Cache Storage; null where there is none). */
const weightCache = cacheStorageWeights() ?? undefined;

/**
 * The compare view's checkpoints (DD-GAN generators, DDPM ε-nets, classifiers), cached by
 * URL and version, separate from the model above.
 */
const compare = new CompareEngine({ load: (ref, onProgress) => fetchCheckpoint(ref.url, onProgress, weightCache) });

/** Sampling requests that can still be cancelled (running or queued). */
const jobs = new JobRegistry();

function requireBackend(): BackendName {
  if (activeBackend === null) {
    throw new EngineFailure('not-initialised', 'the engine has no backend yet: send init (backend "auto" or a name) first');
  }
  return activeBackend;
}

// ─── init ───────────────────────────────────────────────────────────────────────────────

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

async function init(params: InitParams): Promise<InitResult> {
  const t0 = performance.now();
  let wasmParams: WasmThreadsParams;
  try {
    wasmParams = checkWasmThreadsParams(params.wasm);
  } catch (e) {
    throw new EngineFailure('bad-request', messageOf(e));
  }
  // The model's tensors live on the old backend; the UI reloads it after a switch.
  engine.unload();
  compare.unload();
  const adapter = await adapterFacts();
  const choice = chooseBackend(params.backend, adapter);
  const failures: BackendFailure[] = [];
  let chosen: BackendName | null = null;
  for (const name of choice.candidates) {
    try {
      if (name === 'wasm') await startWasm(wasmParams);
      else await useBackend(name);
      chosen = name;
      break;
    } catch (e) {
      failures.push({ backend: name, message: messageOf(e) });
    }
  }
  if (chosen === null) {
    activeBackend = null;
    const tried = failures.map((f) => `${f.backend}: ${f.message}`).join('; ');
    throw new EngineFailure(
      'backend-unavailable',
      params.backend === 'auto'
        ? `no tfjs backend could be initialised (${tried})`
        : `the ${params.backend} backend could not be initialised (${tried}); choose "auto" to use the best available backend`,
    );
  }
  activeBackend = chosen;
  const wasm = chosen === 'wasm' ? await wasmInfo() : null;
  const fellBack = failures.length > 0 ? `; ${failures.map((f) => `${f.backend} failed (${f.message})`).join(', ')}, so ${chosen}` : '';
  return {
    requested: params.backend,
    backend: chosen,
    adapter,
    reason: choice.reason + fellBack,
    failures,
    wasm,
    numTensors: tf.memory().numTensors,
    ms: performance.now() - t0,
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

// ─── probeGenerator ─────────────────────────────────────────────────────────────────────

const POSITIVE_INT_FIELDS = ['imageSize', 'channels', 'T', 'baseChannels', 'nz', 'zEmbedDim', 'tEmbedDim', 'groups'] as const;

const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * Checks the override fields one by one (a message is untrusted input: a string where a
 * number belongs would otherwise surface as a shape error deep inside tfjs).
 */
function checkOverrides(config: GeneratorOverrides): GeneratorOverrides {
  const known = new Set<string>([...POSITIVE_INT_FIELDS, 'channelMults', 'resBlocksPerLevel']);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) throw new EngineFailure('bad-request', `unknown generator config field "${key}"`);
  }
  for (const key of POSITIVE_INT_FIELDS) {
    const v = config[key];
    if (v !== undefined && !isPositiveInt(v)) throw new EngineFailure('bad-request', `generator config ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const r = config.resBlocksPerLevel;
  if (r !== undefined && !(Number.isInteger(r) && r >= 0)) {
    throw new EngineFailure('bad-request', `generator config resBlocksPerLevel must be an integer ≥ 0, got ${JSON.stringify(r)}`);
  }
  const m = config.channelMults;
  if (m !== undefined && !(Array.isArray(m) && m.length > 0 && m.every(isPositiveInt))) {
    throw new EngineFailure('bad-request', `generator config channelMults must be a non-empty list of positive integers, got ${JSON.stringify(m)}`);
  }
  return config;
}

const MAX_PROBE_BATCH = 64;

async function probeGenerator(params: ProbeGeneratorParams, progress: (p: ProgressOf<'probeGenerator'>) => void): Promise<ProbeGeneratorResult> {
  const backend = requireBackend();
  const { batch, seed } = params;
  if (!isPositiveInt(batch) || batch > MAX_PROBE_BATCH) {
    throw new EngineFailure('bad-request', `batch must be an integer in 1..${MAX_PROBE_BATCH}, got ${JSON.stringify(batch)}`);
  }
  if (!Number.isInteger(seed)) throw new EngineFailure('bad-request', `seed must be an integer, got ${JSON.stringify(seed)}`);
  if (typeof params.config !== 'object' || params.config === null) throw new EngineFailure('bad-request', 'config must be an object');

  const config: GeneratorConfig = defaultGeneratorConfig(checkOverrides(params.config));
  try {
    validateGeneratorConfig(config);
  } catch (e) {
    throw new EngineFailure('invalid-config', messageOf(e));
  }

  const total = 3;
  const numTensorsBefore = tf.memory().numTensors;
  progress({ status: 'stage', stage: 'build', index: 0, total });
  const tBuild = performance.now();
  const net = Network.create(config, seed);
  // On GPU backends this is dispatch time: the build pass may still be running and is then
  // paid for inside forwardMs. The probe is a health check, not a benchmark.
  const buildMs = performance.now() - tBuild;
  let measured: Omit<ProbeGeneratorResult, 'backend' | 'config' | 'buildMs' | 'numTensorsBefore' | 'numTensorsAfter'>;
  try {
    measured = await forwardOnce(net, config, batch, seed, (stage, index) => progress({ status: 'stage', stage, index, total }));
  } finally {
    net.dispose();
  }
  // Counted after the network's variables are gone: equal to numTensorsBefore unless
  // something leaked.
  const numTensorsAfter = tf.memory().numTensors;
  return { backend, config, buildMs, numTensorsBefore, numTensorsAfter, ...measured };
}

/** One forward pass on seeded inputs, read back with `await data()`, plus output statistics. */
async function forwardOnce(
  net: Network<GeneratorConfig>,
  config: GeneratorConfig,
  batch: number,
  seed: number,
  stage: (stage: 'forward' | 'readback', index: number) => void,
) {
  // Inputs come from their own stream so they do not depend on how many parameters the
  // architecture drew from the weight stream.
  const rng = new Rng((seed ^ 0x9e3779b9) >>> 0);
  stage('forward', 1);
  const tForward = performance.now();
  const out = tf.tidy(() => {
    // x_k ~ N(0, I) is what the sampler feeds at its first step; k cycles T, T−1, …, 1
    // over the batch so several time embeddings are exercised in one pass.
    const xK = randn([batch, config.imageSize, config.imageSize, config.channels], rng);
    const k = tf.tensor1d(
      Array.from({ length: batch }, (_, i) => config.T - (i % config.T)),
      'int32',
    );
    const z = randn([batch, config.nz], rng);
    return net.apply(xK, k, z);
  });
  const outputShape = out.shape.slice();
  let values: Float32Array | Int32Array | Uint8Array;
  try {
    stage('readback', 2);
    values = await out.data();
  } finally {
    out.dispose();
  }
  const forwardMs = performance.now() - tForward;

  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let nonFinite = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const finite = values.length - nonFinite;
  return {
    outputShape,
    min: finite > 0 ? min : NaN,
    max: finite > 0 ? max : NaN,
    mean: finite > 0 ? sum / finite : NaN,
    nonFinite,
    paramCount: net.paramCount(),
    flopsPerImage: net.flopsPerExample(),
    forwardMs,
  };
}

// ─── models and sampling ────────────────────────────────────────────────────────────────

/** At most one download progress event per this many ms (plus the first and the last). */
const DOWNLOAD_PROGRESS_MS = 50;

async function loadModel(params: LoadModelParams, progress: (p: ProgressOf<'loadModel'>) => void, signal: AbortSignal): Promise<LoadModelResult> {
  const backend = requireBackend();
  if (typeof params.name !== 'string' || typeof params.url !== 'string') throw new EngineFailure('bad-request', 'loadModel needs a name and a url');
  let url: URL;
  try {
    url = new URL(params.url);
  } catch {
    throw new EngineFailure('bad-request', `loadModel url must be absolute, got ${JSON.stringify(params.url)}`);
  }
  // Models come from the app's own origin only (nothing is fetched from elsewhere at run time).
  if (url.origin !== scope.location.origin) throw new EngineFailure('bad-request', `models are loaded from ${scope.location.origin} only, not ${url.origin}`);
  const batch = checkBatch(params.warmupBatch);
  engine.unload();

  const t0 = performance.now();
  let last = -Infinity;
  let bytes = 0;
  let ck;
  try {
    ck = await fetchCheckpoint(url.href, (loadedBytes, totalBytes) => {
      bytes = totalBytes;
      const now = performance.now();
      if (loadedBytes === 0 || loadedBytes >= totalBytes || now - last >= DOWNLOAD_PROGRESS_MS) {
        last = now;
        progress({ status: 'download', loadedBytes, totalBytes });
      }
    }, weightCache);
  } catch (e) {
    throw new EngineFailure('model-load-failed', `${params.name}: ${messageOf(e)}`);
  }
  const downloadMs = performance.now() - t0;
  if (signal.aborted) {
    // Superseded while downloading: do not keep a model nobody asked for any more.
    for (const net of Object.values(ck.networks)) net.dispose();
    for (const t of Object.values(ck.state)) t.dispose();
    throwIfAborted(signal);
  }
  const model = engine.adopt(params.name, ck);
  const { warmup, batchLimit } = await measureAndWarm(batch, params.batchSizes, progress, signal);
  return { model, backend, bytes, downloadMs, warmup, memory: engine.memory(), batchLimit };
}

/**
 * After a load: the batch limit of the new model on this backend, then the warm-up at the
 * requested batch, or under the limit if that batch is over it (the UI lowers its batch to
 * match when it sees the limit).
 */
async function measureAndWarm(batch: number, offered: unknown, progress: (p: WarmupProgress) => void, signal: AbortSignal) {
  let batchLimit: BatchLimit | undefined;
  try {
    batchLimit = await engine.measureBatchLimit(undefined, progress);
  } catch (e) {
    // The limit keeps users away from a failure; not knowing it is no reason to fail the load.
    console.warn(`could not measure the batch limit on ${tf.getBackend()}: ${messageOf(e)}`);
  }
  throwIfAborted(signal);
  const sizes = Array.isArray(offered) ? offered.filter((b): b is number => typeof b === 'number') : [];
  const warmup = await engine.warmup(batchWithin(batch, batchLimit?.maxBatch ?? null, sizes), progress, signal);
  return { warmup, batchLimit };
}

/** A model file from the user: unpacked and validated here, then used like a loaded model. */
async function importModel(params: ImportModelParams, progress: (p: WarmupProgress) => void, signal: AbortSignal): Promise<LoadModelResult> {
  const backend = requireBackend();
  if (typeof params.name !== 'string' || !(params.bytes instanceof ArrayBuffer)) throw new EngineFailure('bad-request', 'importModel needs a name and the file bytes');
  const batch = checkBatch(params.warmupBatch);
  const t0 = performance.now();
  // The file is checked whole before the current model is unloaded: a refused file leaves
  // the model in use as it was (importCheck.ts).
  let file;
  try {
    file = decodeModelFile(params.bytes);
  } catch (e) {
    throw new EngineFailure('model-load-failed', `${params.name}: ${messageOf(e)}`);
  }
  const networks = (file.modelJson as { networks?: unknown }).networks;
  const refused = typeof networks === 'object' && networks !== null ? importProblem(networks as Record<string, NetworkConfig>) : null;
  if (refused) throw new EngineFailure('model-load-failed', `${params.name} cannot be used: ${refused}`);
  let ck;
  try {
    ck = parseCheckpoint(file.modelJson, file.weights);
  } catch (e) {
    throw new EngineFailure('model-load-failed', `${params.name}: ${messageOf(e)}`);
  }
  const model = engine.adopt(params.name, ck);
  const downloadMs = performance.now() - t0;
  const { warmup, batchLimit } = await measureAndWarm(batch, params.batchSizes, progress, signal);
  return { model, backend, bytes: params.bytes.byteLength, downloadMs, warmup, memory: engine.memory(), batchLimit };
}

// ─── training ───────────────────────────────────────────────────────────────────────────

/** The one training run, while it runs (it holds the command queue until it ends). */
let session: TrainingSession | null = null;

async function startTraining(params: StartTrainingParams, progress: (p: TrainingProgress) => void): Promise<StartTrainingResult> {
  requireBackend();
  if (session) throw new EngineFailure('no-training', 'a training run is already active: stop it first');
  const settings = checkSettings(params.settings);
  if (typeof params.init !== 'object' || params.init === null) throw new EngineFailure('bad-request', 'startTraining needs an init');
  const generator = engine.generatorNetwork;
  let size: number;
  let channels: 1 | 3;
  if (params.init.kind === 'resume' || !generator) {
    // A resumed run's architecture is in its checkpoint; the data follow the model.
    const nets = (params.init as { modelJson?: { networks?: Record<string, { imageSize?: number; channels?: number }> } }).modelJson?.networks;
    const g = nets?.generator ?? generator?.config;
    if (!g || typeof g.imageSize !== 'number' || (g.channels !== 1 && g.channels !== 3)) {
      throw new EngineFailure('no-model', 'no model is loaded: load one first (its architecture is what gets trained)');
    }
    size = g.imageSize;
    channels = g.channels;
  } else {
    size = generator.config.imageSize;
    channels = generator.config.channels === 1 ? 1 : 3;
  }
  const autosave = checkAutosave(params.autosave);
  const data = await loadTrainingData(params.data, size, channels, scope.location.origin);
  const built = buildTrainer(params.init, generator, data, settings);
  // What the run records is what it trains: a resumed run keeps its saved recipe.
  const runSettings = { ...settings, recipe: built.trainer.recipe };
  const run = new TrainingSession(built.trainer, data, {
    settings: runSettings,
    name: `${engine.loaded?.name ?? 'model'}-finetune`,
    faultAt: params.faultAt,
    nearestUploads: params.data.kind === 'pixels',
  });
  session = run;
  let recorder: SessionRecorder | null = null;
  try {
    if (autosave) recorder = await SessionRecorder.start(sessionStore(), { autosave, data: params.data, settings: runSettings, resumed: params.init.kind === 'resume' }, progress);
    const rec = recorder;
    const emit = rec
      ? (p: TrainingProgress): void => {
          rec.observe(p);
          progress(p);
        }
      : progress;
    return await run.run(emit, { init: params.init.kind, note: built.note });
  } finally {
    session = null;
    run.dispose();
    // The run's result waits for its last write: a finished run is always saved.
    await recorder?.flush();
  }
}

/** The session storage of this worker: IndexedDB where the browser gives workers one. */
let savedSessions: SessionStorage | null | undefined;
function sessionStore(): SessionStorage | null {
  savedSessions ??= typeof indexedDB !== 'undefined' ? idbSessions() : null;
  return savedSessions;
}

function checkAutosave(a: StartTrainingParams['autosave']): AutosaveParams | null {
  if (a === undefined) return null;
  if (typeof a !== 'object' || a === null || typeof a.id !== 'string' || !a.id || typeof a.modelName !== 'string' || (a.init !== 'finetune' && a.init !== 'scratch')) {
    throw new EngineFailure('bad-request', 'startTraining autosave needs an id, a model name and an init of "finetune" or "scratch"');
  }
  return a;
}

function control(action: (s: TrainingSession) => void): TrainingControlResult {
  if (!session) return { state: null, iteration: 0 };
  action(session);
  return { state: session.current, iteration: session.iteration };
}

// ─── mode-coverage lab ──────────────────────────────────────────────────────────────────

/** The one lab run, while it runs (it holds the command queue until it ends, as training does). */
let lab: ToyLabSession | null = null;

async function startToyLab(params: StartToyLabParams, progress: (p: ToyLabProgress) => void): Promise<StartToyLabResult> {
  requireBackend();
  if (lab) throw new EngineFailure('no-training', 'a lab run is already active: stop it first');
  const settings = checkLabSettings(params.settings);
  const run = new ToyLabSession(settings, { faultAt: params.faultAt });
  lab = run;
  try {
    return await run.run(progress);
  } finally {
    lab = null;
    run.dispose();
  }
}

function labControl(action: (s: ToyLabSession) => void): ToyLabControlResult {
  if (!lab) return { state: null, iteration: 0 };
  action(lab);
  return { state: lab.current, iteration: lab.iteration };
}

// ─── compare view ───────────────────────────────────────────────────────────────────────

async function runCompare(params: CompareParams, progress: (p: CompareProgress) => void, signal: AbortSignal): Promise<CompareResult> {
  const backend = requireBackend();
  checkCompareParams(params);
  // Checkpoints come from the app's own origin only, like loadModel's.
  const refs = [...params.rows.flatMap((r) => [r.model, ...(r.guidance ? [r.guidance.classifier] : [])]), ...(params.judge ? [params.judge] : [])];
  for (const ref of refs) {
    let url: URL;
    try {
      url = new URL(ref.url);
    } catch {
      throw new EngineFailure('bad-request', `compare: model url must be absolute, got ${JSON.stringify(ref.url)}`);
    }
    if (url.origin !== scope.location.origin) throw new EngineFailure('bad-request', `models are loaded from ${scope.location.origin} only, not ${url.origin}`);
  }
  return { ...(await compare.run(params, progress, signal)), backend };
}

// ─── dispatch ───────────────────────────────────────────────────────────────────────────

type Handler<K extends CommandType> = (params: ParamsOf<K>, progress: (p: ProgressOf<K>) => void, signal: AbortSignal) => Promise<ResultOf<K>>;

/** One handler per command; a command added to the protocol without one fails to compile. */
const handlers: { [K in CommandType]: Handler<K> } = {
  init: (params) => init(params),
  probeGenerator: (params, progress) => probeGenerator(params, progress),
  loadModel: (params, progress, signal) => loadModel(params, progress, signal),
  warmup: async (params, progress, signal) => {
    requireBackend();
    return engine.warmup(params.batch, progress, signal);
  },
  generate: async (params, progress, signal) => {
    const backend = requireBackend();
    return { ...(await engine.generate(params, progress, signal)), backend };
  },
  reroll: async (params, progress, signal) => {
    requireBackend();
    return engine.reroll(params, progress, signal);
  },
  // Answered on arrival (see the listener below); listed for exhaustiveness.
  cancel: async () => ({ cancelled: jobs.cancelAll(CANCELLED_BY_REQUEST) }),
  memory: async () => engine.memory(),
  decodeImages: async (params) => {
    if (!Array.isArray(params.files) || !isPositiveInt(params.size) || (params.channels !== 1 && params.channels !== 3)) {
      throw new EngineFailure('bad-request', 'decodeImages needs files, a size and 1 or 3 channels');
    }
    return decodeImages(params);
  },
  startTraining: (params, progress) => startTraining(params, progress),
  pauseTraining: async () => control((s) => s.pause()),
  resumeTraining: async () => control((s) => s.resume()),
  stepTraining: async () => control((s) => s.step()),
  stopTraining: async () => control((s) => s.stop()),
  rollbackTraining: async () => control((s) => s.rollback()),
  saveTraining: async () => control((s) => s.requestSave()),
  importModel: (params, progress, signal) => importModel(params, progress, signal),
  startToyLab: (params, progress) => startToyLab(params, progress),
  pauseToyLab: async () => labControl((s) => s.pause()),
  resumeToyLab: async () => labControl((s) => s.resume()),
  stopToyLab: async () => labControl((s) => s.stop()),
  compare: (params, progress, signal) => runCompare(params, progress, signal),
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

/**
 * Runs one command. Generic over the command type so the result, progress and handler are
 * tied to the same K; `Command` is a union, and TypeScript cannot correlate `handlers[type]`
 * with `params` across a union without this indirection.
 */
async function run<K extends CommandType>(id: RequestId, type: K, params: ParamsOf<K>, signal: AbortSignal): Promise<void> {
  const handler = handlers[type] as Handler<K>;
  const progress = (p: ProgressOf<K>): void => {
    // A superseded request goes quiet at once; one stopped by a cancel may still report the
    // step it stopped at (compare rows send its picture). Its 'cancelled' answer follows.
    if (!signal.aborted || stoppedByRequest(signal)) post({ id, kind: 'progress', type, progress: p } as EngineEvent);
  };
  try {
    throwIfAborted(signal);
    const result = await handler(params, progress, signal);
    post({ id, kind: 'result', type, result } as EngineEvent);
  } catch (e) {
    // A model half-loaded when its load was cancelled is useless: start clean.
    if ((type === 'loadModel' || type === 'importModel') && isCancellation(e)) engine.unload();
    post({ id, kind: 'error', type, error: serialize(e) });
  } finally {
    jobs.finish(id);
  }
}

let queue: Promise<void> = Promise.resolve();
/** The signal of commands that cannot be cancelled. */
const never = new AbortController().signal;

scope.addEventListener('message', (e: MessageEvent<unknown>) => {
  const parsed = parseCommand(e.data);
  if (!parsed.ok) {
    post({ id: parsed.id, kind: 'error', error: { name: ERROR_NAMES['bad-request'], code: 'bad-request', message: parsed.message } });
    return;
  }
  const cmd: Command = parsed.command;
  if (cmd.type === 'cancel') {
    post({ id: cmd.id, kind: 'result', type: 'cancel', result: { cancelled: jobs.cancelAll(CANCELLED_BY_REQUEST) } });
    return;
  }
  if (IMMEDIATE_COMMANDS.includes(cmd.type)) {
    void run(cmd.id, cmd.type, cmd.params, never);
    return;
  }
  // A new backend or model ends a training run (its tensors would not survive either); a
  // new backend also ends a lab run (a model does not: the lab trains its own networks).
  // A model file is refused while a run trains instead: it would end the run unasked.
  if (cmd.type === 'importModel' && session) {
    const message = 'a fine-tune run is training: stop it (or let it finish) before importing a model file; the loaded model stays in use';
    post({ id: cmd.id, kind: 'error', type: cmd.type, error: { name: ERROR_NAMES['no-training'], code: 'no-training', message } });
    return;
  }
  if (cmd.type === 'init' || cmd.type === 'loadModel') session?.stop();
  if (cmd.type === 'init') lab?.stop();
  // A fine-tune run and a lab run both hold the queue until they end: a second one would
  // sit there unanswered, so it is refused on arrival instead.
  const busy = (cmd.type === 'startTraining' || cmd.type === 'startToyLab') && (session ?? lab);
  if (busy) {
    const what = busy === lab ? 'the mode-coverage lab is training' : 'a fine-tune run is training';
    post({ id: cmd.id, kind: 'error', type: cmd.type, error: { name: ERROR_NAMES['no-training'], code: 'no-training', message: `${what}: stop it first` } });
    return;
  }
  let signal = never;
  if (CANCELLABLE_COMMANDS.includes(cmd.type)) signal = jobs.supersede(cmd.id);
  else if (SUPERSEDING_COMMANDS.includes(cmd.type)) jobs.cancelAll();
  // `run` never rejects (it answers with an error event), so the chain never breaks.
  queue = queue.then(() => run(cmd.id, cmd.type, cmd.params, signal));
});
