/**
 * Memorisation check: how many generated images are near copies of a training image.
 *
 * Distances are L2 in pixel space, on images as floats in [−1, 1] flattened to d values.
 * "Near" is relative to how close training images are to each other, since what counts
 * as close depends on the data set (emoji share outlines, digits share strokes):
 *
 *   train NN   = each training image's distance to its nearest *other* training image
 *   duplicates = training images whose train NN distance has an RMS per-value difference
 *                below `duplicateRms` (0.01, about one grey level of 255): the same picture
 *                twice (emoji ships look-alike variants: 44 of 1906 at 32 px). They are left
 *                out of the percentile, which would otherwise be 0 and flag nothing.
 *   threshold  = the `percentile` (default 1st percentile, linear interpolation between
 *                order statistics as numpy does) of the train NN distances of the other
 *                training images
 *   near copy  = a generated image whose nearest training image is strictly closer than
 *                the threshold, i.e. closer than all but the 1 % most similar distinct
 *                training pairs are to each other
 *   share      = near copies / generated images
 *
 * A model that reproduces its training set gets a share far above the percentile's own
 * rate; a model that only draws in the style of the data gets a share near 0.
 *
 * The distance matrices are big (1000 × 2000 × 3072 multiply-adds and more), so they go
 * through tfjs matMul in row batches, ‖q − r‖² = ‖q‖² + ‖r‖² − 2 q·r, which runs on the
 * backend's fast kernels instead of a JS loop. The reference matrix is transposed once up front:
 * matMul(q, r, false, true) on the wasm backend ran at 1.6 GFLOP/s here against 21 GFLOP/s
 * for the pre-transposed product (1024 × 1024 × 3072). In float32 the expansion loses ~1e−3 of
 * absolute accuracy on squared distances of ~10³, far below the distances that matter here.
 *
 * The same search gives the fine-tune panel its pairs: `nearestTrainingImages` names, for each
 * preview sample, the training image it is closest to.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset';

export const DEFAULT_NEAR_COPY_PERCENTILE = 0.01;

export interface NearestOptions {
  /** Query rows per matMul (memory: batch × nRef floats). */
  readonly batch?: number;
  /**
   * The query set is the reference set itself: skip each row's own index, so the result is
   * the distance to the nearest *other* row.
   */
  readonly excludeSelf?: boolean;
}

/** For each query row, the L2 distance to its nearest reference row. */
export async function nearestNeighbourDistances(
  query: Float32Array,
  nQuery: number,
  ref: Float32Array,
  nRef: number,
  d: number,
  opts: NearestOptions = {},
): Promise<Float32Array> {
  return (await nearestNeighbours(query, nQuery, ref, nRef, d, opts)).distance;
}

export interface Neighbours {
  /** For each query row, the index of its nearest reference row (the first, on a tie). */
  readonly index: Int32Array;
  /** For each query row, the L2 distance to that row. */
  readonly distance: Float32Array;
}

/** For each query row, which reference row is nearest (L2) and how far it is. */
export async function nearestNeighbours(query: Float32Array, nQuery: number, ref: Float32Array, nRef: number, d: number, opts: NearestOptions = {}): Promise<Neighbours> {
  if (query.length !== nQuery * d || ref.length !== nRef * d) throw new RangeError('image matrices do not match their sizes');
  if (opts.excludeSelf && (nQuery !== nRef || nRef < 2)) throw new RangeError('excludeSelf needs the same set, with at least 2 rows');
  if (nRef < 1) throw new RangeError('the reference set is empty');
  const batch = opts.batch ?? 256;
  const index = new Int32Array(nQuery);
  const distance = new Float32Array(nQuery);
  // refT: [d, nRef], so each batch is a plain (untransposed) matMul.
  const [refT, refNormSq] = tf.tidy(() => {
    const r = tf.tensor2d(ref, [nRef, d]);
    return [r.transpose(), r.square().sum(1).reshape([1, nRef])];
  });
  try {
    for (let start = 0; start < nQuery; start += batch) {
      const b = Math.min(batch, nQuery - start);
      const [nearest, at] = tf.tidy(() => {
        const q = tf.tensor2d(query.subarray(start * d, (start + b) * d), [b, d]);
        const qNormSq = q.square().sum(1).reshape([b, 1]);
        let distSq = qNormSq.add(refNormSq).sub(tf.matMul(q, refT).mul(2));
        if (opts.excludeSelf) {
          // +∞ would turn 0·∞ into NaN inside oneHot·scale; a huge finite value is enough.
          const self = tf.oneHot(tf.range(start, start + b, 1, 'int32'), nRef).mul(1e30);
          distSq = distSq.add(self);
        }
        return [distSq.min(1).relu().sqrt(), distSq.argMin(1)];
      });
      try {
        distance.set((await nearest.data()) as Float32Array, start);
        index.set((await at.data()) as Int32Array, start);
      } finally {
        tf.dispose([nearest, at]);
      }
    }
  } finally {
    tf.dispose([refT, refNormSq]);
  }
  return { index, distance };
}

