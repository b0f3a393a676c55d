/**
 * The engine: everything the worker owns, as one in-process object that tests and tools can
 * drive without a browser (engine.worker.ts is the thin adapter from `postMessage` to it).
 *
 * It holds the active backend, the loaded model and its step history (`DdganEngine`), the
 * compare view's checkpoints (`CompareEngine`), the one training run, the one lab run and
 * the job registry. Whatever depends on the platform is injected (`EngineHost`): how the
 * WebGPU adapter is queried and a backend started, where checkpoints and data sets come from,
 * and where sessions are stored. Events leave through the `emit` callback.
 *
 * Each command is answered with exactly one `result` or `error` event carrying the command's
 * id, after any number of `progress` events. Commands run one at a time, in arrival order:
 * tfjs has a single global backend, and switching it in the middle of a forward pass (an
 * `init` overtaking a `generate` at an `await`) would move tensors under the pass.
 *
 * Cancellation happens on *arrival*, outside that queue: a superseding command (protocol,
 * SUPERSEDING_COMMANDS) aborts the sampling request that is running and any queued behind
 * it, so a newer Generate never waits for an older one to finish; `cancel` is answered
 * immediately. Commands of IMMEDIATE_COMMANDS (training and lab controls, uploads) bypass
 * the queue, since a run holds it until it ends.
 *
 * Read-back rule (DESIGN §4): always `await tensor.data()`, never `dataSync()`, which
 * returned wrong values and lost the device on WebGPU/SwiftShader.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../core/data/dataset';
import { parseCheckpoint, type LoadedCheckpoint } from '../core/models/checkpoint';
import type { LoadProgress } from '../core/models/checkpointFetch';
import { decodeModelFile } from '../core/io/modelFile';
import type { NetworkConfig } from '../core/models/network';
import type { SessionStorage } from '../shared/sessions';
import { SessionRecorder } from './autosave';
import { batchWithin } from './batchLimit';
import { chooseBackend, type BackendChoice } from './chooseBackend';
import { CompareEngine, checkCompareParams } from './compareEngine';
import { DdganEngine, checkBatch } from './ddganEngine';
import { decodeImages } from './decodeImages';
import { ERROR_NAMES, EngineFailure, isCancellation, messageOf, serialize } from './errors';
import { importProblem } from './importCheck';
import { CANCELLED_BY_REQUEST, JobRegistry, stoppedByRequest, throwIfAborted } from './jobs';
import { isPositiveInt, probeGenerator } from './probeGenerator';
import { ToyLabSession, checkLabSettings } from './toyLab';
import { TrainingSession, buildTrainer, checkSettings } from './trainingSession';
import { checkWasmThreadsParams, type WasmInfo, type WasmThreadsParams } from './wasmThreads';
import {
  CANCELLABLE_COMMANDS,
  IMMEDIATE_COMMANDS,
  SUPERSEDING_COMMANDS,
  parseCommand,
  type AdapterFacts,
  type AutosaveParams,
  type BackendFailure,
  type BackendName,
  type BackendRequest,
  type BatchLimit,
  type CommandType,
  type CompareParams,
  type CompareProgress,
  type CompareResult,
  type EngineEvent,
  type EngineMemory,
  type ErrorCode,
  type ImportModelParams,
  type InitParams,
  type InitResult,
  type LoadModelParams,
  type LoadModelResult,
  type ParamsOf,
  type ProgressOf,
  type RequestId,
  type ResultOf,
  type StartToyLabParams,
  type StartToyLabResult,
  type StartTrainingParams,
  type StartTrainingResult,
  type ToyLabControlResult,
  type ToyLabProgress,
  type TrainingControlResult,
  type TrainingData,
  type TrainingProgress,
  type WarmupProgress,
} from './protocol';

/** What the engine needs from the platform it runs on (a dedicated worker, Node, a test). */
export interface EngineHost {
  /** The app's origin: models and built-in data sets are loaded from here only. */
  readonly origin: string;
  /** What the platform says about its WebGPU adapter; never throws. */
  adapterFacts(): Promise<AdapterFacts>;
  /** Picks the backends to try, in order (default: chooseBackend.ts, by what the adapter is). */
  chooseBackend?(request: BackendRequest, adapter: AdapterFacts): BackendChoice;
  /** Makes `name` the tfjs backend, or throws why it cannot; `wasm` carries the thread request. */
  startBackend(name: BackendName, wasm: WasmThreadsParams): Promise<void>;
  /** What the running wasm backend is (SIMD, threads and why); asked right after wasm starts. */
  wasmInfo(): Promise<WasmInfo>;
  /** Fetches a checkpoint folder (an absolute URL on `origin`), reporting download bytes. */
  loadCheckpoint(url: string, onProgress: LoadProgress): Promise<LoadedCheckpoint>;
  /** Turns a training-data choice into images of `size` × `size` × `channels`. */
  loadTrainingData(data: TrainingData, size: number, channels: 1 | 3): Promise<ImageDataset>;
  /** Where runs autosave; null where the platform has no storage. Asked once, on first use. */
  sessions(): SessionStorage | null;
}

