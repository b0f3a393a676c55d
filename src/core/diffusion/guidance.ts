/**
 * Classifier guidance (Dhariwal & Nichol 2021; DESIGN §2.4): the gradient of a noise-aware
 * classifier's log-probability steers an unconditional sampler toward a chosen class.
 *
 * Notation (name here -> name in the paper):
 *   classifier  -> p_φ(y | x, σ), a 'noisy-classifier' network (models/noisyClassifier.ts)
 *   sigma       -> the noise level of x, σ = √(1 − ᾱ) (noiseLevel.ts)
 *   grad        -> g = ∇_x log p_φ(y | x, σ), per example
 *   scale       -> s, the guidance scale (0 = unguided)
 *
 * How each sampler uses g (the hooks already exist in the samplers):
 *   1. DDPM ancestral: mean ← mean + s · Σ_t · g at x_t, Σ_t the posterior variance β̃_t
 *      (`sampleDdpm` with `guidance: ddpmGuidance(…)` and `guidanceScale: s`).
 *   2. DDIM: ε̂ = ε_θ − s · √(1 − ᾱ_t) · g (the same two options; ddpm.ts picks the rule).
 *   3. DD-GAN posterior step k → k − 1: mean ← mean + s · var_k · g, with g taken at the
 *      posterior mean μ = c1_k x̂₀ + c2_k x_k and the noise level σ_{k−1} of the sample the
 *      step draws (`sampleDdgan` with `meanShift: ddganMeanShift(…)`). var_1 = 0, so the
 *      last step (and a T = 1 model altogether) cannot be guided.
 *
 * Where g is taken: the guided step draws x_{k−1} from p(x_{k−1} | x_k) p(y | x_{k−1}), and
 * the paper's derivation expands log p(y | x_{k−1}) to first order around the mean μ, so
 * the gradient belongs at μ, at the noise level of x_{k−1}. Diffusion code commonly takes
 * it at x_k instead, which differs by one step out of hundreds. With T = 4 it differs by a
 * lot: σ_3 = 0.998, σ_2 = 0.960, σ_1 = 0.692, so at x_k the classifier is asked about
 * near-pure noise (held-out accuracy 12 % at k = 3, 44 % at k = 2), while at μ of the
 * step 2 → 1 it sees a σ_1 image (95 %). On the shipped T = 4 model, scale 10, 100 digits
 * toward 0..9: judge accuracy 48 % with g at x_k, 82 % with g at μ.
 *
 * Labels are one class for the whole batch or one per example. Every function here is
 * synchronous and keeps its intermediates inside tf.tidy; the returned tensor belongs to
 * the caller (the samplers call the hooks inside their own tidy).
 */
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../models/network';
import { sigmaInput, type NoisyClassifierConfig } from '../models/noisyClassifier';
import type { DdpmSchedule } from './ddpm';
import type { DdganSchedule } from './schedule';
import { posteriorMean } from './ddgan';
import { ddganNoiseLevel, ddpmNoiseLevel } from './noiseLevel';

/** One class for every example, or one class per example (length = batch). */
export type ClassLabels = number | readonly number[];

/** The class of every example of a batch, checked against the classifier's classes. */
export function labelsFor(labels: ClassLabels, batch: number, numClasses: number): number[] {
  const list = typeof labels === 'number' ? new Array<number>(batch).fill(labels) : [...labels];
  if (list.length !== batch) throw new Error(`${list.length} class labels for a batch of ${batch}`);
  for (const y of list) {
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new RangeError(`class ${y} is not one of the classifier's classes 0..${numClasses - 1}`);
    }
  }
  return list;
}

/** log p_φ(y_i | x_i, σ_i) per example, [B]. */
export function classLogProb(
  classifier: Network<NoisyClassifierConfig>,
  x: tf.Tensor4D,
  sigma: number | ArrayLike<number> | tf.Tensor1D,
  labels: ClassLabels,
): tf.Tensor1D {
  const batch = x.shape[0];
  const { numClasses } = classifier.config;
  const ys = labelsFor(labels, batch, numClasses);
  return tf.tidy(() => {
    const logits = classifier.apply(x, sigmaInput(sigma, batch));
    const mask = tf.oneHot(tf.tensor1d(ys, 'int32'), numClasses);
    return tf.logSoftmax(logits).mul(mask).sum(1) as tf.Tensor1D;
  });
}

/**
 * g = ∇_x log p_φ(y | x, σ), the shape of x. Examples do not interact in the classifier
 * (its normalisation is per example), so differentiating the batch sum gives each
 * example's own gradient.
 */
export function classifierGradient(
  classifier: Network<NoisyClassifierConfig>,
  x: tf.Tensor4D,
  sigma: number | ArrayLike<number> | tf.Tensor1D,
  labels: ClassLabels,
): tf.Tensor4D {
  checkImageShape(classifier, x);
  return tf.tidy(() => {
    const logProbSum = (input: tf.Tensor): tf.Tensor => classLogProb(classifier, input as tf.Tensor4D, sigma, labels).sum();
    return tf.grad(logProbSum)(x) as tf.Tensor4D;
  });
}

function checkImageShape(classifier: Network<NoisyClassifierConfig>, x: tf.Tensor4D): void {
  const cfg = classifier.config;
  const [, h, w, c] = x.shape;
  if (h !== cfg.imageSize || w !== cfg.imageSize || c !== cfg.channels) {
    throw new Error(
      `the guidance classifier takes ${cfg.imageSize}×${cfg.imageSize}×${cfg.channels} images; the sampler draws ${h}×${w}×${c}`,
    );
  }
}

/**
 * The `guidance` hook of `sampleDdpm`: (x_t, t) ↦ ∇ log p_φ(y | x_t, σ_t). The sampler
 * multiplies it by s·Σ_t (ancestral) or uses it in ε̂ (DDIM), with `guidanceScale: s`.
 */
export function ddpmGuidance(
  classifier: Network<NoisyClassifierConfig>,
  schedule: DdpmSchedule,
  labels: ClassLabels,
): (xT: tf.Tensor4D, t: number) => tf.Tensor4D {
  return (xT, t) => classifierGradient(classifier, xT, ddpmNoiseLevel(schedule, t), labels);
}

/**
 * The `meanShift` hook of `sampleDdgan`: (x_k, k, x̂₀) ↦ s · var_k · ∇ log p_φ(y | μ, σ_{k−1})
 * with μ the unshifted posterior mean, or null where it would be zero (s = 0, or k = 1
 * where the posterior has no variance), so no gradient is computed there.
 */
export function ddganMeanShift(
  classifier: Network<NoisyClassifierConfig>,
  schedule: DdganSchedule,
  labels: ClassLabels,
  scale: number,
): (xK: tf.Tensor4D, k: number, x0Pred: tf.Tensor4D) => tf.Tensor4D | null {
  return (xK, k, x0Pred) => {
    const variance = schedule.posteriorVariance[k];
    if (scale === 0 || !(variance > 0)) return null;
    return tf.tidy(() => {
      const mean = posteriorMean(schedule, x0Pred, xK, k) as tf.Tensor4D;
      return classifierGradient(classifier, mean, ddganNoiseLevel(schedule, k - 1), labels).mul(scale * variance) as tf.Tensor4D;
    });
  };
}
