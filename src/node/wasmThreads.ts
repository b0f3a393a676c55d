/**
 * Multi-threaded wasm in Node.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 runs on one thread under Node. Its threaded-SIMD
 * build works there once five things are handled, all of them here:
 *  1. The package's `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired false under Node:
 *     instead of its own loader, this module instantiates the threaded-SIMD Emscripten
 *     module itself and registers the resulting `BackendWasm` under the name 'wasm', so the
 *     package's kernels (registered for 'wasm') and the project's gradient kernels apply.
 *  2. The package hands the pthread worker and the main script over as `blob:` URLs, which
 *     `worker_threads` cannot load: the worker source is written to a real file in the
 *     temp directory and the main script is named by its path in the package.
 *  3. The bundled factory's source names bundler globals (`require$$4`, …) that do not exist
 *     inside a worker: the standalone `wasm-out/…threaded-simd.js` factory is used instead,
 *     which only needs `require`.
 *  4. The C++ side sizes the pool as min(requested, logical cores / 2, 8), with the core
 *     count read once when the module is instantiated: `os.cpus()` is made to report at
 *     least 2 × the requested count for exactly that moment, so a 2-core machine gets 2.
 *  5. The pool's pthread workers must not keep a finished CLI alive: they are `unref()`ed
 *     once the pool runs; `releaseThreadPool` ends them.
 *
 * Everything this leans on is internal to one release of the package, so the version is
 * pinned and checked: another version falls back to one thread with a message, it does not
 * break.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

/** The tfjs-backend-wasm release whose internals this module was written against. */
export const PINNED_WASM_VERSION = '4.22.0';

/** The most threads the package pre-creates workers for (its pthread pool size). */
export const MAX_WASM_THREADS = 8;

/** Logical cores Node may use: the default for `--threads`. */
export function defaultThreadCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Parses a `--threads` value: a whole number from 1 to 8 (the package's pool size). */
export function parseThreadCount(text: string | undefined): number {
  if (text === undefined) return Math.min(MAX_WASM_THREADS, defaultThreadCount());
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`--threads ${text}: use a whole number from 1 to ${MAX_WASM_THREADS}`);
  }
  return n;
}

function packageDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

function installedVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

interface PthreadWorker {
  terminate(): unknown;
  unref(): void;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => unknown;
  PThread?: { unusedWorkers: PthreadWorker[]; runningWorkers: PthreadWorker[] };
  tfjs?: Record<string, unknown>;
}

let loadedModule: EmscriptenModule | null = null;

/** Writes the pthread worker's source to a file `worker_threads` can load (once per process). */
function pthreadWorkerFile(dir: string): string {
  const { wasmWorkerContents } = require(path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ddgan-wasm-'));
  const file = path.join(folder, 'pthread-worker.cjs');
  // The source is kept in a template literal, so its "\n" escapes arrived as real newlines
  // inside string literals; put the escapes back, as the package does before making its Blob.
  fs.writeFileSync(file, wasmWorkerContents.replace(/\n/g, '\\n'));
  process.once('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
  return file;
}

/** Runs `fn` while `os.cpus()` reports at least `count` logical cores. */
async function withReportedCores<T>(count: number, fn: () => Promise<T>): Promise<T> {
  const original = os.cpus;
  os.cpus = () => {
    const real = original();
    return Array.from({ length: Math.max(real.length, count) }, (_, i) => real[i % real.length]);
  };
  try {
    return await fn();
  } finally {
    os.cpus = original;
  }
}

export interface ThreadedWasmResult {
  /** Threads the XNNPACK pool runs (1 when the threaded build could not be used). */
  readonly threads: number;
  /** Why the count differs from the request, if it does. */
  readonly note?: string;
}

let registeredThreads = 0;

/** Threads of the threaded build registered under 'wasm' (0: the package's own loader). */
export function registeredWasmThreads(): number {
  return registeredThreads;
}

/**
 * Registers the threaded-SIMD wasm build under the name 'wasm', with a pool of `threads`
 * threads (1 is allowed: the same build on one thread). Once per process: the Emscripten
 * module does not survive being instantiated twice, so the count is fixed from then on.
 * Returns a note when the threaded build cannot be used here (the package's own
 * single-threaded loader then stays).
 */
export function registerThreadedWasm(threads: number): { registered: boolean; note?: string } {
  if (registeredThreads === threads) return { registered: true };
  if (registeredThreads > 0) throw new Error(`the wasm pool of this process already runs ${registeredThreads} thread(s); the count is fixed once chosen`);
  const version = installedVersion();
  if (version !== PINNED_WASM_VERSION) {
    return { registered: false, note: `tfjs-backend-wasm ${version} is not the pinned ${PINNED_WASM_VERSION}; running on 1 thread` };
  }
  if (typeof SharedArrayBuffer === 'undefined') return { registered: false, note: 'this Node has no SharedArrayBuffer; running on 1 thread' };
  const dir = packageDir();
  const mainScript = path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const wasmBinary = path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.wasm');
  const factory = require(mainScript) as (config: Record<string, unknown>) => Promise<EmscriptenModule>;
  const pthreadWorker = pthreadWorkerFile(dir);
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const module = await withReportedCores(2 * threads, () =>
        factory({
          locateFile: (file: string) => (file.endsWith('.worker.js') ? pthreadWorker : file.endsWith('.wasm') ? wasmBinary : path.join(dir, 'wasm-out', file)),
          // a path, not a Blob: the pthread worker evaluates it with its own `require`
          mainScriptUrlOrBlob: mainScript,
        }),
      );
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, []),
      };
      loadedModule = module;
      setThreadsCount(threads);
      const backend = new BackendWasm(module as never);
      // The pool's threads now run (and hold a reference on the event loop) for the life of
      // the process; the main thread waits for them inside each kernel, not on the event
      // loop, so they need not keep a finished CLI alive.
      for (const w of module.PThread?.runningWorkers ?? []) w.unref();
      return backend;
    },
    2,
  );
  registeredThreads = threads;
  return { registered: true };
}

/** The number of threads the active wasm backend runs. */
export function wasmThreadCount(): number {
  return getThreadsCount();
}

/** Ends the pthread workers (for a process that wants to exit while the backend lives). */
export function releaseThreadPool(): void {
  const pool = loadedModule?.PThread;
  loadedModule = null;
  if (!pool) return;
  for (const w of [...pool.unusedWorkers, ...pool.runningWorkers]) void w.terminate();
}
