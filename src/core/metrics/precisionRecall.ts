/**
 * Improved precision and recall (Kynkäänniemi et al., NeurIPS 2019), Euclidean in a
 * feature space.
 *
 * Each set approximates its manifold by the union of balls around its points, each ball's
 * radius being the distance to that point's k-th nearest neighbour within the same set
 * (the point itself excluded; k = 3 as in the paper):
 *
 *   precision = share of generated points inside the real manifold   (are samples realistic?)
 *   recall    = share of real points inside the generated manifold   (is the data covered?)
 *
 * The radii grow as a set gets sparser, so compare sets of equal size (the paper does;
 * `evaluate` passes the same number of real and generated points).
 *
 * All distances are compared squared (the order is the same) and accumulated in float64.
 */
import type { FeatureMatrix } from './frechet';

export const DEFAULT_K = 3;

function squaredDistance(a: FeatureMatrix, i: number, b: FeatureMatrix, j: number, d: number): number {
  let s = 0;
  const ai = i * d;
  const bj = j * d;
  for (let c = 0; c < d; c++) {
    const diff = a[ai + c] - b[bj + c];
    s += diff * diff;
  }
  return s;
}

/**
 * Squared distance from each of n points to its k-th nearest neighbour among the others
 * (duplicates count as neighbours at distance 0). Each pair is computed once.
 */
export function knnRadiiSquared(x: FeatureMatrix, n: number, d: number, k = DEFAULT_K): Float64Array {
  if (x.length !== n * d) throw new RangeError(`${x.length} values do not make ${n} × ${d}`);
  if (n <= k) throw new RangeError(`the k-th neighbour needs more than k = ${k} points, got ${n}`);
  // best[i*k .. i*k+k) holds the k smallest squared distances seen for point i, ascending.
  const best = new Float64Array(n * k).fill(Infinity);
  const offer = (i: number, dist: number): void => {
    const base = i * k;
    if (dist >= best[base + k - 1]) return;
    let pos = k - 1;
    while (pos > 0 && best[base + pos - 1] > dist) {
      best[base + pos] = best[base + pos - 1];
      pos--;
    }
    best[base + pos] = dist;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dist = squaredDistance(x, i, x, j, d);
      offer(i, dist);
      offer(j, dist);
    }
  }
  const radii = new Float64Array(n);
  for (let i = 0; i < n; i++) radii[i] = best[i * k + k - 1];
  return radii;
}

/** Share of query points that fall inside at least one ball (ref[j], √radiiSq[j]). */
export function manifoldCoverage(
  query: FeatureMatrix,
  nQuery: number,
  ref: FeatureMatrix,
  nRef: number,
  d: number,
  refRadiiSq: Float64Array,
): number {
  if (query.length !== nQuery * d || ref.length !== nRef * d) throw new RangeError('feature matrices do not match their sizes');
  if (refRadiiSq.length !== nRef) throw new RangeError(`${refRadiiSq.length} radii for ${nRef} reference points`);
  if (nQuery === 0) return NaN;
  let inside = 0;
  for (let i = 0; i < nQuery; i++) {
    for (let j = 0; j < nRef; j++) {
      if (squaredDistance(query, i, ref, j, d) <= refRadiiSq[j]) {
        inside++;
        break;
      }
    }
  }
  return inside / nQuery;
}

export interface PrecisionRecall {
  readonly precision: number;
  readonly recall: number;
  readonly k: number;
}

export function precisionRecall(
  real: FeatureMatrix,
  nReal: number,
  fake: FeatureMatrix,
  nFake: number,
  d: number,
  k = DEFAULT_K,
): PrecisionRecall {
  const realRadii = knnRadiiSquared(real, nReal, d, k);
  const fakeRadii = knnRadiiSquared(fake, nFake, d, k);
  return {
    precision: manifoldCoverage(fake, nFake, real, nReal, d, realRadii),
    recall: manifoldCoverage(real, nReal, fake, nFake, d, fakeRadii),
    k,
  };
}
