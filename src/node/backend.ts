/**
 * Node-side backend setup, shared by every CLI: `--backend wasm|webgpu|cpu` and
 * `--threads N` (wasm; default: every logical core, src/node/wasmThreads.ts).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend, type BackendName } from '../core/backend';
import { defaultThreadCount, parseThreadCount, registerThreadedWasm, registeredWasmThreads, wasmThreadCount } from './wasmThreads';

const require = createRequire(import.meta.url);

export const NODE_BACKENDS = ['wasm', 'webgpu', 'cpu'] as const;
export type NodeBackendName = (typeof NODE_BACKENDS)[number];

export function wasmDir(): string {
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  // entry is …/dist/tf-backend-wasm.node.js (or similar): the binaries sit beside it
  return path.dirname(entry) + path.sep;
}

export interface NodeBackendOptions {
  /** wasm threads (default: every logical core, at most 8). */
  readonly threads?: number;
}

export interface NodeBackendReport {
  readonly backend: NodeBackendName;
  /** wasm: the threads the pool runs; other backends: undefined. */
  readonly threads?: number;
  /** One line for the log: "wasm, 2 threads" or "webgpu (SwiftShader, software)". */
  readonly description: string;
}

let active: NodeBackendReport | null = null;

/**
 * Switches tfjs to `name`. On wasm, `threads` (default: every logical core, at most 8)
 * picks the pool, once per process (src/node/wasmThreads.ts); one thread keeps the package's
 * own single-threaded loader.
 */
export async function useNodeBackend(name: BackendName = 'wasm', opts: NodeBackendOptions = {}): Promise<NodeBackendReport> {
  if (name === 'webgl') throw new Error('the webgl backend needs a browser; in Node use wasm, webgpu or cpu');
  if (name === 'webgpu') {
    const { provideNodeWebGpu } = await import('./webgpuNode');
    const adapter = await provideNodeWebGpu();
    await useBackend('webgpu');
    active = { backend: 'webgpu', description: `webgpu (${adapter})` };
  } else if (name === 'wasm') {
    const requested = opts.threads ?? Math.min(8, defaultThreadCount());
    let note: string | undefined;
    if (requested > 1 || registeredWasmThreads() > 0) {
      if (requested > 1 && registeredWasmThreads() === 0 && tf.findBackend('wasm')) {
        throw new Error(`the wasm backend of this process already runs on 1 thread; start a new process for ${requested}`);
      }
      ({ note } = registerThreadedWasm(requested));
    }
    await useBackend('wasm', { wasmPath: wasmDir() });
    const threads = wasmThreadCount();
    active = { backend: 'wasm', threads, description: `wasm (SIMD, ${threads} thread${threads === 1 ? '' : 's'})${note ? `: ${note}` : ''}` };
  } else {
    await useBackend('cpu');
    active = { backend: 'cpu', description: 'cpu (plain JavaScript)' };
  }
  return active;
}

/** The backend this process runs, once chosen. */
export function activeNodeBackend(): NodeBackendReport | null {
  return active;
}

/** The options every CLI takes; spread into its parseCli table. */
export const BACKEND_CLI_OPTIONS = {
  backend: { type: 'string' },
  threads: { type: 'string' },
} as const;

export const BACKEND_USAGE = '[--backend wasm|webgpu|cpu] [--threads N]';

/**
 * Reads --backend and --threads, switches to that backend and says so on stderr. A bad
 * value or a backend that cannot start here ends the process with a one-line message.
 */
export async function useBackendFromArgs(args: { backend?: string; threads?: string }, usage: string): Promise<NodeBackendReport> {
  const name = args.backend ?? 'wasm';
  if (!(NODE_BACKENDS as readonly string[]).includes(name)) {
    console.error(`--backend ${name}: use one of ${NODE_BACKENDS.join(', ')}\n\n${usage}`);
    process.exit(2);
  }
  let threads: number;
  try {
    threads = parseThreadCount(args.threads);
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (args.threads !== undefined && name !== 'wasm') console.error(`--threads applies to the wasm backend; ignored on ${name}`);
  try {
    const report = await useNodeBackend(name as NodeBackendName, { threads });
    console.error(`backend: ${report.description}`);
    return report;
  } catch (e) {
    console.error(`--backend ${name}: ${(e as Error).message}`);
    process.exit(1);
  }
}

/** tfjs's name for the backend in use (for model.json records). */
export function backendLabel(): string {
  const report = activeNodeBackend();
  return report ? report.description : tf.getBackend();
}
