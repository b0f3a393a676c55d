import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { Rng } from '../../src/core/rng';
import { boxBlur, dilate, erode, shiftImages, STANDARD_PERTURBATIONS } from '../../src/core/metrics/perturb';
import {
  classStats,
  featureStats,
  frechetDistance,
  frechetDistanceFromMoments,
  grid25Means,
  klToUniform,
  knnRadiiSquared,
  matMulSquare,
  modeCoverage,
  nearCopyShare,
  nearestNeighbourDistances,
  percentile,
  precisionRecall,
  sqrtPsd,
  symmetricEigen,
} from '../../src/core/metrics';

beforeAll(() => backend('wasm'));

function randomSymmetric(d: number, rng: Rng): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = rng.normal();
      a[i * d + j] = v;
      a[j * d + i] = v;
    }
  }
  return a;
}

/** A random orthogonal matrix: the eigenvectors of a random symmetric one. */
function randomOrthogonal(d: number, rng: Rng): Float64Array {
  return symmetricEigen(randomSymmetric(d, rng), d).vectors;
}

function transpose(a: Float64Array, d: number): Float64Array {
  const t = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t[j * d + i] = a[i * d + j];
  return t;
}

/** Q diag(values) Qᵀ. */
function fromEigen(q: Float64Array, values: number[], d: number): Float64Array {
  const scaled = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) scaled[i * d + k] = q[i * d + k] * values[k];
  return matMulSquare(scaled, transpose(q, d), d);
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** n draws of N(mean, L Lᵀ), row-major. */
function gaussianSamples(n: number, mean: number[], chol: number[][], rng: Rng): Float64Array {
  const d = mean.length;
  const out = new Float64Array(n * d);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) z[j] = rng.normal();
    for (let r = 0; r < d; r++) {
      let v = mean[r];
      for (let c = 0; c <= r; c++) v += chol[r][c] * z[c];
      out[i * d + r] = v;
    }
  }
  return out;
}

describe('symmetric eigendecomposition (cyclic Jacobi)', () => {
  it('reconstructs random symmetric matrices with orthonormal eigenvectors', () => {
    const rng = new Rng(1);
    for (const d of [1, 2, 5, 24]) {
      const a = randomSymmetric(d, rng);
      const { values, vectors } = symmetricEigen(a, d);
      expect(maxAbsDiff(fromEigen(vectors, Array.from(values), d), a)).toBeLessThan(1e-10);
      const vtv = matMulSquare(transpose(vectors, d), vectors, d);
      const eye = new Float64Array(d * d);
      for (let i = 0; i < d; i++) eye[i * d + i] = 1;
      expect(maxAbsDiff(vtv, eye)).toBeLessThan(1e-10);
    }
  });

  it('finds known eigenvalues, including a repeated and a zero one', () => {
    const rng = new Rng(2);
    const d = 6;
    const wanted = [3, 3, 1, 0.5, 0, -2];
    const a = fromEigen(randomOrthogonal(d, rng), wanted, d);
    const got = Array.from(symmetricEigen(a, d).values).sort((x, y) => y - x);
    expect(maxAbsDiff(got, wanted)).toBeLessThan(1e-10);
  });

  it('the PSD square root squares back and clamps rounding negatives', () => {
    const rng = new Rng(3);
    const d = 8;
    const q = randomOrthogonal(d, rng);
    const a = fromEigen(q, [4, 2, 1, 0.25, 1e-3, 0, 0, 0], d);
    const root = sqrtPsd(a, d);
    expect(maxAbsDiff(matMulSquare(root, root, d), a)).toBeLessThan(1e-10);
    expect(Array.from(root).every(Number.isFinite)).toBe(true);
  });
});

