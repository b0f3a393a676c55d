/**
 * Ancestral DDPM sampling (Ho et al. 2020), DESIGN §2.3: every step t = N … 1 of the
 * schedule, one ε-network call each.
 *
 * Notation (name here -> name in the paper), tables of ../ddpm.ts:
 *   modelOutput -> ε_θ(x_t, t)
 *   x0Pred      -> x̂₀ = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t, clipped to [−1, 1]
 *   c1, c2      -> the posterior mean's coefficients, μ = c1 x̂₀ + c2 x_t
 *   variance    -> σ_t² = β̃_t = β_t (1−ᾱ_{t−1}) / (1−ᾱ_t), the posterior variance
 *
 *   1. x̂₀ from x_t and ε (clipped)
 *   2. μ = c1 x̂₀ + c2 x_t, plus the guidance mean shift s·Σ·∇log p when given
 *   3. x_{t−1} = μ + σ_t z (no noise at t = 1: x₀ is the mean)
 */
import * as tf from '@tensorflow/tfjs';
import { predictX0, type DdpmSchedule } from '../ddpm';
import type { Sampler, StepOptions, StepResult } from './sampler';
import { ANCESTRAL_INFO, infoOf, specLabel, type SamplerSpecOf } from './specs';
import { ancestralTimesteps } from './timesteps';

/** One ancestral step t → t − 1. `noise` is required at t > 1. */
export function ancestralStep(s: DdpmSchedule, eps: tf.Tensor, t: number, xT: tf.Tensor, opts: StepOptions = {}): StepResult {
  return tf.tidy(() => {
    const x0Pred = predictX0(s, xT, eps, t);
    const ab = s.alphaBars[t];
    const abPrev = s.alphaBars[t - 1];
    const beta = s.betas[t];
    const c1 = (beta * Math.sqrt(abPrev)) / (1 - ab);
    const c2 = ((1 - abPrev) * Math.sqrt(1 - beta)) / (1 - ab);
    const variance = (beta * (1 - abPrev)) / (1 - ab);
    let mean = x0Pred.mul(c1).add(xT.mul(c2));
    const shift = opts.meanShift?.(xT, t, x0Pred, variance);
    if (shift) mean = mean.add(shift);
    if (t === 1) return { prev: mean, x0Pred };
    if (!opts.noise) throw new Error(`the ancestral step t = ${t} needs its noise`);
    return { prev: mean.add(opts.noise.mul(Math.sqrt(variance))), x0Pred };
  });
}

/** All N steps of the schedule: NFE = N, noise at every step. */
export function ddpmAncestralSampler(spec: SamplerSpecOf<'ancestral'>, schedule: DdpmSchedule): Sampler {
  const timesteps = ancestralTimesteps(schedule.N);
  return {
    spec,
    info: infoOf(ANCESTRAL_INFO.kind),
    label: specLabel(spec, schedule.N),
    prediction: 'eps',
    timesteps,
    nfe: timesteps.length,
    noise: true,
    guidance: ANCESTRAL_INFO.guidance,
    step: (eps, index, xT, opts) => ancestralStep(schedule, eps, timesteps[index], xT, opts),
  };
}
