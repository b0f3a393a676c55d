/**
 * The engine worker: a thin adapter from protocol commands to core-library calls.
 *
 * It owns the tfjs backend and (later) the loaded models. Each command is handled in a
 * try/catch and answered with exactly one `result` or `error` event carrying the command's
 * id, after any number of `progress` events. Commands run one at a time, in arrival order:
 * tfjs has a single global backend, and switching it in the middle of a forward pass (an
 * `init` overtaking a `probeGenerator` at an `await`) would move tensors under the pass.
 *
 * Read-back rule (DESIGN §4): always `await tensor.data()`, never `dataSync()`, which
 * returned wrong values and lost the device on WebGPU/SwiftShader.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// `?url` makes Vite emit the binaries from the npm package into dist/ and hand us their
// (hashed) URLs, so nothing is fetched from a CDN at run time.
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { useBackend } from '../core/backend';
import { defaultGeneratorConfig, validateGeneratorConfig, type GeneratorConfig } from '../core/models/generator';
import { Network } from '../core/models/network';
import { Rng, randn } from '../core/rng';
import { chooseBackend } from './chooseBackend';
import {
  parseCommand,
  type AdapterFacts,
  type BackendFailure,
  type BackendName,
  type Command,
  type CommandType,
  type EngineEvent,
  type ErrorCode,
  type GeneratorOverrides,
  type InitParams,
  type InitResult,
  type ParamsOf,
  type ProbeGeneratorParams,
  type ProbeGeneratorResult,
  type ProgressOf,
  type RequestId,
  type ResultOf,
  type SerializedError,
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

// Multithreaded wasm only where the build leaves the emscripten factory intact. tfjs starts
// its pthread workers from `factory.toString()`, so the function must be self-contained
// text; the minifier of a production build renames `_scriptDir` (a variable of the
// enclosing scope) to `e` and rewrites the guard `typeof _scriptDir !== "undefined"` to
// `e !== void 0`, a bare reference, so every pthread dies with "ReferenceError: e is not
// defined" and takes the engine with it (seen with Vite 8.3). The dev server does not minify, so threads work there. To get threads in
// production, stop the minifier from compressing that module (a vite.config change), then
// drop this condition.
if (!import.meta.env.DEV) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

// ─── errors ─────────────────────────────────────────────────────────────────────────────

const ERROR_NAMES: Record<ErrorCode, string> = {
  'bad-request': 'BadRequestError',
  'invalid-config': 'InvalidConfigError',
  'backend-unavailable': 'BackendUnavailableError',
  'not-initialised': 'NotInitialisedError',
  'worker-crashed': 'WorkerCrashedError',
  disposed: 'EngineDisposedError',
  internal: 'InternalError',
};

/** An error this worker raises on purpose, with a code the UI can act on. */
class EngineFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = ERROR_NAMES[code];
  }
}

/** Text of anything thrown; the wasm backend rejects with a plain `{ message }` object. */
function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string') return e.message;
  return String(e);
}

function serialize(e: unknown): SerializedError {
  if (e instanceof EngineFailure) return { name: e.name, code: e.code, message: e.message };
  // Keep the original name (TypeError, RangeError, …): it tells a bug from a bad input.
  const name = e instanceof Error ? e.name : 'InternalError';
  return { name, code: 'internal', message: messageOf(e) };
}

// ─── state ──────────────────────────────────────────────────────────────────────────────

/** The backend of the last successful init; model commands need one. */
let activeBackend: BackendName | null = null;

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
  const adapter = await adapterFacts();
  const choice = chooseBackend(params.backend, adapter);
  const failures: BackendFailure[] = [];
  let chosen: BackendName | null = null;
  for (const name of choice.candidates) {
    try {
      await useBackend(name);
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
  const wasm = chosen === 'wasm' ? { simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')), threads: getThreadsCount() } : null;
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

// ─── dispatch ───────────────────────────────────────────────────────────────────────────

type Handler<K extends CommandType> = (params: ParamsOf<K>, progress: (p: ProgressOf<K>) => void) => Promise<ResultOf<K>>;

/** One handler per command; a command added to the protocol without one fails to compile. */
const handlers: { [K in CommandType]: Handler<K> } = {
  init: (params) => init(params),
  probeGenerator: (params, progress) => probeGenerator(params, progress),
};

function post(event: EngineEvent): void {
  scope.postMessage(event);
}

/**
 * Runs one command. Generic over the command type so the result, progress and handler are
 * tied to the same K; `Command` is a union, and TypeScript cannot correlate `handlers[type]`
 * with `params` across a union without this indirection.
 */
async function run<K extends CommandType>(id: RequestId, type: K, params: ParamsOf<K>): Promise<void> {
  const handler = handlers[type] as Handler<K>;
  const progress = (p: ProgressOf<K>): void => post({ id, kind: 'progress', type, progress: p } as EngineEvent);
  try {
    const result = await handler(params, progress);
    post({ id, kind: 'result', type, result } as EngineEvent);
  } catch (e) {
    post({ id, kind: 'error', type, error: serialize(e) });
  }
}

let queue: Promise<void> = Promise.resolve();

scope.addEventListener('message', (e: MessageEvent<unknown>) => {
  const parsed = parseCommand(e.data);
  if (!parsed.ok) {
    post({ id: parsed.id, kind: 'error', error: { name: ERROR_NAMES['bad-request'], code: 'bad-request', message: parsed.message } });
    return;
  }
  const cmd: Command = parsed.command;
  // `run` never rejects (it answers with an error event), so the chain never breaks.
  queue = queue.then(() => run(cmd.id, cmd.type, cmd.params));
});
