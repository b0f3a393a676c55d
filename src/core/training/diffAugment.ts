/**
 * Differentiable augmentation of the discriminator's inputs (DiffAugment, Zhao et al. 2020,
 * "Differentiable Augmentation for Data-Efficient GAN Training"): the same random
 * transformations are applied to real and generated images before D sees them, and they are
 * written in differentiable ops, so G's gradient flows through them. With 10–50 training
 * images a discriminator otherwise memorises the reals within a few hundred iterations and
 * its gradient stops telling G anything useful; augmenting only the reals would instead teach
 * G to draw the augmentations.
 *
 * Three transformations, each drawn independently per image (values in [−1, 1]):
 *   colour       brightness x + (u − 0.5); saturation: the deviation from the pixel's channel
 *                mean scaled by 2u; contrast: the deviation from the image's mean scaled by
 *                u + 0.5 (u ~ U(0, 1) each). Saturation does nothing to one-channel images.
 *   translation  a shift by up to 1/8 of the side in each direction, filled with 0.
 *   cutout       a square of half the side set to 0, its centre anywhere in the image.
 *
 * DD-GAN's discriminator sees a pair (x_{k−1}, x_k): both images of a pair must get the same
 * transformation, or D could tell real from fake by whether the pair still lines up. So
 * `diffAugment` takes a list of tensors of one shape and transforms each with the same draws.
 *
 * All draws come from the caller's Rng, so a run with augmentation resumes bit for bit like
 * any other.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { AUGMENTATIONS, type Augmentation } from '../../shared/augment';

export { AUGMENTATIONS, parseAugmentations, type Augmentation } from '../../shared/augment';

/** Translation: the largest shift, as a share of the side. */
export const TRANSLATION_RATIO = 1 / 8;
/** Cutout: the square's side, as a share of the image's side. */
export const CUTOUT_RATIO = 1 / 2;

function perImage(values: Float32Array, n: number): tf.Tensor4D {
  return tf.tensor4d(values, [n, 1, 1, 1]);
}

function uniforms(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform();
  return out;
}

/** Per-image colour change: brightness, saturation, contrast, with one set of draws for all of `xs`. */
function colour(xs: tf.Tensor4D[], rng: Rng): tf.Tensor4D[] {
  const n = xs[0].shape[0];
  const brightness = perImage(uniforms(rng, n).map((u) => u - 0.5), n);
  const saturation = perImage(uniforms(rng, n).map((u) => 2 * u), n);
  const contrast = perImage(uniforms(rng, n).map((u) => u + 0.5), n);
  return xs.map((x) => {
    let y = tf.add(x, brightness) as tf.Tensor4D;
    if (x.shape[3] > 1) {
      const m = tf.mean(y, 3, true);
      y = tf.add(tf.mul(tf.sub(y, m), saturation), m) as tf.Tensor4D;
    }
    const m = tf.mean(y, [1, 2, 3], true);
    return tf.add(tf.mul(tf.sub(y, m), contrast), m) as tf.Tensor4D;
  });
}

/** Per-image integer shift with zero fill: pad by the largest shift, then cut each image's window. */
function translation(xs: tf.Tensor4D[], rng: Rng): tf.Tensor4D[] {
  const [n, h, w] = xs[0].shape;
  const sy = Math.max(1, Math.floor(h * TRANSLATION_RATIO));
  const sx = Math.max(1, Math.floor(w * TRANSLATION_RATIO));
  const dy = Array.from({ length: n }, () => rng.int(2 * sy + 1) - sy);
  const dx = Array.from({ length: n }, () => rng.int(2 * sx + 1) - sx);
  return xs.map((x) => {
    const padded = tf.pad(x, [
      [0, 0],
      [sy, sy],
      [sx, sx],
      [0, 0],
    ]);
    const c = x.shape[3];
    // Image i shows padded rows sy − dy … sy − dy + h − 1: its content moves down by dy.
    const parts = dy.map((oy, i) => tf.slice(padded, [i, sy - oy, sx - dx[i], 0], [1, h, w, c]));
    return tf.concat(parts, 0) as tf.Tensor4D;
  });
}

/** A zeroed square per image (a constant mask, so no gradient is needed through it). */
function cutout(xs: tf.Tensor4D[], rng: Rng): tf.Tensor4D[] {
  const [n, h, w] = xs[0].shape;
  const ch = Math.max(1, Math.round(h * CUTOUT_RATIO));
  const cw = Math.max(1, Math.round(w * CUTOUT_RATIO));
  const mask = new Float32Array(n * h * w).fill(1);
  for (let i = 0; i < n; i++) {
    const cy = rng.int(h);
    const cx = rng.int(w);
    const y0 = Math.max(0, cy - Math.floor(ch / 2));
    const y1 = Math.min(h, cy - Math.floor(ch / 2) + ch);
    const x0 = Math.max(0, cx - Math.floor(cw / 2));
    const x1 = Math.min(w, cx - Math.floor(cw / 2) + cw);
    for (let y = y0; y < y1; y++) mask.fill(0, i * h * w + y * w + x0, i * h * w + y * w + x1);
  }
  const m = tf.tensor4d(mask, [n, h, w, 1]);
  return xs.map((x) => tf.mul(x, m) as tf.Tensor4D);
}

const APPLY: Record<Augmentation, (xs: tf.Tensor4D[], rng: Rng) => tf.Tensor4D[]> = { color: colour, translation, cutout };

/**
 * `xs` transformed by `policy` (in the order of AUGMENTATIONS), every tensor of the list with
 * the same draws per image. All tensors must share one shape [n, h, w, c]. With an empty
 * policy the inputs come back as they are (no copy, no draws). Call inside tf.tidy or a
 * gradient function: intermediate tensors are not disposed here.
 */
export function diffAugment(xs: readonly tf.Tensor4D[], policy: readonly Augmentation[], rng: Rng): tf.Tensor4D[] {
  if (xs.length === 0) return [];
  const shape = xs[0].shape.join('×');
  for (const x of xs) if (x.shape.join('×') !== shape) throw new RangeError(`diffAugment: every tensor must be ${shape}, got ${x.shape.join('×')}`);
  let out = [...xs];
  for (const a of AUGMENTATIONS) if (policy.includes(a)) out = APPLY[a](out, rng);
  return out;
}

/**
 * D's inputs with the images augmented: every rank-4 tensor of `inputs` (DD-GAN's x_{k−1} and
 * x_k, Diffusion-GAN's y) gets the same draws; other inputs (the step k, the level t) pass
 * through.
 */
export function augmentInputs(inputs: readonly tf.Tensor[], policy: readonly Augmentation[], rng: Rng): tf.Tensor[] {
  if (policy.length === 0) return [...inputs];
  const at = inputs.flatMap((x, i) => (x.rank === 4 ? [i] : []));
  const out = diffAugment(at.map((i) => inputs[i] as tf.Tensor4D), policy, rng);
  const result = [...inputs];
  at.forEach((i, j) => (result[i] = out[j]));
  return result;
}
