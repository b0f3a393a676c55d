/**
 * Batched, seeded generation from a loaded checkpoint: a DD-GAN generator (T steps) or a
 * DDPM ε-network with any sampler of its family (samplers/specs.ts: ancestral, DDIM,
 * DPM-Solver++), optionally steered toward a class by a noise-aware classifier (classifier
 * guidance, guidance.ts). Both go through the one sampling pipeline (pipeline.ts). The
 * sample and eval commands draw through this module, so both get the same images for a seed.
 *
 * Reproducibility: one `Rng(seed)` feeds every batch in order, so a (checkpoint, sampler,
 * guidance, seed, batch size, backend) reproduces the same pixels. The batch size matters
 * because the sampler draws each step's noise for a whole batch at once.
 */
import * as tf from '@tensorflow/tfjs';
import { classifierGuidance } from './guidance';
import { denoiserOf, type Denoiser } from './denoiser';
import { SamplingAborted, runSampler } from './pipeline';
import type { Sampler } from './samplers/sampler';
import { createSampler } from './samplers/registry';
import { defaultSpec, type DdpmSamplerSpec, type SamplerSpec } from './samplers/specs';
import type { LoadedCheckpoint } from '../models/checkpoint';
import type { EpsNetConfig } from '../models/epsNet';
import type { GeneratorConfig } from '../models/generator';
import type { Network } from '../models/network';
import type { NoisyClassifierConfig } from '../models/noisyClassifier';
import { Rng } from '../rng';

/** DDPM runs keep about this many frames (every k-th step and the last). */
export const DDPM_FRAME_COUNT = 10;
/** The sampler a DDPM checkpoint gets when none is named: 50 deterministic DDIM steps. */
export const DEFAULT_DDPM_SAMPLER: DdpmSamplerSpec = defaultSpec('ddim');

/** What draws the images: a checkpoint's network (with its schedule) and a sampler for it. */
export interface ImageSource {
  readonly model: Denoiser;
  readonly sampler: Sampler;
}

/** Classifier guidance of a run: toward one class, or one class per sample (length n). */
export interface Guidance {
  readonly classifier: Network<NoisyClassifierConfig>;
  readonly labels: number | readonly number[];
  readonly scale: number;
}

export interface GenerateOptions {
  readonly n: number;
  readonly batch: number;
  readonly seed: number;
  /** Keep x_k and x̂₀ of the recorded steps for the first `frameSamples` samples. */
  readonly frameSamples?: number;
  /**
   * Run one untimed batch of 1 first (own random stream, so the samples do not change):
   * the first call allocates backend memory and would otherwise count in the timing.
   * DDPM runs only two steps of it (every step has the same shapes).
   */
  readonly warmup?: boolean;
  readonly guide?: Guidance;
  readonly onBatch?: (done: number, n: number) => void;
}

export interface StepFrames {
  /** The step of the input: DD-GAN k (x_k → x_{k−1}) or DDPM t (x_t → the next step). */
  readonly k: number;
  /** x_k and x̂₀ for the first frameSamples samples, NHWC in [−1, 1]-ish (x_k is noise). */
  readonly xK: Float32Array;
  readonly x0Pred: Float32Array;
}

export interface GeneratedImages {
  /** n × size × size × channels floats, NHWC, in [−1, 1]. */
  readonly images: Float32Array;
  readonly n: number;
  readonly size: number;
  readonly channels: number;
  /** Steps of the sampler: DD-GAN T, or the DDPM sampler's step count. */
  readonly T: number;
  /** Network evaluations per image (generator or ε-network calls). */
  readonly nfe: number;
  /** Classifier gradients per image (0 unguided). */
  readonly classifierCalls: number;
  /** e.g. 'DD-GAN T = 4', 'DDIM-50 (η = 0)', 'DDPM-1000 ancestral' (samplers/specs.ts labels). */
  readonly sampler: string;
  /** Sampler wall time for all n images, including the read-back of each batch. */
  readonly seconds: number;
  /** Recorded steps, first to last (empty unless frameSamples > 0). */
  readonly frames: StepFrames[];
}

export function generatorOf(ck: LoadedCheckpoint): Network<GeneratorConfig> {
  const g = ck.networks.generator;
  if (!g || g.config.kind !== 'ddgan-generator') {
    const kinds = Object.entries(ck.networks).map(([k, n]) => `${k}: ${n.config.kind}`).join(', ');
    throw new Error(`checkpoint "${ck.meta.name}" has no DD-GAN generator (it holds ${kinds || 'no networks'})`);
  }
  return g as Network<GeneratorConfig>;
}

/** The DDPM ε-network of a checkpoint, if it has one. */
export function epsNetOf(ck: LoadedCheckpoint): Network<EpsNetConfig> | null {
  const net = Object.values(ck.networks).find((n) => n.config.kind === 'ddpm-eps');
  return (net as Network<EpsNetConfig> | undefined) ?? null;
}

/**
 * The image source of a checkpoint: its DD-GAN generator with its own sampler, or its
 * DDPM ε-network with `sampler` (default DEFAULT_DDPM_SAMPLER), each over the schedule of
 * its model.json (`scheduleFromMeta`). A DDPM sampler for a DD-GAN is an error, and so is
 * a step count the ε-network's schedule does not have.
 */
export function sourceOf(ck: LoadedCheckpoint, sampler?: SamplerSpec): ImageSource {
  const model = denoiserOf(ck);
  if (model.family === 'ddgan') {
    if (sampler && sampler.kind !== 'ddgan') {
      throw new Error(`checkpoint "${ck.meta.name}" is a DD-GAN (T = ${model.schedule.T}); --sampler and its options apply to DDPM checkpoints`);
    }
    return { model, sampler: createSampler(defaultSpec('ddgan'), model) };
  }
  return { model, sampler: createSampler(sampler ?? DEFAULT_DDPM_SAMPLER, model) };
}

