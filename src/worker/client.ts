/**
 * The UI side of the engine: one worker, created once, and a promise per request.
 *
 * Replies are routed by correlation id through a pending map (STYLE habit 8); errors arrive
 * as `{ name, code, message }` and are rebuilt as `EngineError`, so callers can branch on
 * `err.code` and the stack points at the call site in the UI rather than nowhere. If the
 * worker dies (script failed to load, crash), every pending request is rejected with code
 * 'worker-crashed' instead of hanging forever.
 */
import {
  isErrorCode,
  type CommandType,
  type EngineApi,
  type EngineEvent,
  type ErrorCode,
  type ParamsOf,
  type RequestOptions,
  type ResultOf,
  type SerializedError,
} from './protocol';
import type { WasmThreadsParams } from './wasmThreads';

/** An error raised by the engine (or by the client about the engine), rebuilt from the wire. */
export class EngineError extends Error {
  readonly code: ErrorCode;
  constructor(error: SerializedError) {
    super(error.message);
    this.name = error.name;
    this.code = error.code;
  }

  toJSON(): SerializedError {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** Normalises anything caught around an engine call into the wire error shape. */
export function toSerializedError(e: unknown): SerializedError {
  if (e instanceof EngineError) return e.toJSON();
  if (e instanceof Error) return { name: e.name, code: 'internal', message: e.message };
  return { name: 'InternalError', code: 'internal', message: String(e) };
}

interface Pending {
  readonly type: CommandType;
  resolve(result: unknown): void;
  reject(error: EngineError): void;
  onProgress?: (progress: unknown) => void;
}

/**
 * Commands whose ArrayBuffers are moved to the worker instead of copied (a structured clone
 * of megabytes of file bytes or weights would run on the UI thread). Every caller hands in
 * buffers it does not use again: file bytes just read, pixels sliced for the run, the weights
 * of a session just loaded from storage.
 */
export const TRANSFERRING_COMMANDS: ReadonlySet<CommandType> = new Set<CommandType>(['decodeImages', 'startTraining', 'importModel']);

/** The distinct ArrayBuffers inside plain params (a few levels deep). */
export function buffersIn(value: unknown, out = new Set<ArrayBuffer>(), depth = 0): ArrayBuffer[] {
  if (value instanceof ArrayBuffer) out.add(value);
  else if (depth < 4 && typeof value === 'object' && value !== null) {
    for (const v of Array.isArray(value) ? value : Object.values(value)) buffersIn(v, out, depth + 1);
  }
  return [...out];
}

/** The minimum of `Worker` the client uses; lets a test hand in a fake. */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent<unknown>) => void): void;
  addEventListener(type: 'error', listener: (ev: ErrorEvent) => void): void;
  addEventListener(type: 'messageerror', listener: (ev: MessageEvent<unknown>) => void): void;
  terminate(): void;
}

function createEngineWorker(): WorkerLike {
  // This exact form (a literal URL next to import.meta.url) is what Vite recognises to
  // bundle the worker as its own module chunk.
  return new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'ddgan-engine' });
}

export interface EngineClientOptions {
  /**
   * What the page knows for the wasm backend (`?threads=`, cross-origin isolation); added to
   * every `init` that does not carry its own, so the store need not know about it.
   */
  readonly wasm?: WasmThreadsParams;
}

export class EngineClient implements EngineApi {
  private readonly worker: WorkerLike;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposedWith: SerializedError | null = null;
  private readonly wasm: WasmThreadsParams | undefined;

