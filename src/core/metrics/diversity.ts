/**
 * Per-batch figures for a handful of samples (the compare view's guided batches), where the
 * set metrics (Fréchet distance, precision/recall) need far more images than there are:
 *
 *   predictedClasses   the judge's most probable class per image
 *   meanTopProbability mean of each image's largest class probability
 *   meanPairwiseDistance
 *                      mean Euclidean distance over all pairs i < j of feature rows: the
 *                      spread of a batch in the judge's feature space; it falls as
 *                      guidance pulls the samples toward one prototype (DESIGN §2.4:
 *                      "larger s: higher precision, lower diversity")
 *
 * Pure: row-major matrices as typed arrays, no tfjs.
 */

/** Index of the largest entry of each of the n rows of `probs` (n × classes). */
export function predictedClasses(probs: ArrayLike<number>, n: number, classes: number): number[] {
  if (probs.length !== n * classes) throw new RangeError(`expected ${n * classes} probabilities, got ${probs.length}`);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    out.push(best);
  }
  return out;
}

/** Mean over the rows of the largest probability in the row; NaN for n = 0. */
export function meanTopProbability(probs: ArrayLike<number>, n: number, classes: number): number {
  if (probs.length !== n * classes) throw new RangeError(`expected ${n * classes} probabilities, got ${probs.length}`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let top = -Infinity;
    for (let c = 0; c < classes; c++) top = Math.max(top, probs[i * classes + c]);
    sum += top;
  }
  return n > 0 ? sum / n : NaN;
}

/** Mean distance over the n(n−1)/2 pairs of rows of `features` (n × d); NaN for n < 2. */
export function meanPairwiseDistance(features: ArrayLike<number>, n: number, d: number): number {
  if (features.length !== n * d) throw new RangeError(`expected ${n * d} feature values, got ${features.length}`);
  if (n < 2) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let sq = 0;
      for (let k = 0; k < d; k++) {
        const diff = features[i * d + k] - features[j * d + k];
        sq += diff * diff;
      }
      sum += Math.sqrt(sq);
    }
  }
  return sum / ((n * (n - 1)) / 2);
}
