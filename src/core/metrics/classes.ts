/**
 * Class coverage of generated images, judged by a classifier: which classes the samples
 * look like, how evenly they spread over them, and how sure the judge is.
 *
 *   histogram[c]    share of samples whose most probable class is c
 *   klToUniform     KL(histogram ‖ uniform) = Σ_c h_c ln(h_c · C), in nats; 0 for a perfectly
 *                   even spread, ln C when every sample is one class (empty classes add
 *                   0 · ln 0 = 0)
 *   confidentShare  share of samples whose top probability is ≥ `confidence` (0.9): a
 *                   rough "recognisable" rate, since blurry or hybrid digits get split votes
 *   classesPresent  classes that are the top class of at least one sample
 */

export const DEFAULT_CONFIDENCE = 0.9;

export interface ClassStats {
  readonly histogram: number[];
  readonly counts: number[];
  readonly klToUniform: number;
  readonly confidentShare: number;
  readonly classesPresent: number;
  readonly n: number;
}

/** KL(p ‖ uniform over p.length classes) in nats; p must sum to 1. */
export function klToUniform(p: ArrayLike<number>): number {
  const c = p.length;
  let kl = 0;
  for (let i = 0; i < c; i++) if (p[i] > 0) kl += p[i] * Math.log(p[i] * c);
  // Rounding can leave −1e−17 for an exactly uniform histogram; the true value is ≥ 0.
  return Math.max(kl, 0);
}

/** `probs` holds n rows of `numClasses` probabilities (softmax outputs), row-major. */
export function classStats(
  probs: ArrayLike<number>,
  n: number,
  numClasses: number,
  confidence = DEFAULT_CONFIDENCE,
): ClassStats {
  if (probs.length !== n * numClasses) throw new RangeError(`${probs.length} probabilities do not make ${n} × ${numClasses}`);
  if (n === 0) throw new RangeError('class statistics need at least one sample');
  const counts = new Array<number>(numClasses).fill(0);
  let confident = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c] > probs[i * numClasses + best]) best = c;
    counts[best]++;
    if (probs[i * numClasses + best] >= confidence) confident++;
  }
  const histogram = counts.map((c) => c / n);
  return {
    histogram,
    counts,
    klToUniform: klToUniform(histogram),
    confidentShare: confident / n,
    classesPresent: counts.filter((c) => c > 0).length,
    n,
  };
}
