/**
 * DDIM (Song, Meng & Ermon 2021), DESIGN §2.3: `steps` evenly spaced times of the
 * ε-network's schedule (./timesteps.ts `ddimTimesteps`), one network call each.
 *
 * Notation (name here -> name in the paper), tables of ../ddpm.ts, step t → t′:
 *   modelOutput -> ε_θ(x_t, t)
 *   x0Pred      -> x̂₀ = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t, clipped to [−1, 1]
 *   epsC        -> ε re-derived from the clipped x̂₀, so the two stay consistent
 *   sigma       -> σ = η √((1−ᾱ_{t′})/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t′})
 *
 *   x_{t′} = √ᾱ_{t′} x̂₀ + √(1 − ᾱ_{t′} − σ²) ε + σ z      (t′ = 0 after the last step: x₀ = x̂₀)
 *
 * η = 0 is deterministic; η = 1 matches DDPM's ancestral variance on the sub-sequence.
 */
import * as tf from '@tensorflow/tfjs';
import { predictX0, type DdpmSchedule } from '../ddpm';
import type { Sampler, StepResult } from './sampler';
import { DDIM_INFO, infoOf, specLabel, type SamplerSpecOf } from './specs';
import { ddimTimesteps } from './timesteps';

/** One DDIM step t → tPrev (tPrev = 0 means x₀). `noise` is needed when σ > 0 and tPrev > 0. */
export function ddimStep(s: DdpmSchedule, eps: tf.Tensor, t: number, tPrev: number, eta: number, xT: tf.Tensor, noise?: tf.Tensor): StepResult {
  return tf.tidy(() => {
    const ab = s.alphaBars[t];
    const abPrev = s.alphaBars[tPrev];
    const x0Pred = predictX0(s, xT, eps, t);
    const epsC = xT.sub(x0Pred.mul(Math.sqrt(ab))).div(Math.sqrt(1 - ab));
    const sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
    let prev = x0Pred.mul(Math.sqrt(abPrev)).add(epsC.mul(Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma))));
    if (sigma > 0 && tPrev > 0) {
      if (!noise) throw new Error(`the DDIM step t = ${t} with η = ${eta} needs its noise`);
      prev = prev.add(noise.mul(sigma));
    }
    return { prev, x0Pred };
  });
}

/** DDIM with `spec.steps` steps (at most N) and `spec.eta`. */
export function ddimSampler(spec: SamplerSpecOf<'ddim'>, schedule: DdpmSchedule): Sampler {
  const timesteps = ddimTimesteps(schedule.N, spec.steps);
  return {
    spec,
    info: infoOf(DDIM_INFO.kind),
    label: specLabel(spec, schedule.N),
    prediction: 'eps',
    timesteps,
    nfe: timesteps.length,
    // Drawn at η = 0 as well (unused there), so a seed gives every batch the same x_T as ever.
    noise: true,
    guidance: DDIM_INFO.guidance,
    step: (eps, index, xT, opts) => ddimStep(schedule, eps, timesteps[index], timesteps[index + 1] ?? 0, spec.eta, xT, opts.noise),
  };
}
