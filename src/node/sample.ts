/**
 * Sampling a checkpoint to files (Node): the code behind `npm run sample`, and the batched
 * generation that `npm run eval` reuses, so both draw the same images for a seed.
 *
 * Two kinds of checkpoint draw images: a DD-GAN generator (T steps) and a DDPM ε-network
 * (ancestral, N steps, or DDIM with any number of steps and η). Either can be steered toward
 * a class by a noise-aware classifier (classifier guidance, src/core/diffusion/guidance.ts).
 *
 * Reproducibility: one `Rng(seed)` feeds every batch in order, so a (checkpoint, sampler,
 * guidance, seed, batch size, backend) reproduces the same pixels and hence byte-identical
 * PNGs. The batch size matters because the sampler draws each step's noise for a whole
 * batch at once.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SamplingAborted, sampleDdgan, type DdganStep } from '../core/diffusion/ddganSampler';
import { ddimTimesteps, ddpmSchedule, sampleDdpm, type DdpmSampler, type DdpmStep } from '../core/diffusion/ddpm';
import { ddganSchedule } from '../core/diffusion/schedule';
import { LAST_STEP_GUIDE_ITERATIONS, ddganLastStepGuide, ddganMeanShift, ddpmGuidance } from '../core/diffusion/guidance';
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
export const DEFAULT_DDPM_SAMPLER: DdpmSampler = { kind: 'ddim', steps: 50, eta: 0 };

/** What draws the images: a DD-GAN generator, or a DDPM ε-network with its sampler. */
export type ImageSource =
  | { readonly kind: 'ddgan'; readonly generator: Network<GeneratorConfig> }
  | { readonly kind: 'ddpm'; readonly eps: Network<EpsNetConfig>; readonly sampler: DdpmSampler };

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
  /** Steps of the sampler: DD-GAN T, or the DDPM/DDIM step count. */
  readonly T: number;
  /** Network evaluations per image (generator or ε-network calls). */
  readonly nfe: number;
  /** Classifier gradients per image (0 unguided). */
  readonly classifierCalls: number;
  /** e.g. 'DD-GAN T = 4', 'DDIM-50 (η = 0)', 'DDPM-1000 ancestral'. */
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
 * The image source of a checkpoint: its DD-GAN generator, or its DDPM ε-network with
 * `sampler` (default DEFAULT_DDPM_SAMPLER). A sampler given for a DD-GAN is an error.
 */
export function sourceOf(ck: LoadedCheckpoint, sampler?: DdpmSampler): ImageSource {
  const eps = epsNetOf(ck);
  if (eps && !ck.networks.generator) {
    const s = sampler ?? DEFAULT_DDPM_SAMPLER;
    if (s.kind === 'ddim') ddimTimesteps(eps.config.steps, s.steps); // validates the step count
    return { kind: 'ddpm', eps, sampler: s };
  }
  const generator = generatorOf(ck);
  if (sampler) throw new Error(`checkpoint "${ck.meta.name}" is a DD-GAN (T = ${generator.config.T}); --sampler, --steps and --eta apply to DDPM checkpoints`);
  return { kind: 'ddgan', generator };
}

export function samplerLabel(source: ImageSource): string {
  if (source.kind === 'ddgan') return `DD-GAN T = ${source.generator.config.T}`;
  const N = source.eps.config.steps;
  return source.sampler.kind === 'ancestral'
    ? `DDPM-${N} ancestral`
    : `DDIM-${ddimTimesteps(N, source.sampler.steps).length} (η = ${source.sampler.eta})`;
}

/** The time steps a source runs, first to last (DD-GAN: T … 1). */
function stepsOf(source: ImageSource): number[] {
  if (source.kind === 'ddgan') return Array.from({ length: source.generator.config.T }, (_, i) => source.generator.config.T - i);
  const N = source.eps.config.steps;
  return source.sampler.kind === 'ancestral' ? Array.from({ length: N }, (_, i) => N - i) : ddimTimesteps(N, source.sampler.steps);
}

/** Classifier gradients one guided image costs (DD-GAN: T − 1 mean shifts, then the last-step guide's iterations). */
function guidedSteps(source: ImageSource): number {
  return source.kind === 'ddgan' ? source.generator.config.T - 1 + LAST_STEP_GUIDE_ITERATIONS : stepsOf(source).length;
}

