import { describe, expect, it } from 'vitest';
import { ddganSchedule, vpAlphaBar } from '../../src/core/diffusion/schedule';

// DESIGN §2.1: float64 values through the official formulas (NVlabs denoising-diffusion-gan).
const T4 = [
  { k: 1, beta: 0.478255, sqrtAb: 0.722319, c1: 1.0, c2: 0.0, std: 0.0 },
  { k: 2, beta: 0.849206, sqrtAb: 0.280492, c1: 0.665778, c2: 0.201576, std: 0.663942 },
  { k: 3, beta: 0.956418, sqrtAb: 0.058557, c1: 0.269191, c2: 0.193001, std: 0.94032 },
  { k: 4, beta: 0.987404, sqrtAb: 0.006572, c1: 0.057822, c2: 0.111852, std: 0.991998 },
];

describe('DD-GAN schedule', () => {
  it('matches the reference table for T = 4 to 1e-5 (rounded to 6 decimals)', () => {
    const s = ddganSchedule(4);
    for (const row of T4) {
      expect(Math.abs(s.betas[row.k] - row.beta)).toBeLessThan(1e-5);
      expect(Math.abs(s.sqrtAlphaBars[row.k] - row.sqrtAb)).toBeLessThan(1e-5);
      expect(Math.abs(s.posteriorC1[row.k] - row.c1)).toBeLessThan(1e-5);
      expect(Math.abs(s.posteriorC2[row.k] - row.c2)).toBeLessThan(1e-5);
      expect(Math.abs(s.posteriorStd[row.k] - row.std)).toBeLessThan(1e-5);
    }
  });

  it('matches the reference betas for T = 2 and T = 8', () => {
    const s2 = ddganSchedule(2);
    expect(Math.abs(s2.betas[1] - 0.921324)).toBeLessThan(1e-5);
    expect(Math.abs(s2.betas[2] - 0.999451)).toBeLessThan(1e-5);
    const s8 = ddganSchedule(8);
    expect(Math.abs(s8.betas[1] - 0.156445)).toBeLessThan(1e-5);
    expect(Math.abs(s8.betas[8] - 0.903898)).toBeLessThan(1e-5);
  });

  it('T = 1 is one jump from ᾱ(ε) to ᾱ(1) with a noiseless posterior', () => {
    const s = ddganSchedule(1);
    const expected = 1 - vpAlphaBar(1) / vpAlphaBar(1e-3);
    expect(Math.abs(s.betas[1] - expected)).toBeLessThan(1e-12);
    expect(s.posteriorC1[1]).toBeCloseTo(1, 12);
    expect(s.posteriorStd[1]).toBe(0);
  });

  for (const T of [1, 2, 4, 8]) {
    it(`T = ${T}: ᾱ is the running product of (1 − β), posterior formulas hold`, () => {
      const s = ddganSchedule(T);
      expect(s.alphaBars[0]).toBe(1);
      let prod = 1;
      for (let k = 1; k <= T; k++) {
        prod *= 1 - s.betas[k];
        expect(s.alphaBars[k]).toBeCloseTo(prod, 12);
        // posterior variance β̃_k = β_k (1 − ᾱ_{k−1}) / (1 − ᾱ_k), rederived from the marginals:
        // Var[x_{k−1} | x_k, x₀] = (1−ᾱ_{k−1}) − c2² (1 − ᾱ_k) when x_k = √(1−β_k) x_{k−1} + √β_k ε.
        const c2 = s.posteriorC2[k];
        const viaMarginals = (1 - s.alphaBars[k - 1]) * (1 - c2 * Math.sqrt(1 - s.betas[k]));
        expect(s.posteriorVariance[k]).toBeCloseTo(viaMarginals, 10);
      }
      // total noise at the end is close to pure noise for T ≥ 2
      if (T >= 2) expect(s.sqrtAlphaBars[T]).toBeLessThan(0.01);
    });
  }

  it('rejects a non-integer step count', () => {
    expect(() => ddganSchedule(2.5)).toThrow(/whole number/);
  });
});
