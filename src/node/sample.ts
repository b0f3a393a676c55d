/**
 * `npm run sample` (Node): draws images from a checkpoint folder with the core generation
 * (src/core/diffusion/generate.ts) and writes them as PNGs, a grid and a summary.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { classLabels, generateImages, samplerLabel, sourceOf, type GeneratedImages } from '../core/diffusion/generate';
import type { SamplerSpec } from '../core/diffusion/samplers/specs';
import { disposeCheckpoint } from '../core/models/checkpoint';
import { loadCheckpointDir } from './checkpointDir';
import { loadGuide, type GuideSpec } from './guide';
import { gridPng, imagePng, type ImageBatch } from './png';

/** Frames are kept for at most this many samples (one grid per step stays readable). */
export const MAX_FRAME_SAMPLES = 64;
/** The overview grid shows at most this many samples. */
export const MAX_GRID_SAMPLES = 256;

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
