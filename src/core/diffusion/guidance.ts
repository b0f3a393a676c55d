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
 * How each sampler uses g, by its guidance rule (samplers/specs.ts), as the pipeline's hooks
 * (pipeline.ts `GuidanceHooks`; `classifierGuidance` builds them for a model and sampler):
 *   1. 'mean-shift' of an ε-sampler (DDPM ancestral): mean ← mean + s · Σ_t · g at x_t,
 *      Σ_t the posterior variance β̃_t (`meanShift`).
 *   2. 'eps-shift' (DDIM, DPM-Solver++): ε̂ = ε_θ − s · √(1 − ᾱ_t) · g (`outputShift`), the
 *      score of p(x_t) p(y | x_t)^s, which any ε-sampler can integrate.
 *   3. DD-GAN posterior step k → k − 1: mean ← mean + s · var_k · g, with g taken at the
 *      posterior mean μ = c1_k x̂₀ + c2_k x_k and the noise level σ_{k−1} of the sample the
 *      step draws (`meanShift`, from `ddganMeanShift`).
 *   4. DD-GAN last step: var_1 = 0, so no mean shift reaches x₀ = x̂₀ (nor a T = 1 model at
 *      all). There x_1 itself moves up the gradient of log p_φ(y | G(x_1, 1, z), 0), taken
 *      through the generator (`inputShift`, from `ddganLastStepGuide`).
 *
 * Where g is taken: the guided step draws x_{k−1} from p(x_{k−1} | x_k) p(y | x_{k−1}), and
 * the paper's derivation expands log p(y | x_{k−1}) to first order around the mean μ, so
 * the gradient belongs at μ, at the noise level of x_{k−1}. Diffusion code commonly takes
 * it at x_k instead, which differs by one step out of hundreds. With T = 4 it differs by a
 * lot: σ_3 = 0.998, σ_2 = 0.960, σ_1 = 0.692, so at x_k the classifier is asked about
 * near-pure noise (held-out accuracy 12 % at k = 3, 44 % at k = 2), while at μ of the
 * step 2 → 1 it sees a σ_1 image (95 %). On the shipped T = 4 model, scale 10, 100 digits
 * toward 0..9: judge accuracy 48 % with g at x_k, 82 % with g at μ (an earlier 97.4 %
 * judge). Under the 98.7 % judge: 73–76 % with the mean shift alone (100–200 digits),
 * 95.4 % with the last-step guide (4.) as well (500 digits).
 *
 * Labels are one class for the whole batch or one per example. Every function here is
 * synchronous and keeps its intermediates inside tf.tidy; the returned tensor belongs to
 * the caller (the samplers call the hooks inside their own tidy).
 */
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import { sigmaInput, type NoisyClassifierConfig } from '../models/noisyClassifier';
import type { DdpmSchedule } from './ddpm';
import type { DdganSchedule } from './schedule';
import { posteriorMean } from './ddgan';
import type { Denoiser } from './denoiser';
import { ddganNoiseLevel, ddpmNoiseLevel } from './noiseLevel';
import type { GuidanceHooks } from './pipeline';
import type { Sampler } from './samplers/sampler';
import type { GuidanceRule } from './samplers/specs';

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
 * (x_t, t) ↦ ∇ log p_φ(y | x_t, σ_t) for an ε-network's schedule, unscaled: the gradient
 * `epsGuidanceHooks` turns into a sampler's hook (and `sampleDdpm`'s `guidance` option).
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

/** Gradient steps on x_1 of `ddganLastStepGuide` (each one generator pass forward and back). */
export const LAST_STEP_GUIDE_ITERATIONS = 5;

/**
 * Examples per backward pass through the generator in `ddganLastStepGuide`: the pass keeps
 * every activation of G, which at a few hundred examples outgrows the wasm heap.
 */
export const LAST_STEP_GUIDE_CHUNK = 50;

/**
 * The `inputShift` hook of `sampleDdgan`: classifier guidance of the last step, which the
 * posterior mean shift cannot reach (var_1 = 0: x₀ is the generator's x̂₀ itself). Before
 * the generator's last call, x_1 takes `iterations` gradient-ascent steps on the guide's
 * log-probability of the image the generator would make from it, with the step's z:
 *
 *   x_1 ← x_1 + s · σ_1² · ∇_{x_1} log p_φ(y | G(x_1, 1, z), σ = 0)
 *
 * The step mirrors the posterior shift (scale s, variance σ_1² of x_1). The gradient goes
 * through the generator, so the change it makes to x₀ stays within what G draws instead of
 * being a pixel pattern that only the guide reads. Returns null at k > 1 and at s = 0.
 * Examples are independent (per-example normalisation in G and the classifier), so the
 * batch is processed in chunks of `LAST_STEP_GUIDE_CHUNK`.
 */
