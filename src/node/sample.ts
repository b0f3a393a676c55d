/**
 * Sampling a checkpoint to files (Node): the code behind `npm run sample`, and the batched
 * generation that `npm run eval` reuses, so both draw the same images for a seed.
 *
 * Two kinds of checkpoint draw images: a DD-GAN generator (T steps) and a DDPM ε-network
 * with any sampler of its family (src/core/diffusion/samplers/specs.ts: ancestral, DDIM,
 * DPM-Solver++). Either can be steered toward a class by a noise-aware classifier
 * (classifier guidance, src/core/diffusion/guidance.ts). Both go through the one sampling
 * pipeline (src/core/diffusion/pipeline.ts).
 *
 * Reproducibility: one `Rng(seed)` feeds every batch in order, so a (checkpoint, sampler,
 * guidance, seed, batch size, backend) reproduces the same pixels and hence byte-identical
 * PNGs. The batch size matters because the sampler draws each step's noise for a whole
 * batch at once.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { classifierGuidance } from '../core/diffusion/guidance';
import { denoiserOf, type Denoiser } from '../core/diffusion/denoiser';
import { SamplingAborted, runSampler } from '../core/diffusion/pipeline';
import type { Sampler } from '../core/diffusion/samplers/sampler';
import { createSampler } from '../core/diffusion/samplers/registry';
import { defaultSpec, type DdpmSamplerSpec, type SamplerSpec } from '../core/diffusion/samplers/specs';
import { disposeCheckpoint, type LoadedCheckpoint } from '../core/models/checkpoint';
import type { EpsNetConfig } from '../core/models/epsNet';
import type { GeneratorConfig } from '../core/models/generator';
import type { Network } from '../core/models/network';
import type { NoisyClassifierConfig } from '../core/models/noisyClassifier';
import { Rng } from '../core/rng';
import { loadCheckpointDir } from './checkpointDir';
import { loadGuide, type GuideSpec } from './guide';
import { gridPng, imagePng, type ImageBatch } from './png';

/** Frames are kept for at most this many samples (one grid per step stays readable). */
export const MAX_FRAME_SAMPLES = 64;
/** The overview grid shows at most this many samples. */
export const MAX_GRID_SAMPLES = 256;
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

export interface SampleToDirOptions {
  readonly checkpoint: string;
  readonly out: string;
  readonly n: number;
  readonly seed: number;
  readonly batch?: number;
  readonly frames?: boolean;
  /** DDPM checkpoints only (default DEFAULT_DDPM_SAMPLER). */
  readonly sampler?: SamplerSpec;
  /** Classifier guidance (either kind of checkpoint). */
  readonly guide?: GuideSpec;
  readonly log?: (line: string) => void;
}

export interface SampleSummary {
  readonly checkpoint: string;
  readonly checkpointDir: string;
  readonly n: number;
  readonly seed: number;
  readonly batch: number;
  /** Steps of the sampler (DD-GAN T, or the DDPM/DDIM step count). */
  readonly T: number;
  /** e.g. 'DD-GAN T = 4', 'DDIM-50 (η = 0)'. */
  readonly sampler: string;
  /** Network evaluations per image, and classifier gradients per image when guided. */
  readonly nfe: number;
  readonly classifierCalls: number;
  readonly guidance: { readonly classifier: string; readonly classes: number | 'all'; readonly scale: number } | null;
  readonly size: number;
  readonly channels: number;
  readonly backend: string;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  readonly msPerImage: number;
  readonly frames: boolean;
  readonly createdAt: string;
}

const name5 = (i: number): string => String(i).padStart(5, '0');

/**
 * Writes OUT/samples/00000.png …, OUT/grid.png (first 256, 2× scale), OUT/samples.json and,
 * with `frames`, OUT/frames/step-<k>-xk.png and step-<k>-x0pred.png for the first 64 samples
 * (k: the DD-GAN step, or the DDPM time step of every k-th recorded step).
 */
export async function sampleToDir(opts: SampleToDirOptions): Promise<SampleSummary> {
  const log = opts.log ?? (() => {});
  const batch = opts.batch ?? 64;
  const ck = await loadCheckpointDir(opts.checkpoint);
  let gen: GeneratedImages;
  let guidance: SampleSummary['guidance'] = null;
  try {
    const source = sourceOf(ck, opts.sampler);
    const [size, , channels] = source.model.exampleShape;
    const guide = opts.guide ? await loadGuide(opts.guide.dir) : null;
    try {
      if (guide && opts.guide) {
        guidance = { classifier: guide.name, classes: opts.guide.classes, scale: opts.guide.scale };
        if (source.model.family === 'ddgan' && source.model.schedule.T === 1) {
          log('note: a T = 1 DD-GAN has no posterior noise to shift (var_1 = 0), so guidance cannot change its samples');
        }
      }
      log(
        `${ck.meta.name}: ${samplerLabel(source)}, ${size}×${size}×${channels}, sampling ${opts.n} with seed ${opts.seed}` +
          (guidance ? `, guided by ${guidance.classifier} toward class ${guidance.classes} with scale ${guidance.scale}` : ''),
      );
      gen = await generateImages(source, {
        n: opts.n,
        batch,
        seed: opts.seed,
        frameSamples: opts.frames ? MAX_FRAME_SAMPLES : 0,
        guide: guide && opts.guide
          ? { classifier: guide.net, labels: classLabels(opts.guide.classes, opts.n, guide.net.config.numClasses), scale: opts.guide.scale }
          : undefined,
        onBatch: (done, n) => log(`  ${done}/${n}`),
      });
    } finally {
      if (guide) disposeCheckpoint(guide.ck);
    }
  } finally {
    disposeCheckpoint(ck);
  }
  const { n, size, channels } = gen;
  const per = size * size * channels;
  const all: ImageBatch = { data: gen.images, count: n, size, channels };

  await mkdir(path.join(opts.out, 'samples'), { recursive: true });
  for (let i = 0; i < n; i++) await writeFile(path.join(opts.out, 'samples', `${name5(i)}.png`), imagePng(all, i));
  const gridCount = Math.min(n, MAX_GRID_SAMPLES);
  await writeFile(path.join(opts.out, 'grid.png'), gridPng({ ...all, count: gridCount, data: gen.images.subarray(0, gridCount * per) }, undefined, 2, 2));
  if (opts.frames) {
    await mkdir(path.join(opts.out, 'frames'), { recursive: true });
    const count = Math.min(n, MAX_FRAME_SAMPLES);
    for (const f of gen.frames) {
      await writeFile(path.join(opts.out, 'frames', `step-${f.k}-xk.png`), gridPng({ data: f.xK, count, size, channels }, undefined, 2, 2));
      await writeFile(path.join(opts.out, 'frames', `step-${f.k}-x0pred.png`), gridPng({ data: f.x0Pred, count, size, channels }, undefined, 2, 2));
    }
  }
  const summary: SampleSummary = {
    checkpoint: ck.meta.name,
    checkpointDir: path.resolve(opts.checkpoint),
    n,
    seed: opts.seed,
    batch,
    T: gen.T,
    sampler: gen.sampler,
    nfe: gen.nfe,
    classifierCalls: gen.classifierCalls,
    guidance,
    size,
    channels,
    backend: tf.getBackend(),
    seconds: gen.seconds,
    imagesPerSecond: n / gen.seconds,
    msPerImage: (1000 * gen.seconds) / n,
    frames: !!opts.frames,
    createdAt: new Date().toISOString(),
  };
  await writeFile(path.join(opts.out, 'samples.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
