/**
 * A folder of the user's images as training data for the command line, through the same
 * checks, crop, resize and channel conversion as uploads in the tab
 * (src/core/images/prepareUpload.ts). Decoding is pure JavaScript: PNG with pngjs, JPEG with
 * jpeg-js, GIF (first frame) with omggif. WebP has no decoder here and is named and skipped
 * like any other unusable file.
 *
 * The folder's files are read in name order (so a run is reproducible), one at a time;
 * sub-folders and hidden files (names starting with ".") are left out.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { GifReader } from 'omggif';
import { PNG } from 'pngjs';
import type { ImageFormat } from '../core/data/imageHeader';
import type { ImageDataset } from '../core/data/dataset';
import { MAX_FILE_BYTES, MAX_PIXELS, checkFileSize } from '../core/data/uploadPrep';
import { DecodeRefusal, prepareUpload, type RgbaImage } from '../core/images/prepareUpload';

/** Decodes PNG, JPEG and GIF to RGBA8 in pure JavaScript; refuses WebP with a message. */
export async function decodeInNode(bytes: Uint8Array, format: ImageFormat): Promise<RgbaImage> {
  switch (format) {
    case 'png': {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height };
    }
    case 'jpeg': {
      // The decoder's own limits too, for a JPEG whose header the sniffing could not read.
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      return { rgba: img.data, width: img.width, height: img.height };
    }
    case 'gif': {
      const gif = new GifReader(bytes);
      if (gif.numFrames() < 1) throw new Error('the GIF has no frames');
      const rgba = new Uint8Array(gif.width * gif.height * 4);
      gif.decodeAndBlitFrameRGBA(0, rgba);
      return { rgba, width: gif.width, height: gif.height };
    }
    case 'webp':
      throw new DecodeRefusal('WebP images are not decoded on the command line: convert it to PNG or JPEG (the tab reads WebP)');
    default: {
      const unknown: never = format;
      throw new DecodeRefusal(`unsupported image format ${String(unknown)}`);
    }
  }
}

export interface SkippedFile {
  readonly name: string;
  readonly reason: string;
}

export interface ImageFolder {
  readonly dataset: ImageDataset;
  /** Files found but not used, each with why. */
  readonly skipped: readonly SkippedFile[];
}

/** Why `dir` cannot be a folder of images, or null when it is a folder. */
export async function folderProblem(dir: string): Promise<string | null> {
  try {
    return (await stat(dir)).isDirectory() ? null : `${dir} is a file, not a folder of images`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return `no folder ${dir} exists`;
    return `${dir} cannot be read: ${(e as Error).message}`;
  }
}

/**
 * Every usable image in `dir`, at size × size × channels, as one data set named after the
 * folder. `onSkip` hears of each unusable file as it is met. Throws when no file is usable.
 */
export async function loadImageFolder(dir: string, size: number, channels: 1 | 3, onSkip: (s: SkippedFile) => void = () => undefined): Promise<ImageFolder> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.') && !e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const per = size * size * channels;
  const images: Uint8Array[] = [];
  const skipped: SkippedFile[] = [];
  const skip = (name: string, reason: string): void => {
    const s = { name, reason };
    skipped.push(s);
    onSkip(s);
  };
  for (const entry of entries) {
    const file = path.join(dir, entry.name);
    let bytes: Buffer;
    try {
      // Checked before reading: a 4 GB file is not read into memory to be refused.
      const tooBig = checkFileSize((await stat(file)).size);
      if (tooBig) {
        skip(entry.name, tooBig);
        continue;
      }
      bytes = await readFile(file);
    } catch (e) {
      skip(entry.name, `could not read the file: ${(e as Error).message}`);
      continue;
    }
    const r = await prepareUpload(entry.name, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), size, channels, decodeInNode);
    if (r.ok) images.push(r.pixels);
    else skip(entry.name, r.error);
  }
  if (images.length === 0) {
    const seen = entries.length === 0 ? 'it holds no files' : `none of its ${entries.length} files is usable`;
    throw new Error(`${dir}: no images to train on: ${seen} (PNG, JPEG or GIF, up to ${MAX_FILE_BYTES / 1048576} MB and ${MAX_PIXELS / 1e6} megapixels each)`);
  }
  const pixels = new Uint8Array(images.length * per);
  images.forEach((p, i) => pixels.set(p, i * per));
  return { dataset: { name: `folder ${path.basename(path.resolve(dir))}`, pixels, count: images.length, size, channels }, skipped };
}
