/**
 * Checks of a resume state before a trainer adopts it. A state is model.json (networks,
 * `trainConfig`, `trainerState`) plus its tensors; these catch what loading alone would let
 * through: a missing or malformed trainerState (a TypeError deep inside), a negative or
 * inconsistent iteration (it would overwrite a long run as iteration 0), an all-zero random
 * stream (xoshiro then returns 0 forever and the normal sampler never returns), settings that
 * are not numbers, and Adam second moments below 0 (the first update would be NaN).
 *
 * The JSON checks need no tensors, so a CLI runs them before it starts a backend. Each
 * failure is a CheckpointError with one line naming what is wrong.
 */
import { CheckpointError } from '../models/checkpoint';
import { rngStateProblem } from '../rng';
import type { ImageGanStateJson } from './imageGan';
import type { OneOptimizerStateJson } from './trainerState';
import { checkAugmentations } from '../../shared/augment';

/** The parts of model.json a resume state is checked on. */
export interface ResumeMeta {
  readonly networks?: Record<string, unknown>;
  readonly trainConfig?: unknown;
  readonly trainerState?: unknown;
  readonly training?: unknown;
  readonly [key: string]: unknown;
}

function fail(message: string): never {
  throw new CheckpointError(`resume state: ${message}`);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const show = (v: unknown): string => (v === undefined ? 'missing' : JSON.stringify(v)?.slice(0, 60) ?? String(v));

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`model.json has no ${what}`);
  return value as Record<string, unknown>;
}

function needNetworks(meta: ResumeMeta, names: readonly string[], kind: string): void {
  const have = Object.keys(meta.networks ?? {});
  const missing = names.filter((n) => !have.includes(n));
  if (missing.length) {
    fail(`a ${kind} resume state holds the networks ${names.join(', ')}; this one has ${have.join(', ') || 'none'} (a shippable model is not a resume state)`);
  }
}

/** The counters every trainer state has: the iteration and the random stream. */
function checkCommon(meta: ResumeMeta, s: Record<string, unknown>): void {
  if (!isCount(s.iteration)) fail(`trainerState.iteration is ${show(s.iteration)}: it must be a whole number ≥ 0`);
  const recorded = (meta.training as { iterations?: unknown } | undefined)?.iterations;
  if (typeof recorded === 'number' && recorded !== s.iteration) {
    fail(`trainerState.iteration is ${s.iteration} but training.iterations is ${recorded}: the file was edited or mixed from two saves`);
  }
  const rng = rngStateProblem(s.rng);
  if (rng) fail(`trainerState.rng ${rng}`);
}

function checkSteps(s: Record<string, unknown>, key: string): void {
  const v = s[key];
  if (!isCount(v)) fail(`trainerState.${key} is ${show(v)}: it must be a whole number ≥ 0`);
  if (v > (s.iteration as number)) fail(`trainerState.${key} is ${v}, more optimiser steps than the ${s.iteration} iterations`);
}

type NumberRule = (v: number) => boolean;
const CONFIG_RULES: Record<string, [NumberRule, string]> = {
  batch: [(v) => Number.isInteger(v) && v >= 1, 'a whole number ≥ 1'],
  lr: [(v) => v > 0, 'a number above 0'],
  lrG: [(v) => v > 0, 'a number above 0'],
  lrD: [(v) => v > 0, 'a number above 0'],
  beta1: [(v) => v >= 0 && v < 1, 'a number in [0, 1)'],
  beta2: [(v) => v >= 0 && v < 1, 'a number in [0, 1)'],
  r1Gamma: [(v) => v >= 0, 'a number ≥ 0'],
  r1Every: [(v) => Number.isInteger(v) && v >= 1, 'a whole number ≥ 1'],
  emaDecay: [(v) => v >= 0 && v <= 1, 'a number in [0, 1]'],
};

