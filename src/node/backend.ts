/** Node-side backend setup: the wasm binaries are read from the installed package. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { useBackend, type BackendName } from '../core/backend';

const require = createRequire(import.meta.url);

export function wasmDir(): string {
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  // entry is …/dist/tf-backend-wasm.node.js (or similar): the binaries sit beside it
  return path.dirname(entry) + path.sep;
}

export async function useNodeBackend(name: BackendName = 'wasm'): Promise<void> {
  await useBackend(name, { wasmPath: wasmDir() });
}
