/** Throughput of the wasm conv kernels on the layer shapes of the shipped models. */
import * as tf from '@tensorflow/tfjs';
import { stockConv2DBackpropInput } from '../core/kernels/wasmGrad';

interface Shape {
  label: string;
  n: number;
  hw: number;
  cin: number;
  cout: number;
  k: number;
  stride: 1 | 2;
}

const SHAPES: Shape[] = [
  { label: 'G 32×32 16→16', n: 32, hw: 32, cin: 16, cout: 16, k: 3, stride: 1 },
  { label: 'G 16×16 32→32', n: 32, hw: 16, cin: 32, cout: 32, k: 3, stride: 1 },
  { label: 'G 8×8 32→32', n: 32, hw: 8, cin: 32, cout: 32, k: 3, stride: 1 },
  { label: 'G down 32→16, 16ch', n: 32, hw: 32, cin: 16, cout: 16, k: 3, stride: 2 },
  { label: 'D 32×32 24→24', n: 32, hw: 32, cin: 24, cout: 24, k: 3, stride: 1 },
  { label: 'D 16×16 48→48', n: 32, hw: 16, cin: 48, cout: 48, k: 3, stride: 1 },
];

async function median(fn: () => tf.Tensor, repeats: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats + 1; i++) {
    const t0 = performance.now();
    const out = fn();
    await out.data();
    out.dispose();
    if (i > 0) times.push(performance.now() - t0); // first run warms up
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Markdown table: forward conv vs filter gradient vs input gradient (project and stock). */
export async function benchKernels(repeats = 7, shapes: Shape[] = SHAPES): Promise<string> {
  const stockInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
  const lines = [
    '| shape | forward conv | filter grad (project) | input grad (project) | input grad (stock wasm) | filter / forward | input / forward |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of shapes) {
    const x = tf.randomNormal([s.n, s.hw, s.hw, s.cin]) as tf.Tensor4D;
    const w = tf.randomNormal([s.k, s.k, s.cin, s.cout]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, s.stride, 'same');
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
    const flops = 2 * y.shape[1] * y.shape[2] * s.k * s.k * s.cin * s.cout * s.n;
    const fwd = await median(() => tf.conv2d(x, w, s.stride, 'same'), repeats);
    const filt = await median(
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s.stride, pad: 'same', dataFormat: 'NHWC', filterShape: w.shape }) as tf.Tensor,
      repeats,
    );
    const inputAttrs = { strides: s.stride, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape };
    const inp = await median(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, inputAttrs) as tf.Tensor, repeats);
    let stock = NaN;
    if (stockInput) {
      // the stock kernel, called directly (it is replaced in the registry)
      stock = await median(() => {
        const backend = tf.backend();
        const info = stockOriginal()({ inputs: { dy, filter: w }, backend, attrs: inputAttrs }) as tf.TensorInfo;
        return tf.engine().makeTensorFromTensorInfo(info);
      }, Math.min(3, repeats));
    }
    const g = (ms: number) => (flops / (ms * 1e6)).toFixed(1);
    lines.push(
      `| ${s.label}, batch ${s.n} | ${g(fwd)} | ${g(filt)} | ${g(inp)} | ${Number.isNaN(stock) ? 'n/a' : g(stock)} | ${(fwd / filt).toFixed(2)} | ${(fwd / inp).toFixed(2)} |`,
    );
    tf.dispose([x, w, y, dy]);
  }
  return lines.join('\n');
}


function stockOriginal(): tf.KernelFunc {
  const f = stockConv2DBackpropInput();
  if (!f) throw new Error('the stock wasm Conv2DBackpropInput kernel was not recorded');
  return f;
}
