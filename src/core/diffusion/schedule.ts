/**
 * The DD-GAN forward process (Xiao, Kreis & Vahdat 2022; official code: `var_func_vp`,
 * `get_sigma_schedule`, `Posterior_Coefficients`).
 *
 * Notation (name here -> name in the paper):
 *   k            -> the step index, 1..T (x_0 is data, x_T is noise)
 *   betas[k]     -> β_k, the variance added by q(x_k | x_{k-1})
 *   alphaBars[k] -> ᾱ_k = Π_{j≤k} (1 − β_j)
 *   posteriorC1  -> coefficient of x̂₀ in the mean of q(x_{k−1} | x_k, x₀)
 *   posteriorC2  -> coefficient of x_k in that mean
 *
 * Arrays are indexed by k and have length T + 1; index 0 holds the values for x_0
 * (β_0 = 0, ᾱ_0 = 1) so `alphaBars[k − 1]` needs no special case.
 *
 * Convention used throughout the project: networks are given the 1-based step index k of
 * the noisier input, G(x_k, k, z) and D(x_{k−1}, x_k, k). (The official code passes k − 1.)
 */

export const BETA_MIN = 0.1;
export const BETA_MAX = 20;
export const EPS_SMALL = 1e-3;

export const SUPPORTED_T = [1, 2, 4, 8] as const;
export type StepCount = (typeof SUPPORTED_T)[number];

export interface DdganSchedule {
  readonly T: number;
  /** Continuous times t_k of the VP SDE, k = 0..T. */
  readonly times: Float64Array;
  readonly betas: Float64Array;
  readonly alphaBars: Float64Array;
  readonly sqrtAlphaBars: Float64Array;
  readonly sqrtOneMinusAlphaBars: Float64Array;
  readonly posteriorC1: Float64Array;
  readonly posteriorC2: Float64Array;
  readonly posteriorVariance: Float64Array;
  readonly posteriorStd: Float64Array;
}

/** ᾱ(t) of the VP SDE with linear β(t). */
export function vpAlphaBar(t: number, betaMin = BETA_MIN, betaMax = BETA_MAX): number {
  return Math.exp(-0.5 * t * t * (betaMax - betaMin) - t * betaMin);
}

export function ddganSchedule(T: number): DdganSchedule {
  if (!Number.isInteger(T) || T < 1 || T > 64) {
    throw new RangeError(`T must be a whole number of steps from 1 to 64, got ${T}`);
  }
  const n = T + 1;
  const times = new Float64Array(n);
  const alphaBars = new Float64Array(n);
  const betas = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    times[k] = (k / T) * (1 - EPS_SMALL) + EPS_SMALL;
  }
  // β_k from consecutive ratios of the continuous ᾱ(t); ᾱ_k is then their running product
  // (this is what the official code does, and it makes ᾱ_0 = 1 exactly).
  alphaBars[0] = 1;
  for (let k = 1; k < n; k++) {
    betas[k] = 1 - vpAlphaBar(times[k]) / vpAlphaBar(times[k - 1]);
    alphaBars[k] = alphaBars[k - 1] * (1 - betas[k]);
  }
  const sqrtAlphaBars = alphaBars.map(Math.sqrt);
  const sqrtOneMinusAlphaBars = alphaBars.map((a) => Math.sqrt(1 - a));
  const posteriorC1 = new Float64Array(n);
  const posteriorC2 = new Float64Array(n);
  const posteriorVariance = new Float64Array(n);
  for (let k = 1; k < n; k++) {
    const abPrev = alphaBars[k - 1];
    const ab = alphaBars[k];
    posteriorVariance[k] = (betas[k] * (1 - abPrev)) / (1 - ab);
    posteriorC1[k] = (betas[k] * Math.sqrt(abPrev)) / (1 - ab);
    posteriorC2[k] = ((1 - abPrev) * Math.sqrt(1 - betas[k])) / (1 - ab);
  }
  const posteriorStd = posteriorVariance.map(Math.sqrt);
  return {
    T,
    times,
    betas,
    alphaBars,
    sqrtAlphaBars,
    sqrtOneMinusAlphaBars,
    posteriorC1,
    posteriorC2,
    posteriorVariance,
    posteriorStd,
  };
}

/** A plain, JSON-friendly summary of a schedule (for model.json and the UI). */
export function scheduleSummary(s: DdganSchedule): { k: number; beta: number; sqrtAlphaBar: number; c1: number; c2: number; std: number }[] {
  const rows = [];
  for (let k = 1; k <= s.T; k++) {
    rows.push({
      k,
      beta: s.betas[k],
      sqrtAlphaBar: s.sqrtAlphaBars[k],
      c1: s.posteriorC1[k],
      c2: s.posteriorC2[k],
      std: s.posteriorStd[k],
    });
  }
  return rows;
}