/** Receives every event the engine sends, in order. */
export type EngineEmit = (event: EngineEvent) => void;

type Handler<K extends CommandType> = (params: ParamsOf<K>, progress: (p: ProgressOf<K>) => void, signal: AbortSignal) => Promise<ResultOf<K>>;

/** At most one download progress event per this many ms (plus the first and the last). */
const DOWNLOAD_PROGRESS_MS = 50;

/** The signal of commands that cannot be cancelled. */
const NEVER = new AbortController().signal;

export class Engine {
  /** The backend of the last successful init; model commands need one. */
  private activeBackend: BackendName | null = null;
  /** The loaded model and step history; unloaded whenever the backend changes. */
  private readonly ddgan = new DdganEngine();
  /** The compare view's checkpoints, cached by URL and version, separate from the model above. */
  private readonly compare: CompareEngine;
  /** Sampling requests that can still be cancelled (running or queued). */
  private readonly jobs = new JobRegistry();
  /** The one training run, while it runs (it holds the command queue until it ends). */
  private session: TrainingSession | null = null;
  /** The one lab run, while it runs (it holds the command queue until it ends, as training does). */
  private lab: ToyLabSession | null = null;
  private storage: SessionStorage | null | undefined;
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;

  /** One handler per command; a command added to the protocol without one fails to compile. */
  private readonly handlers: { [K in CommandType]: Handler<K> } = {
    init: (params) => this.init(params),
    probeGenerator: (params, progress) => probeGenerator(this.requireBackend(), params, progress),
    loadModel: (params, progress, signal) => this.loadModel(params, progress, signal),
    warmup: async (params, progress, signal) => {
      this.requireBackend();
      return this.ddgan.warmup(params.batch, progress, signal);
    },
    generate: async (params, progress, signal) => {
      const backend = this.requireBackend();
      return { ...(await this.ddgan.generate(params, progress, signal)), backend };
    },
    reroll: async (params, progress, signal) => {
      this.requireBackend();
      return this.ddgan.reroll(params, progress, signal);
    },
    // Answered on arrival (see `receive`); listed for exhaustiveness.
    cancel: async () => ({ cancelled: this.jobs.cancelAll(CANCELLED_BY_REQUEST) }),
    memory: async () => this.ddgan.memory(),
    decodeImages: async (params) => {
      if (!Array.isArray(params.files) || !isPositiveInt(params.size) || (params.channels !== 1 && params.channels !== 3)) {
        throw new EngineFailure('bad-request', 'decodeImages needs files, a size and 1 or 3 channels');
      }
      return decodeImages(params);
    },
    startTraining: (params, progress) => this.startTraining(params, progress),
    pauseTraining: async () => this.control((s) => s.pause()),
    resumeTraining: async () => this.control((s) => s.resume()),
    stepTraining: async () => this.control((s) => s.step()),
    stopTraining: async () => this.control((s) => s.stop()),
    rollbackTraining: async () => this.control((s) => s.rollback()),
    saveTraining: async () => this.control((s) => s.requestSave()),
    importModel: (params, progress, signal) => this.importModel(params, progress, signal),
    startToyLab: (params, progress) => this.startToyLab(params, progress),
    pauseToyLab: async () => this.labControl((s) => s.pause()),
    resumeToyLab: async () => this.labControl((s) => s.resume()),
    stopToyLab: async () => this.labControl((s) => s.stop()),
    compare: (params, progress, signal) => this.runCompare(params, progress, signal),
  };

  constructor(
    private readonly host: EngineHost,
    private readonly emit: EngineEmit,
  ) {
    this.compare = new CompareEngine({ load: (ref, onProgress) => host.loadCheckpoint(ref.url, onProgress) });
  }

  /** The backend of the last successful init (null before one). */
  get backend(): BackendName | null {
    return this.activeBackend;
  }

  /** tf.memory() as the engine reports it. */
  memory(): EngineMemory {
    return this.ddgan.memory();
  }

