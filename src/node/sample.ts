/**
 * Sampling a DD-GAN checkpoint to files (Node): the code behind `npm run sample`, and the
 * batched generation that `npm run eval` reuses, so both draw the same images for a seed.
 *
 * Reproducibility: one `Rng(seed)` feeds every batch in order, so a (checkpoint, seed,
 * batch size, backend) reproduces the same pixels and hence byte-identical PNGs. The batch
 * size matters because the sampler draws each step's noise for a whole batch at once.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sampleDdgan, type DdganStep } from '../core/diffusion/ddganSampler';
import { ddganSchedule } from '../core/diffusion/schedule';
import { disposeCheckpoint, type LoadedCheckpoint } from '../core/models/checkpoint';
import type { GeneratorConfig } from '../core/models/generator';
import type { Network } from '../core/models/network';
import { Rng } from '../core/rng';
import { loadCheckpointDir } from './checkpointDir';
import { gridPng, imagePng, type ImageBatch } from './png';

/** Frames are kept for at most this many samples (one grid per step stays readable). */
export const MAX_FRAME_SAMPLES = 64;
/** The overview grid shows at most this many samples. */
export const MAX_GRID_SAMPLES = 256;

export interface GenerateOptions {
  readonly n: number;
  readonly batch: number;
  readonly seed: number;
  /** Keep x_k and x̂₀ of every step for the first `frameSamples` samples. */
  readonly frameSamples?: number;
  /**
   * Run one untimed batch of 1 first (own random stream, so the samples do not change):
   * the first call allocates backend memory and would otherwise count in the timing.
   */
  readonly warmup?: boolean;
  readonly onBatch?: (done: number, n: number) => void;
}

export interface StepFrames {
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
  readonly T: number;
  /** Sampler wall time for all n images, including the read-back of each batch. */
  readonly seconds: number;
  /** Steps k = T … 1 (empty unless frameSamples > 0). */
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

/** Draws n samples in batches with one seeded random stream. */
export async function generateImages(G: Network<GeneratorConfig>, opts: GenerateOptions): Promise<GeneratedImages> {
  const { n, batch, seed } = opts;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive whole number, got ${n}`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive whole number, got ${batch}`);
  const cfg = G.config;
  const schedule = ddganSchedule(cfg.T);
  const per = cfg.imageSize * cfg.imageSize * cfg.channels;
  const frameSamples = Math.min(opts.frameSamples ?? 0, n);
  const frames: StepFrames[] = [];
  for (let k = cfg.T; k >= 1 && frameSamples > 0; k--) {
    frames.push({ k, xK: new Float32Array(frameSamples * per), x0Pred: new Float32Array(frameSamples * per) });
  }

  if (opts.warmup) {
    const x = await sampleDdgan(G, schedule, { batch: 1, rng: new Rng(seed ^ 0x5eed) });
    await x.data();
    x.dispose();
  }

  const images = new Float32Array(n * per);
  const rng = new Rng(seed);
  const t0 = performance.now();
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    // Only batches that hold some of the first frameSamples samples need their steps read back.
    const keep = Math.max(0, Math.min(b, frameSamples - start));
    const onStep = keep > 0
      ? async (s: DdganStep) => {
          const f = frames[cfg.T - s.k];
          const [xK, x0] = await Promise.all([s.xK.data(), s.x0Pred.data()]);
          f.xK.set((xK as Float32Array).subarray(0, keep * per), start * per);
          f.x0Pred.set((x0 as Float32Array).subarray(0, keep * per), start * per);
        }
      : undefined;
    const x0 = await sampleDdgan(G, schedule, { batch: b, rng, onStep });
    try {
      images.set((await x0.data()) as Float32Array, start * per);
    } finally {
      x0.dispose();
    }
    opts.onBatch?.(start + b, n);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { images, n, size: cfg.imageSize, channels: cfg.channels, T: cfg.T, seconds, frames };
}

export interface SampleToDirOptions {
  readonly checkpoint: string;
  readonly out: string;
  readonly n: number;
  readonly seed: number;
  readonly batch?: number;
  readonly frames?: boolean;
  readonly log?: (line: string) => void;
}

export interface SampleSummary {
  readonly checkpoint: string;
  readonly checkpointDir: string;
  readonly n: number;
  readonly seed: number;
  readonly batch: number;
  readonly T: number;
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
 * with `frames`, OUT/frames/step-<k>-xk.png and step-<k>-x0pred.png for the first 64 samples.
 */
export async function sampleToDir(opts: SampleToDirOptions): Promise<SampleSummary> {
  const log = opts.log ?? (() => {});
  const batch = opts.batch ?? 64;
  const ck = await loadCheckpointDir(opts.checkpoint);
  let gen: GeneratedImages;
  try {
    const G = generatorOf(ck);
    log(`${ck.meta.name}: T = ${G.config.T}, ${G.config.imageSize}×${G.config.imageSize}×${G.config.channels}, sampling ${opts.n} with seed ${opts.seed}`);
    gen = await generateImages(G, {
      n: opts.n,
      batch,
      seed: opts.seed,
      frameSamples: opts.frames ? MAX_FRAME_SAMPLES : 0,
      onBatch: (done, n) => log(`  ${done}/${n}`),
    });
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
