/**
 * Live metrics of the toy lab, one call per evaluation: the mode-coverage numbers of
 * `metrics/modes2d.ts` (for the mixtures, whose modes are known) plus a continuous
 * distance that also moves before any sample is "high quality", so a chart shows progress
 * from the first iterations:
 *   meanPointToMode  mean distance from each generated point to its nearest mode mean
 *                    (low = samples sit on modes; precision-like);
 *   meanModeToPoint  mean distance from each mode mean to its nearest generated point
 *                    (low = every mode has samples near it; recall-like).
 * Their sum is the Chamfer distance between the samples and the set of modes.
 */
import { modeCoverage, type ModeCoverage } from '../metrics/modes2d';
import { toyDatasetInfo, type ToyDatasetName } from './data';

export interface NearestModeDistances {
  readonly meanPointToMode: number;
  readonly meanModeToPoint: number;
}

/** `points` and `means` are row-major (x, y) pairs. */
export function nearestModeDistances(points: ArrayLike<number>, means: ArrayLike<number>): NearestModeDistances {
  const n = points.length / 2;
  const m = means.length / 2;
  if (n === 0 || m === 0) return { meanPointToMode: NaN, meanModeToPoint: NaN };
  const modeBest = new Float64Array(m).fill(Infinity);
  let pointSum = 0;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    let best = Infinity;
    for (let j = 0; j < m; j++) {
      const d = (x - means[2 * j]) ** 2 + (y - means[2 * j + 1]) ** 2;
      if (d < best) best = d;
      if (d < modeBest[j]) modeBest[j] = d;
    }
    pointSum += Math.sqrt(best);
  }
  let modeSum = 0;
  for (let j = 0; j < m; j++) modeSum += Math.sqrt(modeBest[j]);
  return { meanPointToMode: pointSum / n, meanModeToPoint: modeSum / m };
}

export interface ToyMetrics extends NearestModeDistances {
  readonly coverage: ModeCoverage;
}

/**
 * Mode coverage and nearest-mode distances of generated points on a mixture dataset
 * (grid25 or ring8); null for datasets without modes (swiss roll, moons).
 */
export function toyMetrics(dataset: ToyDatasetName, points: ArrayLike<number>): ToyMetrics | null {
  const info = toyDatasetInfo(dataset);
  if (!info.modeMeans || info.modeStd === null) return null;
  return {
    coverage: modeCoverage(points, { means: info.modeMeans, std: info.modeStd }),
    ...nearestModeDistances(points, info.modeMeans),
  };
}
