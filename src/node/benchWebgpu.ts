/**
 * WebGPU-in-Node section of `npm run bench`: the same generator call and DD-GAN training
 * iteration on wasm and on webgpu (Dawn from the npm package `webgpu`, src/node/webgpuNode.ts),
 * in one process, with how far their results agree.
 *
 * Each backend builds its own networks from the same seeds (the parameters come from the
 * project's JavaScript RNG, so they are identical), and tensors never cross backends: moving
 * data off webgpu in Node would need OffscreenCanvas. On a software adapter (SwiftShader,
 * ~40–150× slower than wasm here) the sizes must stay small: the caller picks them.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../core/data/dataset';
import type { DiscriminatorConfig } from '../core/models/discriminator';
import type { GeneratorConfig } from '../core/models/generator';
import { Network } from '../core/models/network';
import { Rng } from '../core/rng';
import { DdganTrainer, type DdganTrainConfig } from '../core/training/ddganTrainer';
import { median, type BenchSection } from './benchUtil';
import { ddganIterationFlops } from './benchTraining';

export type CompareBackend = 'wasm' | 'webgpu';

export interface WebgpuBenchOptions {
  /**
   * Switches tfjs to a backend (the suite knows how: wasm paths and threads, Dawn set-up) and
   * returns its one-line description ("wasm (SIMD, 2 threads)", "webgpu (SwiftShader …)").
   */
  readonly use: (name: CompareBackend) => Promise<string>;
  readonly generator: GeneratorConfig;
  readonly generatorSource: string;
  readonly generatorBatches: readonly number[];
  /** Timed repeats of a generator call (median), after one untimed call. */
  readonly callRepeats: number;
  readonly trainG: GeneratorConfig;
  readonly trainD: DiscriminatorConfig;
  readonly trainConfig: DdganTrainConfig;
  readonly trainIters: number;
  readonly data: ImageDataset;
  readonly notes?: readonly string[];
}

interface CallResult {
  readonly ms: number;
  readonly out: Float32Array;
}

async function timeGeneratorCall(cfg: GeneratorConfig, batch: number, repeats: number): Promise<CallResult> {
  const G = Network.create(cfg, 1);
  const rng = new Rng(100 + batch);
  const n = cfg.imageSize * cfg.imageSize * cfg.channels;
  const x = tf.tensor4d(rng.normalArray(batch * n), [batch, cfg.imageSize, cfg.imageSize, cfg.channels]);
  const z = tf.tensor2d(rng.normalArray(batch * cfg.nz), [batch, cfg.nz]);
  const k = tf.tensor1d(Array.from({ length: batch }, (_, i) => 1 + (i % cfg.T)), 'int32');
  try {
    const call = async () => {
      const y = tf.tidy(() => G.apply(x, k, z));
      const values = (await y.data()) as Float32Array;
      y.dispose();
      return values;
    };
    const out = await call(); // untimed: shader compilation on webgpu, first dispatches on wasm
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await call();
      times.push(performance.now() - t0);
    }
    return { ms: median(times), out };
  } finally {
    tf.dispose([x, z, k]);
    G.dispose();
  }
}

interface TrainResult {
  readonly ms: number;
  readonly times: number[];
  readonly firstLossD: number;
  readonly firstLossG: number;
}

