/**
 * Training of the noise-aware classifier p_φ(y | x, σ) for classifier guidance:
 * cross-entropy on noised training digits x = √(1 − σ²) x₀ + σ ε, Adam, the clean
 * classifier's random-translation augmentation.
 *
 * The noise levels cover both samplers the classifier guides:
 *   1. a share `ddpmShare` of each batch: DDPM steps t ~ U{1..ddpmSteps}, σ = √(1 − ᾱ_t);
 *   2. the rest: a DD-GAN step count T drawn from `ddganT`, then k ~ U{0..T}, σ = σ_k of the
 *      marginal of x_k (k = 0 is a clean digit).
 * All randomness comes from one Rng, part of the resumable state.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, randn } from '../rng';
import { Network } from '../models/network';
import { sigmaInput, type NoisyClassifierConfig } from '../models/noisyClassifier';
import { batchTensor, randomIndices, type ImageDataset } from '../data/dataset';
import { ddpmSchedule, type DdpmSchedule } from '../diffusion/ddpm';
import { ddganNoiseLevels, ddpmNoiseLevel, noiseToLevel, type NoiseLevelSample } from '../diffusion/noiseLevel';
import { loadOneOptimizerState, oneOptimizerStateJson, oneOptimizerStateTensors, type OneOptimizerStateJson } from './trainerState';
import { Adam } from './adam';
import { shift } from './classifierTrainer';
import { TrainingDiverged } from './ganStep';
import { gradsByName } from './ema';

export interface NoisyClassifierTrainConfig {
  readonly batch: number;
  readonly lr: number;
  /** Maximum shift in pixels of the random translation (0 = none). */
  readonly maxShift: number;
  /** Share of each batch noised to DDPM levels; the rest gets DD-GAN levels. */
  readonly ddpmShare: number;
  /** Steps of the DDPM schedule (linear β, 1e-4 → 0.02). */
  readonly ddpmSteps: number;
  /** DD-GAN step counts whose levels are drawn (k = 0..T of each). */
  readonly ddganT: readonly number[];
  readonly seed: number;
}

export function defaultNoisyClassifierTrainConfig(overrides: Partial<NoisyClassifierTrainConfig> = {}): NoisyClassifierTrainConfig {
  return { batch: 64, lr: 2e-3, maxShift: 2, ddpmShare: 0.5, ddpmSteps: 1000, ddganT: [1, 2, 4, 8], seed: 0, ...overrides };
}

export interface NoisyClassifierStepStats {
  readonly iteration: number;
  readonly loss: number;
  /** Batch accuracy over all its noise levels. */
  readonly accuracy: number;
  readonly lr: number;
  readonly ms: number;
}

/** Per example of a batch: σ from the DDPM half, then from the DD-GAN half (see the top). */
export function drawNoiseLevels(
  config: Pick<NoisyClassifierTrainConfig, 'batch' | 'ddpmShare' | 'ddganT'>,
  ddpm: DdpmSchedule,
  ddganLevels: readonly (readonly number[])[],
  rng: Rng,
): Float32Array {
  const { batch } = config;
  const nDdpm = Math.round(config.ddpmShare * batch);
  const sigmas = new Float32Array(batch);
  for (let i = 0; i < batch; i++) {
    if (i < nDdpm) {
      sigmas[i] = ddpmNoiseLevel(ddpm, 1 + rng.int(ddpm.N));
    } else {
      const levels = ddganLevels[rng.int(ddganLevels.length)];
      sigmas[i] = levels[rng.int(levels.length)];
    }
  }
  return sigmas;
}

export class NoisyClassifierTrainer {
  readonly opt: Adam;
  readonly rng: Rng;
  readonly ddpm: DdpmSchedule;
  /** σ_k for k = 0..T of each T in config.ddganT. */
  readonly ddganLevels: number[][];
  iteration = 0;

