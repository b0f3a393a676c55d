/**
 * The network side of sampling: a `Denoiser` is a network with its schedule, called as
 * `apply(x, t, z)` with one time index for the whole batch. It predicts x̂₀ (a DD-GAN
 * generator, family 'ddgan', which also takes a latent z) or ε (a DDPM ε-network, family
 * 'ddpm'). Samplers (./samplers/) never see a network; the pipeline (./pipeline.ts) joins
 * the two.
 *
 * `scheduleFromMeta` is the one place a checkpoint's schedule is rebuilt, so the worker,
 * the CLIs and the tests sample a checkpoint over the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedCheckpoint, ModelJson } from '../models/checkpoint';
import type { EpsNetConfig } from '../models/epsNet';
import type { GeneratorConfig } from '../models/generator';
import type { Mlp2dCondGeneratorConfig } from '../models/mlp2d';
import type { Network } from '../models/network';
import { ddpmSchedule, type DdpmSchedule } from './ddpm';
import { ddganSchedule, type DdganSchedule } from './schedule';
import type { SamplerFamily } from './samplers/specs';

interface DenoiserBase {
  /** The checkpoint's (or network's) name, for messages. */
  readonly name: string;
  /** The shape of one example: [size, size, channels] for images, [2] for toy points. */
  readonly exampleShape: readonly number[];
  /** Size of the latent z drawn for every call (0: none). */
  readonly latentDim: number;
  /** The network at time index t for the whole batch (call inside tf.tidy). */
  apply(x: tf.Tensor, t: number, latent: tf.Tensor | null): tf.Tensor;
}

/** A DD-GAN generator G(x_k, k, z) → x̂₀ over its T-step schedule. */
export interface DdganDenoiser extends DenoiserBase {
  readonly family: 'ddgan';
  readonly schedule: DdganSchedule;
  readonly network: Network<GeneratorConfig> | Network<Mlp2dCondGeneratorConfig>;
}

/** A DDPM ε-network ε_θ(x_t, t) over its N-step schedule. */
export interface EpsDenoiser extends DenoiserBase {
  readonly family: 'ddpm';
  readonly schedule: DdpmSchedule;
  readonly network: Network<EpsNetConfig>;
}

export type Denoiser = DdganDenoiser | EpsDenoiser;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The schedule a checkpoint was trained with. DD-GAN: the VP schedule of the generator's
 * T (a model.json `schedule.T` that disagrees is an error). DDPM: model.json's
 * `schedule: { N, betaStart, betaEnd }` where given, else the ε-network's steps and the
 * linear 1e-4 → 0.02 of DESIGN §2.3.
 */
export function scheduleFromMeta(meta: Pick<ModelJson, 'schedule'>, config: GeneratorConfig | Mlp2dCondGeneratorConfig): DdganSchedule;
export function scheduleFromMeta(meta: Pick<ModelJson, 'schedule'>, config: EpsNetConfig): DdpmSchedule;
export function scheduleFromMeta(meta: Pick<ModelJson, 'schedule'>, config: GeneratorConfig | Mlp2dCondGeneratorConfig | EpsNetConfig): DdganSchedule | DdpmSchedule {
  const s = meta.schedule;
  if (config.kind === 'ddpm-eps') return ddpmSchedule(num(s?.N) ?? config.steps, num(s?.betaStart) ?? 1e-4, num(s?.betaEnd) ?? 0.02);
  const T = num(s?.T);
  if (T !== undefined && T !== config.T) throw new Error(`model.json's schedule has T = ${T}, but the generator was built for T = ${config.T}`);
  return ddganSchedule(config.T);
}

/** A DD-GAN generator (images or 2-D points) as a denoiser; the schedule defaults to its T's. */
export function ddganDenoiser(
  generator: Network<GeneratorConfig> | Network<Mlp2dCondGeneratorConfig>,
  schedule: DdganSchedule = ddganSchedule(generator.config.T),
  name: string = generator.config.kind,
): DdganDenoiser {
  const cfg = generator.config;
  if (cfg.T !== schedule.T) throw new Error(`generator was trained for T = ${cfg.T}, the schedule has T = ${schedule.T}`);
  const exampleShape = cfg.kind === 'ddgan-generator' ? [cfg.imageSize, cfg.imageSize, cfg.channels] : [2];
  return {
    family: 'ddgan',
    name,
    schedule,
    network: generator,
    exampleShape,
    latentDim: cfg.nz,
    apply: (x, k, z) => (generator as Network).apply(x, tf.fill([x.shape[0]], k, 'int32'), z!),
  };
}

/** A DDPM ε-network as a denoiser over `schedule`. */
export function epsDenoiser(net: Network<EpsNetConfig>, schedule: DdpmSchedule, name: string = net.config.kind): EpsDenoiser {
  const cfg = net.config;
  return {
    family: 'ddpm',
    name,
    schedule,
    network: net,
    exampleShape: [cfg.imageSize, cfg.imageSize, cfg.channels],
    latentDim: 0,
    apply: (x, t) => net.apply(x, tf.fill([x.shape[0]], t, 'int32')),
  };
}

/** "generator: ddgan-generator, …" for messages. */
export function networkKinds(ck: LoadedCheckpoint): string {
  return Object.entries(ck.networks).map(([k, n]) => `${k}: ${n.config.kind}`).join(', ') || 'no networks';
}

/**
 * The checkpoint's denoiser of `family` (default: its DD-GAN generator if it has one, else
 * its ε-network), over the schedule of its model.json. Throws, naming the networks it
 * holds, when there is none.
 */
export function denoiserOf(ck: LoadedCheckpoint, family?: SamplerFamily): Denoiser {
  const find = (kind: string) => Object.values(ck.networks).find((n) => n.config.kind === kind);
  const generator = find('ddgan-generator') as Network<GeneratorConfig> | undefined;
  const eps = find('ddpm-eps') as Network<EpsNetConfig> | undefined;
  const want = family ?? (generator ? 'ddgan' : eps ? 'ddpm' : 'ddgan');
  const name = ck.meta.name;
  if (want === 'ddgan') {
    if (!generator) throw new Error(`${name} has no DD-GAN generator (networks: ${networkKinds(ck)})`);
    return ddganDenoiser(generator, scheduleFromMeta(ck.meta, generator.config), name);
  }
  if (!eps) throw new Error(`${name} has no DDPM ε-network (networks: ${networkKinds(ck)})`);
  return epsDenoiser(eps, scheduleFromMeta(ck.meta, eps.config), name);
}
