/**
 * The batch-limit arithmetic (src/worker/batchLimit.ts): backend limits, bytes per example
 * from two profiled runs, the largest batch and the limit that binds, and the wording.
 */
import { describe, expect, it } from 'vitest';
import {
  WASM_TENSOR_BUDGET,
  WEBGPU_DEFAULT_LIMITS,
  batchLimitFor,
  batchOverLimit,
  batchWithin,
  fmtSize,
  kernelTensors,
  perExampleBytes,
  tensorLimitsFor,
  type KernelShapes,
  type ProfiledRun,
} from '../../src/worker/batchLimit';
import type { TensorLimit } from '../../src/worker/protocol';

const MiB = 1024 ** 2;
const gpu = { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB };

/** A 3×3 conv 8→32 channels on 16×16 plus a dense layer whose weight is bigger than any activation. */
function step(batch: number): ProfiledRun {
  const kernels: KernelShapes[] = [
    { name: 'MatMul', inputShapes: [[batch, 64], [64, 100_000]], outputShapes: [[batch, 100_000]] },
    { name: 'FusedConv2D', inputShapes: [[batch, 16, 16, 8], [3, 3, 8, 32], [32]], outputShapes: [[batch, 16, 16, 32]] },
    { name: 'Add', inputShapes: [[batch, 16, 16, 32], null], outputShapes: [[batch, 16, 16, 32]] },
  ];
  return { batch, kernels };
}

describe('tensorLimitsFor', () => {
  it('webgpu: both device limits, in the order binding size, buffer size', () => {
    expect(tensorLimitsFor('webgpu', { gpu })).toEqual([
      { name: 'maxStorageBufferBindingSize', bytes: 128 * MiB },
      { name: 'maxBufferSize', bytes: 256 * MiB },
    ]);
  });

  it("webgpu without a device to ask: WebGPU's default limits", () => {
    expect(tensorLimitsFor('webgpu').map((l) => l.bytes)).toEqual([WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize, WEBGPU_DEFAULT_LIMITS.maxBufferSize]);
  });

  it('webgl: MAX_TEXTURE_SIZE² floats, one per texel', () => {
    expect(tensorLimitsFor('webgl', { webglMaxTextureSize: 4096 })).toEqual([{ name: 'WEBGL_MAX_TEXTURE_SIZE', bytes: 4096 * 4096 * 4 }]);
    expect(tensorLimitsFor('webgl', {})).toEqual([]);
  });

  it('wasm: a 1 GiB budget; cpu: no limit', () => {
    expect(tensorLimitsFor('wasm')).toEqual([{ name: 'wasmTensorBudget', bytes: 1024 ** 3 }]);
    expect(WASM_TENSOR_BUDGET).toBe(1024 ** 3);
    expect(tensorLimitsFor('cpu')).toEqual([]);
  });
});

describe('kernelTensors', () => {
  const im2col = { im2col: true };

  it('with im2col, adds the copy of a windowed conv: B·H_out·W_out × k·k·C_in', () => {
    const conv = step(2).kernels[1];
    const sizes = kernelTensors(conv, im2col);
    expect(sizes.at(-1)).toEqual({ label: 'FusedConv2D im2col', elements: 2 * 16 * 16 * 9 * 8 });
    expect(sizes.map((s) => s.elements).slice(0, 4)).toEqual([2 * 16 * 16 * 8, 3 * 3 * 8 * 32, 32, 2 * 16 * 16 * 32]);
    // Without it (wasm, webgpu by default): inputs and outputs only.
    expect(kernelTensors(conv, { im2col: false })).toHaveLength(4);
  });

  it('no im2col for a 1×1 conv, nor for other kernels', () => {
    const conv1: KernelShapes = { name: 'Conv2D', inputShapes: [[1, 8, 8, 4], [1, 1, 4, 4]], outputShapes: [[1, 8, 8, 4]] };
    expect(kernelTensors(conv1, im2col).map((t) => t.label)).toEqual(['Conv2D', 'Conv2D', 'Conv2D']);
    expect(kernelTensors(step(1).kernels[2], im2col)).toHaveLength(2);
  });
});

describe('perExampleBytes', () => {
  const im2col = { im2col: true };
  const noIm2col = { im2col: false };

  it('takes the growth between the two batches, so fixed-size weights drop out', () => {
    // Largest per example: the dense output (100 000 floats), not its 64 × 100 000 weight.
    expect(perExampleBytes(step(1), step(2), im2col)).toEqual({ bytes: 100_000 * 4, kernel: 'MatMul' });
    // Order of the arguments does not matter, nor which two batches.
    expect(perExampleBytes(step(5), step(2), im2col)).toEqual({ bytes: 100_000 * 4, kernel: 'MatMul' });
  });

  it('counts an im2col copy that outgrows every real tensor only where the backend makes one', () => {
    const conv = (b: number): ProfiledRun => ({ batch: b, kernels: [{ name: 'Conv2D', inputShapes: [[b, 32, 32, 64], [3, 3, 64, 64]], outputShapes: [[b, 32, 32, 64]] }] });
    expect(perExampleBytes(conv(1), conv(2), im2col)).toEqual({ bytes: 32 * 32 * 9 * 64 * 4, kernel: 'Conv2D im2col' });
    expect(perExampleBytes(conv(1), conv(2), noIm2col)).toEqual({ bytes: 32 * 32 * 64 * 4, kernel: 'Conv2D' });
  });

  it('falls back to size / batch at the larger batch when the runs differ', () => {
    const other: ProfiledRun = { batch: 4, kernels: step(4).kernels.slice(1) };
    // The conv's im2col: 16·16·72 floats per example.
    expect(perExampleBytes(step(1), other, im2col)).toEqual({ bytes: 16 * 16 * 72 * 4, kernel: 'FusedConv2D im2col' });
    // Without it, the conv output (16·16·32) beats the 3·3·8·32 weight spread over 4.
    expect(perExampleBytes(step(1), other, noIm2col)).toEqual({ bytes: 16 * 16 * 32 * 4, kernel: 'FusedConv2D' });
  });
});

