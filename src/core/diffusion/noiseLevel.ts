/**
 * The continuous noise level σ = √(1 − ᾱ) shared by every schedule of the project.
 *
 * DDPM (ddpm.ts) and DD-GAN (schedule.ts) are both variance preserving: a noised image is
 * x = √ᾱ x₀ + √(1 − ᾱ) ε, so σ alone fixes the mix of signal (√(1 − σ²)) and noise (σ).
 * A network conditioned on σ instead of a step index therefore serves any schedule: DDPM
 * step t (σ_t = √(1 − ᾱ_t)) and DD-GAN step k of a T-step model (σ_k = √(1 − ᾱ_k), the
 * marginal of x_k) alike. σ = 0 is a clean image, σ = 1 pure noise.
 */
import * as tf from '@tensorflow/tfjs';
import type { DdpmSchedule } from './ddpm';
import { ddganSchedule, type DdganSchedule } from './schedule';

/** σ = √(1 − ᾱ), clamped at 0 for ᾱ rounding above 1. */
export function noiseLevelOf(alphaBar: number): number {
  return Math.sqrt(Math.max(0, 1 - alphaBar));
}

/** σ_t of DDPM step t (t = 0 is the clean image). */
export function ddpmNoiseLevel(s: DdpmSchedule, t: number): number {
  return noiseLevelOf(s.alphaBars[t]);
}

/** σ_k of x_k in a DD-GAN schedule (k = 0 is the clean image). */
export function ddganNoiseLevel(s: DdganSchedule, k: number): number {
  return noiseLevelOf(s.alphaBars[k]);
}

/** σ of x_k for k = 0..T of a T-step DD-GAN, in step order. */
export function ddganNoiseLevels(T: number): number[] {
  const s = ddganSchedule(T);
  return Array.from({ length: T + 1 }, (_, k) => ddganNoiseLevel(s, k));
}

/** Noises a clean batch to level σ_i per example: √(1 − σ_i²) x₀ + σ_i ε (NHWC). */
export function noiseToLevel(x0: tf.Tensor4D, sigmas: ArrayLike<number>, noise: tf.Tensor4D): tf.Tensor4D {
  const b = x0.shape[0];
  if (sigmas.length !== b) throw new Error(`${sigmas.length} noise levels for a batch of ${b}`);
  return tf.tidy(() => {
    const sigma = tf.tensor(Array.from(sigmas), [b, 1, 1, 1]);
    const signal = tf.tensor(Array.from(sigmas, (v) => Math.sqrt(Math.max(0, 1 - v * v))), [b, 1, 1, 1]);
    return x0.mul(signal).add(noise.mul(sigma)) as tf.Tensor4D;
  });
}

/** A named noise level (for reports). */
export interface NoiseLevelSample {
  /** A short name such as 'clean', 'DDPM t = 500' or 'DD-GAN T = 4, k = 2'. */
  readonly label: string;
  readonly sigma: number;
}

/**
 * The levels at which a noise-aware classifier is scored: clean, a spread of DDPM steps,
 * and the DD-GAN T = 4 steps whose posterior step is guided (k ≥ 2) plus k = 1.
 */
export function standardNoiseLevels(ddpm: DdpmSchedule): NoiseLevelSample[] {
  const t4 = ddganSchedule(4);
  const ddpmSteps = [50, 100, 200, 300, 500, 700, 1000].filter((t) => t <= ddpm.N);
  return [
    { label: 'clean', sigma: 0 },
    ...ddpmSteps.map((t) => ({ label: `DDPM t = ${t}`, sigma: ddpmNoiseLevel(ddpm, t) })),
    ...[1, 2, 3].map((k) => ({ label: `DD-GAN T = 4, k = ${k}`, sigma: ddganNoiseLevel(t4, k) })),
  ];
}
