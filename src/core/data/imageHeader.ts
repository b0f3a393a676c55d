/**
 * What an uploaded file is, read from its first bytes, before anything decodes it.
 *
 * `sniffImage` recognises the four formats the app accepts (PNG, JPEG, WebP, GIF) by their
 * magic numbers (not by the file name or the browser's MIME guess, which a renamed file
 * fools), and reads the pixel dimensions from the header so a huge image (say 8000×8000,
 * 256 MB decoded) is refused *before* the browser allocates it.
 *
 * Pure: bytes in, a description out; no DOM, no tfjs.
 */

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif';

export interface ImageHeader {
  readonly format: ImageFormat;
  /** Null when the header is too short or damaged to tell (the decoder will decide). */
  readonly width: number | null;
  readonly height: number | null;
}

/** How many leading bytes `sniffImage` needs at most (JPEG SOF markers can sit after EXIF). */
export const SNIFF_BYTES = 256 * 1024;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(b: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (b.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[at + i] !== magic[i]) return false;
  return true;
}

const ascii = (b: Uint8Array, at: number, n: number): string => String.fromCharCode(...b.subarray(at, at + n));
const u16be = (b: Uint8Array, i: number): number => (b[i] << 8) | b[i + 1];
const u16le = (b: Uint8Array, i: number): number => b[i] | (b[i + 1] << 8);
const u24le = (b: Uint8Array, i: number): number => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b: Uint8Array, i: number): number => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

/** The format and size of an image file, or null when it is none of PNG/JPEG/WebP/GIF. */
export function sniffImage(bytes: Uint8Array): ImageHeader | null {
  if (startsWith(bytes, PNG_MAGIC)) {
    // Signature, then the IHDR chunk: length (4), "IHDR" (4), width (4), height (4).
    if (bytes.length >= 24 && ascii(bytes, 12, 4) === 'IHDR') return { format: 'png', width: u32be(bytes, 16), height: u32be(bytes, 20) };
    return { format: 'png', width: null, height: null };
  }
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) {
    // Logical screen descriptor: width and height, little-endian.
    if (bytes.length >= 10) return { format: 'gif', width: u16le(bytes, 6), height: u16le(bytes, 8) };
    return { format: 'gif', width: null, height: null };
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { format: 'jpeg', ...jpegSize(bytes) };
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return { format: 'webp', ...webpSize(bytes) };
  return null;
}

/** Walks the JPEG marker segments to the first start-of-frame (SOF0..SOF15 but DHT/JPG/DAC). */
function jpegSize(b: Uint8Array): { width: number | null; height: number | null } {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return { width: null, height: null };
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    // Standalone markers carry no length.
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const len = u16be(b, i + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: u16be(b, i + 5), width: u16be(b, i + 7) };
    if (len < 2) return { width: null, height: null };
    i += 2 + len;
  }
  return { width: null, height: null };
}

/** VP8 (lossy), VP8L (lossless) and VP8X (extended) headers. */
function webpSize(b: Uint8Array): { width: number | null; height: number | null } {
  if (b.length < 30) return { width: null, height: null };
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X') return { width: 1 + u24le(b, 24), height: 1 + u24le(b, 27) };
  if (chunk === 'VP8L') {
    // Signature 0x2f, then 14 bits width−1 and 14 bits height−1.
    const b0 = b[21];
    const b1 = b[22];
    const b2 = b[23];
    const b3 = b[24];
    return { width: 1 + (((b1 & 0x3f) << 8) | b0), height: 1 + (((b3 & 0x0f) << 10) | (b2 << 2) | ((b1 & 0xc0) >> 6)) };
  }
  if (chunk === 'VP8 ') return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  return { width: null, height: null };
}
