/**
 * How large a batch the loaded generator can run on the current backend: pure arithmetic,
 * no tfjs (the UI imports the wording helpers).
 *
 * A backend caps the size of one tensor: WebGPU cannot bind a storage buffer larger than
 * the device's `maxStorageBufferBindingSize` (nor create one over `maxBufferSize`), WebGL
 * keeps a tensor in one texture of at most MAX_TEXTURE_SIZE² texels, and the wasm backend
 * keeps every tensor in one heap. A batch whose largest intermediate tensor is over that
 * cap fails deep inside tfjs, so the engine works out the cap in batches once per model
 * and backend, and the UI keeps the user under it.
 *
 *   1. Measure: one sampling step at two small batches under `tf.profile` (ddganEngine.ts).
 *      Every kernel's input and output shapes are recorded; a tensor's size grows with the
 *      batch as e(b) = e₀ + s·b, so comparing the two runs kernel by kernel gives each
 *      tensor's bytes per example s (weights have s = 0 and drop out).
 *   2. Add what the profile cannot see, where the backend makes it: a windowed convolution
 *      lowered to a matrix product over an im2col copy of its input, [B, H_out·W_out,
 *      k_h·k_w·C_in], k_h·k_w times the size of the input, is not a kernel of its own. WebGL
 *      does this for every windowed conv (flag WEBGL_CONV_IM2COL, on with packing), so the
 *      copy is estimated from the conv's shapes there. tfjs-backend-webgpu 4.22 does it only
 *      for tiny dispatches (B·⌈H_out·W_out/32⌉·⌈C_out/32⌉ ≤ 8, or 16 on Intel Gen12+, see
 *      Conv2D_impl.js), where the copy has at most 512 rows and cannot reach a limit, unless
 *      WEBGPU_CONV_SEPARATE_IM2COL_SHADER forces it for every size; counting it regardless
 *      would cap a 32×32 model at 60 under a 128 MiB binding limit when 64 runs fine. The
 *      wasm backend (XNNPACK) convolves through an indirection buffer of pointers, no copy.
 *   3. Multiply the largest per-example size by a safety factor (buffer alignment, packed
 *      texture padding, copies a backend makes internally) and divide the smallest limit
 *      by it.
 */
import type { BackendName, BatchLimit, TensorLimit } from './protocol';

/** Headroom over the measured bytes for what the measurement cannot see exactly. */
export const SAFETY_FACTOR = 1.25;

/**
 * The wasm backend's budget for one tensor. tfjs-backend-wasm grows its heap up to 2 GiB
 * (4 GiB in newer builds), and every tensor plus the weights and XNNPACK's scratch share
 * it; half the smaller heap for the largest single tensor leaves room for the rest.
 */
export const WASM_TENSOR_BUDGET = 1024 ** 3;

/**
 * WebGPU's default limits (the values every adapter must support), used when the device
 * cannot be asked.
 */
export const WEBGPU_DEFAULT_LIMITS = { maxStorageBufferBindingSize: 128 * 1024 ** 2, maxBufferSize: 256 * 1024 ** 2 } as const;

/** float32 and int32 alike (tfjs keeps bools in 4 bytes on the GPU backends too). */
const BYTES_PER_ELEMENT = 4;

/** What the backend says about its size limits; absent facts fall back as documented. */
export interface LimitFacts {
  /** The WebGPU device's limits (`GPUDevice.limits`). */
  readonly gpu?: { readonly maxStorageBufferBindingSize: number; readonly maxBufferSize: number } | null;
  /** tfjs's `WEBGL_MAX_TEXTURE_SIZE` (texels along one side). */
  readonly webglMaxTextureSize?: number | null;
}

/**
 * The per-tensor limits of a backend, in bytes. WebGL counts one float per texel although
 * a packed texture holds four: texture shapes are padded and not every tensor is packed, so
 * size² elements is the bound that always holds. cpu has none.
 */
