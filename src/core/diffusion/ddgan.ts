/**
 * DD-GAN forward-process sampling and the posterior step, as tensor ops.
 *
 * Names follow DESIGN §2.1 and the official code: `qSample` draws x_k from the marginal
 * q(x_k | x_0); `qSamplePairs` draws the training pair (x_{k−1}, x_k); `samplePosterior`
 * draws x_{k−1} ~ q(x_{k−1} | x_k, x̂₀). Every function takes its noise explicitly, so a
 * caller decides where randomness comes from.
 *
 * `k` is a per-example Int32 tensor of step indices in 1..T (or a single number).
 */
import * as tf from '@tensorflow/tfjs';
import type { DdganSchedule } from './schedule';

export type StepIndex = tf.Tensor1D | number;

/** Gathers `table[k]` per example and shapes it to broadcast over an NHWC (or N×D) batch. */
export function extract(table: Float64Array, k: StepIndex, rank: number): tf.Tensor {
  return tf.tidy(() => {
    const shape = [-1, ...new Array(rank - 1).fill(1)];
    if (typeof k === 'number') {
      return tf.scalar(table[k], 'float32').reshape(new Array(rank).fill(1));
    }
    return tf.gather(tf.tensor1d(Array.from(table), 'float32'), k).reshape(shape);
  });
}

/** x_k = √ᾱ_k x_0 + √(1−ᾱ_k) ε. */
export function qSample(s: DdganSchedule, x0: tf.Tensor, k: StepIndex, noise: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    extract(s.sqrtAlphaBars, k, x0.rank).mul(x0).add(extract(s.sqrtOneMinusAlphaBars, k, x0.rank).mul(noise)),
  );
}

/**
 * The training pair: x_{k−1} from the marginal at k − 1, then one forward step
 * x_k = √(1−β_k) x_{k−1} + √β_k ε′. Returns [xPrev, xK].
 */
export function qSamplePairs(
  s: DdganSchedule,
  x0: tf.Tensor,
  k: tf.Tensor1D,
  noisePrev: tf.Tensor,
  noiseStep: tf.Tensor,
): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const kPrev = k.sub(tf.scalar(1, 'int32')) as tf.Tensor1D;
    const xPrev = qSample(s, x0, kPrev, noisePrev);
    const sqrtOneMinusBeta = s.betas.map((b) => Math.sqrt(1 - b));
    const sqrtBeta = s.betas.map(Math.sqrt);
    const xK = extract(sqrtOneMinusBeta, k, x0.rank).mul(xPrev).add(extract(sqrtBeta, k, x0.rank).mul(noiseStep));
    return [xPrev, xK];
  });
}

/** Mean of q(x_{k−1} | x_k, x₀): c1_k x₀ + c2_k x_k. */
export function posteriorMean(s: DdganSchedule, x0: tf.Tensor, xK: tf.Tensor, k: StepIndex): tf.Tensor {
  return tf.tidy(() =>
    extract(s.posteriorC1, k, x0.rank).mul(x0).add(extract(s.posteriorC2, k, x0.rank).mul(xK)),
  );
}

/**
 * x_{k−1} ~ q(x_{k−1} | x_k, x₀). At k = 1 the posterior has zero variance, so the result
 * is exactly x₀ (the official code masks the noise there; here the std table is 0).
 * `meanShift`, when given, is added to the mean (classifier guidance: s·Σ·∇log p).
 */
export function samplePosterior(
  s: DdganSchedule,
  x0: tf.Tensor,
  xK: tf.Tensor,
  k: StepIndex,
  noise: tf.Tensor,
  meanShift?: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    let mean = posteriorMean(s, x0, xK, k);
    if (meanShift) mean = mean.add(meanShift);
    return mean.add(extract(s.posteriorStd, k, x0.rank).mul(noise));
  });
}