/** Label of the source's sampler, e.g. 'DDIM-50 (η = 0)'. */
export function samplerLabel(source: ImageSource): string {
  return source.sampler.label;
}

/** Classifier guidance of one batch (hooks and their cost per image). */
function guidanceFor(source: ImageSource, guide: Guidance, labels: number | readonly number[]) {
  return classifierGuidance(guide.classifier, source.model, source.sampler, labels, guide.scale);
}

/** The labels of samples start … start + b − 1. */
function batchLabels(labels: number | readonly number[], start: number, b: number): number | number[] {
  return typeof labels === 'number' ? labels : labels.slice(start, start + b);
}

interface BatchRun {
  readonly batch: number;
  readonly rng: Rng;
  readonly labels?: number | number[];
  readonly onStep?: (index: number, xK: tf.Tensor4D, x0Pred: tf.Tensor4D) => Promise<void>;
  /** Stop after this many steps (warm-up). */
  readonly maxSteps?: number;
}

/** One batch through the source's sampler; returns x₀, or null when stopped by maxSteps. */
async function runBatch(source: ImageSource, guide: Guidance | undefined, run: BatchRun): Promise<tf.Tensor4D | null> {
  const stop = new AbortController();
  let done = 0;
  try {
    return (await runSampler(source.model, source.sampler, {
      batch: run.batch,
      rng: run.rng,
      signal: stop.signal,
      guidance: guide ? guidanceFor(source, guide, run.labels!).hooks : undefined,
      onStep:
        run.onStep || run.maxSteps !== undefined
          ? async (s) => {
              await run.onStep?.(s.index, s.x as tf.Tensor4D, s.x0Pred as tf.Tensor4D);
              if (run.maxSteps !== undefined && ++done >= run.maxSteps) stop.abort();
            }
          : undefined,
    })) as tf.Tensor4D;
  } catch (e) {
    if (e instanceof SamplingAborted && stop.signal.aborted) return null;
    throw e;
  }
}

/** Draws n samples from `source` in batches with one seeded random stream. */
export async function generateImages(source: ImageSource, opts: GenerateOptions): Promise<GeneratedImages> {
  const { n, batch, seed, guide } = opts;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive whole number, got ${n}`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive whole number, got ${batch}`);
  if (guide && typeof guide.labels !== 'number' && guide.labels.length !== n) {
    throw new Error(`${guide.labels.length} class labels for ${n} samples`);
  }
  const [size, , channels] = source.model.exampleShape;
  const steps = source.sampler.timesteps;
  const per = size * size * channels;
  const frameSamples = Math.min(opts.frameSamples ?? 0, n);
  // DD-GAN: every step; DDPM: every k-th step and the last.
  const every = source.model.family === 'ddgan' ? 1 : Math.max(1, Math.ceil(steps.length / DDPM_FRAME_COUNT));
  const frameAt = new Map<number, StepFrames>();
  const frames: StepFrames[] = [];
  if (frameSamples > 0) {
    steps.forEach((k, i) => {
      if (i % every !== 0 && i !== steps.length - 1) return;
      const f = { k, xK: new Float32Array(frameSamples * per), x0Pred: new Float32Array(frameSamples * per) };
      frameAt.set(i, f);
      frames.push(f);
    });
  }

  if (opts.warmup) {
    const x = await runBatch(source, guide, {
      batch: 1,
      rng: new Rng(seed ^ 0x5eed),
      labels: guide ? batchLabels(guide.labels, 0, 1) : undefined,
      maxSteps: source.model.family === 'ddpm' ? 2 : undefined,
    });
    if (x) {
      await x.data();
      x.dispose();
    }
  }

  const images = new Float32Array(n * per);
  const rng = new Rng(seed);
  const t0 = performance.now();
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    // Only batches that hold some of the first frameSamples samples need their steps read back.
    const keep = Math.max(0, Math.min(b, frameSamples - start));
    const onStep = keep > 0
      ? async (index: number, xK: tf.Tensor4D, x0Pred: tf.Tensor4D) => {
          const f = frameAt.get(index);
          if (!f) return;
          const [xk, x0] = await Promise.all([xK.data(), x0Pred.data()]);
          f.xK.set((xk as Float32Array).subarray(0, keep * per), start * per);
          f.x0Pred.set((x0 as Float32Array).subarray(0, keep * per), start * per);
        }
      : undefined;
    const x0 = (await runBatch(source, guide, { batch: b, rng, onStep, labels: guide ? batchLabels(guide.labels, start, b) : undefined }))!;
    try {
      images.set((await x0.data()) as Float32Array, start * per);
    } finally {
      x0.dispose();
    }
    opts.onBatch?.(start + b, n);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cost = guide ? guidanceFor(source, guide, guide.labels) : null;
  return {
    images,
    n,
    size,
    channels,
    T: steps.length,
    nfe: source.sampler.nfe + (cost?.extraNetworkCalls ?? 0),
    classifierCalls: cost?.classifierCalls ?? 0,
    sampler: source.sampler.label,
    seconds,
    frames,
  };
}

/** Class labels for n samples: one class, or 'all' (sample i gets class i mod numClasses). */
export function classLabels(classes: number | 'all', n: number, numClasses: number): number | number[] {
  if (classes === 'all') return Array.from({ length: n }, (_, i) => i % numClasses);
  if (!Number.isInteger(classes) || classes < 0 || classes >= numClasses) {
    throw new RangeError(`--class ${classes} is not one of the guide's classes 0..${numClasses - 1} (or "all")`);
  }
  return classes;
}
