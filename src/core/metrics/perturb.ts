/**
 * Mild, label-preserving changes to images in [−1, 1] (background −1, ink +1), used to ask
 * how much a judge's confidence depends on details a generator may get slightly wrong:
 * stroke width, sharpness, pixel noise, position. A judge whose confidence collapses under
 * these would call good samples bad; one that keeps it measures shape.
 */
import * as tf from '@tensorflow/tfjs';

export interface Perturbation {
  readonly label: string;
  /** x: [B, H, W, C] in [−1, 1]; returns the same shape, in [−1, 1]. Call inside tf.tidy. */
  apply(x: tf.Tensor4D, seed: number): tf.Tensor4D;
}

/** Shifts the content down and right by `px` pixels, filling with background (−1). */
export function shiftImages(x: tf.Tensor4D, px: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.pad(x, [[0, 0], [px, 0], [px, 0], [0, 0]], -1).slice([0, 0, 0, 0], [b, h, w, c]);
}

/** Mean over a k×k window (edges padded with background). */
export function boxBlur(x: tf.Tensor4D, k: number): tf.Tensor4D {
  const c = x.shape[3];
  const kernel = tf.fill([k, k, c, 1], 1 / (k * k)) as tf.Tensor4D;
  const lo = Math.floor((k - 1) / 2);
  const padded = tf.pad(x, [[0, 0], [lo, k - 1 - lo], [lo, k - 1 - lo], [0, 0]], -1);
  return tf.depthwiseConv2d(padded, kernel, 1, 'valid');
}

/** Thicker strokes: the maximum over a k×k window. */
export function dilate(x: tf.Tensor4D, k: number): tf.Tensor4D {
  return tf.maxPool(x, k, 1, 'same');
}

/** Thinner strokes: the minimum over a k×k window. */
export function erode(x: tf.Tensor4D, k: number): tf.Tensor4D {
  return tf.neg(tf.maxPool(tf.neg(x), k, 1, 'same'));
}

export const STANDARD_PERTURBATIONS: readonly Perturbation[] = [
  { label: 'Gaussian pixel noise, σ = 0.2', apply: (x, seed) => x.add(tf.randomNormal(x.shape, 0, 0.2, 'float32', seed)).clipByValue(-1, 1) as tf.Tensor4D },
  { label: '3×3 box blur', apply: (x) => boxBlur(x, 3) },
  { label: 'thicker strokes (2×2 max)', apply: (x) => dilate(x, 2) },
  { label: 'thinner strokes (2×2 min)', apply: (x) => erode(x, 2) },
  { label: 'shifted 3 px', apply: (x) => shiftImages(x, 3) },
];
