/**
 * How well a model fine-tuned on a handful of images (the "uploads") has adapted to them:
 *
 *   frechetDistance  Fréchet distance between the samples' and the uploads' judge features.
 *                    With 16 uploads the uploads' covariance has rank 15 at most, so the number
 *                    is only comparable between models measured against the same uploads with
 *                    the same judge and sample count (the base against its fine-tuned self).
 *   nearCopyShare    share of samples closer (pixel L2) to some upload than all but the 1 %
 *                    closest distinct pairs of uploads are to each other (./nearCopy.ts): with
 *                    16 uploads, closer to an upload than any two uploads are to each other.
 *   diversity        mean pairwise distance of the samples' judge features, over the same
 *                    figure for the uploads: 1 is as varied as the uploads, 0 is one image.
 *
 * Targets of the fine-tune recipe (training/FEWSHOT.md): frechetDistance at most half of the base
 * model's, nearCopyShare below 0.5, diversity at least 0.5.
 */
import { meanPairwiseDistance } from './diversity';
import { frechetDistance } from './frechet';
import { nearCopyShare } from './nearCopy';

export interface FewshotImages {
  /** count × d pixel values in [−1, 1] (NHWC flattened), the same d for samples and uploads. */
  readonly pixels: Float32Array;
  readonly count: number;
  /** count × featureDim judge features. */
  readonly features: Float32Array;
}

export interface FewshotScores {
  readonly frechetDistance: number;
  readonly nearCopyShare: number;
  /** Distance under which a sample counts as a near copy. */
  readonly nearCopyThreshold: number;
  /** Median distance of a sample to its nearest upload (pixels). */
  readonly medianNearestUpload: number;
  readonly sampleSpread: number;
  readonly uploadSpread: number;
  /** sampleSpread / uploadSpread. */
  readonly diversity: number;
  readonly nSamples: number;
  readonly nUploads: number;
}

export async function fewshotScores(samples: FewshotImages, uploads: FewshotImages, pixelDim: number, featureDim: number): Promise<FewshotScores> {
  for (const [what, s] of [
    ['samples', samples],
    ['uploads', uploads],
  ] as const) {
    if (s.pixels.length !== s.count * pixelDim) throw new RangeError(`${what}: expected ${s.count * pixelDim} pixel values, got ${s.pixels.length}`);
    if (s.features.length !== s.count * featureDim) throw new RangeError(`${what}: expected ${s.count * featureDim} feature values, got ${s.features.length}`);
  }
  if (uploads.count < 2 || samples.count < 2) throw new RangeError(`need at least 2 samples and 2 uploads, got ${samples.count} and ${uploads.count}`);
  const { fd } = frechetDistance(samples.features, samples.count, uploads.features, uploads.count, featureDim);
  const near = await nearCopyShare(samples.pixels, samples.count, uploads.pixels, uploads.count, pixelDim);
  const sampleSpread = meanPairwiseDistance(samples.features, samples.count, featureDim);
  const uploadSpread = meanPairwiseDistance(uploads.features, uploads.count, featureDim);
  return {
    frechetDistance: fd,
    nearCopyShare: near.share,
    nearCopyThreshold: near.threshold,
    medianNearestUpload: near.medianGeneratedDistance,
    sampleSpread,
    uploadSpread,
    diversity: sampleSpread / uploadSpread,
    nSamples: samples.count,
    nUploads: uploads.count,
  };
}