  constructor(
    readonly net: Network<NoisyClassifierConfig>,
    readonly data: ImageDataset,
    readonly config: NoisyClassifierTrainConfig,
  ) {
    if (!data.labels) throw new Error(`data set ${data.name} has no labels`);
    if (data.size !== net.config.imageSize || data.channels !== net.config.channels) {
      throw new Error(`data are ${data.size}×${data.size}×${data.channels}, the classifier takes ${net.config.imageSize}×${net.config.imageSize}×${net.config.channels}`);
    }
    if (config.ddganT.length === 0 && config.ddpmShare < 1) throw new Error('ddganT is empty but part of the batch needs DD-GAN noise levels');
    this.opt = new Adam(net.params, { lr: config.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    this.rng = new Rng(config.seed);
    this.ddpm = ddpmSchedule(config.ddpmSteps);
    this.ddganLevels = config.ddganT.map((T) => ddganNoiseLevels(T));
  }

  static create(netConfig: NoisyClassifierConfig, data: ImageDataset, config: NoisyClassifierTrainConfig): NoisyClassifierTrainer {
    return new NoisyClassifierTrainer(Network.create(netConfig, config.seed * 2 + 7), data, config);
  }

  /** One step at learning rate `lr` (default: the configured one). */
  async step(lr = this.config.lr): Promise<NoisyClassifierStepStats> {
    const t0 = performance.now();
    const { batch, maxShift } = this.config;
    const cfg = this.net.config;
    const idx = randomIndices(this.data.count, batch, this.rng);
    const labels = Array.from(idx, (i) => this.data.labels![i]);
    const dy = maxShift ? this.rng.int(2 * maxShift + 1) - maxShift : 0;
    const dx = maxShift ? this.rng.int(2 * maxShift + 1) - maxShift : 0;
    const sigmas = drawNoiseLevels(this.config, this.ddpm, this.ddganLevels, this.rng);
    const noise = randn([batch, cfg.imageSize, cfg.imageSize, cfg.channels], this.rng) as tf.Tensor4D;
    const [loss, acc] = tf.tidy(() => {
      const x = noiseToLevel(shift(batchTensor(this.data, idx), dy, dx), sigmas, noise);
      const sigma = sigmaInput(sigmas, batch);
      const yTrue = tf.tensor1d(labels, 'int32');
      const y = tf.oneHot(yTrue, cfg.numClasses);
      let logits: tf.Tensor = tf.zeros([1]);
      const { value, grads } = tf.variableGrads(() => {
        logits = tf.keep(this.net.apply(x, sigma));
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      }, this.net.params.list());
      const named = gradsByName(this.net, grads);
      this.opt.apply(named, lr);
      const correct = logits.argMax(1).equal(yTrue).cast('float32').mean();
      logits.dispose(); // kept out of variableGrads' scope, so tidy would not free it
      return [value, correct];
    });
    noise.dispose();
    const [l, a] = await Promise.all([loss.data(), acc.data()]);
    tf.dispose([loss, acc]);
    const iteration = ++this.iteration;
    if (!Number.isFinite(l[0])) throw new TrainingDiverged(`training diverged at iteration ${iteration}: loss is ${l[0]}`, iteration);
    return { iteration, loss: l[0], accuracy: a[0], lr, ms: performance.now() - t0 };
  }

  stateTensors(): Record<string, tf.Tensor> {
    return oneOptimizerStateTensors(this);
  }

  stateJson(): OneOptimizerStateJson {
    return oneOptimizerStateJson(this);
  }

  loadState(json: OneOptimizerStateJson, tensors: Record<string, tf.Tensor>): void {
    loadOneOptimizerState(this, json, tensors);
  }

  dispose(): void {
    this.opt.dispose();
    this.net.dispose();
  }
}

/** Cosine decay from `lr` to 5 % of it over `iters` iterations (the clean classifier's schedule). */
export function cosineLr(lr: number, iteration: number, iters: number): number {
  const p = Math.min(1, iteration / Math.max(1, iters));
  return lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

export interface NoiseLevelAccuracy extends NoiseLevelSample {
  readonly accuracy: number;
}

/**
 * Accuracy on a labelled set at each noise level, with noise from `Rng(seed)` (the same
 * noise for every level, so the levels differ only in σ). Deterministic for a seed.
 */
export async function accuracyAtNoiseLevels(
  net: Network<NoisyClassifierConfig>,
  data: ImageDataset,
  levels: readonly NoiseLevelSample[],
  seed = 0,
  batch = 250,
): Promise<NoiseLevelAccuracy[]> {
  if (!data.labels) throw new Error(`data set ${data.name} has no labels`);
  const cfg = net.config;
  const correct = new Array<number>(levels.length).fill(0);
  const rng = new Rng(seed);
  for (let start = 0; start < data.count; start += batch) {
    const b = Math.min(batch, data.count - start);
    const idx = Array.from({ length: b }, (_, i) => start + i);
    const noise = randn([b, cfg.imageSize, cfg.imageSize, cfg.channels], rng) as tf.Tensor4D;
    const x0 = batchTensor(data, idx);
    try {
      for (let j = 0; j < levels.length; j++) {
        const sigmas = new Array<number>(b).fill(levels[j].sigma);
        const pred = tf.tidy(() => net.apply(noiseToLevel(x0, sigmas, noise), sigmaInput(sigmas, b)).argMax(1));
        const p = await pred.data();
        pred.dispose();
        for (let i = 0; i < b; i++) if (p[i] === data.labels[start + i]) correct[j]++;
      }
    } finally {
      tf.dispose([noise, x0]);
    }
  }
  return levels.map((l, j) => ({ ...l, accuracy: correct[j] / data.count }));
}
