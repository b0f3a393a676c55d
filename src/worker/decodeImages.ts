/**
 * Decoding uploads in the worker, so the page never blocks on a large JPEG: each file is
 * checked (size, magic bytes, header dimensions) before the browser decodes it, then
 * centre-cropped and resized by `createImageBitmap` (high-quality resampling) and read back
 * through an OffscreenCanvas. Every failure becomes a message for that file; one bad file
 * never stops the others. GIFs give their first frame (what createImageBitmap decodes).
 *
 * No tfjs here: the worker answers this command on arrival, even while a run is training.
 */
import { SNIFF_BYTES, sniffImage } from '../core/data/imageHeader';
import { MAX_PIXELS, centreCrop, checkFileSize, checkHeader, rgbaToPixels } from '../core/data/uploadPrep';
import { messageOf } from './errors';
import type { DecodeImagesParams, DecodeImagesResult, DecodedImage, UploadFile } from './protocol';

export async function decodeUpload(file: UploadFile, size: number, channels: 1 | 3): Promise<DecodedImage> {
  const name = typeof file.name === 'string' ? file.name : '(unnamed)';
  const fail = (error: string): DecodedImage => ({ name, ok: false, error });
  if (!(file.bytes instanceof ArrayBuffer)) return fail('no file contents arrived');
  const sizeProblem = checkFileSize(file.bytes.byteLength);
  if (sizeProblem) return fail(sizeProblem);
  const header = sniffImage(new Uint8Array(file.bytes, 0, Math.min(file.bytes.byteLength, SNIFF_BYTES)));
  const headerProblem = checkHeader(header);
  if (headerProblem || !header) return fail(headerProblem ?? 'not an image');
  const kind = header.format.toUpperCase();

  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([file.bytes], { type: `image/${header.format}` }));
  } catch {
    return fail(`could not decode this ${kind}: the file is damaged or truncated`);
  }
  try {
    const { width, height } = bitmap;
    if (width * height > MAX_PIXELS) return fail(checkHeader({ format: header.format, width, height }) ?? 'too large');
    const crop = centreCrop(width, height);
    const small = await createImageBitmap(bitmap, crop.sx, crop.sy, crop.side, crop.side, { resizeWidth: size, resizeHeight: size, resizeQuality: 'high' });
    let rgba: Uint8ClampedArray;
    try {
      const canvas = new OffscreenCanvas(size, size);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) return fail('this browser cannot read pixels in a worker (no OffscreenCanvas 2D context)');
      ctx.drawImage(small, 0, 0);
      rgba = ctx.getImageData(0, 0, size, size).data;
    } finally {
      small.close();
    }
    const pixels = rgbaToPixels(rgba, size * size, channels);
    return { name, ok: true, pixels: pixels.buffer as ArrayBuffer, width, height, format: header.format };
  } catch (e) {
    return fail(`could not decode this ${kind}: ${messageOf(e)}`);
  } finally {
    bitmap.close();
  }
}

export async function decodeImages(params: DecodeImagesParams): Promise<DecodeImagesResult> {
  const t0 = performance.now();
  const images: DecodedImage[] = [];
  // One at a time: decoding hundreds in parallel would hold hundreds of full-size bitmaps.
  for (const f of params.files) images.push(await decodeUpload(f, params.size, params.channels));
  return { images, ms: performance.now() - t0 };
}