  /**
   * Takes one incoming message (untrusted: checked here) as it arrives: answers it on the
   * spot (a malformed message, `cancel`, a refusal, an immediate command) or queues it behind
   * the commands before it, after cancelling the sampling requests it supersedes.
   */
  receive(data: unknown): void {
    if (this.disposed) return;
    const parsed = parseCommand(data);
    if (!parsed.ok) {
      this.emit({ id: parsed.id, kind: 'error', error: { name: ERROR_NAMES['bad-request'], code: 'bad-request', message: parsed.message } });
      return;
    }
    const cmd = parsed.command;
    if (cmd.type === 'cancel') {
      this.emit({ id: cmd.id, kind: 'result', type: 'cancel', result: { cancelled: this.jobs.cancelAll(CANCELLED_BY_REQUEST) } });
      return;
    }
    if (IMMEDIATE_COMMANDS.includes(cmd.type)) {
      void this.run(cmd.id, cmd.type, cmd.params, NEVER);
      return;
    }
    // A new backend or model ends a training run (its tensors would not survive either); a
    // new backend also ends a lab run (a model does not: the lab trains its own networks).
    // A model file is refused while a run trains instead: it would end the run unasked.
    if (cmd.type === 'importModel' && this.session) {
      this.refuse(cmd.id, cmd.type, 'no-training', 'a fine-tune run is training: stop it (or let it finish) before importing a model file; the loaded model stays in use');
      return;
    }
    if (cmd.type === 'init' || cmd.type === 'loadModel') this.session?.stop();
    if (cmd.type === 'init') this.lab?.stop();
    // A fine-tune run and a lab run both hold the queue until they end: a second one would
    // sit there unanswered, so it is refused on arrival instead.
    const busy = (cmd.type === 'startTraining' || cmd.type === 'startToyLab') && (this.session ?? this.lab);
    if (busy) {
      const what = busy === this.lab ? 'the mode-coverage lab is training' : 'a fine-tune run is training';
      this.refuse(cmd.id, cmd.type, 'no-training', `${what}: stop it first`);
      return;
    }
    let signal = NEVER;
    if (CANCELLABLE_COMMANDS.includes(cmd.type)) signal = this.jobs.supersede(cmd.id);
    else if (SUPERSEDING_COMMANDS.includes(cmd.type)) this.jobs.cancelAll();
    // `run` never rejects (it answers with an error event), so the chain never breaks.
    this.queue = this.queue.then(() => this.run(cmd.id, cmd.type, cmd.params, signal));
  }

  /** Resolves once every command queued so far has been answered. */
  idle(): Promise<void> {
    return this.queue;
  }

  /**
   * Stops any run, cancels every sampling request and frees the model and the compare
   * checkpoints once the queue has drained; later messages are ignored.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.session?.stop();
    this.lab?.stop();
    this.jobs.cancelAll();
    await this.queue;
    this.ddgan.unload();
    this.compare.unload();
  }

  private refuse(id: RequestId, type: CommandType, code: ErrorCode, message: string): void {
    this.emit({ id, kind: 'error', type, error: { name: ERROR_NAMES[code], code, message } });
  }

  /**
   * Runs one command. Generic over the command type so the result, progress and handler are
   * tied to the same K; `Command` is a union, and TypeScript cannot correlate
   * `handlers[type]` with `params` across a union without this indirection.
   */
  private async run<K extends CommandType>(id: RequestId, type: K, params: ParamsOf<K>, signal: AbortSignal): Promise<void> {
    const handler = this.handlers[type] as Handler<K>;
    const progress = (p: ProgressOf<K>): void => {
      // A superseded request goes quiet at once; one stopped by a cancel may still report the
      // step it stopped at (compare rows send its picture). Its 'cancelled' answer follows.
      if (!signal.aborted || stoppedByRequest(signal)) this.emit({ id, kind: 'progress', type, progress: p } as EngineEvent);
    };
    try {
      throwIfAborted(signal);
      const result = await handler(params, progress, signal);
      this.emit({ id, kind: 'result', type, result } as EngineEvent);
    } catch (e) {
      // A model half-loaded when its load was cancelled is useless: start clean.
      if ((type === 'loadModel' || type === 'importModel') && isCancellation(e)) this.ddgan.unload();
      this.emit({ id, kind: 'error', type, error: serialize(e) });
    } finally {
      this.jobs.finish(id);
    }
  }

