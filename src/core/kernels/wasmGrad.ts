/**
 * Training kernels for the wasm backend.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel and a naive, single-loop
 * `Conv2DBackpropInput` (~3 GFLOP/s here). Both gradients are convolutions in disguise,
 * so they are re-expressed as calls to the wasm backend's own XNNPACK `Conv2D`:
 *
 *  - filter gradient dW[a,b,c,o] = Σ_{n,i,j} x[n, i·s + a − pT, j·s + b − pL, c] · dy[n,i,j,o]:
 *    a stride-1 convolution of x with batch and channels swapped ([C_in, H, W, N]) by dy used
 *    as a kernel ([H_out, W_out, N, C_out]) dilated by the forward stride s;
 *  - input gradient dx = dy (zero-inserted between rows/columns when s > 1) correlated with
 *    the spatially flipped kernel with in/out channels swapped, padded by (k − 1 − pad).
 *
 * Also registers zero gradients for the comparison kernels so that a gradient of a gradient
 * (R1 penalty through LeakyReLU) can be taken on every backend.
 *
 * Everything here calls other kernels directly with TensorInfos (not tf ops), and disposes
 * each intermediate through the backend, so nothing is recorded on the tape twice.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

type Backend = tf.KernelBackend & { disposeData(dataId: object, force?: boolean): boolean };

interface Ops {
  backend: Backend;
  run(name: string, inputs: Record<string, TensorInfo>, attrs?: NamedAttrMap): TensorInfo;
  free(...infos: TensorInfo[]): void;
}

function opsFor(backendName: string, backend: Backend): Ops {
  const funcs = new Map<string, KernelFunc>();
  return {
    backend,
    run(name, inputs, attrs = {}) {
      let f = funcs.get(name);
      if (!f) {
        const k = tf.getKernel(name, backendName);
        if (!k) throw new Error(`kernel ${name} is not registered for backend ${backendName}`);
        f = k.kernelFunc;
        funcs.set(name, f);
      }
      return f({ inputs: inputs as never, backend, attrs }) as TensorInfo;
    },
    free(...infos) {
      for (const info of infos) backend.disposeData(info.dataId);
    },
  };
}

type PadAttr = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvGeometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
}

function geometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: PadAttr,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad, dimRoundingMode);
  return {
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    inH: info.inHeight,
    inW: info.inWidth,
    outH: info.outHeight,
    outW: info.outWidth,
  };
}

/** Pads (positive) or crops (negative) rows/cols of an NHWC tensor: [top, bottom, left, right]. */
function padOrCrop(ops: Ops, x: TensorInfo, top: number, bottom: number, left: number, right: number): { out: TensorInfo; owned: boolean } {
  const [n, h, w, c] = x.shape;
  let cur = x;
  let owned = false;
  const cropTop = Math.max(0, -top);
  const cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left);
  const cropRight = Math.max(0, -right);
  if (cropTop || cropBottom || cropLeft || cropRight) {
    cur = ops.run('Slice', { x: cur }, {
      begin: [0, cropTop, cropLeft, 0],
      size: [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c],
    });
    owned = true;
  }
  const pt = Math.max(0, top);
  const pb = Math.max(0, bottom);
  const pl = Math.max(0, left);
  const pr = Math.max(0, right);
  if (pt || pb || pl || pr) {
    const padded = ops.run('PadV2', { x: cur }, {
      paddings: [
        [0, 0],
        [pt, pb],
        [pl, pr],
        [0, 0],
      ],
      constantValue: 0,
    });
    if (owned) ops.free(cur);
    cur = padded;
    owned = true;
  }
  return { out: cur, owned };
}

