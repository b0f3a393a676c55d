/**
 * The upload pipeline shared by the worker and the command line
 * (src/core/images/prepareUpload.ts): the centre crop, the area-averaging resize and the
 * channel conversion of `fitImage`, and every refusal of `prepareUpload`, with a decoder
 * passed in (the browser's and Node's differ; the steps around them do not).
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { MAX_PIXELS } from '../../src/core/data/uploadPrep';
import { DecodeRefusal, fitImage, prepareUpload, type RgbaDecoder, type RgbaImage } from '../../src/core/images/prepareUpload';

/** A width × height RGBA image whose pixel (x, y) is `px(x, y)`. */
function image(width: number, height: number, px: (x: number, y: number) => readonly [number, number, number, number]): RgbaImage {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgba.set(px(x, y), (y * width + x) * 4);
  return { rgba, width, height };
}

function pngBytes(width: number, height: number): Uint8Array {
  return new Uint8Array(PNG.sync.write(new PNG({ width, height })));
}

describe('fitImage', () => {
  it('keeps the centred square and averages each block of it', () => {
    // 6×4: the outer columns (x = 0 and 5) are red and must be cropped away; the 4×4 centre
    // holds a value per 2×2 block: 0, 40 / 80, 120 (grey), so a 2×2 result is exactly those.
    const img = image(6, 4, (x, y) => {
      if (x === 0 || x === 5) return [255, 0, 0, 255];
      const v = 40 * ((x - 1 >= 2 ? 1 : 0) + 2 * (y >= 2 ? 1 : 0));
      return [v, v, v, 255];
    });
    expect(Array.from(fitImage(img, 2, 1))).toEqual([0, 40, 80, 120]);
    expect(Array.from(fitImage(img, 2, 3))).toEqual([0, 0, 0, 40, 40, 40, 80, 80, 80, 120, 120, 120]);
    // Portrait: the crop is vertical (rows 1..4 of 6).
    const tall = image(4, 6, (_x, y) => (y === 0 || y === 5 ? [255, 255, 255, 255] : [10, 10, 10, 255]));
    expect(Array.from(fitImage(tall, 1, 1))).toEqual([10]);
  });

  it('composites transparency on white and converts colour to luma', () => {
    const red = image(2, 2, () => [255, 0, 0, 255]);
    expect(Array.from(fitImage(red, 1, 1))).toEqual([Math.round(0.299 * 255)]);
    expect(Array.from(fitImage(red, 1, 3))).toEqual([255, 0, 0]);
    const clear = image(2, 2, () => [0, 0, 0, 0]);
    expect(Array.from(fitImage(clear, 1, 3))).toEqual([255, 255, 255]);
  });

  it('enlarges a small image and refuses mismatched input', () => {
    const one = image(1, 1, () => [7, 7, 7, 255]);
    expect(Array.from(fitImage(one, 3, 1))).toEqual(new Array(9).fill(7));
    expect(() => fitImage({ rgba: new Uint8Array(15), width: 2, height: 2 }, 4, 1)).toThrow(/expected 16 RGBA bytes/);
    expect(() => fitImage(one, 0, 1)).toThrow(/positive whole number/);
  });
});

describe('prepareUpload', () => {
  const decodesTo =
    (img: RgbaImage): RgbaDecoder =>
    async () =>
      img;
  const neverCalled: RgbaDecoder = async () => {
    throw new Error('the decoder must not run for this file');
  };

  it('gives the fitted pixels of a good file, with its size and format', async () => {
    const r = await prepareUpload('a.png', pngBytes(3, 3), 1, 1, decodesTo(image(3, 3, () => [90, 90, 90, 255])));
    expect(r).toEqual({ name: 'a.png', ok: true, pixels: new Uint8Array([90]), width: 3, height: 3, format: 'png' });
  });

  it('names what is wrong with each file it refuses, decoding only what passed the checks', async () => {
    const text = new TextEncoder().encode('just some notes\n');
    expect(await prepareUpload('notes.txt', text, 4, 1, neverCalled)).toEqual({ name: 'notes.txt', ok: false, error: 'not a PNG, JPEG, WebP or GIF image' });
    expect(await prepareUpload('empty.png', new Uint8Array(0), 4, 1, neverCalled)).toMatchObject({ ok: false, error: expect.stringMatching(/empty/) });
    // The header says 8000×8000: refused before anything is decoded.
    const huge = pngBytes(2, 2);
    new DataView(huge.buffer).setUint32(16, 8000);
    new DataView(huge.buffer).setUint32(20, 8000);
    expect(await prepareUpload('huge.png', huge, 4, 1, neverCalled)).toMatchObject({ ok: false, error: expect.stringMatching(/8000×8000 is 64 megapixels/) });
    const broken: RgbaDecoder = async () => {
      throw new Error('unexpected end of data');
    };
    expect(await prepareUpload('broken.png', pngBytes(2, 2), 4, 1, broken)).toMatchObject({ ok: false, error: 'could not decode this PNG: the file is damaged or truncated' });
    const refuses: RgbaDecoder = async () => {
      throw new DecodeRefusal('WebP is not read here');
    };
    expect(await prepareUpload('x.png', pngBytes(2, 2), 4, 1, refuses)).toMatchObject({ ok: false, error: 'WebP is not read here' });
  });

  it('judges the decoded size too, when the header understated it', async () => {
    const side = Math.ceil(Math.sqrt(MAX_PIXELS)) + 1;
    // Dimensions only: fitImage is never reached, so no buffer of that size is needed.
    const lying: RgbaDecoder = async () => ({ rgba: new Uint8Array(0), width: side, height: side });
    expect(await prepareUpload('big.png', pngBytes(2, 2), 4, 1, lying)).toMatchObject({ ok: false, error: expect.stringMatching(/megapixels/) });
  });
});