  private requireBackend(): BackendName {
    if (this.activeBackend === null) {
      throw new EngineFailure('not-initialised', 'the engine has no backend yet: send init (backend "auto" or a name) first');
    }
    return this.activeBackend;
  }

  // ─── init ─────────────────────────────────────────────────────────────────────────────

  private async init(params: InitParams): Promise<InitResult> {
    const t0 = performance.now();
    let wasmParams: WasmThreadsParams;
    try {
      wasmParams = checkWasmThreadsParams(params.wasm);
    } catch (e) {
      throw new EngineFailure('bad-request', messageOf(e));
    }
    // The model's tensors live on the old backend; the UI reloads it after a switch.
    this.ddgan.unload();
    this.compare.unload();
    const adapter = await this.host.adapterFacts();
    const choice = (this.host.chooseBackend ?? chooseBackend)(params.backend, adapter);
    const failures: BackendFailure[] = [];
    let chosen: BackendName | null = null;
    for (const name of choice.candidates) {
      try {
        await this.host.startBackend(name, wasmParams);
        chosen = name;
        break;
      } catch (e) {
        failures.push({ backend: name, message: messageOf(e) });
      }
    }
    if (chosen === null) {
      this.activeBackend = null;
      const tried = failures.map((f) => `${f.backend}: ${f.message}`).join('; ');
      throw new EngineFailure(
        'backend-unavailable',
        params.backend === 'auto'
          ? `no tfjs backend could be initialised (${tried})`
          : `the ${params.backend} backend could not be initialised (${tried}); choose "auto" to use the best available backend`,
      );
    }
    this.activeBackend = chosen;
    const wasm = chosen === 'wasm' ? await this.host.wasmInfo() : null;
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

  // ─── models ───────────────────────────────────────────────────────────────────────────

  /** Models and data come from the app's own origin only (nothing is fetched from elsewhere at run time). */
  private checkOrigin(what: string, raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new EngineFailure('bad-request', `${what} url must be absolute, got ${JSON.stringify(raw)}`);
    }
    if (url.origin !== this.host.origin) throw new EngineFailure('bad-request', `models are loaded from ${this.host.origin} only, not ${url.origin}`);
    return url;
  }

