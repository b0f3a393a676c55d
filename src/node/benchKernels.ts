/** Throughput of the wasm conv kernels on the layer shapes of the shipped models. */
import * as tf from '@tensorflow/tfjs';
import { stockConv2DBackpropInput } from '../core/kernels/wasmGrad';
import { runAndRead, timeMedian, type BenchSection } from './benchUtil';

export interface KernelShape {
  label: string;
  n: number;
  hw: number;
  cin: number;
  cout: number;
  k: number;
  stride: 1 | 2;
}

export const KERNEL_SHAPES: KernelShape[] = [
  { label: 'G 32×32 16→16', n: 32, hw: 32, cin: 16, cout: 16, k: 3, stride: 1 },
  { label: 'G 16×16 32→32', n: 32, hw: 16, cin: 32, cout: 32, k: 3, stride: 1 },
  { label: 'G 8×8 32→32', n: 32, hw: 8, cin: 32, cout: 32, k: 3, stride: 1 },
  { label: 'G down 32→16, 16ch', n: 32, hw: 32, cin: 16, cout: 16, k: 3, stride: 2 },
  { label: 'D 32×32 24→24', n: 32, hw: 32, cin: 24, cout: 24, k: 3, stride: 1 },
  { label: 'D 16×16 48→48', n: 32, hw: 16, cin: 48, cout: 48, k: 3, stride: 1 },
];

/** Two small shapes (one per stride) for a quick check of the whole code path. */
export const TINY_KERNEL_SHAPES: KernelShape[] = [
  { label: 'tiny 8×8 4→4', n: 2, hw: 8, cin: 4, cout: 4, k: 3, stride: 1 },
  { label: 'tiny down 8→4, 4ch', n: 2, hw: 8, cin: 4, cout: 4, k: 3, stride: 2 },
];

/** Forward conv vs filter gradient vs input gradient (project and stock), GFLOP/s. */
export async function benchKernels(repeats = 7, shapes: KernelShape[] = KERNEL_SHAPES): Promise<BenchSection> {
  const rows: Record<string, number | string>[] = [];
  for (const s of shapes) {
    const x = tf.randomNormal([s.n, s.hw, s.hw, s.cin]) as tf.Tensor4D;
    const w = tf.randomNormal([s.k, s.k, s.cin, s.cout]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, s.stride, 'same');
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
    const flops = 2 * y.shape[1] * y.shape[2] * s.k * s.k * s.cin * s.cout * s.n;
    const fwd = await timeMedian(() => runAndRead(() => tf.conv2d(x, w, s.stride, 'same')), repeats);
    const filt = await timeMedian(
      () =>
        runAndRead(
          () =>
            tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s.stride, pad: 'same', dataFormat: 'NHWC', filterShape: w.shape }) as tf.Tensor,
        ),
      repeats,
    );
    const inputAttrs = { strides: s.stride, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape };
    const inp = await timeMedian(
      () => runAndRead(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, inputAttrs) as tf.Tensor),
      repeats,
    );
    // the stock kernel, called directly (the registry holds the project's replacement)
    const stockFn = stockConv2DBackpropInput();
    const stock = stockFn
      ? await timeMedian(
          () =>
            runAndRead(() => {
              const info = stockFn({ inputs: { dy, filter: w }, backend: tf.backend(), attrs: inputAttrs }) as tf.TensorInfo;
              return tf.engine().makeTensorFromTensorInfo(info);
            }),
          Math.min(3, repeats),
        )
      : NaN;
    const g = (ms: number) => flops / (ms * 1e6);
    rows.push({
      shape: `${s.label}, batch ${s.n}`,
      forward: g(fwd),
      filterGrad: g(filt),
      inputGrad: g(inp),
      inputGradStock: Number.isNaN(stock) ? 'n/a' : g(stock),
      filterVsForward: fwd / filt,
      inputVsForward: fwd / inp,
    });
    tf.dispose([x, w, y, dy]);
  }
  return {
    id: 'kernels',
    title: `wasm conv kernels (GFLOP/s, median of ${repeats})`,
    tables: [
      {
        columns: [
          { key: 'shape', label: 'shape' },
          { key: 'forward', label: 'forward conv' },
          { key: 'filterGrad', label: 'filter grad (project)' },
          { key: 'inputGrad', label: 'input grad (project)' },
          { key: 'inputGradStock', label: 'input grad (stock wasm)' },
          { key: 'filterVsForward', label: 'filter / forward' },
          { key: 'inputVsForward', label: 'input / forward' },
        ],
        rows,
      },
    ],
    notes: [
      '3×3 kernels, padding "same"; FLOPs counted as 2 per multiply-add of the forward conv, the same count for each gradient.',
      '"filter / forward" and "input / forward" are speed ratios (gradient GFLOP/s over forward GFLOP/s).',
    ],
    data: { repeats },
  };
}
