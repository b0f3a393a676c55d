/**
 * Step frames on the wire: how a batch of images in data scale becomes pixels.
 *
 * A frame is one RGBA8 buffer holding the whole batch, images stacked one after another:
 * `[batch, height, width, 4]`, row-major, alpha always 255. That is exactly the layout of
 * `ImageData` for a batch of 1, so the UI can draw a single image with no conversion, and
 * a whole frame moves to the main thread as one transferable ArrayBuffer (no copy).
 *
 * Pure: no tfjs, no DOM. The worker calls it on the Float32Array from `await tensor.data()`.
 */

export interface FrameShape {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  /** Channels of the model's images: 1 (grey) or 3 (RGB). */
  readonly channels: number;
}

/** Bytes of one encoded frame. */
export function frameBytes(s: Pick<FrameShape, 'batch' | 'height' | 'width'>): number {
  return s.batch * s.height * s.width * 4;
}

/**
 * Maps NHWC values in data scale [−1, 1] to RGBA8: v ↦ round((v + 1) · 127.5), clamped to
 * 0..255 (x_k of the noisier steps reaches far outside [−1, 1]; clamping is how every
 * DD-GAN figure shows them). A grey image repeats its one channel into R, G and B. NaN
 * becomes 0 so a broken kernel shows as black rather than throwing.
 */
export function encodeRgba(values: ArrayLike<number>, shape: FrameShape): Uint8ClampedArray<ArrayBuffer> {
  const { batch, height, width, channels } = shape;
  if (channels !== 1 && channels !== 3) throw new RangeError(`frames support 1 or 3 channels, got ${channels}`);
  const pixels = batch * height * width;
  if (values.length !== pixels * channels) {
    throw new RangeError(`expected ${pixels * channels} values for [${batch}, ${height}, ${width}, ${channels}], got ${values.length}`);
  }
  const out = new Uint8ClampedArray(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const o = p * 4;
    if (channels === 1) {
      const g = toByte(values[p]);
      out[o] = g;
      out[o + 1] = g;
      out[o + 2] = g;
    } else {
      const i = p * 3;
      out[o] = toByte(values[i]);
      out[o + 1] = toByte(values[i + 1]);
      out[o + 2] = toByte(values[i + 2]);
    }
    out[o + 3] = 255;
  }
  return out;
}

function toByte(v: number): number {
  const b = Math.round((v + 1) * 127.5);
  // `b > 0` is false for NaN, so NaN lands on 0 along with everything below the range.
  return b > 0 ? (b < 255 ? b : 255) : 0;
}
