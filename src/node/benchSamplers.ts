/**
 * Samplers section of `npm run bench`: time per image of DD-GAN (T network calls) against
 * DDPM ancestral sampling (1000 calls) and DDIM (50 calls) on the same backend and batch.
 *
 * Long DDPM/DDIM runs are timed over their first `timedSteps` steps and scaled to the full
 * count: every step costs the same (one ε-network call on the same shapes plus a few
 * element-wise ops), so the per-step time does not depend on which steps are run.
 */
import * as tf from '@tensorflow/tfjs';
import { SamplingAborted } from '../core/diffusion/ddganSampler';
import { ddimTimesteps, ddpmSchedule, sampleDdpm, type DdpmSampler, type DdpmSchedule } from '../core/diffusion/ddpm';
import type { EpsNetConfig } from '../core/models/epsNet';
import type { GeneratorConfig } from '../core/models/generator';
import type { Network } from '../core/models/network';
import { Rng } from '../core/rng';
import { median, type BenchSection } from './benchUtil';
import { timeDdganSample, warmUpGenerator } from './benchGenerator';

export interface SamplerBenchOptions {
  readonly batch: number;
  /** Where the generator's weights came from. */
  readonly generatorSource: string;
  /** Where the ε-network's weights came from (a checkpoint, or random initialisation). */
  readonly epsSource: string;
  /** DDPM ancestral steps actually run (the rest is extrapolated); at most the schedule's N. */
  readonly ddpmTimedSteps: number;
  readonly ddimSteps: number;
  /** DDIM steps actually run; at most ddimSteps. */
  readonly ddimTimedSteps: number;
  /** Timed repeats of each sampler (median); one shorter untimed warm-up run first. */
  readonly repeats: number;
  /** Untimed network calls of each network before anything is timed (see benchGenerator's warmupCalls). */
  readonly warmupCalls: number;
}

/**
 * Milliseconds for the first `steps` steps of `sampleDdpm` (x_T draw included, last x read
 * back), stopping the sampler through its abort signal once they are done.
 */
export async function timeDdpmSteps(
  net: Network<EpsNetConfig>,
  schedule: DdpmSchedule,
  sampler: DdpmSampler,
  batch: number,
  steps: number,
  seed = 0,
): Promise<number> {
  const total = sampler.kind === 'ancestral' ? schedule.N : ddimTimesteps(schedule.N, sampler.steps).length;
  if (!Number.isInteger(steps) || steps < 1 || steps > total) throw new RangeError(`steps must be 1..${total}, got ${steps}`);
  const stop = new AbortController();
  let done = 0;
  const t0 = performance.now();
  try {
    const x0 = await sampleDdpm(net, schedule, {
      batch,
      rng: new Rng(seed),
      sampler,
      signal: stop.signal,
      every: 1,
      onStep: async (s) => {
        if (++done === steps) {
          await s.xPrev.data();
          stop.abort();
        }
      },
    });
    await x0.data();
    x0.dispose();
  } catch (e) {
    if (!(e instanceof SamplingAborted)) throw e;
  }
  if (done !== steps) throw new Error(`sampler ran ${done} steps, expected ${steps}`);
  return performance.now() - t0;
}

interface SamplerRow {
  sampler: string;
  nfe: number;
  timedSteps: number;
  msPerStep: number;
  msPerImage: number;
  imagesPerSecond: number;
  vsDdgan: number;
}