describe('Fréchet distance', () => {
  it('feature statistics are the sample mean and the unbiased covariance', () => {
    // rows (1,2), (3,6), (5,10): mean (3,6), var 4 and 16, covariance 8
    const s = featureStats(new Float32Array([1, 2, 3, 6, 5, 10]), 3, 2);
    expect(Array.from(s.mean)).toEqual([3, 6]);
    expect(Array.from(s.cov)).toEqual([4, 8, 8, 16]);
  });

  it('is ≈ 0 between a set and itself', () => {
    const rng = new Rng(4);
    const d = 16;
    const x = Float32Array.from({ length: 400 * d }, () => rng.normal() * 2 + 1);
    const { fd } = frechetDistance(x, 400, x, 400, d);
    expect(Math.abs(fd)).toBeLessThan(1e-8);
  });

  it('exact moments, diagonal covariances: ‖μ₁ − μ₂‖² + Σ(√a − √b)²', () => {
    const d = 5;
    const a = [1, 4, 0.25, 9, 2];
    const b = [4, 1, 1, 9, 0.5];
    const mu1 = [0, 1, 2, 3, 4];
    const mu2 = [1, 1, 0, 3, 4.5];
    const diag = (v: number[]) => fromEigen(new Float64Array(Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0))), v, d);
    let expected = 0;
    for (let i = 0; i < d; i++) expected += (mu1[i] - mu2[i]) ** 2 + (Math.sqrt(a[i]) - Math.sqrt(b[i])) ** 2;
    const { fd, meanTerm } = frechetDistanceFromMoments(mu1, diag(a), mu2, diag(b), d);
    expect(meanTerm).toBeCloseTo(1 + 4 + 0.25, 12);
    expect(Math.abs(fd - expected)).toBeLessThan(1e-6);
    // the same covariances in a rotated basis (they still commute): same distance
    const q = randomOrthogonal(d, new Rng(5));
    const rotated = frechetDistanceFromMoments(mu1, fromEigen(q, a, d), mu2, fromEigen(q, b, d), d);
    expect(Math.abs(rotated.fd - expected)).toBeLessThan(1e-6);
  });

  it('exact moments, non-commuting 2 × 2 covariances: Tr√(Σ₁Σ₂) = √(Tr Σ₁Σ₂ + 2√(det Σ₁ det Σ₂))', () => {
    const s1 = new Float64Array([2, 0.8, 0.8, 1]);
    const s2 = new Float64Array([1, -0.3, -0.3, 3]);
    const p = matMulSquare(s1, s2, 2);
    const det = (m: Float64Array) => m[0] * m[3] - m[1] * m[2];
    const trSqrt = Math.sqrt(p[0] + p[3] + 2 * Math.sqrt(det(s1) * det(s2)));
    const expected = 2 + 1 + 1 + 3 - 2 * trSqrt;
    const { fd } = frechetDistanceFromMoments([0, 0], s1, [0, 0], s2, 2);
    expect(Math.abs(fd - expected)).toBeLessThan(1e-6);
  });

  it('between samples of N(μ₁, Σ) and N(μ₂, Σ) matches ‖μ₁ − μ₂‖² within sampling error', () => {
    const rng = new Rng(6);
    const chol = [
      [1, 0, 0, 0],
      [0.5, 1, 0, 0],
      [-0.3, 0.2, 0.8, 0],
      [0.1, 0.4, -0.2, 0.6],
    ];
    const n = 8000;
    const mu1 = [0, 0, 0, 0];
    const mu2 = [1, -1, 0.5, 0.5]; // ‖Δ‖² = 2.5
    const x = gaussianSamples(n, mu1, chol, rng);
    const y = gaussianSamples(n, mu2, chol, rng);
    const { fd, covTerm } = frechetDistance(x, n, y, n, 4);
    // std of ‖μ̂₁ − μ̂₂‖² ≈ 2‖Δ‖·√(2 λmax/n) ≈ 0.06; the covariance term is O(d²/n)
    expect(Math.abs(fd - 2.5)).toBeLessThan(0.2);
    expect(covTerm).toBeGreaterThanOrEqual(-1e-9);
    expect(covTerm).toBeLessThan(0.02);
  });
});

describe('precision and recall (k-NN manifolds, k = 3)', () => {
  /** `perMode` points around each of the given centres (d dims, std 0.1). */
  function blobs(centres: number[][], perMode: number, rng: Rng): { x: Float64Array; n: number } {
    const d = centres[0].length;
    const n = centres.length * perMode;
    const x = new Float64Array(n * d);
    let i = 0;
    for (const c of centres) {
      for (let p = 0; p < perMode; p++, i++) for (let j = 0; j < d; j++) x[i * d + j] = c[j] + 0.1 * rng.normal();
    }
    return { x, n };
  }
  const d = 4;
  const centres = Array.from({ length: 10 }, (_, m) => Array.from({ length: d }, (_, j) => (j === m % d ? 10 * (1 + Math.floor(m / d)) : 0)));

  it('the k-NN radius is the distance to the k-th other point', () => {
    const x = new Float64Array([0, 1, 3, 6, 10]); // d = 1
    const r = knnRadiiSquared(x, 5, 1, 3);
    expect(Array.from(r)).toEqual([36, 25, 9, 25, 81]);
  });

  it('identical sets give precision 1 and recall 1', () => {
    const { x, n } = blobs(centres, 30, new Rng(7));
    expect(precisionRecall(x, n, x, n, d)).toEqual({ precision: 1, recall: 1, k: 3 });
  });

  it('disjoint far-apart sets give 0 and 0', () => {
    const rng = new Rng(8);
    const { x, n } = blobs(centres, 30, rng);
    const far = blobs(centres.map((c) => c.map((v) => v + 1000)), 30, rng);
    const pr = precisionRecall(x, n, far.x, far.n, d);
    expect(pr.precision).toBe(0);
    expect(pr.recall).toBe(0);
  });

  it('a generated set covering half the real modes: precision ≈ 1, recall ≈ 0.5', () => {
    const rng = new Rng(9);
    const real = blobs(centres, 40, rng);
    const fake = blobs(centres.slice(0, 5), 80, rng); // same size, half the modes
    const pr = precisionRecall(real.x, real.n, fake.x, fake.n, d);
    expect(pr.precision).toBeGreaterThan(0.9);
    expect(pr.recall).toBeGreaterThan(0.4);
    expect(pr.recall).toBeLessThanOrEqual(0.5);
  });
});