  constructor(worker: WorkerLike = createEngineWorker(), options: EngineClientOptions = {}) {
    this.worker = worker;
    this.wasm = options.wasm;
    worker.addEventListener('message', (ev) => this.onMessage(ev.data));
    worker.addEventListener('error', (ev) => {
      // A script error in the worker (including a failed module load) arrives here; without
      // this, every pending promise would wait forever.
      ev.preventDefault();
      const where = ev.filename ? ` (${ev.filename}:${ev.lineno})` : '';
      this.failAll({ name: 'WorkerCrashedError', code: 'worker-crashed', message: `the engine worker failed: ${ev.message || 'unknown error'}${where}; reload the page` });
    });
    worker.addEventListener('messageerror', () => {
      this.failAll({ name: 'WorkerCrashedError', code: 'worker-crashed', message: 'a message from the engine worker could not be deserialised' });
    });
  }

  init(params: ParamsOf<'init'>, opts?: RequestOptions<'init'>): Promise<ResultOf<'init'>> {
    return this.request('init', params.wasm === undefined && this.wasm !== undefined ? { ...params, wasm: this.wasm } : params, opts);
  }

  probeGenerator(params: ParamsOf<'probeGenerator'>, opts?: RequestOptions<'probeGenerator'>): Promise<ResultOf<'probeGenerator'>> {
    return this.request('probeGenerator', params, opts);
  }

  loadModel(params: ParamsOf<'loadModel'>, opts?: RequestOptions<'loadModel'>): Promise<ResultOf<'loadModel'>> {
    return this.request('loadModel', params, opts);
  }

  warmup(params: ParamsOf<'warmup'>, opts?: RequestOptions<'warmup'>): Promise<ResultOf<'warmup'>> {
    return this.request('warmup', params, opts);
  }

  /** Streams every step through `opts.onProgress`; a newer generate/reroll cancels this one. */
  generate(params: ParamsOf<'generate'>, opts?: RequestOptions<'generate'>): Promise<ResultOf<'generate'>> {
    return this.request('generate', params, opts);
  }

  reroll(params: ParamsOf<'reroll'>, opts?: RequestOptions<'reroll'>): Promise<ResultOf<'reroll'>> {
    return this.request('reroll', params, opts);
  }

  cancel(params: ParamsOf<'cancel'> = {}, opts?: RequestOptions<'cancel'>): Promise<ResultOf<'cancel'>> {
    return this.request('cancel', params, opts);
  }

  memory(params: ParamsOf<'memory'> = {}, opts?: RequestOptions<'memory'>): Promise<ResultOf<'memory'>> {
    return this.request('memory', params, opts);
  }

  /** Decodes uploaded files (answered on arrival, even while a run trains). */
  decodeImages(params: ParamsOf<'decodeImages'>, opts?: RequestOptions<'decodeImages'>): Promise<ResultOf<'decodeImages'>> {
    return this.request('decodeImages', params, opts);
  }

  /** Runs a training job; resolves when it stops or reaches its target, streaming progress. */
  startTraining(params: ParamsOf<'startTraining'>, opts?: RequestOptions<'startTraining'>): Promise<ResultOf<'startTraining'>> {
    return this.request('startTraining', params, opts);
  }

  pauseTraining(params: ParamsOf<'pauseTraining'> = {}): Promise<ResultOf<'pauseTraining'>> {
    return this.request('pauseTraining', params);
  }

  resumeTraining(params: ParamsOf<'resumeTraining'> = {}): Promise<ResultOf<'resumeTraining'>> {
    return this.request('resumeTraining', params);
  }

  stepTraining(params: ParamsOf<'stepTraining'> = {}): Promise<ResultOf<'stepTraining'>> {
    return this.request('stepTraining', params);
  }

  stopTraining(params: ParamsOf<'stopTraining'> = {}): Promise<ResultOf<'stopTraining'>> {
    return this.request('stopTraining', params);
  }

  rollbackTraining(params: ParamsOf<'rollbackTraining'> = {}): Promise<ResultOf<'rollbackTraining'>> {
    return this.request('rollbackTraining', params);
  }

  saveTraining(params: ParamsOf<'saveTraining'> = {}): Promise<ResultOf<'saveTraining'>> {
    return this.request('saveTraining', params);
  }