export function tensorLimitsFor(backend: BackendName, facts: LimitFacts = {}): TensorLimit[] {
  switch (backend) {
    case 'webgpu': {
      const gpu = facts.gpu ?? WEBGPU_DEFAULT_LIMITS;
      return [
        { name: 'maxStorageBufferBindingSize', bytes: gpu.maxStorageBufferBindingSize },
        { name: 'maxBufferSize', bytes: gpu.maxBufferSize },
      ];
    }
    case 'webgl': {
      const size = facts.webglMaxTextureSize;
      return size && size > 0 ? [{ name: 'WEBGL_MAX_TEXTURE_SIZE', bytes: size * size * BYTES_PER_ELEMENT }] : [];
    }
    case 'wasm':
      return [{ name: 'wasmTensorBudget', bytes: WASM_TENSOR_BUDGET }];
    case 'cpu':
      return [];
  }
}

/** One kernel of a `tf.profile` record: only the shapes are used. */
export interface KernelShapes {
  readonly name: string;
  readonly inputShapes: readonly (readonly number[] | null)[];
  readonly outputShapes: readonly (readonly number[])[];
}

/** The kernels of one profiled sampling step at `batch`. */
export interface ProfiledRun {
  readonly batch: number;
  readonly kernels: readonly KernelShapes[];
}

const WINDOWED_CONVS = new Set(['Conv2D', 'FusedConv2D']);

const count = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

/** Whether the backend materialises an im2col copy for every windowed convolution (step 2). */
export interface TensorOptions {
  readonly im2col: boolean;
}

/**
 * Element counts of the tensors one kernel touches, in a fixed order: its inputs, its
 * outputs, and with `im2col`, for a convolution with a window larger than 1×1, the im2col
 * matrix B·H_out·W_out × k_h·k_w·C_in (NHWC input, [k_h, k_w, C_in, C_out] filter).
 */
export function kernelTensors(k: KernelShapes, opts: TensorOptions): { label: string; elements: number }[] {
  const out: { label: string; elements: number }[] = [];
  for (const s of k.inputShapes) if (s) out.push({ label: k.name, elements: count(s) });
  for (const s of k.outputShapes) out.push({ label: k.name, elements: count(s) });
  const [x, filter] = k.inputShapes;
  const y = k.outputShapes[0];
  if (opts.im2col && WINDOWED_CONVS.has(k.name) && x?.length === 4 && filter?.length === 4 && y?.length === 4) {
    const [kh, kw, cIn] = filter;
    if (kh * kw > 1) out.push({ label: `${k.name} im2col`, elements: y[0] * y[1] * y[2] * kh * kw * cIn });
  }
  return out;
}

/** The largest tensor's bytes per example, and the kernel (or im2col copy) it belongs to. */
export interface PerExample {
  readonly bytes: number;
  readonly kernel: string;
}

const sameKernels = (a: ProfiledRun, b: ProfiledRun, opts: TensorOptions): boolean =>
  a.kernels.length === b.kernels.length && a.kernels.every((k, i) => k.name === b.kernels[i].name && kernelTensors(k, opts).length === kernelTensors(b.kernels[i], opts).length);

/**
 * Bytes per example of the largest tensor, from the same step profiled at two batch sizes:
 * for each tensor, (size at the larger batch − size at the smaller) / (batch difference).
 * If the two runs did not call the same kernels (they should), it falls back to size / batch
 * at the larger batch, which also spreads the fixed-size tensors (weights) over the batch.
 */
