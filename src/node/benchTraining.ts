/**
 * Training section of `npm run bench`: DD-GAN training iterations (D step with lazy R1,
 * G step, EMA; src/core/training/ddganTrainer.ts) per second on the current backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../core/data/dataset';
import type { DiscriminatorConfig } from '../core/models/discriminator';
import type { GeneratorConfig } from '../core/models/generator';
import { DdganTrainer, type DdganTrainConfig } from '../core/training/ddganTrainer';
import type { BenchSection, MatmulResult } from './benchUtil';

/**
 * Counted FLOPs of one DD-GAN iteration (the count `npm run train` reports; forward = 1,
 * backward = 2 forwards): D step = G forward + D forward/backward on 2B pairs (+ R1's double
 * backward, ~2 more D passes on B pairs every r1Every iterations); G step = G forward/backward
 * + D forward/backward to the input. `generatorCalls` per fake: 1 for DD-GAN's pairs, T for
 * the Diffusion-GAN recipe, whose fakes are the whole sampling chain.
 */
export function ddganIterationFlops(gFlops: number, dFlops: number, batch: number, r1Every: number, generatorCalls = 1): number {
  return batch * (generatorCalls * gFlops + 6 * dFlops + (4 * dFlops) / r1Every + 3 * generatorCalls * gFlops + 3 * dFlops);
}

export interface TrainingBenchOptions {
  readonly trainConfig: DdganTrainConfig;
  /** Untimed iterations first (the first allocates the backend's buffers). */
  readonly warmupIters: number;
  readonly iters: number;
  /** Where the configs and the data came from, for the notes. */
  readonly sources: readonly string[];
  readonly matmul: MatmulResult;
}

export async function benchTraining(
  gConfig: GeneratorConfig,
  dConfig: DiscriminatorConfig,
  data: ImageDataset,
  opts: TrainingBenchOptions,
): Promise<BenchSection> {
  if (!Number.isInteger(opts.iters) || opts.iters < 1) throw new RangeError(`iters must be a positive whole number, got ${opts.iters}`);
  const trainer = DdganTrainer.create(gConfig, dConfig, data, opts.trainConfig);
  const times: number[] = [];
  let gFlops: number;
  let dFlops: number;
  try {
    gFlops = trainer.G.flopsPerExample();
    dFlops = trainer.D.flopsPerExample();
    for (let i = 0; i < opts.warmupIters; i++) await trainer.step();
    for (let i = 0; i < opts.iters; i++) {
      const t0 = performance.now();
      await trainer.step();
      times.push(performance.now() - t0);
    }
  } finally {
    trainer.dispose();
  }
  const { batch, r1Every, r1Gamma } = opts.trainConfig;
  const flops = ddganIterationFlops(gFlops, dFlops, batch, r1Every);
  const msPerIter = times.reduce((a, b) => a + b, 0) / times.length;
  const gflops = flops / (msPerIter * 1e6);
  const row = {
    batch,
    iters: opts.iters,
    msPerIter,
    msMin: Math.min(...times),
    msMax: Math.max(...times),
    imagesPerSecond: (1000 * batch) / msPerIter,
    gflopPerIter: flops / 1e9,
    gflops,
    share: (100 * gflops) / opts.matmul.gflops,
  };
  const r1Timed = Array.from({ length: opts.iters }, (_, i) => opts.warmupIters + i).filter((it) => r1Gamma > 0 && it % r1Every === 0).length;
  return {
    id: 'training',
    title: `DD-GAN training, batch ${batch} (${tf.getBackend()})`,
    tables: [
      {
        columns: [
          { key: 'batch', label: 'batch' },
          { key: 'iters', label: 'iterations timed' },
          { key: 'msPerIter', label: 'ms / iteration (mean)' },
          { key: 'msMin', label: 'min ms' },
          { key: 'msMax', label: 'max ms' },
          { key: 'imagesPerSecond', label: 'images/s' },
          { key: 'gflopPerIter', label: 'GFLOP / iteration' },
          { key: 'gflops', label: 'effective GFLOP/s' },
          { key: 'share', label: '% of matmul' },
        ],
        rows: [row],
      },
    ],
    notes: [
      ...opts.sources,
      `G ${(gFlops / 1e6).toFixed(1)} MFLOP per image, D ${(dFlops / 1e6).toFixed(1)} MFLOP per pair; an iteration is one D step (R1 every ${r1Every} iterations, γ = ${r1Gamma}) and one G step and the EMA update; images/s counts the ${batch} real images an iteration consumes per step.`,
      `${opts.warmupIters} untimed warm-up iteration(s), then ${opts.iters} timed (${r1Timed} of them with R1); fresh random networks (the time of a step does not depend on the weights' values).`,
      `Dense matmul reference: ${opts.matmul.gflops.toFixed(1)} GFLOP/s (${opts.matmul.n}³, same run).`,
    ],
    data: { gFlops, dFlops, flopsPerIteration: flops, times, gConfig, dConfig, trainConfig: opts.trainConfig, ...row },
  };
}