export function ddganLastStepGuide(
  classifier: Network<NoisyClassifierConfig>,
  generator: Network<GeneratorConfig>,
  schedule: DdganSchedule,
  labels: ClassLabels,
  scale: number,
  iterations = LAST_STEP_GUIDE_ITERATIONS,
): (xK: tf.Tensor4D, k: number, z: tf.Tensor2D) => tf.Tensor4D | null {
  return (xK, k, z) => {
    if (k !== 1 || scale === 0 || iterations <= 0) return null;
    checkImageShape(classifier, xK);
    const batch = xK.shape[0];
    const ys = labelsFor(labels, batch, classifier.config.numClasses);
    const step = scale * (1 - schedule.alphaBars[1]);
    const parts: tf.Tensor4D[] = [];
    try {
      for (let start = 0; start < batch; start += LAST_STEP_GUIDE_CHUNK) {
        const size = Math.min(LAST_STEP_GUIDE_CHUNK, batch - start);
        parts.push(
          tf.tidy(() => {
            const zPart = z.slice([start, 0], [size, -1]);
            const yPart = ys.slice(start, start + size);
            const kVec = tf.fill([size], 1, 'int32');
            const logProbSum = (input: tf.Tensor): tf.Tensor =>
              classLogProb(classifier, generator.apply(input as tf.Tensor4D, kVec, zPart) as tf.Tensor4D, 0, yPart).sum();
            const gradOf = tf.grad(logProbSum);
            let x = xK.slice([start, 0, 0, 0], [size, -1, -1, -1]) as tf.Tensor4D;
            for (let i = 0; i < iterations; i++) x = x.add(gradOf(x).mul(step)) as tf.Tensor4D;
            return x;
          }),
        );
      }
      return parts.length === 1 ? parts[0] : (tf.concat(parts, 0) as tf.Tensor4D);
    } finally {
      if (parts.length > 1) tf.dispose(parts);
    }
  };
}

/**
 * The hooks of an ε-network sampler guided by `grad` (x_t, t) ↦ ∇log p(y | x_t) at scale
 * s, by the sampler's rule: 'mean-shift' adds s · Σ_t · g to the step's mean (Σ_t its
 * variance), 'eps-shift' steps with ε̂ = ε − s · √(1 − ᾱ_t) · g.
 */
export function epsGuidanceHooks(
  rule: GuidanceRule,
  schedule: DdpmSchedule,
  grad: (x: tf.Tensor, t: number) => tf.Tensor | null,
  scale: number,
): GuidanceHooks {
  if (rule === 'mean-shift') {
    return {
      meanShift: (x, t, _x0Pred, variance) => {
        const g = grad(x, t);
        return g ? g.mul(scale * variance) : null;
      },
    };
  }
  return {
    outputShift: (x, t, eps) => {
      const g = grad(x, t);
      return g ? eps.sub(g.mul(scale * Math.sqrt(1 - schedule.alphaBars[t]))) : null;
    },
  };
}

/** Classifier guidance of one run: the pipeline's hooks and what they cost per image. */
export interface ClassifierGuidance {
  readonly hooks: GuidanceHooks;
  /** Extra network passes per image (DD-GAN's last-step guide goes through G). */
  readonly extraNetworkCalls: number;
  /** Classifier gradients per image. */
  readonly classifierCalls: number;
}

/**
 * Classifier guidance toward `labels` at scale s for `model` sampled by `sampler`: the
 * DD-GAN's posterior mean shift and last-step guide (3. and 4. above), or an ε-sampler's
 * rule (1. or 2.). Scale 0 gives no hooks and costs nothing.
 */
export function classifierGuidance(
  classifier: Network<NoisyClassifierConfig>,
  model: Denoiser,
  sampler: Sampler,
  labels: ClassLabels,
  scale: number,
): ClassifierGuidance {
  if (scale === 0) return { hooks: {}, extraNetworkCalls: 0, classifierCalls: 0 };
  if (model.family === 'ddgan') {
    const G = model.network;
    if (G.config.kind !== 'ddgan-generator') throw new Error(`classifier guidance steers image generators, not ${G.config.kind}`);
    const schedule = model.schedule;
    const shift = ddganMeanShift(classifier, schedule, labels, scale);
    return {
      hooks: {
        meanShift: (x, k, x0Pred) => shift(x as tf.Tensor4D, k, x0Pred as tf.Tensor4D),
        inputShift: ddganLastStepGuide(classifier, G as Network<GeneratorConfig>, schedule, labels, scale) as GuidanceHooks['inputShift'],
      },
      extraNetworkCalls: LAST_STEP_GUIDE_ITERATIONS,
      classifierCalls: schedule.T - 1 + LAST_STEP_GUIDE_ITERATIONS,
    };
  }
  const grad = ddpmGuidance(classifier, model.schedule, labels);
  return {
    hooks: epsGuidanceHooks(sampler.guidance, model.schedule, (x, t) => grad(x as tf.Tensor4D, t), scale),
    extraNetworkCalls: 0,
    classifierCalls: sampler.nfe,
  };
}