describe('batchLimitFor', () => {
  it('the largest batch under the smallest limit, which it names', () => {
    const r = batchLimitFor({ bytes: 1 * MiB, kernel: 'FusedConv2D' }, tensorLimitsFor('webgpu', { gpu }), 1);
    expect(r).toEqual({ maxBatch: 128, bytesPerExample: MiB, safety: 1, kernel: 'FusedConv2D', limit: { name: 'maxStorageBufferBindingSize', bytes: 128 * MiB } });
    // A device whose buffer size is the smaller limit: that one binds.
    const odd = batchLimitFor({ bytes: 3 * MiB, kernel: 'k' }, tensorLimitsFor('webgpu', { gpu: { maxStorageBufferBindingSize: 512 * MiB, maxBufferSize: 100 * MiB } }), 1);
    expect(odd).toMatchObject({ maxBatch: 33, limit: { name: 'maxBufferSize' } });
  });

  it('applies the safety factor before dividing', () => {
    const limits: TensorLimit[] = [{ name: 'wasmTensorBudget', bytes: 10_000 }];
    expect(batchLimitFor({ bytes: 100, kernel: 'k' }, limits, 1).maxBatch).toBe(100);
    expect(batchLimitFor({ bytes: 100, kernel: 'k' }, limits, 1.25).maxBatch).toBe(80);
    // Default headroom is 25 %.
    expect(batchLimitFor({ bytes: 100, kernel: 'k' }, limits)).toMatchObject({ maxBatch: 80, safety: 1.25, bytesPerExample: 100 });
    // Too big for even one example: 0, not a negative or fractional batch.
    expect(batchLimitFor({ bytes: 20_000, kernel: 'k' }, limits, 1).maxBatch).toBe(0);
  });

  it('no limits (cpu) or nothing that grows with the batch: no cap', () => {
    expect(batchLimitFor({ bytes: 1 * MiB, kernel: 'k' }, tensorLimitsFor('cpu'))).toMatchObject({ maxBatch: null, limit: null });
    expect(batchLimitFor({ bytes: 0, kernel: '' }, tensorLimitsFor('wasm')).maxBatch).toBeNull();
  });

  it('is consistent: maxBatch fits the limit with headroom, one more does not', () => {
    for (const bytes of [1, 999, 4096, 123_457, 3 * MiB + 5]) {
      const r = batchLimitFor({ bytes, kernel: 'k' }, tensorLimitsFor('webgpu', { gpu }));
      const cost = (b: number): number => b * Math.ceil(bytes * r.safety);
      expect(cost(r.maxBatch!)).toBeLessThanOrEqual(128 * MiB);
      expect(cost(r.maxBatch! + 1)).toBeGreaterThan(128 * MiB);
    }
  });
});

describe('batchWithin', () => {
  it('keeps a batch under the cap, else takes the largest offered one that fits', () => {
    expect(batchWithin(16, null, [1, 4, 16, 64])).toBe(16);
    expect(batchWithin(16, 16, [1, 4, 16, 64])).toBe(16);
    expect(batchWithin(64, 40, [1, 4, 16, 64])).toBe(16);
    expect(batchWithin(64, 3, [1, 4, 16, 64])).toBe(1);
    // Nothing offered fits, or nothing offered: the cap itself, but at least 1.
    expect(batchWithin(64, 40)).toBe(40);
    expect(batchWithin(4, 0, [1, 4])).toBe(1);
  });
});

describe('batchOverLimit', () => {
  const limit = batchLimitFor({ bytes: 2 * MiB, kernel: 'FusedConv2D' }, tensorLimitsFor('webgpu', { gpu }), 1.25);

  it('says which tensor size exceeds which limit', () => {
    expect(limit.maxBatch).toBe(51);
    expect(batchOverLimit(limit, 64)).toBe("largest tensor 160 MiB at batch 64 (with 25% headroom) exceeds this GPU's maxStorageBufferBindingSize (128 MiB)");
  });

  it('sizes in binary units', () => {
    expect([fmtSize(24 * 1024), fmtSize(1.5 * MiB), fmtSize(128 * MiB)]).toEqual(['24.0 KiB', '1.5 MiB', '128 MiB']);
  });

  it('null for a batch that fits, and without a cap', () => {
    expect(batchOverLimit(limit, 51)).toBeNull();
    expect(batchOverLimit(null, 64)).toBeNull();
    expect(batchOverLimit(batchLimitFor({ bytes: MiB, kernel: 'k' }, []), 64)).toBeNull();
  });

  it('names the wasm and WebGL limits in words', () => {
    const wasm = batchLimitFor({ bytes: 100 * MiB, kernel: 'k' }, tensorLimitsFor('wasm'), 1);
    expect(batchOverLimit(wasm, 16)).toBe("largest tensor 1600 MiB at batch 16 exceeds the wasm heap's budget for one tensor (1024 MiB)");
    const webgl = batchLimitFor({ bytes: 100 * MiB, kernel: 'k' }, tensorLimitsFor('webgl', { webglMaxTextureSize: 8192 }), 1);
    expect(batchOverLimit(webgl, 4)).toBe("largest tensor 400 MiB at batch 4 exceeds WebGL's largest texture (MAX_TEXTURE_SIZE 8192², 256 MiB of floats)");
  });
});