  importModel(params: ParamsOf<'importModel'>, opts?: RequestOptions<'importModel'>): Promise<ResultOf<'importModel'>> {
    return this.request('importModel', params, opts);
  }

  /** Runs the mode-coverage lab; resolves when it stops or every recipe used its budget. */
  startToyLab(params: ParamsOf<'startToyLab'>, opts?: RequestOptions<'startToyLab'>): Promise<ResultOf<'startToyLab'>> {
    return this.request('startToyLab', params, opts);
  }

  pauseToyLab(params: ParamsOf<'pauseToyLab'> = {}): Promise<ResultOf<'pauseToyLab'>> {
    return this.request('pauseToyLab', params);
  }

  resumeToyLab(params: ParamsOf<'resumeToyLab'> = {}): Promise<ResultOf<'resumeToyLab'>> {
    return this.request('resumeToyLab', params);
  }

  stopToyLab(params: ParamsOf<'stopToyLab'> = {}): Promise<ResultOf<'stopToyLab'>> {
    return this.request('stopToyLab', params);
  }

  /** Samples the same seed through several rows (checkpoint + sampler), streaming each row. */
  compare(params: ParamsOf<'compare'>, opts?: RequestOptions<'compare'>): Promise<ResultOf<'compare'>> {
    return this.request('compare', params, opts);
  }

  /** Sends one command and resolves with its result (or rejects with an EngineError). */
  request<K extends CommandType>(type: K, params: ParamsOf<K>, opts: RequestOptions<K> = {}): Promise<ResultOf<K>> {
    if (this.disposedWith) return Promise.reject(new EngineError(this.disposedWith));
    const id = this.nextId++;
    return new Promise<ResultOf<K>>((resolve, reject) => {
      this.pending.set(id, {
        type,
        // The worker answers id with the result of the same command type (the event
        // carries `type`, checked in onMessage), so the widening here is sound.
        resolve: resolve as (r: unknown) => void,
        reject,
        onProgress: opts.onProgress as ((p: unknown) => void) | undefined,
      });
      this.worker.postMessage({ id, type, params }, TRANSFERRING_COMMANDS.has(type) ? buffersIn(params) : []);
    });
  }

  /** Number of requests still waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Stops the worker (freeing its backend and GPU memory) and rejects pending requests. */
  dispose(): void {
    if (this.disposedWith) return;
    this.failAll({ name: 'EngineDisposedError', code: 'disposed', message: 'the engine client was disposed' });
    this.worker.terminate();
  }

  private onMessage(data: unknown): void {
    const ev = data as EngineEvent;
    if (typeof ev !== 'object' || ev === null || typeof ev.id !== 'number') return;
    const p = this.pending.get(ev.id);
    if (!p) return; // a reply to a request that was already failed (e.g. after dispose)
    switch (ev.kind) {
      case 'progress':
        p.onProgress?.(ev.progress);
        return;
      case 'result':
        this.pending.delete(ev.id);
        if (ev.type !== p.type) {
          p.reject(new EngineError({ name: 'InternalError', code: 'internal', message: `engine answered ${p.type} request ${ev.id} with a ${ev.type} result` }));
        } else {
          p.resolve(ev.result);
        }
        return;
      case 'error': {
        this.pending.delete(ev.id);
        const e = ev.error;
        p.reject(
          new EngineError({
            name: typeof e?.name === 'string' ? e.name : 'InternalError',
            code: isErrorCode(e?.code) ? e.code : 'internal',
            message: typeof e?.message === 'string' ? e.message : 'the engine reported an error without a message',
          }),
        );
        return;
      }
      default: {
        // Exhaustiveness: a new event kind added to the protocol must be handled above.
        const unhandled: never = ev;
        void unhandled;
      }
    }
  }

  private failAll(error: SerializedError): void {
    if (error.code === 'disposed' || error.code === 'worker-crashed') this.disposedWith = error;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(new EngineError(error));
  }
}