/**
 * For each of `count` samples (NHWC floats, the generator's [−1, 1] scale), the index of the
 * training image nearest to it in pixel space (L2, the sample clipped to [−1, 1] as it is
 * shown), the images being scaled from 0..255 to [−1, 1] the way the trainer reads them.
 */
export async function nearestTrainingImages(samples: Float32Array, count: number, data: ImageDataset): Promise<number[]> {
  const d = data.size * data.size * data.channels;
  if (samples.length !== count * d) throw new RangeError(`${count} samples of ${data.size}×${data.size}×${data.channels} need ${count * d} values, got ${samples.length}`);
  const query = samples.map((v) => Math.max(-1, Math.min(1, v)));
  const ref = new Float32Array(data.count * d);
  for (let i = 0; i < ref.length; i++) ref[i] = data.pixels[i] / 127.5 - 1;
  const { index } = await nearestNeighbours(query, count, ref, data.count, d);
  return Array.from(index);
}

/** The p-quantile (p in [0, 1]) with linear interpolation between order statistics. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile must be in [0, 1], got ${p}`);
  const sorted = Float64Array.from(values).sort();
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

export const DEFAULT_DUPLICATE_RMS = 0.01;

export interface NearCopyResult {
  /** Share of generated images closer than `threshold` to some training image. */
  readonly share: number;
  readonly threshold: number;
  readonly percentile: number;
  /** Training images left out of the percentile as duplicates of another one. */
  readonly trainDuplicates: number;
  /** Median generated→train nearest distance, for scale. */
  readonly medianGeneratedDistance: number;
  /** Median train→train nearest distance, for scale. */
  readonly medianTrainDistance: number;
  readonly nGenerated: number;
  readonly nTrain: number;
}

export async function nearCopyShare(
  generated: Float32Array,
  nGenerated: number,
  train: Float32Array,
  nTrain: number,
  d: number,
  opts: { percentile?: number; duplicateRms?: number; batch?: number } = {},
): Promise<NearCopyResult> {
  const p = opts.percentile ?? DEFAULT_NEAR_COPY_PERCENTILE;
  const duplicateDistance = (opts.duplicateRms ?? DEFAULT_DUPLICATE_RMS) * Math.sqrt(d);
  const trainNn = await nearestNeighbourDistances(train, nTrain, train, nTrain, d, { excludeSelf: true, batch: opts.batch });
  const distinct = trainNn.filter((v) => v >= duplicateDistance);
  const threshold = percentile(distinct, p);
  const genNn = await nearestNeighbourDistances(generated, nGenerated, train, nTrain, d, { batch: opts.batch });
  let near = 0;
  for (const v of genNn) if (v < threshold) near++;
  return {
    share: nGenerated > 0 ? near / nGenerated : NaN,
    threshold,
    percentile: p,
    trainDuplicates: nTrain - distinct.length,
    medianGeneratedDistance: percentile(genNn, 0.5),
    medianTrainDistance: percentile(trainNn, 0.5),
    nGenerated,
    nTrain,
  };
}
