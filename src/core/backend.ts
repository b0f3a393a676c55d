/**
 * Backend choice lives here. The same names are used by the worker, the CLIs and tests.
 *
 * Measured on a 2-core machine without a GPU (DESIGN §4): WebGPU on a software adapter
 * (SwiftShader) is ~40× slower than wasm, so WebGPU is only preferred on real hardware.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerComparisonGradients, registerWasmTrainingKernels } from './kernels/wasmGrad';
import { registerChunkedAddN } from './kernels/webgpuAddN';
import { BACKENDS, isBackendName, type BackendName } from '../shared/backends';

export { BACKENDS, isBackendName, type BackendName };

export interface BackendInitOptions {
  /** Folder (URL prefix or file path ending in '/') holding the tfjs wasm binaries. */
  wasmPath?: string;
}

let wasmPathSet = false;

/** Switches tfjs to `name`, registering the project's training kernels where needed. */
export async function useBackend(name: BackendName, opts: BackendInitOptions = {}): Promise<void> {
  registerComparisonGradients();
  if (name === 'wasm' && opts.wasmPath && !wasmPathSet) {
    setWasmPaths(opts.wasmPath);
    wasmPathSet = true;
  }
  if (name === 'webgpu' && !tf.findBackendFactory('webgpu')) {
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`the ${name} backend could not be initialised in this environment`);
  }
  await tf.ready();
  if (name === 'wasm') registerWasmTrainingKernels('wasm');
  if (name === 'webgpu') registerChunkedAddN('webgpu');
}
