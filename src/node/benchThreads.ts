/**
 * Thread-scaling section of `npm run bench`: the same workloads on the wasm backend at 1
 * thread and at N threads (every logical core), each count in a child process of its own
 * (a process's wasm pool size is fixed once it starts; src/node/wasmThreads.ts), one after
 * the other in one run. Workloads: dense matmul, a 3×3 conv forward and both its gradients,
 * the shipped generator's forward at batch 64, and a full DD-GAN training iteration.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { defaultDiscriminatorConfig } from '../core/models/discriminator';
import { defaultGeneratorConfig, type GeneratorConfig } from '../core/models/generator';
import { Network } from '../core/models/network';
import { Rng, randn } from '../core/rng';
import { DdganTrainer, defaultTrainConfig } from '../core/training/ddganTrainer';
import type { ImageDataset } from '../core/data/dataset';
import { benchMatmul, runAndRead, timeMedian, type BenchSection } from './benchUtil';
import { ddganIterationFlops } from './benchTraining';

/** One workload's speed at one thread count. */
export interface ThreadPoint {
  readonly id: string;
  readonly label: string;
  /** GFLOP/s (counted FLOPs over wall time). */
  readonly gflops: number;
  /** Images per second, where the workload consumes images. */
  readonly imagesPerSecond?: number;
}

export interface ThreadRun {
  readonly threads: number;
  readonly points: readonly ThreadPoint[];
}

export interface ThreadBenchOptions {
  /** Small sizes and one repeat: a seconds-long check of the code path. */
  readonly tiny?: boolean;
  readonly repeats?: number;
}

/** The shipped MNIST generator and discriminator shapes (public/models/mnist-ddgan-t4). */
function shippedConfigs(tiny: boolean) {
  const base = tiny ? 8 : 16;
  return {
    g: defaultGeneratorConfig({ channels: 1, T: 4, baseChannels: base, zEmbedDim: 64, tEmbedDim: 64 }),
    d: defaultDiscriminatorConfig({ channels: 1, T: 4, baseChannels: tiny ? 8 : 24 }),
  };
}

function randomDigits(count: number): ImageDataset {
  const rng = new Rng(7);
  const pixels = new Uint8Array(count * 32 * 32);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
  return { name: 'synthetic', pixels, count, size: 32, channels: 1 };
}

/** Measures every workload on the backend this process runs (called in the child). */
export async function measureThreadPoint(opts: ThreadBenchOptions = {}): Promise<ThreadPoint[]> {
  const tiny = !!opts.tiny;
  const repeats = opts.repeats ?? (tiny ? 1 : 5);
  const points: ThreadPoint[] = [];

  const mm = await benchMatmul(tiny ? 128 : 1024, repeats);
  points.push({ id: 'matmul', label: `dense matmul ${mm.n}³`, gflops: mm.gflops });

  const n = tiny ? 4 : 32;
  const x = tf.randomNormal([n, 16, 16, 64]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const dy = tf.randomNormal([n, 16, 16, 64]) as tf.Tensor4D;
  const convFlops = 2 * n * 16 * 16 * 9 * 64 * 64;
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
  try {
    const conv = [
      ['conv', 'conv 3×3 forward', () => tf.conv2d(x, w, 1, 'same')],
      ['convFilterGrad', 'conv 3×3 filter gradient', () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor],
      ['convInputGrad', 'conv 3×3 input gradient', () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor],
    ] as const;
    for (const [id, label, make] of conv) {
      const ms = await timeMedian(() => runAndRead(make), repeats);
      points.push({ id, label: `${label}, ${n}×16×16×64`, gflops: convFlops / (ms * 1e6) });
    }
  } finally {
    tf.dispose([x, w, dy]);
  }

  const { g, d } = shippedConfigs(tiny);
  const G = Network.create<GeneratorConfig>(g, 1);
  const batch = tiny ? 4 : 64;
  const rng = new Rng(3);
  const xk = randn([batch, 32, 32, 1], rng);
  const z = randn([batch, g.nz], rng);
  const k = tf.fill([batch], g.T, 'int32');
  try {
    const ms = await timeMedian(() => runAndRead(() => G.apply(xk, k, z)), repeats);
    points.push({ id: 'generator', label: `generator forward, batch ${batch}`, gflops: (batch * G.flopsPerExample()) / (ms * 1e6), imagesPerSecond: (1000 * batch) / ms });
  } finally {
    tf.dispose([xk, z, k]);
    G.dispose();
  }

  const trainBatch = tiny ? 4 : 32;
  const config = defaultTrainConfig({ batch: trainBatch, r1Gamma: 0.02, r1Every: 4 });
  const trainer = DdganTrainer.create(g, d, randomDigits(256), config);
  try {
    const flops = ddganIterationFlops(trainer.G.flopsPerExample(), trainer.D.flopsPerExample(), trainBatch, config.r1Every);
    await trainer.step();
    // whole R1 cycles, so every count times the same mix of iterations
    const iters = tiny ? 1 : 2 * config.r1Every;
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) await trainer.step();
    const ms = (performance.now() - t0) / iters;
    points.push({ id: 'training', label: `DD-GAN training iteration, batch ${trainBatch}`, gflops: flops / (ms * 1e6), imagesPerSecond: (1000 * trainBatch) / ms });
  } finally {
    trainer.dispose();
  }
  return points;
}

