/**
 * DD-GAN's reverse step (Xiao, Kreis & Vahdat 2022; official code: `sample_from_model`,
 * `sample_posterior`), DESIGN §2.2:
 *
 *   for k = T … 1:  x̂₀ = G(x_k, k, z)                 (the model output; NFE = T)
 *                   x_{k−1} ~ q(x_{k−1} | x_k, x̂₀)      (exactly x̂₀ at k = 1)
 *
 * Notation (name here -> name in the paper): `modelOutput` -> x̂₀, `x` -> x_k, `prev` ->
 * x_{k−1}, `noise` -> the posterior's standard normal draw; the tables are schedule.ts's.
 *
 * The same step serves the image sampler, the 2-D toy lab (points of shape N×2) and the
 * Diffusion-GAN trainer's differentiable chain (../../training/diffusionGanImageTrainer.ts),
 * so the chain is written once.
 */
import type * as tf from '@tensorflow/tfjs';
import { samplePosterior } from '../ddgan';
import type { DdganSchedule } from '../schedule';
import type { Sampler, StepOptions, StepResult } from './sampler';
import { DDGAN_INFO, infoOf, specLabel, type SamplerSpecOf } from './specs';
import { ddganTimesteps } from './timesteps';

/**
 * One posterior step k → k − 1 (the step of `ddganPosteriorSampler`, also usable alone):
 * x_{k−1} = c1_k x̂₀ + c2_k x_k (+ the mean shift) + std_k · noise. At k = 1 the posterior
 * has no variance and x₀ is x̂₀ itself (a copy, so the caller owns both); no noise is needed
 * there. `noise` is required at k > 1.
 */
export function ddganPosteriorStep(schedule: DdganSchedule, x0Pred: tf.Tensor, k: number, xK: tf.Tensor, opts: StepOptions = {}): StepResult {
  const variance = schedule.posteriorVariance[k];
  if (!(variance > 0)) return { prev: x0Pred.clone(), x0Pred };
  if (!opts.noise) throw new Error(`the DD-GAN step k = ${k} → ${k - 1} needs its posterior noise`);
  const shift = opts.meanShift?.(xK, k, x0Pred, variance) ?? undefined;
  return { prev: samplePosterior(schedule, x0Pred, xK, k, opts.noise, shift), x0Pred };
}

/** The DD-GAN sampler over a T-step schedule: NFE = T, noise at every step. */
export function ddganPosteriorSampler(spec: SamplerSpecOf<'ddgan'>, schedule: DdganSchedule): Sampler {
  const timesteps = ddganTimesteps(schedule.T);
  return {
    spec,
    info: infoOf(DDGAN_INFO.kind),
    label: specLabel(spec, schedule.T),
    prediction: 'x0',
    timesteps,
    nfe: timesteps.length,
    // Drawn at k = 1 as well (where it is unused), so a seed's later draws stay where they were.
    noise: true,
    guidance: DDGAN_INFO.guidance,
    step: (x0Pred, index, xK, opts) => ddganPosteriorStep(schedule, x0Pred, timesteps[index], xK, opts),
  };
}
