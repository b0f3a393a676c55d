/**
 * DPM-Solver++(2M) (Lu, Zhou, Bao, Chen, Li & Zhu 2022, "DPM-Solver++: Fast Solver for
 * Guided Sampling of Diffusion Probabilistic Models", Algorithm 2): a second-order
 * multistep solver of the diffusion ODE in its data-prediction form, for a DDPM ε-network.
 *
 * Notation (name here -> name in the paper), tables of ../ddpm.ts at integer times t:
 *   alpha(t)  -> α_t = √ᾱ_t                     sigma(t) -> σ_t = √(1 − ᾱ_t)
 *   lambda(t) -> λ_t = log(α_t / σ_t), the half log-SNR (it grows as t falls)
 *   x0Pred    -> x_θ(x_t, t) = (x_t − σ_t ε_θ(x_t, t)) / α_t, clipped to [−1, 1]
 *   h         -> h_i = λ_{t_i} − λ_{t_{i−1}}, the step in λ
 *   r         -> r_i = h_{i−1} / h_i
 *   d         -> D_i, the data prediction the step integrates
 *
 * The ODE in λ has the exact solution
 *   x_t = (σ_t/σ_s) x_s + σ_t ∫_{λ_s}^{λ_t} e^λ x_θ(x_λ, λ) dλ.
 * Holding x_θ at its value at s gives the first-order update (which is DDIM with η = 0)
 *   x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) x_θ(x_s, s);
 * 2M keeps the previous step's x_θ and integrates the line through the two in λ:
 *   D_i     = (1 + 1/(2 r_i)) x_θ(x_{t_{i−1}}, t_{i−1}) − 1/(2 r_i) · x_θ(x_{t_{i−2}}, t_{i−2})
 *   x_{t_i} = (σ_{t_i}/σ_{t_{i−1}}) x_{t_{i−1}} − α_{t_i} (e^{−h_i} − 1) D_i
 * One network call per step and no noise; the first step is first order (no history yet).
 *
 * Time grid: the network is called at DDIM's `steps` evenly spaced times
 * (./timesteps.ts `ddimTimesteps`, so DDIM-S and DPM-Solver++ S call it at the same t), and
 * the run ends at t = 0. There σ = 0 and λ = ∞: the update's limit is x₀ = x_θ at the last
 * grid time, which only the first-order form reaches (r → 0 in the second-order one), so
 * the last step returns that clipped prediction. Grids that end at t = 1 instead and keep
 * the second-order step there, spaced evenly in t or in λ, measured worse on the shipped
 * MNIST ε-network (README, "Samplers").
 *
 * Classifier guidance replaces ε by ε − s·σ_t·∇log p before x_θ is formed (the 'eps-shift'
 * rule, ../guidance.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { predictX0, type DdpmSchedule } from '../ddpm';
import type { Sampler, StepResult } from './sampler';
import { DPM_SOLVER_INFO, infoOf, specLabel, type SamplerSpecOf } from './specs';
import { ddimTimesteps } from './timesteps';

const alpha = (s: DdpmSchedule, t: number): number => Math.sqrt(s.alphaBars[t]);
const sigma = (s: DdpmSchedule, t: number): number => Math.sqrt(1 - s.alphaBars[t]);
const lambda = (s: DdpmSchedule, t: number): number => Math.log(alpha(s, t) / sigma(s, t));

/**
 * One DPM-Solver++ step from time `t` to `tNext` < t for the ε-network output `eps` at x_t.
 * With `history` (the previous step's x_θ and its time `tLast` > t) the step is second
 * order, else first order; tNext = 0 ends the run at x₀ = x_θ(x_t, t). Returns the next
 * state, this step's x_θ (x0Pred) and, as `carry`, a copy of it for the next step.
 */
export function dpmSolverStep(
  s: DdpmSchedule,
  eps: tf.Tensor,
  t: number,
  tNext: number,
  xT: tf.Tensor,
  history: { readonly x0Pred: tf.Tensor; readonly tLast: number } | null,
): StepResult {
  if (!(Number.isInteger(tNext) && tNext >= 0 && tNext < t)) throw new RangeError(`a DPM-Solver++ step goes from t to a smaller t ≥ 0, got ${t} → ${tNext}`);
  return tf.tidy(() => {
    // 1. the data prediction x_θ(x_t, t), clipped to the data range
    const x0Pred = predictX0(s, xT, eps, t);
    // 2. the end of the run: σ = 0, λ = ∞, and the first-order update's limit is x_θ
    if (tNext === 0) return { prev: x0Pred.clone(), x0Pred };
    // 3. the step in λ and, with history, the line through the last two predictions
    const h = lambda(s, tNext) - lambda(s, t);
    let d: tf.Tensor = x0Pred;
    if (history) {
      const r = (lambda(s, t) - lambda(s, history.tLast)) / h;
      d = x0Pred.mul(1 + 1 / (2 * r)).sub(history.x0Pred.mul(1 / (2 * r)));
    }
    // 4. x_{t'} = (σ_{t'}/σ_t) x_t − α_{t'} (e^{−h} − 1) D, with e^{−h} − 1 = expm1(−h)
    const prev = xT.mul(sigma(s, tNext) / sigma(s, t)).add(d.mul(-alpha(s, tNext) * Math.expm1(-h)));
    return { prev, x0Pred, carry: x0Pred.clone() };
  });
}

/** DPM-Solver++(2M) with `spec.steps` network calls (at most N). */
export function dpmSolverSampler(spec: SamplerSpecOf<'dpm-solver'>, schedule: DdpmSchedule): Sampler {
  const timesteps = ddimTimesteps(schedule.N, spec.steps);
  return {
    spec,
    info: infoOf(DPM_SOLVER_INFO.kind),
    label: specLabel(spec, schedule.N),
    prediction: 'eps',
    timesteps,
    nfe: timesteps.length,
    noise: false,
    guidance: DPM_SOLVER_INFO.guidance,
    step: (eps, index, xT, opts) =>
      dpmSolverStep(
        schedule,
        eps,
        timesteps[index],
        timesteps[index + 1] ?? 0,
        xT,
        opts.carry && index > 0 ? { x0Pred: opts.carry, tLast: timesteps[index - 1] } : null,
      ),
  };
}