const run = promisify(execFile);

/** Runs `measureThreadPoint` in a child process on `threads` wasm threads. */
async function measureInChild(threads: number, opts: ThreadBenchOptions): Promise<ThreadRun> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(here, '../..');
  const args = [path.join(here, 'benchThreadsChild.ts'), '--threads', String(threads), ...(opts.tiny ? ['--tiny'] : []), ...(opts.repeats ? ['--repeats', String(opts.repeats)] : [])];
  const { stdout } = await run(path.join(root, 'node_modules/.bin/tsx'), args, { cwd: root, maxBuffer: 16 << 20, timeout: 30 * 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ThreadRun;
}

/** The section: 1 thread against `threads` (default every core, at most 8). */
export async function benchThreads(threads: number, opts: ThreadBenchOptions = {}): Promise<BenchSection> {
  if (!Number.isInteger(threads) || threads < 2) throw new RangeError(`thread scaling needs at least 2 threads, got ${threads}`);
  const one = await measureInChild(1, opts);
  const many = await measureInChild(threads, opts);
  if (many.threads !== threads) throw new Error(`asked for ${threads} wasm threads, the pool runs ${many.threads}`);
  const matmulMany = many.points.find((p) => p.id === 'matmul')!.gflops;
  const rows = one.points.map((p1) => {
    const pn = many.points.find((p) => p.id === p1.id)!;
    return {
      workload: p1.label,
      one: p1.gflops,
      many: pn.gflops,
      speedup: pn.gflops / p1.gflops,
      share: (100 * pn.gflops) / matmulMany,
      imagesOne: p1.imagesPerSecond ?? '–',
      imagesMany: pn.imagesPerSecond ?? '–',
    };
  });
  const training = rows[rows.length - 1];
  return {
    id: 'threads',
    title: `wasm thread scaling in Node: 1 against ${threads} threads`,
    tables: [
      {
        columns: [
          { key: 'workload', label: 'workload' },
          { key: 'one', label: 'GFLOP/s, 1 thread' },
          { key: 'many', label: `GFLOP/s, ${threads} threads` },
          { key: 'speedup', label: 'speed-up' },
          { key: 'share', label: `% of matmul at ${threads}` },
          { key: 'imagesOne', label: 'images/s, 1 thread' },
          { key: 'imagesMany', label: `images/s, ${threads} threads` },
        ],
        rows,
      },
    ],
    notes: [
      `Each thread count runs in a child process of its own (the threaded-SIMD build for ${threads}, the package's single-threaded SIMD build for 1), one after the other; medians of ${opts.repeats ?? (opts.tiny ? 1 : 5)} timed calls after a warm-up.`,
      'The generator and training rows use the shipped MNIST sizes (generator 16 base channels, discriminator 24) with fresh random weights; a training iteration is one D step (R1 every 4), one G step and the EMA update, timed over two whole R1 cycles.',
      `Training: ${Number(training.speedup).toFixed(2)}× on ${threads} threads, against ${Number(rows[0].speedup).toFixed(2)}× for the dense matmul. In this wasm build the pool serves the XNNPACK kernels (matmul, conv); what runs outside them sets how far below the matmul's gain training stays.`,
      'A pool thread waits by spinning: on a machine whose cores are busy with other work, more threads can be slower than one, so measure on an otherwise idle machine.',
    ],
    data: { threads, one, many },
  };
}
