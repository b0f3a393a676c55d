/**
 * Decoding uploads in the worker, so the page never blocks on a large JPEG. The checks, the
 * centre crop, the resize and the channel conversion are src/core/images/prepareUpload.ts,
 * the same code the command line runs on a folder (src/node/imageFolder.ts); only the
 * decoding to RGBA is the browser's here: `createImageBitmap`, read back at full size
 * through an OffscreenCanvas. Every failure becomes a message for that file; one bad file
 * never stops the others. GIFs give their first frame (what createImageBitmap decodes).
 *
 * No tfjs here: the worker answers this command on arrival, even while a run is training.
 */
import type { ImageFormat } from '../core/data/imageHeader';
import { MAX_PIXELS, checkHeader } from '../core/data/uploadPrep';
import { DecodeRefusal, prepareUpload, type RgbaImage } from '../core/images/prepareUpload';
import type { DecodeImagesParams, DecodeImagesResult, DecodedImage, UploadFile } from './protocol';

/** The browser's decoder: the whole picture as RGBA8 (not premultiplied). */
async function decodeInBrowser(bytes: Uint8Array, format: ImageFormat): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: `image/${format}` }));
  try {
    const { width, height } = bitmap;
    // A header that understated the size: refused before a canvas that large is made.
    if (width * height > MAX_PIXELS) throw new DecodeRefusal(checkHeader({ format, width, height }) ?? 'too large');
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new DecodeRefusal('this browser cannot read pixels in a worker (no OffscreenCanvas 2D context)');
    ctx.drawImage(bitmap, 0, 0);
    return { rgba: ctx.getImageData(0, 0, width, height).data, width, height };
  } finally {
    bitmap.close();
  }
}

export async function decodeUpload(file: UploadFile, size: number, channels: 1 | 3): Promise<DecodedImage> {
  const name = typeof file.name === 'string' ? file.name : '(unnamed)';
  if (!(file.bytes instanceof ArrayBuffer)) return { name, ok: false, error: 'no file contents arrived' };
  const r = await prepareUpload(name, new Uint8Array(file.bytes), size, channels, decodeInBrowser);
  return r.ok ? { name, ok: true, pixels: r.pixels.buffer as ArrayBuffer, width: r.width, height: r.height, format: r.format } : r;
}

export async function decodeImages(params: DecodeImagesParams): Promise<DecodeImagesResult> {
  const t0 = performance.now();
  const images: DecodedImage[] = [];
  // One at a time: decoding hundreds in parallel would hold hundreds of full-size bitmaps.
  for (const f of params.files) images.push(await decodeUpload(f, params.size, params.channels));
  return { images, ms: performance.now() - t0 };
}
