/**
 * Turning the user's images into training data: the limits a file must pass, the centre
 * crop, the conversion of decoded RGBA to the model's channels, resizing a built-in data set
 * to the model's size, and the memory a fine-tune will need. Pure: numbers and byte arrays,
 * no DOM, no tfjs (the decoding itself happens in the worker with createImageBitmap).
 */
import type { ImageHeader } from './imageHeader';

/** A larger file is refused unread (a photo is a few MB; 50 MB is a RAW or a mistake). */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;
/** Decoded pixels; 8000×8000 (256 MB of RGBA) is refused before the browser allocates it. */
export const MAX_PIXELS = 40_000_000;
/** Images kept in one upload set; more are reported, not loaded. */
export const MAX_UPLOADS = 2000;

/** Why a file was not loaded, in words the user can act on. Null: go ahead and read it. */
export function checkFileSize(bytes: number): string | null {
  if (bytes === 0) return 'the file is empty (0 bytes)';
  if (bytes > MAX_FILE_BYTES) return `the file is ${(bytes / 1048576).toFixed(0)} MB; files over ${MAX_FILE_BYTES / 1048576} MB are not loaded`;
  return null;
}

/** Checks the header facts; null when decoding may proceed. */
export function checkHeader(header: ImageHeader | null): string | null {
  if (header === null) return 'not a PNG, JPEG, WebP or GIF image';
  const { width, height } = header;
  if (width === null || height === null) return null; // unknown: let the decoder judge
  if (width === 0 || height === 0) return `the ${header.format.toUpperCase()} header says ${width}×${height}: the file is corrupt`;
  if (width * height > MAX_PIXELS) {
    return `${width}×${height} is ${((width * height) / 1e6).toFixed(0)} megapixels; images over ${MAX_PIXELS / 1e6} MP are not decoded (downscale it first)`;
  }
  return null;
}

export interface CropRect {
  readonly sx: number;
  readonly sy: number;
  readonly side: number;
}

/** The largest centred square of a width×height image (integer pixels). */
export function centreCrop(width: number, height: number): CropRect {
  if (!(width > 0 && height > 0)) throw new RangeError(`image size must be positive, got ${width}×${height}`);
  const side = Math.min(width, height);
  return { sx: Math.floor((width - side) / 2), sy: Math.floor((height - side) / 2), side };
}

/**
 * RGBA8 (size×size×4) → the model's channels: RGB drops alpha after compositing on white
 * (transparent emoji and logos would otherwise turn black), grey is Rec. 601 luma of that.
 */
export function rgbaToPixels(rgba: ArrayLike<number>, pixels: number, channels: 1 | 3): Uint8Array {
  if (rgba.length !== pixels * 4) throw new RangeError(`expected ${pixels * 4} RGBA bytes, got ${rgba.length}`);
  const out = new Uint8Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    const a = rgba[p * 4 + 3] / 255;
    const bg = 255 * (1 - a);
    const r = rgba[p * 4] * a + bg;
    const g = rgba[p * 4 + 1] * a + bg;
    const b = rgba[p * 4 + 2] * a + bg;
    if (channels === 1) out[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else {
      out[p * 3] = Math.round(r);
      out[p * 3 + 1] = Math.round(g);
      out[p * 3 + 2] = Math.round(b);
    }
  }
  return out;
}

/**
 * Resizes NHWC uint8 images (count × from × from × cIn) to count × to × to × cOut by area
 * averaging (box filter over the source pixels each target pixel covers), converting
 * channels on the way (RGB → grey by luma, grey → RGB by repetition; alpha, if any, is
 * composited on white). Used to fit a built-in data set to a model of another size.
 */
export function resizeImages(src: Uint8Array, count: number, from: number, cIn: number, to: number, cOut: 1 | 3): Uint8Array {
  if (src.length !== count * from * from * cIn) throw new RangeError(`expected ${count * from * from * cIn} bytes, got ${src.length}`);
  const out = new Uint8Array(count * to * to * cOut);
  const scale = from / to;
  const rgb = [0, 0, 0];
  for (let n = 0; n < count; n++) {
    const base = n * from * from * cIn;
    for (let y = 0; y < to; y++) {
      const y0 = y * scale;
      const y1 = y0 + scale;
      for (let x = 0; x < to; x++) {
        const x0 = x * scale;
        const x1 = x0 + scale;
        rgb[0] = rgb[1] = rgb[2] = 0;
        let wsum = 0;
        for (let sy = Math.floor(y0); sy < Math.min(from, Math.ceil(y1)); sy++) {
          const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
          for (let sx = Math.floor(x0); sx < Math.min(from, Math.ceil(x1)); sx++) {
            const w = wy * (Math.min(x1, sx + 1) - Math.max(x0, sx));
            const i = base + (sy * from + sx) * cIn;
            if (cIn === 1) {
              rgb[0] += w * src[i];
              rgb[1] += w * src[i];
              rgb[2] += w * src[i];
            } else {
              const a = cIn === 4 ? src[i + 3] / 255 : 1;
              for (let c = 0; c < 3; c++) rgb[c] += w * (src[i + c] * a + 255 * (1 - a));
            }
            wsum += w;
          }
        }
        const o = ((n * to + y) * to + x) * cOut;
        if (cOut === 1) out[o] = Math.round((0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / wsum);
        else for (let c = 0; c < 3; c++) out[o + c] = Math.round(rgb[c] / wsum);
      }
    }
  }
  return out;
}

export interface MemoryEstimateInput {
  readonly generatorParams: number;
  readonly discriminatorParams: number;
  readonly batch: number;
  readonly imageSize: number;
  readonly channels: number;
  /** Widest feature maps at full resolution (generator base channels + discriminator base). */
  readonly baseChannels: number;
  readonly images: number;
}

export interface MemoryEstimate {
  /** G, EMA G, D and both Adam optimisers' two moments: float32. */
  readonly weightsBytes: number;
  /** Peak activations of one iteration (calibrated, see ACTIVATION_MAPS). */
  readonly activationBytes: number;
  /** The data set in uint8 in the worker. */
  readonly dataBytes: number;
  readonly totalBytes: number;
}

/**
 * Peak activation memory per image, in full-resolution feature maps of `baseChannels`
 * floats (generator + discriminator base channels), for one iteration: D step, G step and
 * the tape of both. Calibrated on the shipped 32×32 model (G base 16, D base 16) with
 * tf.profile on wasm: peak 74 MB at batch 2, 258 MB at batch 8, 994 MB at batch 32, i.e.
 * 30.7 MB per image ≈ 234 maps of 32×32×32 floats. Shown as "about".
 */
const ACTIVATION_MAPS = 240;

export function estimateTrainingMemory(m: MemoryEstimateInput): MemoryEstimate {
  const weightsBytes = 4 * (m.generatorParams * 4 + m.discriminatorParams * 3);
  const activationBytes = 4 * m.batch * m.imageSize * m.imageSize * m.baseChannels * ACTIVATION_MAPS;
  const dataBytes = m.images * m.imageSize * m.imageSize * m.channels;
  return { weightsBytes, activationBytes, dataBytes, totalBytes: weightsBytes + activationBytes + dataBytes };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MB`;
  return `${(n / 1073741824).toFixed(2)} GB`;
}
