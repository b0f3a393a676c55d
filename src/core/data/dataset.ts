/**
 * In-memory image data sets: uint8 pixels, NHWC, plus optional labels.
 * This is the one shape every data source (MNIST, emoji, uploads) is turned into.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';

export interface ImageDataset {
  readonly name: string;
  /** N × size × size × channels bytes, row-major NHWC, 0..255. */
  readonly pixels: Uint8Array;
  /** One class label per image (0..numClasses−1), when the data set has labels. */
  readonly labels?: Uint8Array;
  readonly numClasses?: number;
  readonly count: number;
  readonly size: number;
  readonly channels: number;
}

export function imageBytes(ds: Pick<ImageDataset, 'size' | 'channels'>): number {
  return ds.size * ds.size * ds.channels;
}

/** A subset by index list (copies the bytes). */
export function subset(ds: ImageDataset, indices: ArrayLike<number>, name = ds.name): ImageDataset {
  const per = imageBytes(ds);
  const pixels = new Uint8Array(indices.length * per);
  const labels = ds.labels ? new Uint8Array(indices.length) : undefined;
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    pixels.set(ds.pixels.subarray(j * per, (j + 1) * per), i * per);
    if (labels && ds.labels) labels[i] = ds.labels[j];
  }
  return { ...ds, name, pixels, labels, count: indices.length };
}

/**
 * Images `indices` as a float tensor [B, size, size, C] scaled to [−1, 1], optionally
 * flipped left–right per example (flip[i] true).
 */
export function batchTensor(ds: ImageDataset, indices: ArrayLike<number>, flip?: ArrayLike<boolean>): tf.Tensor4D {
  const per = imageBytes(ds);
  const { size, channels } = ds;
  const out = new Float32Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] * per;
    const dst = i * per;
    const mirror = flip?.[i] ?? false;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const sx = mirror ? size - 1 - x : x;
        for (let c = 0; c < channels; c++) {
          out[dst + (y * size + x) * channels + c] = ds.pixels[src + (y * size + sx) * channels + c] / 127.5 - 1;
        }
      }
    }
  }
  return tf.tensor4d(out, [indices.length, size, size, channels]);
}

/** `n` indices drawn uniformly with replacement. */
export function randomIndices(count: number, n: number, rng: Rng): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = rng.int(count);
  return idx;
}
