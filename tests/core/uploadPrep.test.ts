import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { sniffImage } from '../../src/core/data/imageHeader';
import { MAX_PIXELS, centreCrop, checkFileSize, checkHeader, estimateTrainingMemory, rgbaToPixels, resizeImages } from '../../src/core/data/uploadPrep';

function png(w: number, h: number): Uint8Array {
  const p = new PNG({ width: w, height: h });
  return new Uint8Array(PNG.sync.write(p));
}

describe('sniffImage', () => {
  it('reads PNG and GIF headers', () => {
    expect(sniffImage(png(7, 5))).toEqual({ format: 'png', width: 7, height: 5 });
    const gif = new Uint8Array([...'GIF89a'].map((c) => c.charCodeAt(0)).concat([0x40, 0x1f, 0x40, 0x1f, 0, 0, 0]));
    expect(sniffImage(gif)).toEqual({ format: 'gif', width: 8000, height: 8000 });
  });
  it('walks JPEG segments to the SOF marker', () => {
    // SOI, APP0 (length 16), SOF0 with height 300, width 200.
    const app0 = [0xff, 0xe0, 0x00, 0x10, ...new Array(14).fill(0)];
    const sof = [0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x00, 0xc8, 0x03];
    expect(sniffImage(new Uint8Array([0xff, 0xd8, ...app0, ...sof, 0, 0, 0]))).toEqual({ format: 'jpeg', width: 200, height: 300 });
  });
  it('reads WebP VP8X sizes', () => {
    const b = new Uint8Array(40);
    b.set([...'RIFF'].map((c) => c.charCodeAt(0)), 0);
    b.set([...'WEBPVP8X'].map((c) => c.charCodeAt(0)), 8);
    b.set([99, 0, 0, 49, 0, 0], 24); // width 100, height 50
    expect(sniffImage(b)).toEqual({ format: 'webp', width: 100, height: 50 });
  });
  it('rejects text and empty input', () => {
    expect(sniffImage(new TextEncoder().encode('hello, not an image'))).toBeNull();
    expect(sniffImage(new Uint8Array(0))).toBeNull();
  });
});

describe('file checks', () => {
  it('refuses empty, oversized, huge and non-image files with a message', () => {
    expect(checkFileSize(0)).toMatch(/empty/);
    expect(checkFileSize(60 * 1024 * 1024)).toMatch(/over 50 MB/);
    expect(checkFileSize(1000)).toBeNull();
    expect(checkHeader(null)).toMatch(/not a PNG/);
    expect(checkHeader({ format: 'png', width: 8000, height: 8000 })).toMatch(/64 megapixels/);
    expect(checkHeader({ format: 'png', width: 0, height: 10 })).toMatch(/corrupt/);
    expect(checkHeader({ format: 'jpeg', width: 4000, height: 3000 })).toBeNull();
    expect(4000 * 3000).toBeLessThan(MAX_PIXELS);
  });
});

describe('centreCrop', () => {
  it('takes the centred square', () => {
    expect(centreCrop(640, 480)).toEqual({ sx: 80, sy: 0, side: 480 });
    expect(centreCrop(3, 10)).toEqual({ sx: 0, sy: 3, side: 3 });
    expect(centreCrop(5, 5)).toEqual({ sx: 0, sy: 0, side: 5 });
    expect(() => centreCrop(0, 5)).toThrow(RangeError);
  });
});

describe('rgbaToPixels', () => {
  it('composites alpha on white and converts to grey by luma', () => {
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 0, 0, 0]);
    expect([...rgbaToPixels(rgba, 2, 3)]).toEqual([255, 0, 0, 255, 255, 255]);
    expect([...rgbaToPixels(rgba, 2, 1)]).toEqual([76, 255]);
  });
});

describe('resizeImages', () => {
  it('area-averages 4×4 → 2×2 and converts channels', () => {
    const src = new Uint8Array([0, 0, 100, 100, 0, 0, 100, 100, 50, 50, 200, 200, 50, 50, 200, 202]);
    expect([...resizeImages(src, 1, 4, 1, 2, 1)]).toEqual([0, 100, 50, 201]);
    const rgb = resizeImages(src, 1, 4, 1, 2, 3);
    expect([...rgb.subarray(0, 6)]).toEqual([0, 0, 0, 100, 100, 100]);
    // Same size, RGB → grey.
    expect([...resizeImages(new Uint8Array([255, 255, 255]), 1, 1, 3, 1, 1)]).toEqual([255]);
  });
});

describe('estimateTrainingMemory', () => {
  it('adds weights, optimiser moments, activations and data', () => {
    const e = estimateTrainingMemory({ generatorParams: 1000, discriminatorParams: 500, batch: 2, imageSize: 4, channels: 1, baseChannels: 8, images: 10 });
    expect(e.weightsBytes).toBe(4 * (4000 + 1500));
    expect(e.dataBytes).toBe(160);
    expect(e.totalBytes).toBe(e.weightsBytes + e.activationBytes + e.dataBytes);
  });
});