/** The numeric settings of trainConfig that the trainers use (those present). */
function checkTrainConfig(meta: ResumeMeta): void {
  const c = record(meta.trainConfig, 'trainConfig (the training settings)');
  for (const [key, [ok, expects]] of Object.entries(CONFIG_RULES)) {
    if (!(key in c)) continue;
    const v = c[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(`trainConfig.${key} is ${show(v)}: it must be ${expects}`);
  }
  const augment = checkAugmentations(c.augment);
  if (typeof augment === 'string') fail(`trainConfig.${augment}`);
}

/** An image-GAN (DD-GAN or Diffusion-GAN recipe) resume state's JSON; returns its trainerState. */
export function checkImageGanResumeMeta(meta: ResumeMeta): ImageGanStateJson {
  needNetworks(meta, ['generator', 'discriminator', 'generatorEma'], 'DD-GAN');
  checkTrainConfig(meta);
  const s = record(meta.trainerState, 'trainerState (the iteration, the random stream and the optimiser step counts)');
  checkCommon(meta, s);
  checkSteps(s, 'optGSteps');
  checkSteps(s, 'optDSteps');
  const recipe = (meta.trainConfig as { recipe?: unknown }).recipe ?? 'ddgan';
  if (recipe !== 'ddgan' && recipe !== 'diffusion-gan') fail(`trainConfig.recipe is ${show(recipe)}: this trainer knows ddgan and diffusion-gan`);
  if (recipe === 'diffusion-gan') {
    const a = record(s.adaptive, 'trainerState.adaptive (the Diffusion-GAN adaptive T)');
    if (!(typeof a.p === 'number' && a.p >= 0 && a.p <= 1)) fail(`trainerState.adaptive.p is ${show(a.p)}: it must be a number in [0, 1]`);
    if (!(isCount(a.T) && a.T >= 1)) fail(`trainerState.adaptive.T is ${show(a.T)}: it must be a whole number ≥ 1`);
    if (!(typeof a.rdSum === 'number' && Number.isFinite(a.rdSum))) fail(`trainerState.adaptive.rdSum is ${show(a.rdSum)}: it must be a number`);
    if (!isCount(a.rdCount)) fail(`trainerState.adaptive.rdCount is ${show(a.rdCount)}: it must be a whole number ≥ 0`);
    if (!(a.rd === null || a.rd === undefined || (typeof a.rd === 'number' && Number.isFinite(a.rd)))) fail(`trainerState.adaptive.rd is ${show(a.rd)}: it must be a number or null`);
  }
  return s as unknown as ImageGanStateJson;
}

/** A one-optimiser (DDPM ε-net, noise-aware classifier) resume state's JSON; returns its trainerState. */
export function checkOneOptimizerResumeMeta(meta: ResumeMeta, networks: readonly string[], kind: string): OneOptimizerStateJson {
  needNetworks(meta, networks, kind);
  checkTrainConfig(meta);
  const s = record(meta.trainerState, 'trainerState (the iteration, the random stream and the optimiser step count)');
  checkCommon(meta, s);
  checkSteps(s, 'optSteps');
  return s as unknown as OneOptimizerStateJson;
}

/** The counters alone (for loadState, whose callers may build the JSON themselves). */
export function checkOneOptimizerStateJson(json: unknown): void {
  const s = record(json, 'trainerState');
  checkCommon({}, s);
  checkSteps(s, 'optSteps');
}

/**
 * Adam's saved moments, `<prefix>m/<param>` and `<prefix>v/<param>`. Every second moment must
 * be ≥ 0, or the update divides by the square root of a negative number and writes NaN
 * weights. With the optimiser's β1, β2 the first moment is bounded by the second too: by
 * Cauchy–Schwarz over the exponential averages, |m| ≤ C·√v with
 * C = (1 − β1) / √((1 − β2)(1 − β1²/β2)) (when β1² < β2); a corrupt m above that would move
 * the weights by far more than Adam ever does. (Non-finite values are refused when the
 * checkpoint is parsed.)
 */
export function checkAdamMoments(state: Record<string, ArrayLike<number>>, betas?: { readonly beta1: number; readonly beta2: number }): void {
  const bound = betas && betas.beta1 ** 2 < betas.beta2 ? (1 - betas.beta1) / Math.sqrt((1 - betas.beta2) * (1 - betas.beta1 ** 2 / betas.beta2)) : undefined;
  for (const [name, v] of Object.entries(state)) {
    // `optG/v/<param>`, `opt/v/<param>` (the prefix is one segment)
    const key = /^([^/]+\/)?v\/(.+)$/.exec(name);
    if (!key || v.length === 0) continue;
    let minV = Infinity;
    for (let i = 0; i < v.length; i++) minV = Math.min(minV, v[i]);
    if (!(minV >= 0)) fail(`the optimiser's second moment ${name} has a negative value (${minV}): the file is corrupt`);
    const mName = `${key[1] ?? ''}m/${key[2]}`;
    const m = state[mName];
    if (bound === undefined || !m || m.length !== v.length) continue;
    // 1 % for float32 rounding, and an absolute slack for gradients whose square underflowed
    let excess = -Infinity;
    for (let i = 0; i < v.length; i++) excess = Math.max(excess, Math.abs(m[i]) - Math.sqrt(v[i]) * bound * 1.01);
    if (excess > 1e-15) fail(`the optimiser's first moment ${mName} is larger than its second moment allows (by ${excess.toExponential(2)}): the file is corrupt`);
  }
}