  private async loadModel(params: LoadModelParams, progress: (p: ProgressOf<'loadModel'>) => void, signal: AbortSignal): Promise<LoadModelResult> {
    const backend = this.requireBackend();
    if (typeof params.name !== 'string' || typeof params.url !== 'string') throw new EngineFailure('bad-request', 'loadModel needs a name and a url');
    const url = this.checkOrigin('loadModel', params.url);
    const batch = checkBatch(params.warmupBatch);
    this.ddgan.unload();

    const t0 = performance.now();
    let last = -Infinity;
    let bytes = 0;
    let ck: LoadedCheckpoint;
    try {
      ck = await this.host.loadCheckpoint(url.href, (loadedBytes, totalBytes) => {
        bytes = totalBytes;
        const now = performance.now();
        if (loadedBytes === 0 || loadedBytes >= totalBytes || now - last >= DOWNLOAD_PROGRESS_MS) {
          last = now;
          progress({ status: 'download', loadedBytes, totalBytes });
        }
      });
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
    const model = this.ddgan.adopt(params.name, ck);
    const { warmup, batchLimit } = await this.measureAndWarm(batch, params.batchSizes, progress, signal);
    return { model, backend, bytes, downloadMs, warmup, memory: this.ddgan.memory(), batchLimit };
  }

  /**
   * After a load: the batch limit of the new model on this backend, then the warm-up at the
   * requested batch, or under the limit if that batch is over it (the UI lowers its batch to
   * match when it sees the limit).
   */
  private async measureAndWarm(batch: number, offered: unknown, progress: (p: WarmupProgress) => void, signal: AbortSignal) {
    let batchLimit: BatchLimit | undefined;
    try {
      batchLimit = await this.ddgan.measureBatchLimit(undefined, progress);
    } catch (e) {
      // The limit keeps users away from a failure; not knowing it is no reason to fail the load.
      console.warn(`could not measure the batch limit on ${tf.getBackend()}: ${messageOf(e)}`);
    }
    throwIfAborted(signal);
    const sizes = Array.isArray(offered) ? offered.filter((b): b is number => typeof b === 'number') : [];
    const warmup = await this.ddgan.warmup(batchWithin(batch, batchLimit?.maxBatch ?? null, sizes), progress, signal);
    return { warmup, batchLimit };
  }

  /** A model file from the user: unpacked and validated here, then used like a loaded model. */
  private async importModel(params: ImportModelParams, progress: (p: WarmupProgress) => void, signal: AbortSignal): Promise<LoadModelResult> {
    const backend = this.requireBackend();
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
    const model = this.ddgan.adopt(params.name, ck);
    const downloadMs = performance.now() - t0;
    const { warmup, batchLimit } = await this.measureAndWarm(batch, params.batchSizes, progress, signal);
    return { model, backend, bytes: params.bytes.byteLength, downloadMs, warmup, memory: this.ddgan.memory(), batchLimit };
  }

  // ─── training ─────────────────────────────────────────────────────────────────────────

  private async startTraining(params: StartTrainingParams, progress: (p: TrainingProgress) => void): Promise<StartTrainingResult> {
    this.requireBackend();
    if (this.session) throw new EngineFailure('no-training', 'a training run is already active: stop it first');
    const settings = checkSettings(params.settings);
    if (typeof params.init !== 'object' || params.init === null) throw new EngineFailure('bad-request', 'startTraining needs an init');
    const generator = this.ddgan.generatorNetwork;
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
    const data = await this.host.loadTrainingData(params.data, size, channels);
    const built = buildTrainer(params.init, generator, data, settings, this.ddgan.discriminatorNetwork);
    // What the run records is what it trains: a resumed run keeps its saved recipe.
    const runSettings = { ...settings, recipe: built.trainer.recipe };
    const run = new TrainingSession(built.trainer, data, {
      settings: runSettings,
      name: `${this.ddgan.loaded?.name ?? 'model'}-finetune`,
      faultAt: params.faultAt,
      nearestUploads: params.data.kind === 'pixels',
    });
    this.session = run;
    let recorder: SessionRecorder | null = null;
    try {
      if (autosave) {
        this.storage ??= this.host.sessions();
        recorder = await SessionRecorder.start(this.storage, { autosave, data: params.data, settings: runSettings, resumed: params.init.kind === 'resume' }, progress);
      }
      const rec = recorder;
      const emit = rec
        ? (p: TrainingProgress): void => {
            rec.observe(p);
            progress(p);
          }
        : progress;
      return await run.run(emit, { init: params.init.kind, note: built.note });
    } finally {
      this.session = null;
      run.dispose();
      // The run's result waits for its last write: a finished run is always saved.
      await recorder?.flush();
    }
  }

  private control(action: (s: TrainingSession) => void): TrainingControlResult {
    const s = this.session;
    if (!s) return { state: null, iteration: 0 };
    action(s);
    return { state: s.current, iteration: s.iteration };
  }

  // ─── mode-coverage lab ────────────────────────────────────────────────────────────────

  private async startToyLab(params: StartToyLabParams, progress: (p: ToyLabProgress) => void): Promise<StartToyLabResult> {
    this.requireBackend();
    if (this.lab) throw new EngineFailure('no-training', 'a lab run is already active: stop it first');
    const settings = checkLabSettings(params.settings);
    const run = new ToyLabSession(settings, { faultAt: params.faultAt });
    this.lab = run;
    try {
      return await run.run(progress);
    } finally {
      this.lab = null;
      run.dispose();
    }
  }

  private labControl(action: (s: ToyLabSession) => void): ToyLabControlResult {
    const lab = this.lab;
    if (!lab) return { state: null, iteration: 0 };
    action(lab);
    return { state: lab.current, iteration: lab.iteration };
  }

  // ─── compare view ─────────────────────────────────────────────────────────────────────

  private async runCompare(params: CompareParams, progress: (p: CompareProgress) => void, signal: AbortSignal): Promise<CompareResult> {
    const backend = this.requireBackend();
    checkCompareParams(params);
    // Checkpoints come from the app's own origin only, like loadModel's.
    const refs = [...params.rows.flatMap((r) => [r.model, ...(r.guidance ? [r.guidance.classifier] : [])]), ...(params.judge ? [params.judge] : [])];
    for (const ref of refs) this.checkOrigin('compare: model', ref.url);
    return { ...(await this.compare.run(params, progress, signal)), backend };
  }
}

function checkAutosave(a: StartTrainingParams['autosave']): AutosaveParams | null {
  if (a === undefined) return null;
  if (typeof a !== 'object' || a === null || typeof a.id !== 'string' || !a.id || typeof a.modelName !== 'string' || (a.init !== 'finetune' && a.init !== 'scratch')) {
    throw new EngineFailure('bad-request', 'startTraining autosave needs an id, a model name and an init of "finetune" or "scratch"');
  }
  return a;
}
