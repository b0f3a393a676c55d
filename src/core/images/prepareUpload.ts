/**
 * One uploaded image file → training pixels at the model's size and channels, the same way
 * in the browser worker (src/worker/decodeImages.ts) and on the command line
 * (src/node/imageFolder.ts); only the decoder differs, and it is passed in.
 *
 * The steps, each of which can end the file with a message for the user:
 *   1. the file size (empty, or over MAX_FILE_BYTES);
 *   2. the magic bytes: PNG, JPEG, WebP or GIF, whatever the file's name says;
 *   3. the header's dimensions: a picture over MAX_PIXELS is refused before it is decoded;
 *   4. decoding to RGBA8 (the decoder given);
 *   5. `fitImage`: the largest centred square, resized by area averaging to size × size,
 *      composited on white and converted to grey (Rec. 601 luma) or RGB.
 *
 * Pure apart from the decoder: no DOM, no tfjs, no Node modules.
 */
import { SNIFF_BYTES, sniffImage, type ImageFormat } from '../data/imageHeader';
import { MAX_PIXELS, centreCrop, checkFileSize, checkHeader, resizeImages } from '../data/uploadPrep';

/** Decoded pixels: width × height × 4 bytes, RGBA, row-major. */
export interface RgbaImage {
  readonly rgba: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** Decodes a file already recognised as `format`; throws when it cannot. */
export type RgbaDecoder = (bytes: Uint8Array, format: ImageFormat) => Promise<RgbaImage>;

/**
 * A decoder's refusal whose message is meant for the user as it stands (a format this
 * decoder does not handle, say). Any other error a decoder throws reads as a damaged file.
 */
export class DecodeRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeRefusal';
  }
}

export type PreparedUpload =
  | { readonly name: string; readonly ok: true; readonly pixels: Uint8Array; readonly width: number; readonly height: number; readonly format: ImageFormat }
  | { readonly name: string; readonly ok: false; readonly error: string };

/**
 * RGBA8 at any size → size × size × channels bytes: the largest centred square, resized by
 * area averaging (each target pixel is the mean of the source pixels it covers; smaller
 * images are enlarged by nearest neighbour), alpha composited on white, then grey or RGB.
 */
export function fitImage(image: RgbaImage, size: number, channels: 1 | 3): Uint8Array {
  const { rgba, width, height } = image;
  if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`the target size must be a positive whole number, got ${size}`);
  if (rgba.length !== width * height * 4) throw new RangeError(`expected ${width * height * 4} RGBA bytes for ${width}×${height}, got ${rgba.length}`);
  const crop = centreCrop(width, height);
  // The crop as its own square (resizeImages reads square images), copied row by row; a
  // square image is its own crop and is read in place.
  // A view, not a copy, of the decoder's bytes (a canvas gives a Uint8ClampedArray).
  let square = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  if (width !== height) {
    const rows = new Uint8Array(crop.side * crop.side * 4);
    for (let y = 0; y < crop.side; y++) {
      const from = ((crop.sy + y) * width + crop.sx) * 4;
      rows.set(rgba.subarray(from, from + crop.side * 4), y * crop.side * 4);
    }
    square = rows;
  }
  return resizeImages(square, 1, crop.side, 4, size, channels);
}

/** Steps 1–5 above for one file; every failure is a message naming what is wrong. */
export async function prepareUpload(name: string, bytes: Uint8Array, size: number, channels: 1 | 3, decode: RgbaDecoder): Promise<PreparedUpload> {
  const fail = (error: string): PreparedUpload => ({ name, ok: false, error });
  const sizeProblem = checkFileSize(bytes.byteLength);
  if (sizeProblem) return fail(sizeProblem);
  const header = sniffImage(bytes.subarray(0, Math.min(bytes.byteLength, SNIFF_BYTES)));
  const headerProblem = checkHeader(header);
  if (headerProblem || !header) return fail(headerProblem ?? 'not an image');
  const kind = header.format.toUpperCase();

  let image: RgbaImage;
  try {
    image = await decode(bytes, header.format);
  } catch (e) {
    if (e instanceof DecodeRefusal) return fail(e.message);
    return fail(`could not decode this ${kind}: the file is damaged or truncated`);
  }
  const { width, height } = image;
  if (!(width > 0 && height > 0)) return fail(`could not decode this ${kind}: it decoded to ${width}×${height} pixels`);
  // A header without dimensions (or one that lied) is judged again on what was decoded.
  if (width * height > MAX_PIXELS) return fail(checkHeader({ format: header.format, width, height }) ?? 'too large');
  try {
    return { name, ok: true, pixels: fitImage(image, size, channels), width, height, format: header.format };
  } catch (e) {
    return fail(`could not decode this ${kind}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