export function perExampleBytes(a: ProfiledRun, b: ProfiledRun, opts: TensorOptions): PerExample {
  const [small, large] = a.batch <= b.batch ? [a, b] : [b, a];
  let best: PerExample = { bytes: 0, kernel: '' };
  const consider = (elementsPerExample: number, kernel: string): void => {
    const bytes = elementsPerExample * BYTES_PER_ELEMENT;
    if (bytes > best.bytes) best = { bytes, kernel };
  };
  if (large.batch > small.batch && sameKernels(small, large, opts)) {
    const db = large.batch - small.batch;
    large.kernels.forEach((k, i) => {
      const before = kernelTensors(small.kernels[i], opts);
      kernelTensors(k, opts).forEach((t, j) => consider((t.elements - before[j].elements) / db, t.label));
    });
  } else {
    for (const k of large.kernels) for (const t of kernelTensors(k, opts)) consider(t.elements / Math.max(1, large.batch), t.label);
  }
  return best;
}

/**
 * The largest batch B whose largest tensor, B × `perExample.bytes` × `safety`, stays within
 * every limit, and the limit that binds (the smallest; the first listed on a tie).
 * No limits, or nothing that grows with the batch: no cap (`maxBatch: null`). The result
 * can be 0: then not even one example fits.
 */
export function batchLimitFor(perExample: PerExample, limits: readonly TensorLimit[], safety = SAFETY_FACTOR): BatchLimit {
  const budgeted = Math.ceil(perExample.bytes * safety);
  let binding: TensorLimit | null = null;
  for (const l of limits) if (binding === null || l.bytes < binding.bytes) binding = l;
  const maxBatch = binding === null || budgeted <= 0 ? null : Math.floor(binding.bytes / budgeted);
  return { maxBatch, bytesPerExample: perExample.bytes, safety, kernel: perExample.kernel, limit: binding };
}

/**
 * `requested` if it is within `maxBatch` (or there is no cap); otherwise the largest of
 * `offered` that is, or `maxBatch` itself when none of them is (at least 1: a model that
 * cannot run even one example is refused with the reason by whoever checks the batch).
 */
export function batchWithin(requested: number, maxBatch: number | null, offered: readonly number[] = []): number {
  if (maxBatch === null || requested <= maxBatch) return requested;
  const fits = offered.filter((b) => Number.isInteger(b) && b >= 1 && b <= maxBatch);
  return fits.length > 0 ? Math.max(...fits) : Math.max(1, maxBatch);
}

// ─── wording (shared with the UI) ───────────────────────────────────────────────────────

/** Bytes in binary units, as the limits are given: '128 MiB', '1.5 MiB', '24.0 KiB'. */
export function fmtSize(bytes: number): string {
  const mib = bytes / 1024 ** 2;
  if (mib >= 10) return `${mib.toFixed(0)} MiB`;
  if (mib >= 1) return `${mib.toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** The limit as a phrase: "this GPU's maxStorageBufferBindingSize (128 MiB)". */
export function describeLimit(l: TensorLimit): string {
  switch (l.name) {
    case 'maxStorageBufferBindingSize':
    case 'maxBufferSize':
      return `this GPU's ${l.name} (${fmtSize(l.bytes)})`;
    case 'WEBGL_MAX_TEXTURE_SIZE':
      return `WebGL's largest texture (MAX_TEXTURE_SIZE ${Math.round(Math.sqrt(l.bytes / BYTES_PER_ELEMENT))}², ${fmtSize(l.bytes)} of floats)`;
    case 'wasmTensorBudget':
      return `the wasm heap's budget for one tensor (${fmtSize(l.bytes)})`;
  }
}

/**
 * Why `batch` is not offered, or null when it fits: "largest tensor 160 MiB at batch 64
 * (with 25% headroom) exceeds this GPU's maxStorageBufferBindingSize (128 MiB)".
 */
export function batchOverLimit(limit: BatchLimit | null | undefined, batch: number): string | null {
  if (!limit || limit.maxBatch === null || limit.limit === null || batch <= limit.maxBatch) return null;
  const headroom = Math.round((limit.safety - 1) * 100);
  const bytes = limit.bytesPerExample * limit.safety * batch;
  return `largest tensor ${fmtSize(bytes)} at batch ${batch}${headroom > 0 ? ` (with ${headroom}% headroom)` : ''} exceeds ${describeLimit(limit.limit)}`;
}
