/**
 * Mode coverage on the 25-Gaussians toy problem (DESIGN §2.6; the protocol of VEEGAN,
 * Srivastava et al. 2017, and PacGAN, Lin et al. 2018).
 *
 * The data: 25 Gaussians with means (i, j), i, j ∈ {−4, −2, 0, 2, 4}, std 0.05.
 * For generated points (usually 2500):
 *   - a point is *high quality* when it lies within 3 std of its nearest mode mean
 *     (Euclidean distance ≤ 3 · 0.05 = 0.15);
 *   - the high-quality points give a histogram over the modes they belong to;
 *   - modesCovered = modes that own at least one high-quality point;
 *   - highQualityShare = high-quality points / all points;
 *   - reverseKl = KL(q ‖ u) = Σ_m q_m ln(q_m · M), where q is the mode histogram of the
 *     high-quality points normalised to sum 1 and u is uniform over the M modes. It is
 *     "reverse" because the model's distribution comes first (the direction that punishes
 *     a generator for putting mass on few modes: 0 when all modes get equal shares, ln M
 *     when one mode gets everything). Empty modes would need ln 0; as usual we add a small
 *     ε = 1e−12 to every mode's share and renormalise, so an empty mode contributes
 *     ≈ ε ln(ε M) ≈ 0 (the 0 · ln 0 = 0 limit) and the value is finite. With no high-quality
 *     points at all, q is undefined and reverseKl is NaN.
 */

export const GRID25_STD = 0.05;
export const KL_EPSILON = 1e-12;

/** The 25 mode means, row-major [25 × 2]: (i, j) for i, j ∈ {−4, −2, 0, 2, 4}. */
export function grid25Means(): Float64Array {
  const out = new Float64Array(50);
  let m = 0;
  for (let i = -4; i <= 4; i += 2) {
    for (let j = -4; j <= 4; j += 2) {
      out[2 * m] = i;
      out[2 * m + 1] = j;
      m++;
    }
  }
  return out;
}

export interface ModeCoverage {
  readonly modesCovered: number;
  readonly numModes: number;
  readonly highQualityShare: number;
  /** KL(high-quality mode histogram ‖ uniform), nats; NaN without high-quality points. */
  readonly reverseKl: number;
  /** High-quality points per mode. */
  readonly counts: number[];
  readonly n: number;
}

export interface ModeCoverageOptions {
  /** Mode means, row-major [M × 2]; default the 25-grid. */
  readonly means?: Float64Array;
  /** Std of each mode; a point is high quality within 3 std of its nearest mean. */
  readonly std?: number;
  readonly epsilon?: number;
}

/** `points` holds n rows of (x, y), row-major. */
export function modeCoverage(points: ArrayLike<number>, opts: ModeCoverageOptions = {}): ModeCoverage {
  const means = opts.means ?? grid25Means();
  const std = opts.std ?? GRID25_STD;
  const eps = opts.epsilon ?? KL_EPSILON;
  if (points.length % 2 !== 0) throw new RangeError('points must be (x, y) pairs');
  const n = points.length / 2;
  const numModes = means.length / 2;
  const limitSq = (3 * std) ** 2;
  const counts = new Array<number>(numModes).fill(0);
  let highQuality = 0;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    let best = 0;
    let bestSq = Infinity;
    for (let m = 0; m < numModes; m++) {
      const dsq = (x - means[2 * m]) ** 2 + (y - means[2 * m + 1]) ** 2;
      if (dsq < bestSq) {
        bestSq = dsq;
        best = m;
      }
    }
    if (bestSq <= limitSq) {
      counts[best]++;
      highQuality++;
    }
  }
  let reverseKl = NaN;
  if (highQuality > 0) {
    const norm = 1 + numModes * eps;
    reverseKl = 0;
    for (const c of counts) {
      const q = (c / highQuality + eps) / norm;
      reverseKl += q * Math.log(q * numModes);
    }
    reverseKl = Math.max(reverseKl, 0);
  }
  return {
    modesCovered: counts.filter((c) => c > 0).length,
    numModes,
    highQualityShare: n > 0 ? highQuality / n : NaN,
    reverseKl,
    counts,
    n,
  };
}