/**
 * Generator or ε-network passes per image. A guided DD-GAN adds the last-step guide's
 * passes through G (each forward and back; guidance.ts `ddganLastStepGuide`).
 */
function networkCalls(source: ImageSource, guided: boolean): number {
  const steps = stepsOf(source).length;
  return source.kind === 'ddgan' && guided ? steps + LAST_STEP_GUIDE_ITERATIONS : steps;
}

const imageShape = (source: ImageSource) => (source.kind === 'ddgan' ? source.generator.config : source.eps.config);

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
  const after = async (index: number, xK: tf.Tensor4D, x0Pred: tf.Tensor4D) => {
    await run.onStep?.(index, xK, x0Pred);
    if (run.maxSteps !== undefined && ++done >= run.maxSteps) stop.abort();
  };
  try {
    if (source.kind === 'ddgan') {
      const G = source.generator;
      const schedule = ddganSchedule(G.config.T);
      return await sampleDdgan(G, schedule, {
        batch: run.batch,
        rng: run.rng,
        signal: stop.signal,
        meanShift: guide ? ddganMeanShift(guide.classifier, schedule, run.labels!, guide.scale) : undefined,
        inputShift: guide ? ddganLastStepGuide(guide.classifier, G, schedule, run.labels!, guide.scale) : undefined,
        onStep: run.onStep || run.maxSteps !== undefined ? (s: DdganStep) => after(G.config.T - s.k, s.xK, s.x0Pred) : undefined,
      });
    }
    const schedule = ddpmSchedule(source.eps.config.steps);
    return await sampleDdpm(source.eps, schedule, {
      batch: run.batch,
      rng: run.rng,
      sampler: source.sampler,
      signal: stop.signal,
      every: 1,
      guidance: guide ? ddpmGuidance(guide.classifier, schedule, run.labels!) : undefined,
      guidanceScale: guide?.scale ?? 0,
      onStep: run.onStep || run.maxSteps !== undefined ? (s: DdpmStep) => after(s.index, s.xT, s.x0Pred) : undefined,
    });
  } catch (e) {
    if (e instanceof SamplingAborted && stop.signal.aborted) return null;
    throw e;
  }
}

/**
 * Draws n samples in batches with one seeded random stream. `model` is a DD-GAN generator
 * (the original signature) or any ImageSource.
 */
export async function generateImages(model: Network<GeneratorConfig> | ImageSource, opts: GenerateOptions): Promise<GeneratedImages> {
  const source: ImageSource = 'kind' in model ? model : { kind: 'ddgan', generator: model };
  const { n, batch, seed, guide } = opts;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive whole number, got ${n}`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive whole number, got ${batch}`);
  if (guide && typeof guide.labels !== 'number' && guide.labels.length !== n) {
    throw new Error(`${guide.labels.length} class labels for ${n} samples`);
  }
  const cfg = imageShape(source);
  const steps = stepsOf(source);
  const per = cfg.imageSize * cfg.imageSize * cfg.channels;
  const frameSamples = Math.min(opts.frameSamples ?? 0, n);
  // DD-GAN: every step; DDPM: every k-th step and the last.
  const every = source.kind === 'ddgan' ? 1 : Math.max(1, Math.ceil(steps.length / DDPM_FRAME_COUNT));
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
      maxSteps: source.kind === 'ddpm' ? 2 : undefined,
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
  return {
    images,
    n,
    size: cfg.imageSize,
    channels: cfg.channels,
    T: steps.length,
    nfe: networkCalls(source, !!guide && guide.scale !== 0),
    classifierCalls: guide && guide.scale !== 0 ? guidedSteps(source) : 0,
    sampler: samplerLabel(source),
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
  readonly sampler?: DdpmSampler;
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
    const cfg = imageShape(source);
    const guide = opts.guide ? await loadGuide(opts.guide.dir) : null;
    try {
      if (guide && opts.guide) {
        guidance = { classifier: guide.name, classes: opts.guide.classes, scale: opts.guide.scale };
        if (source.kind === 'ddgan' && source.generator.config.T === 1) {
          log('note: a T = 1 DD-GAN has no posterior noise to shift (var_1 = 0), so guidance cannot change its samples');
        }
      }
      log(
        `${ck.meta.name}: ${samplerLabel(source)}, ${cfg.imageSize}×${cfg.imageSize}×${cfg.channels}, sampling ${opts.n} with seed ${opts.seed}` +
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
