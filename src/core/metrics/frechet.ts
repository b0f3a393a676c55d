/**
 * Fréchet distance between two feature sets, each modelled as a Gaussian (the FID recipe of
 * Heusel et al. 2017, here in the penultimate features of our own classifier instead of
 * Inception):
 *
 *   FD = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2})
 *
 * Why the symmetric form: the usual way of writing it, Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^{1/2}), needs
 * the square root of Σ₁Σ₂, which is not symmetric; a general matrix square root (scipy's
 * Schur-based `sqrtm`) picks up small imaginary parts from rounding and needs an ad-hoc fix.
 * Σ₁Σ₂ is similar to the symmetric positive semi-definite M = Σ₁^{1/2} Σ₂ Σ₁^{1/2}
 * (Σ₁Σ₂ = Σ₁^{1/2} M Σ₁^{−1/2} when Σ₁ is invertible, and by continuity otherwise), so both
 * have the same non-negative eigenvalues λᵢ and Tr((Σ₁Σ₂)^{1/2}) = Tr(M^{1/2}) = Σᵢ √λᵢ.
 * Only symmetric eigendecompositions are needed then, which the cyclic Jacobi method below
 * computes accurately with real arithmetic. Eigenvalues that rounding pushes slightly
 * below zero are clamped to 0 before the square root.
 *
 * Matrices are dense, row-major Float64Array of d × d. Covariances use the unbiased
 * 1/(n − 1) normalisation, as numpy's `np.cov` and the reference FID code do.
 */

/** Feature matrices are n rows of d values, row-major. */
export type FeatureMatrix = Float32Array | Float64Array;

export interface GaussianStats {
  readonly mean: Float64Array;
  /** d × d, row-major, symmetric. */
  readonly cov: Float64Array;
  readonly n: number;
  readonly d: number;
}

function checkShape(x: FeatureMatrix, n: number, d: number, what = 'features'): void {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 1) throw new RangeError(`${what}: bad shape ${n} × ${d}`);
  if (x.length !== n * d) throw new RangeError(`${what}: ${x.length} values do not make ${n} × ${d}`);
}