export async function benchSamplers(
  G: Network<GeneratorConfig>,
  eps: Network<EpsNetConfig>,
  opts: SamplerBenchOptions,
): Promise<BenchSection> {
  const { batch, repeats } = opts;
  const N = eps.config.steps;
  const schedule = ddpmSchedule(N);
  const T = G.config.T;

  await warmUpGenerator(G, opts.warmupCalls);
  await timeDdpmSteps(eps, schedule, { kind: 'ancestral' }, 1, Math.max(1, Math.min(opts.warmupCalls, N)), 98);
  const ddganMs = await timeDdganSample(G, batch, repeats);
  const ddganPerImage = ddganMs / batch;

  const timeChain = async (sampler: DdpmSampler, timedSteps: number): Promise<number> => {
    await timeDdpmSteps(eps, schedule, sampler, batch, Math.min(2, timedSteps), 99); // warm-up
    const runs: number[] = [];
    for (let i = 0; i < repeats; i++) runs.push(await timeDdpmSteps(eps, schedule, sampler, batch, timedSteps, i));
    return median(runs) / timedSteps;
  };
  const ddpmTimed = Math.min(opts.ddpmTimedSteps, N);
  const ddimSampler: DdpmSampler = { kind: 'ddim', steps: opts.ddimSteps, eta: 0 };
  const ddimCount = ddimTimesteps(N, opts.ddimSteps).length;
  const ddimTimed = Math.min(opts.ddimTimedSteps, ddimCount);
  const ddimStepMs = await timeChain(ddimSampler, ddimTimed);
  const ddpmStepMs = await timeChain({ kind: 'ancestral' }, ddpmTimed);

  const row = (sampler: string, nfe: number, timedSteps: number, msPerStep: number): SamplerRow => {
    const msPerImage = (msPerStep * nfe) / batch;
    return { sampler, nfe, timedSteps, msPerStep, msPerImage, imagesPerSecond: 1000 / msPerImage, vsDdgan: msPerImage / ddganPerImage };
  };
  const rows = [
    row(`DD-GAN T = ${T}`, T, T, ddganMs / T),
    row(`DDIM-${ddimCount} (η = 0)`, ddimCount, ddimTimed, ddimStepMs),
    row(`DDPM-${N} ancestral`, N, ddpmTimed, ddpmStepMs),
  ];
  const [, ddim, ddpm] = rows;
  const fmtSteps = (r: SamplerRow) => (r.timedSteps === r.nfe ? `all ${r.nfe}` : `${r.timedSteps} of ${r.nfe}, ×${(r.nfe / r.timedSteps).toFixed(0)}`);
  return {
    id: 'samplers',
    title: `Samplers per image, batch ${batch} (${tf.getBackend()})`,
    tables: [
      {
        caption: `DDPM-${N} / DD-GAN T = ${T}: **${ddpm.vsDdgan.toFixed(0)}×** slower per image; DDIM-${ddimCount} / DD-GAN T = ${T}: **${ddim.vsDdgan.toFixed(1)}×**.`,
        columns: [
          { key: 'sampler', label: 'sampler' },
          { key: 'nfe', label: 'network calls' },
          { key: 'steps', label: 'steps timed' },
          { key: 'msPerStep', label: `ms / step (batch ${batch})` },
          { key: 'msPerImage', label: 'ms / image' },
          { key: 'imagesPerSecond', label: 'images/s' },
          { key: 'vsDdgan', label: '× DD-GAN time' },
        ],
        rows: rows.map((r) => ({
          sampler: r.sampler,
          nfe: r.nfe,
          steps: fmtSteps(r),
          msPerStep: r.msPerStep,
          msPerImage: r.msPerImage,
          imagesPerSecond: r.imagesPerSecond,
          vsDdgan: r.vsDdgan,
        })),
      },
    ],
    notes: [
      `DD-GAN: the full sampler (src/core/diffusion/ddganSampler.ts), weights: ${opts.generatorSource}; ms / step is the sample time over its ${T} steps.`,
      `DDPM and DDIM: sampleDdpm (src/core/diffusion/ddpm.ts) with the ε-network, weights: ${opts.epsSource}. Timing does not depend on the weights' values, only on the architecture (base ${eps.config.baseChannels} channels × [${eps.config.channelMults.join(', ')}], ${eps.paramCount().toLocaleString('en-US')} parameters, ${(eps.flopsPerExample() / 1e6).toFixed(1)} MFLOP per call per image; the generator: ${(G.flopsPerExample() / 1e6).toFixed(1)} MFLOP).`,
      `"steps timed": where fewer steps than the sampler takes were run, ms / image = ms / step × network calls / batch (every step costs the same: one ε-network call on the same shapes). Median of ${repeats} timed runs, after ${opts.warmupCalls} untimed batch-1 calls of each network and a short warm-up run of each sampler.`,
    ],
    data: {
      batch,
      ddpmOverDdgan: ddpm.vsDdgan,
      ddimOverDdgan: ddim.vsDdgan,
      ddganMsPerImage: ddganPerImage,
      generatorSource: opts.generatorSource,
      epsSource: opts.epsSource,
      epsConfig: eps.config,
      rows,
    },
  };
}