describe('class statistics', () => {
  const oneHot = (labels: number[], c = 10, p = 1): Float32Array => {
    const out = new Float32Array(labels.length * c).fill((1 - p) / (c - 1));
    labels.forEach((l, i) => (out[i * c + l] = p));
    return out;
  };

  it('a uniform histogram has KL 0 and all classes present', () => {
    const labels = Array.from({ length: 50 }, (_, i) => i % 10);
    const s = classStats(oneHot(labels), 50, 10);
    expect(s.klToUniform).toBeLessThan(1e-12);
    expect(s.classesPresent).toBe(10);
    expect(s.histogram).toEqual(new Array(10).fill(0.1));
    expect(s.confidentShare).toBe(1);
  });

  it('a one-class histogram has KL ln 10 and one class present', () => {
    const s = classStats(oneHot(new Array(20).fill(3)), 20, 10);
    expect(s.klToUniform).toBeCloseTo(Math.log(10), 12);
    expect(s.classesPresent).toBe(1);
    expect(s.counts[3]).toBe(20);
    expect(klToUniform([0.5, 0.5, 0, 0])).toBeCloseTo(Math.log(2), 12);
  });

  it('confidence counts samples whose top probability is ≥ 0.9', () => {
    const probs = new Float32Array([...oneHot([1], 10, 0.95), ...oneHot([2], 10, 0.5), ...oneHot([2], 10, 0.91), ...oneHot([4], 10, 0.89)]);
    const s = classStats(probs, 4, 10);
    expect(s.confidentShare).toBe(0.5);
    expect(s.counts[2]).toBe(2);
  });
});

describe('25-Gaussians mode coverage', () => {
  it('exact mode centres: 25 modes, all high quality, reverse KL 0', () => {
    const m = modeCoverage(grid25Means());
    expect(m.modesCovered).toBe(25);
    expect(m.highQualityShare).toBe(1);
    expect(m.reverseKl).toBeLessThan(1e-9);
  });

  it('all points at one mode: 1 mode, reverse KL ≈ ln 25', () => {
    const pts = new Float64Array(200);
    for (let i = 0; i < 100; i++) {
      pts[2 * i] = 2 + 0.01;
      pts[2 * i + 1] = -4;
    }
    const m = modeCoverage(pts);
    expect(m.modesCovered).toBe(1);
    expect(m.highQualityShare).toBe(1);
    expect(m.reverseKl).toBeCloseTo(Math.log(25), 6);
  });

  it('points far from every mode: nothing high quality, KL undefined', () => {
    const pts = new Float64Array([1, 1, -3, 3, 0.5, 0, 10, 10]);
    const m = modeCoverage(pts);
    expect(m.highQualityShare).toBe(0);
    expect(m.modesCovered).toBe(0);
    expect(m.reverseKl).toBeNaN();
  });

  it('samples of the true distribution: ≈ 98.9 % within 3 std (1 − e^{−4.5}) and all modes', () => {
    const rng = new Rng(10);
    const means = grid25Means();
    const pts = new Float64Array(2 * 2500);
    for (let i = 0; i < 2500; i++) {
      const m = i % 25;
      pts[2 * i] = means[2 * m] + 0.05 * rng.normal();
      pts[2 * i + 1] = means[2 * m + 1] + 0.05 * rng.normal();
    }
    const m = modeCoverage(pts);
    expect(m.modesCovered).toBe(25);
    expect(Math.abs(m.highQualityShare - (1 - Math.exp(-4.5)))).toBeLessThan(0.01);
    expect(m.reverseKl).toBeLessThan(0.01);
  });
});

