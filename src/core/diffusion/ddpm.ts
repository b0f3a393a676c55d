/**
 * The DDPM schedule (Ho et al. 2020, DESIGN §2.3) and the ε-network's prediction of x̂₀.
 * The samplers that use them are one file each under ./samplers/ (ancestral DDPM, DDIM,
 * DPM-Solver++); `sampleDdpm` runs one of them with an ε-network through the pipeline.
 *
 * Notation (name here -> name in the papers), t = 1..N, index 0 holds x_0's values:
 *   betas[t]      -> β_t, linear from 1e-4 to 0.02
 *   alphaBars[t]  -> ᾱ_t = Π_{s≤t} (1 − β_s)
 *   eps           -> ε_θ(x_t, t), the network's noise prediction
 *   x0Pred        -> x̂₀ = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t, clipped to [−1, 1]
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import type { Network } from '../models/network';
import type { EpsNetConfig } from '../models/epsNet';
import { epsDenoiser } from './denoiser';
import { epsGuidanceHooks } from './guidance';
import { runSampler } from './pipeline';
import { createSampler } from './samplers/registry';
import type { DdpmSamplerSpec } from './samplers/specs';

export interface DdpmSchedule {
  readonly N: number;
  readonly betas: Float64Array;
  readonly alphaBars: Float64Array;
}

export function ddpmSchedule(N = 1000, betaStart = 1e-4, betaEnd = 0.02): DdpmSchedule {
  const betas = new Float64Array(N + 1);
  const alphaBars = new Float64Array(N + 1);
  alphaBars[0] = 1;
  for (let t = 1; t <= N; t++) {
    betas[t] = N === 1 ? betaStart : betaStart + ((betaEnd - betaStart) * (t - 1)) / (N - 1);
    alphaBars[t] = alphaBars[t - 1] * (1 - betas[t]);
  }
  return { N, betas, alphaBars };
}

/** x̂₀ from x_t and the predicted noise, clipped to the data range. */
export function predictX0(s: DdpmSchedule, xT: tf.Tensor, eps: tf.Tensor, t: number): tf.Tensor {
  const ab = s.alphaBars[t];
  return tf.tidy(() => xT.sub(eps.mul(Math.sqrt(1 - ab))).div(Math.sqrt(ab)).clipByValue(-1, 1));
}

export interface DdpmStep {
  /** Index of this step in the run (0-based) and the number of steps. */
  readonly index: number;
  readonly count: number;
  readonly t: number;
  readonly xT: tf.Tensor4D;
  readonly x0Pred: tf.Tensor4D;
  readonly xPrev: tf.Tensor4D;
}

export interface DdpmSampleOptions {
  readonly batch: number;
  readonly rng: Rng;
  /** Any DDPM-family sampler spec (samplers/specs.ts), e.g. { kind: 'ddim', steps: 50, eta: 0 }. */
  readonly sampler: DdpmSamplerSpec;
  /** Called every `every` steps and at the last one (long runs show every k-th frame). */
  readonly onStep?: (step: DdpmStep) => void | Promise<void>;
  readonly every?: number;
  /** Classifier guidance hook: given x_t and t, the gradient ∇log p(y | x_t, t) (or null). */
  readonly guidance?: (xT: tf.Tensor4D, t: number) => tf.Tensor4D | null;
  readonly guidanceScale?: number;
  readonly signal?: AbortSignal;
}

/**
 * An ε-network sampled with a DDPM-family sampler through the pipeline (./pipeline.ts),
 * for callers that hold a network and a schedule; returns x_0 (the caller disposes it).
 * `guidance` and `guidanceScale` become the sampler's guidance rule (guidance.ts
 * `epsGuidanceHooks`). NFE = the sampler's number of steps.
 */
export async function sampleDdpm(net: Network<EpsNetConfig>, s: DdpmSchedule, opts: DdpmSampleOptions): Promise<tf.Tensor4D> {
  const model = epsDenoiser(net, s);
  const sampler = createSampler(opts.sampler, model);
  const every = Math.max(1, opts.every ?? 1);
  const scale = opts.guidanceScale ?? 0;
  const grad = opts.guidance;
  return (await runSampler(model, sampler, {
    batch: opts.batch,
    rng: opts.rng,
    signal: opts.signal,
    guidance: grad && scale !== 0 ? epsGuidanceHooks(sampler.guidance, s, (x, t) => grad(x as tf.Tensor4D, t), scale) : undefined,
    onStep: async (st) => {
      const last = st.index === st.count - 1;
      if (opts.onStep && (st.index % every === 0 || last)) {
        await opts.onStep({ index: st.index, count: st.count, t: st.t, xT: st.x as tf.Tensor4D, x0Pred: st.x0Pred as tf.Tensor4D, xPrev: st.prev as tf.Tensor4D });
      } else if (st.index % 25 === 0) {
        // yield now and then so a worker can see a cancel message during long runs
        await new Promise((r) => setTimeout(r, 0));
      }
    },
  })) as tf.Tensor4D;
}
