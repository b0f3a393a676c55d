/**
 * A kernel fix for tfjs-backend-webgpu 4.22, registered wherever the webgpu backend starts
 * (the worker in the browser, the CLIs in Node).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-webgpu 4.22's AddN binds every input as a storage buffer in one shader, and
 * its device asks for the default limit of 8 storage buffers per stage: with more than 7
 * inputs the pipeline is invalid (Dawn's validation errors, output left at zero). The
 * trainers' gradient norms add one term per parameter (24–146 inputs), so this kernel
 * wrapper sums in chunks that fit the device's limit (a tree of AddN calls).
 */
export function registerChunkedAddN(backendName = 'webgpu'): void {
  const stock = tf.getKernel('AddN', backendName);
  if (!stock || (stock.kernelFunc as { chunked?: boolean }).chunked) return;
  const chunked: tf.KernelFunc = (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const backend = args.backend as unknown as { device?: { limits?: { maxStorageBuffersPerShaderStage?: number } }; disposeData(id: object): void };
    const max = Math.max(2, (backend.device?.limits?.maxStorageBuffersPerShaderStage ?? 8) - 1);
    if (inputs.length <= max) return stock.kernelFunc(args);
    let level = inputs;
    const temporaries: tf.TensorInfo[] = [];
    while (level.length > max) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < level.length; i += max) {
        const part = level.slice(i, i + max);
        if (part.length === 1) {
          next.push(part[0]);
          continue;
        }
        const sum = stock.kernelFunc({ ...args, inputs: part as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
        temporaries.push(sum);
        next.push(sum);
      }
      level = next;
    }
    const out = stock.kernelFunc({ ...args, inputs: level as unknown as tf.NamedTensorInfoMap });
    for (const t of temporaries) backend.disposeData(t.dataId);
    return out;
  };
  (chunked as { chunked?: boolean }).chunked = true;
  tf.unregisterKernel('AddN', backendName);
  tf.registerKernel({ ...stock, kernelFunc: chunked });
}