async function timeTraining(opts: WebgpuBenchOptions): Promise<TrainResult> {
  const trainer = DdganTrainer.create(opts.trainG, opts.trainD, opts.data, opts.trainConfig);
  try {
    const first = await trainer.step(); // untimed; with R1 (iteration 0), like the timed ones every r1Every
    const times: number[] = [];
    for (let i = 0; i < opts.trainIters; i++) {
      const t0 = performance.now();
      await trainer.step();
      times.push(performance.now() - t0);
    }
    return { ms: times.reduce((a, b) => a + b, 0) / times.length, times, firstLossD: first.lossD, firstLossG: first.lossG };
  } finally {
    trainer.dispose();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export async function benchWebgpu(opts: WebgpuBenchOptions): Promise<BenchSection> {
  const calls: Record<CompareBackend, CallResult[]> = { wasm: [], webgpu: [] };
  const training: Partial<Record<CompareBackend, TrainResult>> = {};
  const described: Record<CompareBackend, string> = { wasm: 'wasm', webgpu: 'webgpu' };
  for (const name of ['wasm', 'webgpu'] as const) {
    described[name] = await opts.use(name);
    for (const batch of opts.generatorBatches) calls[name].push(await timeGeneratorCall(opts.generator, batch, opts.callRepeats));
    training[name] = await timeTraining(opts);
  }
  const gFlops = Network.create(opts.generator, 1);
  const flopsPerCall = gFlops.flopsPerExample();
  gFlops.dispose();
  const trainNets = [Network.create(opts.trainG, 1), Network.create(opts.trainD, 2)] as const;
  const trainFlops = ddganIterationFlops(trainNets[0].flopsPerExample(), trainNets[1].flopsPerExample(), opts.trainConfig.batch, opts.trainConfig.r1Every);
  trainNets.forEach((n) => n.dispose());

  const rows = opts.generatorBatches.map((batch, i) => {
    const w = calls.wasm[i];
    const g = calls.webgpu[i];
    return {
      what: `generator call, batch ${batch}`,
      wasmMs: w.ms,
      webgpuMs: g.ms,
      ratio: g.ms / w.ms,
      webgpuGflops: (batch * flopsPerCall) / (g.ms * 1e6),
      agreement: `max |Δ| ${maxAbsDiff(w.out, g.out).toExponential(1)}`,
    };
  });
  const tw = training.wasm!;
  const tg = training.webgpu!;
  rows.push({
    what: `DD-GAN training iteration, batch ${opts.trainConfig.batch}`,
    wasmMs: tw.ms,
    webgpuMs: tg.ms,
    ratio: tg.ms / tw.ms,
    webgpuGflops: trainFlops / (tg.ms * 1e6),
    agreement: `first iteration L_D ${tw.firstLossD.toFixed(5)} vs ${tg.firstLossD.toFixed(5)}`,
  });
  const cfg = opts.generator;
  const tcfg = opts.trainG;
  return {
    id: 'webgpu',
    title: 'WebGPU in Node (Dawn) against wasm',
    tables: [
      {
        caption: `${described.webgpu}; ${described.wasm}.`,
        columns: [
          { key: 'what', label: 'what' },
          { key: 'wasmMs', label: 'wasm ms' },
          { key: 'webgpuMs', label: 'webgpu ms' },
          { key: 'ratio', label: 'webgpu / wasm' },
          { key: 'webgpuGflops', label: 'webgpu GFLOP/s' },
          { key: 'agreement', label: 'webgpu vs wasm' },
        ],
        rows,
      },
    ],
    notes: [
      `Generator: ${opts.generatorSource} config (${cfg.imageSize}×${cfg.imageSize}×${cfg.channels}, base ${cfg.baseChannels} × [${cfg.channelMults.join(', ')}], T = ${cfg.T}), built on each backend from the same seed, so both run the same weights on the same inputs; a call is G(x_k, k, z) with its output read back (await data()), median of ${opts.callRepeats} after one untimed call (shader compilation on webgpu).`,
      `Training: DD-GAN iterations (D step, lazy R1 every ${opts.trainConfig.r1Every}, G step, EMA) of a ${tcfg.imageSize}×${tcfg.imageSize} generator with base ${tcfg.baseChannels} × [${tcfg.channelMults.join(', ')}] and a discriminator with base ${opts.trainD.baseChannels} × [${opts.trainD.channelMults.join(', ')}], the same seeds on both backends; one untimed iteration, then the mean of ${opts.trainIters}. The first iteration's discriminator loss compares the two backends on the same data and noise.`,
      'Both backends in one process, one after the other; each builds its own tensors (data is never moved between them).',
      ...(opts.notes ?? []),
    ],
    data: {
      backends: described,
      generator: cfg,
      flopsPerCall,
      trainFlopsPerIteration: trainFlops,
      rows,
      trainTimes: { wasm: tw.times, webgpu: tg.times },
    },
  };
}
