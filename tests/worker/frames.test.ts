import { describe, expect, it } from 'vitest';
import { encodeRgba, frameBytes } from '../../src/worker/frames';

describe('encodeRgba', () => {
  it('maps [-1, 1] to 0..255 with grey repeated into RGB and opaque alpha', () => {
    const out = encodeRgba(new Float32Array([-1, 0, 1, 0.5]), { batch: 1, height: 2, width: 2, channels: 1 });
    expect(Array.from(out)).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 191, 191, 191, 255]);
    expect(out.length).toBe(frameBytes({ batch: 1, height: 2, width: 2 }));
  });

  it('clamps values outside the data range (noisy x_k) and turns NaN into black', () => {
    const out = encodeRgba([-3, 7, NaN, -1.0001], { batch: 2, height: 1, width: 2, channels: 1 });
    expect([out[0], out[4], out[8], out[12]]).toEqual([0, 255, 0, 0]);
  });

  it('keeps RGB channels in order and stacks the batch image after image', () => {
    const values = [1, -1, -1, /**/ -1, 1, -1, /**/ -1, -1, 1, /**/ 0, 0, 0];
    const out = encodeRgba(values, { batch: 2, height: 1, width: 2, channels: 3 });
    expect(Array.from(out)).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 128, 128, 128, 255]);
  });

  it('rejects a length that does not match the shape, and unsupported channel counts', () => {
    expect(() => encodeRgba([0, 0, 0], { batch: 1, height: 2, width: 2, channels: 1 })).toThrow(/expected 4 values/);
    expect(() => encodeRgba([0, 0], { batch: 1, height: 1, width: 1, channels: 2 })).toThrow(/1 or 3 channels/);
  });

  it('returns a buffer of its own (transferable without detaching anything else)', () => {
    const out = encodeRgba(new Float32Array(4), { batch: 1, height: 2, width: 2, channels: 1 });
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBe(16);
  });
});
