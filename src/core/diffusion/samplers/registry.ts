/**
 * Spec → Sampler: one factory per kind of ./specs.ts. The table is typed by the kinds, so
 * a kind listed there without a factory here does not compile.
 */
import type { DdganSchedule } from '../schedule';
import type { DdpmSchedule } from '../ddpm';
import type { Denoiser } from '../denoiser';
import { ddganPosteriorSampler } from './ddganPosterior';
import { ddimSampler } from './ddim';
import { ddpmAncestralSampler } from './ddpmAncestral';
import { dpmSolverSampler } from './dpmSolver';
import type { Sampler } from './sampler';
import { infoOf, parseSamplerSpec, type SamplerKind, type SamplerSpec, type SamplerSpecOf } from './specs';

type ScheduleOf<K extends SamplerKind> = K extends 'ddgan' ? DdganSchedule : DdpmSchedule;

const FACTORIES: { readonly [K in SamplerKind]: (spec: SamplerSpecOf<K>, schedule: ScheduleOf<K>) => Sampler } = {
  ddgan: ddganPosteriorSampler,
  ancestral: ddpmAncestralSampler,
  ddim: ddimSampler,
  'dpm-solver': dpmSolverSampler,
};

/**
 * The sampler `spec` asks for, over `model`'s schedule. Throws when the spec is malformed
 * or made for the other family (a DDPM sampler for a DD-GAN generator, or the reverse),
 * naming what fits.
 */
export function createSampler(spec: SamplerSpec, model: Pick<Denoiser, 'family' | 'schedule' | 'name'>): Sampler {
  const checked = parseSamplerSpec(spec);
  const info = infoOf(checked.kind);
  if (info.family !== model.family) {
    throw new RangeError(
      model.family === 'ddgan'
        ? `${model.name} is a DD-GAN generator: it samples with its own T steps, not with ${info.name} (that is for DDPM ε-networks)`
        : `${model.name} is a DDPM ε-network: ${info.name} is the DD-GAN generator's sampler`,
    );
  }
  const factory = FACTORIES[checked.kind] as (spec: SamplerSpec, schedule: DdganSchedule | DdpmSchedule) => Sampler;
  return factory(checked, model.schedule);
}