function conv2dBackpropFilter(ops: Ops, x: TensorInfo, dy: TensorInfo, attrs: NamedAttrMap): TensorInfo {
  const filterShape = attrs.filterShape as [number, number, number, number];
  const g = geometry(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides as [number, number],
    attrs.pad as PadAttr,
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  // Padding that makes the dilated "kernel" dy land exactly kh × kw times.
  const padBottom = g.kh + g.sh * (g.outH - 1) - g.inH - g.padTop;
  const padRight = g.kw + g.sw * (g.outW - 1) - g.inW - g.padLeft;
  const { out: xp, owned } = padOrCrop(ops, x, g.padTop, padBottom, g.padLeft, padRight);
  const xT = ops.run('Transpose', { x: xp }, { perm: [3, 1, 2, 0] }); // [C_in, H', W', N]
  if (owned) ops.free(xp);
  const dyT = ops.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [H_out, W_out, N, C_out]
  const conv = ops.run('Conv2D', { x: xT, filter: dyT }, {
    strides: [1, 1],
    pad: 'valid',
    dataFormat: 'NHWC',
    dilations: [g.sh, g.sw],
  }); // [C_in, kh, kw, C_out]
  ops.free(xT, dyT);
  const dw = ops.run('Transpose', { x: conv }, { perm: [1, 2, 0, 3] });
  ops.free(conv);
  return dw;
}

function conv2dBackpropInput(ops: Ops, dy: TensorInfo, filter: TensorInfo, attrs: NamedAttrMap): TensorInfo {
  const inputShape = attrs.inputShape as [number, number, number, number];
  const g = geometry(
    inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides as [number, number],
    attrs.pad as PadAttr,
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  const [n, , , cOut] = dy.shape;
  // 1. zero-insert dy when the forward conv was strided: [N, H_out·s, W_out·s, C_out]
  let dyD = dy;
  let dyOwned = false;
  if (g.sh > 1 || g.sw > 1) {
    const r = ops.run('Reshape', { x: dy }, { shape: [n, g.outH, 1, g.outW, 1, cOut] });
    const p = ops.run('PadV2', { x: r }, {
      paddings: [
        [0, 0],
        [0, 0],
        [0, g.sh - 1],
        [0, 0],
        [0, g.sw - 1],
        [0, 0],
      ],
      constantValue: 0,
    });
    ops.free(r);
    dyD = ops.run('Reshape', { x: p }, { shape: [n, g.outH * g.sh, g.outW * g.sw, cOut] });
    ops.free(p);
    dyOwned = true;
  }
  const lenH = dyD.shape[1];
  const lenW = dyD.shape[2];
  // 2. pad so that a valid correlation with the flipped kernel yields H_in × W_in
  const top = g.kh - 1 - g.padTop;
  const left = g.kw - 1 - g.padLeft;
  const bottom = g.inH + g.kh - 1 - top - lenH;
  const right = g.inW + g.kw - 1 - left - lenW;
  const { out: dyP, owned } = padOrCrop(ops, dyD, top, bottom, left, right);
  if (dyOwned && owned) ops.free(dyD);
  // 3. kernel: flip spatially, swap in/out channels → [kh, kw, C_out, C_in]
  const flipped = ops.run('Reverse', { x: filter }, { dims: [0, 1] });
  const wT = ops.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
  ops.free(flipped);
  const dx = ops.run('Conv2D', { x: dyP, filter: wT }, {
    strides: [1, 1],
    pad: 'valid',
    dataFormat: 'NHWC',
    dilations: [1, 1],
  });
  ops.free(wT);
  if (owned) ops.free(dyP);
  else if (dyOwned) ops.free(dyD);
  return dx;
}

const registered = new Set<string>();
let stockInputKernel: KernelFunc | undefined;

/** The wasm backend's own Conv2DBackpropInput (kept for benchmarks and NCHW inputs). */
export function stockConv2DBackpropInput(): KernelFunc | undefined {
  return stockInputKernel;
}

/**
 * Registers the conv gradient kernels for `backendName` (default 'wasm'). Cases the fast
 * path does not handle (NCHW, dilated forward convs) go to the backend's own kernel.
 * Safe to call more than once.
 */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  registerComparisonGradients();
  if (registered.has(backendName)) return;
  registered.add(backendName);

  const stockInput = tf.getKernel('Conv2DBackpropInput', backendName);
  if (backendName === 'wasm') stockInputKernel = stockInput?.kernelFunc;
  const handles = (attrs: NamedAttrMap): boolean => attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC';

  const filterKernel: KernelConfig = {
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: ({ inputs, backend, attrs = {} }) => {
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      if (!handles(attrs)) throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
      return conv2dBackpropFilter(opsFor(backendName, backend as Backend), x, dy, attrs);
    },
  };
  const inputKernel: KernelConfig = {
    kernelName: 'Conv2DBackpropInput',
    backendName,
    kernelFunc: (args) => {
      const { inputs, backend, attrs = {} } = args;
      if (!handles(attrs) && stockInput) return stockInput.kernelFunc(args);
      const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
      return conv2dBackpropInput(opsFor(backendName, backend as Backend), dy, filter, attrs);
    },
  };
  if (tf.getKernel('Conv2DBackpropFilter', backendName)) tf.unregisterKernel('Conv2DBackpropFilter', backendName);
  if (stockInput) tf.unregisterKernel('Conv2DBackpropInput', backendName);
  tf.registerKernel(filterKernel);
  tf.registerKernel(inputKernel);
}

let comparisonsDone = false;

/**
 * tfjs 4.22 has no gradient for comparison kernels, so a second derivative through
 * LeakyReLU (whose gradient uses Greater) fails. Their true gradient is zero almost
 * everywhere; register exactly that.
 */
export function registerComparisonGradients(): void {
  if (comparisonsDone) return;
  comparisonsDone = true;
  for (const kernelName of ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual']) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => {
        const [a, b] = saved as tf.Tensor[];
        return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
      },
    });
  }
}