describe('near copies', () => {
  it('percentile interpolates between order statistics', () => {
    expect(percentile([4, 1, 3, 2, 5], 0.5)).toBe(3);
    expect(percentile([1, 2], 0.25)).toBe(1.25);
    expect(percentile([7, 1, 5], 0)).toBe(1);
  });

  it('nearest-neighbour distances match a direct computation, excluding self, without leaks', async () => {
    const rng = new Rng(11);
    const d = 50;
    const n = 40;
    const x = Float32Array.from({ length: n * d }, () => rng.uniform() * 2 - 1);
    const before = tf.memory().numTensors;
    const got = await nearestNeighbourDistances(x, n, x, n, d, { excludeSelf: true, batch: 16 });
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < n; i++) {
      let best = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        let s = 0;
        for (let c = 0; c < d; c++) s += (x[i * d + c] - x[j * d + c]) ** 2;
        best = Math.min(best, Math.sqrt(s));
      }
      expect(Math.abs(got[i] - best)).toBeLessThan(1e-3);
    }
  });

  it('copies of training images count, fresh images do not, duplicated training images are set aside', async () => {
    const rng = new Rng(12);
    const d = 3 * 8 * 8;
    const nTrain = 200;
    const train = Float32Array.from({ length: nTrain * d }, () => rng.uniform() * 2 - 1);
    // 10 training images appear twice: duplicates must not drag the threshold to 0
    for (let i = 0; i < 10; i++) train.copyWithin((190 + i) * d, (100 + i) * d, (101 + i) * d);
    const nGen = 40;
    const gen = new Float32Array(nGen * d);
    for (let i = 0; i < nGen; i++) {
      if (i < 10) {
        // a copy of training image 7i with faint noise
        for (let c = 0; c < d; c++) gen[i * d + c] = train[7 * i * d + c] + 0.001 * rng.normal();
      } else {
        for (let c = 0; c < d; c++) gen[i * d + c] = rng.uniform() * 2 - 1;
      }
    }
    const before = tf.memory().numTensors;
    const r = await nearCopyShare(gen, nGen, train, nTrain, d, { batch: 64 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.share).toBe(10 / 40);
    expect(r.trainDuplicates).toBe(20);
    expect(r.threshold).toBeGreaterThan(0);
    expect(r.threshold).toBeLessThanOrEqual(r.medianTrainDistance);
  });
});

describe('perturbations for the judge check (metrics/perturb.ts)', () => {
  beforeAll(async () => {
    await backend('cpu');
  });

  /** An 8×8 background image with ink at the given (row, col) pixels. */
  const img = (ink: [number, number][]) => {
    const a = new Float32Array(64).fill(-1);
    for (const [r, c] of ink) a[r * 8 + c] = 1;
    return tf.tensor4d(a, [1, 8, 8, 1]);
  };
  const inkAt = (t: tf.Tensor4D) => {
    const v = t.dataSync();
    return Array.from(v, (x, i) => (x > 0 ? i : -1)).filter((i) => i >= 0);
  };

  it('shift moves ink down and right, filling with background', () => {
    const x = img([[0, 0], [7, 7]]);
    const y = shiftImages(x, 3);
    expect(inkAt(y)).toEqual([3 * 8 + 3]);
    tf.dispose([x, y]);
  });

  it('dilate thickens, erode thins: a 4×4 square grows to 5×5 and shrinks to 3×3', () => {
    const sq: [number, number][] = [];
    for (let r = 2; r < 6; r++) for (let c = 2; c < 6; c++) sq.push([r, c]);
    const x = img(sq);
    const [d, e] = [dilate(x, 2), erode(x, 2)];
    expect(inkAt(d).length).toBe(25);
    expect(inkAt(e).length).toBe(9);
    // a lone pixel disappears under erosion
    const dot = img([[4, 4]]);
    const e1 = erode(dot, 2);
    expect(inkAt(e1)).toEqual([]);
    tf.dispose([x, d, e, dot, e1]);
  });

  it('box blur keeps flat regions, spreads a lone pixel over its 3×3 window', () => {
    const dot = img([[4, 4]]);
    const b = boxBlur(dot, 3);
    const v = b.dataSync();
    expect(v[4 * 8 + 4]).toBeCloseTo(-1 + 2 / 9, 5);
    expect(v[3 * 8 + 3]).toBeCloseTo(-1 + 2 / 9, 5);
    expect(v[2 * 8 + 2]).toBeCloseTo(-1, 6);
    const flat = tf.fill([1, 8, 8, 1], -1) as tf.Tensor4D;
    const bf = boxBlur(flat, 3);
    expect(Math.max(...bf.dataSync())).toBeCloseTo(-1, 6);
    tf.dispose([dot, b, flat, bf]);
  });

  it('every standard perturbation keeps shape and range, is seeded, and leaks no tensors', () => {
    const x = img([[2, 3], [3, 3], [4, 3], [5, 3]]);
    const before = tf.memory().numTensors;
    for (const p of STANDARD_PERTURBATIONS) {
      const [a, b] = tf.tidy(() => [p.apply(x, 5), p.apply(x, 5)]);
      expect(a.shape).toEqual(x.shape);
      const av = a.dataSync();
      expect(Math.min(...av)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...av)).toBeLessThanOrEqual(1);
      expect(Array.from(b.dataSync())).toEqual(Array.from(av));
      expect(Array.from(av)).not.toEqual(Array.from(x.dataSync()));
      tf.dispose([a, b]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
