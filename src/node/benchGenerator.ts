/**
 * Generator section of `npm run bench`: one DD-GAN generator call (= one denoising step)
 * and one full T-step sample, per batch size, against the backend's dense matmul rate.
 */
import * as tf from '@tensorflow/tfjs';
import { sampleDdgan } from '../core/diffusion/ddganSampler';
import { ddganSchedule } from '../core/diffusion/schedule';
import type { GeneratorConfig } from '../core/models/generator';
import type { Network } from '../core/models/network';
import { Rng, randn } from '../core/rng';
import { runAndRead, timeMedian, type BenchSection, type MatmulResult } from './benchUtil';

export interface GeneratorBenchOptions {
  /** Where the weights came from, for the notes ("public/models/…", "random weights"). */
  readonly source: string;
  readonly batches: readonly number[];
  /** Timed repeats of one generator call (median). */
  readonly callRepeats: number;
  /** Timed repeats of one full T-step sample (median). */
  readonly sampleRepeats: number;
  readonly matmul: MatmulResult;
  /**
   * Untimed batch-1 generator calls before anything is timed. The first few dozen calls run
   * slower while the JavaScript side of the op dispatch warms up (measured here: ~40 ms for
   * the first calls of the shipped generator at batch 1, ~22 ms after 20), which one
   * warm-up call per measurement does not cover.
   */
  readonly warmupCalls: number;
}

export interface GeneratorBenchRow {
  readonly batch: number;
  readonly msPerCall: number;
  readonly msPerSample: number;
  readonly msPerImage: number;
  readonly imagesPerSecond: number;
  readonly callGflops: number;
  readonly sampleGflops: number;
}

/** Milliseconds of one full T-step sample of `batch` images (median), x₀ read back. */
export async function timeDdganSample(G: Network<GeneratorConfig>, batch: number, repeats: number, seed = 0): Promise<number> {
  const schedule = ddganSchedule(G.config.T);
  let run = 0;
  return timeMedian(async () => {
    const x0 = await sampleDdgan(G, schedule, { batch, rng: new Rng(seed + run++) });
    await x0.data();
    x0.dispose();
  }, repeats);
}

/** `calls` untimed batch-1 calls of G (see GeneratorBenchOptions.warmupCalls). */
export async function warmUpGenerator(G: Network<GeneratorConfig>, calls: number): Promise<void> {
  const cfg = G.config;
  const rng = new Rng(12345);
  const x = randn([1, cfg.imageSize, cfg.imageSize, cfg.channels], rng) as tf.Tensor4D;
  const z = randn([1, cfg.nz], rng) as tf.Tensor2D;
  const k = tf.fill([1], cfg.T, 'int32') as tf.Tensor1D;
  try {
    for (let i = 0; i < calls; i++) await runAndRead(() => G.apply(x, k, z));
  } finally {
    tf.dispose([x, z, k]);
  }
}

export async function benchGenerator(G: Network<GeneratorConfig>, opts: GeneratorBenchOptions): Promise<BenchSection> {
  const cfg = G.config;
  const flops = G.flopsPerExample();
  const rows: GeneratorBenchRow[] = [];
  await warmUpGenerator(G, opts.warmupCalls);
  for (const batch of opts.batches) {
    const rng = new Rng(batch);
    const x = randn([batch, cfg.imageSize, cfg.imageSize, cfg.channels], rng) as tf.Tensor4D;
    const z = randn([batch, cfg.nz], rng) as tf.Tensor2D;
    // every step index costs the same; the last one is the first the sampler runs
    const k = tf.fill([batch], cfg.T, 'int32') as tf.Tensor1D;
    let msPerCall: number;
    try {
      msPerCall = await timeMedian(() => runAndRead(() => G.apply(x, k, z)), opts.callRepeats);
    } finally {
      tf.dispose([x, z, k]);
    }
    const msPerSample = await timeDdganSample(G, batch, opts.sampleRepeats);
    rows.push({
      batch,
      msPerCall,
      msPerSample,
      msPerImage: msPerSample / batch,
      imagesPerSecond: (1000 * batch) / msPerSample,
      callGflops: (batch * flops) / (msPerCall * 1e6),
      sampleGflops: (batch * cfg.T * flops) / (msPerSample * 1e6),
    });
  }
  const mm = opts.matmul;
  const share = (g: number) => (100 * g) / mm.gflops;
  return {
    id: 'generator',
    title: `DD-GAN generator, T = ${cfg.T} (${tf.getBackend()})`,
    tables: [
      {
        caption:
          `${(flops / 1e6).toFixed(1)} MFLOP per generator call per image, ${((cfg.T * flops) / 1e6).toFixed(1)} MFLOP per image (T = ${cfg.T} calls); ` +
          `dense ${mm.n}×${mm.n}×${mm.n} matmul on the same backend: ${mm.gflops.toFixed(1)} GFLOP/s.`,
        columns: [
          { key: 'batch', label: 'batch' },
          { key: 'msPerCall', label: 'ms / generator call (= step)' },
          { key: 'msPerStepImage', label: 'ms / step / image' },
          { key: 'msPerSample', label: `ms / ${cfg.T}-step sample` },
          { key: 'msPerImage', label: 'ms / image' },
          { key: 'imagesPerSecond', label: 'images/s' },
          { key: 'callGflops', label: 'GFLOP/s (call)' },
          { key: 'sampleGflops', label: 'GFLOP/s (sample)' },
          { key: 'callShare', label: '% of matmul (call)' },
          { key: 'sampleShare', label: '% of matmul (sample)' },
        ],
        rows: rows.map((r) => ({
          batch: r.batch,
          msPerCall: r.msPerCall,
          msPerStepImage: r.msPerCall / r.batch,
          msPerSample: r.msPerSample,
          msPerImage: r.msPerImage,
          imagesPerSecond: r.imagesPerSecond,
          callGflops: r.callGflops,
          sampleGflops: r.sampleGflops,
          callShare: share(r.callGflops),
          sampleShare: share(r.sampleGflops),
        })),
      },
    ],
    notes: [
      `Weights: ${opts.source}; config ${cfg.imageSize}×${cfg.imageSize}×${cfg.channels}, base ${cfg.baseChannels} channels × [${cfg.channelMults.join(', ')}], ${G.paramCount().toLocaleString('en-US')} parameters.`,
      `A generator call is G(x_k, k, z) with its output read back, median of ${opts.callRepeats}; a sample is the full sampler (src/core/diffusion/ddganSampler.ts: noise draws, ${cfg.T} calls, posterior steps, read-back of x₀), median of ${opts.sampleRepeats}; ${opts.warmupCalls} untimed batch-1 calls first, then one untimed warm-up run before each measurement.`,
      `FLOPs count convolutions and dense layers (2 per multiply-add, Network.flopsPerExample); element-wise work and normalisation are not counted, so "% of matmul" is a lower bound on how busy the backend is.`,
      `Dense matmul reference: ${mm.n}×${mm.n} by ${mm.n}×${mm.n}, 2n³ FLOP, ${mm.ms.toFixed(1)} ms (median), measured at the start of this run.`,
    ],
    data: { flopsPerCall: flops, flopsPerImage: cfg.T * flops, T: cfg.T, params: G.paramCount(), source: opts.source, config: cfg, matmul: mm, rows },
  };
}
