/**
 * Samplers section of `npm run bench`: time per image of DD-GAN (T network calls) against
 * every DDPM sampler of the core list (src/core/diffusion/samplers/specs.ts: ancestral
 * sampling with all N calls, DDIM-50, DPM-Solver++ with its default 20 steps, …) on the
 * same backend and batch.
 *
 * Long runs are timed over their first steps and scaled to the full count: every step
 * costs the same (one ε-network call on the same shapes plus a few element-wise ops), so
 * the per-step time does not depend on which steps are run.
 */
import * as tf from '@tensorflow/tfjs';
import { ddpmSchedule, type DdpmSchedule } from '../core/diffusion/ddpm';
import { epsDenoiser, type Denoiser } from '../core/diffusion/denoiser';
import { SamplingAborted, runSampler } from '../core/diffusion/pipeline';
import type { Sampler } from '../core/diffusion/samplers/sampler';
import { createSampler } from '../core/diffusion/samplers/registry';
import { defaultSpec, samplersOf, type SamplerKind } from '../core/diffusion/samplers/specs';
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
  /** The ε-network's schedule (default: the linear one over its steps). */
  readonly epsSchedule?: DdpmSchedule;
  /** Steps actually run of a sampler that runs every step of the schedule (the rest is extrapolated). */
  readonly fullTimedSteps: number;
  /** Steps actually run of a sampler with a step count, at most its count. */
  readonly fewTimedSteps: number;
  /** Step counts by kind (default: each sampler's own default, DDIM 50, DPM-Solver++ 20). */
  readonly steps?: Partial<Record<SamplerKind, number>>;
  /** Timed repeats of each sampler (median); one shorter untimed warm-up run first. */
  readonly repeats: number;
  /** Untimed network calls of each network before anything is timed (see benchGenerator's warmupCalls). */
  readonly warmupCalls: number;
}

/**
 * Milliseconds for the first `steps` steps of a sampler run (x_T draw included, last x
 * read back), stopping the pipeline through its abort signal once they are done.
 */
export async function timeSamplerSteps(model: Denoiser, sampler: Sampler, batch: number, steps: number, seed = 0): Promise<number> {
  const total = sampler.nfe;
  if (!Number.isInteger(steps) || steps < 1 || steps > total) throw new RangeError(`steps must be 1..${total}, got ${steps}`);
  const stop = new AbortController();
  let done = 0;
  const t0 = performance.now();
  try {
    const x0 = await runSampler(model, sampler, {
      batch,
      rng: new Rng(seed),
      signal: stop.signal,
      onStep: async (s) => {
        if (++done === steps) {
          await s.prev.data();
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
  kind: SamplerKind | 'ddgan';
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
  const model = epsDenoiser(eps, opts.epsSchedule ?? ddpmSchedule(eps.config.steps));
  const N = model.schedule.N;
  const T = G.config.T;
  // Samplers with a step count first (by the list's order), then those that run all N steps.
  const infos = samplersOf('ddpm').sort((a, b) => Number(!('steps' in a.params)) - Number(!('steps' in b.params)));
  const samplers = infos.map((info) => {
    const count = opts.steps?.[info.kind];
    return createSampler(defaultSpec(info.kind, count === undefined ? {} : { steps: count }), model);
  });

  await warmUpGenerator(G, opts.warmupCalls);
  const full = samplers.find((x) => !('steps' in x.info.params)) ?? samplers[0];
  await timeSamplerSteps(model, full, 1, Math.max(1, Math.min(opts.warmupCalls, full.nfe)), 98);
  const ddganMs = await timeDdganSample(G, batch, repeats);
  const ddganPerImage = ddganMs / batch;

  const timeChain = async (sampler: Sampler, timedSteps: number): Promise<number> => {
    await timeSamplerSteps(model, sampler, batch, Math.min(2, timedSteps), 99); // warm-up
    const runs: number[] = [];
    for (let i = 0; i < repeats; i++) runs.push(await timeSamplerSteps(model, sampler, batch, timedSteps, i));
    return median(runs) / timedSteps;
  };
  const row = (kind: SamplerRow['kind'], sampler: string, nfe: number, timedSteps: number, msPerStep: number): SamplerRow => {
    const msPerImage = (msPerStep * nfe) / batch;
    return { kind, sampler, nfe, timedSteps, msPerStep, msPerImage, imagesPerSecond: 1000 / msPerImage, vsDdgan: msPerImage / ddganPerImage };
  };
  const rows = [row('ddgan', `DD-GAN T = ${T}`, T, T, ddganMs / T)];
  for (const sampler of samplers) {
    const timed = Math.min('steps' in sampler.info.params ? opts.fewTimedSteps : opts.fullTimedSteps, sampler.nfe);
    rows.push(row(sampler.spec.kind, sampler.label, sampler.nfe, timed, await timeChain(sampler, timed)));
  }
  const of = (kind: SamplerKind): SamplerRow | undefined => rows.find((r) => r.kind === kind);
  const ddpm = of('ancestral');
  const ddim = of('ddim');
  const fmtSteps = (r: SamplerRow) => (r.timedSteps === r.nfe ? `all ${r.nfe}` : `${r.timedSteps} of ${r.nfe}, ×${(r.nfe / r.timedSteps).toFixed(0)}`);
  const ratio = (r: SamplerRow) => `${r.sampler} / DD-GAN T = ${T}: **${r.vsDdgan >= 10 ? r.vsDdgan.toFixed(0) : r.vsDdgan.toFixed(1)}×**`;
  return {
    id: 'samplers',
    title: `Samplers per image, batch ${batch} (${tf.getBackend()})`,
    tables: [
      {
        caption: `${rows.slice(1).map(ratio).join('; ')} slower per image.`,
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
      `DD-GAN: the full sampler (src/core/diffusion/samplers/ddganPosterior.ts through src/core/diffusion/pipeline.ts), weights: ${opts.generatorSource}; ms / step is the sample time over its ${T} steps.`,
      `DDPM samplers (src/core/diffusion/samplers/, the same pipeline) with the ε-network of ${N} steps, weights: ${opts.epsSource}. Timing does not depend on the weights' values, only on the architecture (base ${eps.config.baseChannels} channels × [${eps.config.channelMults.join(', ')}], ${eps.paramCount().toLocaleString('en-US')} parameters, ${(eps.flopsPerExample() / 1e6).toFixed(1)} MFLOP per call per image; the generator: ${(G.flopsPerExample() / 1e6).toFixed(1)} MFLOP).`,
      `"steps timed": where fewer steps than the sampler takes were run, ms / image = ms / step × network calls / batch (every step costs the same: one ε-network call on the same shapes). Median of ${repeats} timed runs, after ${opts.warmupCalls} untimed batch-1 calls of each network and a short warm-up run of each sampler.`,
    ],
    data: {
      batch,
      ddpmOverDdgan: ddpm?.vsDdgan ?? null,
      ddimOverDdgan: ddim?.vsDdgan ?? null,
      overDdgan: Object.fromEntries(rows.slice(1).map((r) => [r.sampler, r.vsDdgan])),
      ddganMsPerImage: ddganPerImage,
      generatorSource: opts.generatorSource,
      epsSource: opts.epsSource,
      epsConfig: eps.config,
      rows,
    },
  };
}