/** Mean and unbiased covariance of n feature rows of dimension d (accumulated in float64). */
export function featureStats(x: FeatureMatrix, n: number, d: number): GaussianStats {
  checkShape(x, n, d);
  if (n < 2) throw new RangeError(`a covariance needs at least 2 samples, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  // Centre once, then accumulate the upper triangle of XᵀX; the centred copy keeps the
  // inner loop free of subtractions and avoids the cancellation of E[xxᵀ] − μμᵀ.
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centred[i * d + j] = x[i * d + j] - mean[j];
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let a = 0; a < d; a++) {
      const va = centred[row + a];
      if (va === 0) continue;
      const out = a * d;
      for (let b = a; b < d; b++) cov[out + b] += va * centred[row + b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b] / (n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { mean, cov, n, d };
}

export interface SymmetricEigen {
  /** Eigenvalues, in no particular order. */
  readonly values: Float64Array;
  /** d × d row-major; column i is the unit eigenvector of values[i]. */
  readonly vectors: Float64Array;
  /** Jacobi sweeps used. */
  readonly sweeps: number;
}

/**
 * Eigendecomposition A = V diag(λ) Vᵀ of a symmetric matrix by the cyclic Jacobi method:
 * sweep over all off-diagonal pairs (p, q), zeroing each with a plane rotation, until the
 * off-diagonal mass is negligible. Quadratically convergent (≈ 6–10 sweeps), O(d³) per
 * sweep, and accurate to near machine precision even for tiny eigenvalues, which is what
 * the FD trace needs; fine for d ≤ 256. Only the upper triangle's symmetry is assumed,
 * so callers should symmetrise matrices that went through rounding.
 */
export function symmetricEigen(matrix: Float64Array, d: number, maxSweeps = 100): SymmetricEigen {
  if (matrix.length !== d * d) throw new RangeError(`${matrix.length} values are not a ${d} × ${d} matrix`);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;

  let total = 0;
  for (let i = 0; i < d * d; i++) total += a[i] * a[i];
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    // Converged when the off-diagonal part is below rounding level of the whole matrix.
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        const app = a[p * d + p];
        const aqq = a[q * d + q];
        // Rotation angle that zeroes a_pq (Numerical Recipes' stable form: the smaller root
        // t = tan φ of t² + 2θt − 1 = 0, so |φ| ≤ π/4 and rotations do not undo each other).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.abs(theta) > 1e150
          ? 1 / (2 * theta)
          : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          if (k === p || k === q) continue;
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          const np = c * akp - s * akq;
          const nq = s * akp + c * akq;
          a[k * d + p] = np;
          a[p * d + k] = np;
          a[k * d + q] = nq;
          a[q * d + k] = nq;
        }
        a[p * d + p] = app - t * apq;
        a[q * d + q] = aqq + t * apq;
        a[p * d + q] = 0;
        a[q * d + p] = 0;
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v, sweeps };
}

/** C = A B for d × d row-major matrices. */
export function matMulSquare(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const c = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      const bRow = k * d;
      const cRow = i * d;
      for (let j = 0; j < d; j++) c[cRow + j] += aik * b[bRow + j];
    }
  }
  return c;
}

/** (A + Aᵀ)/2, to remove the asymmetry rounding leaves in products like S A S. */
function symmetrise(a: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = 0.5 * (a[i * d + j] + a[j * d + i]);
      out[i * d + j] = v;
      out[j * d + i] = v;
    }
  }
  return out;
}

/**
 * The principal square root V diag(√max(λ, 0)) Vᵀ of a symmetric positive semi-definite
 * matrix. Negative eigenvalues can only come from rounding (or a non-PSD input) and are
 * clamped to 0.
 */
export function sqrtPsd(matrix: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(symmetrise(matrix, d), d);
  const root = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(values[k], 0));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vik = vectors[i * d + k] * s;
      if (vik === 0) continue;
      for (let j = 0; j < d; j++) root[i * d + j] += vik * vectors[j * d + k];
    }
  }
  return root;
}

export interface FrechetParts {
  /** The distance itself: meanTerm + covTerm. */
  readonly fd: number;
  /** ‖μ₁ − μ₂‖². */
  readonly meanTerm: number;
  /** Tr(Σ₁ + Σ₂ − 2 (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}). */
  readonly covTerm: number;
}

/** FD from exact moments (means of length d, covariances d × d row-major). */
export function frechetDistanceFromMoments(
  mean1: ArrayLike<number>,
  cov1: Float64Array,
  mean2: ArrayLike<number>,
  cov2: Float64Array,
  d: number,
): FrechetParts {
  if (mean1.length !== d || mean2.length !== d) throw new RangeError(`means must have ${d} entries`);
  if (cov1.length !== d * d || cov2.length !== d * d) throw new RangeError(`covariances must be ${d} × ${d}`);
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (mean1[i] - mean2[i]) ** 2;
  const s1Half = sqrtPsd(cov1, d);
  const m = symmetrise(matMulSquare(matMulSquare(s1Half, cov2, d), s1Half, d), d);
  const { values } = symmetricEigen(m, d);
  let traceSqrt = 0;
  for (const lambda of values) traceSqrt += Math.sqrt(Math.max(lambda, 0));
  let trace = 0;
  for (let i = 0; i < d; i++) trace += cov1[i * d + i] + cov2[i * d + i];
  const covTerm = trace - 2 * traceSqrt;
  return { fd: meanTerm + covTerm, meanTerm, covTerm };
}

export function frechetDistanceFromStats(a: GaussianStats, b: GaussianStats): FrechetParts {
  if (a.d !== b.d) throw new RangeError(`feature dimensions differ: ${a.d} vs ${b.d}`);
  return frechetDistanceFromMoments(a.mean, a.cov, b.mean, b.cov, a.d);
}

/** FD between two sets of feature rows (nA × d and nB × d). */
export function frechetDistance(a: FeatureMatrix, nA: number, b: FeatureMatrix, nB: number, d: number): FrechetParts {
  return frechetDistanceFromStats(featureStats(a, nA, d), featureStats(b, nB, d));
}
