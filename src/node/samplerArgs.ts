/**
 * The sampler and guidance options shared by `npm run sample` and `npm run eval`:
 *
 *   --sampler ancestral|ddim   DDPM checkpoints: ancestral (all N steps) or DDIM (default ddim)
 *   --steps S --eta E          DDIM step count (default 50) and η (default 0)
 *   --class Y|all              classifier guidance toward class Y; 'all': sample i → class i mod 10
 *   --scale S                  guidance scale s (default 1)
 *   --guide DIR                the noise-aware classifier (default public/models/mnist-noisy-classifier)
 *
 * Parsing is pure: bad combinations throw a RangeError whose message names the fix.
 */
import path from 'node:path';
import type { DdpmSampler } from '../core/diffusion/ddpm';
import { DEFAULT_GUIDE_DIR, type GuideSpec } from './guide';

export const SAMPLER_CLI_OPTIONS = {
  sampler: { type: 'string' },
  steps: { type: 'string' },
  eta: { type: 'string' },
  class: { type: 'string' },
  scale: { type: 'string' },
  guide: { type: 'string' },
} as const;

export const SAMPLER_USAGE = '[--sampler ancestral|ddim] [--steps S] [--eta E] [--class Y|all] [--scale S] [--guide DIR]';

export interface SamplerArgs {
  readonly sampler?: string;
  readonly steps?: string;
  readonly eta?: string;
  readonly class?: string;
  readonly scale?: string;
  readonly guide?: string;
}

function number(value: string, name: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new RangeError(`--${name} must be a number, got "${value}"`);
  return v;
}

/** The DDPM sampler the options ask for, or undefined (the checkpoint's default). */
export function samplerFromArgs(a: SamplerArgs): DdpmSampler | undefined {
  const kind = a.sampler ?? (a.steps !== undefined || a.eta !== undefined ? 'ddim' : undefined);
  if (kind === undefined) return undefined;
  if (kind === 'ancestral') {
    if (a.steps !== undefined || a.eta !== undefined) {
      throw new RangeError('--sampler ancestral runs all N steps with the posterior variance: --steps and --eta are DDIM options (--sampler ddim)');
    }
    return { kind: 'ancestral' };
  }
  if (kind !== 'ddim') throw new RangeError(`--sampler must be ancestral or ddim, got "${kind}"`);
  const steps = a.steps === undefined ? 50 : number(a.steps, 'steps');
  const eta = a.eta === undefined ? 0 : number(a.eta, 'eta');
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be a positive whole number, got ${a.steps}`);
  if (eta < 0) throw new RangeError(`--eta must be ≥ 0 (0: deterministic DDIM, 1: DDPM-like noise), got ${a.eta}`);
  return { kind: 'ddim', steps, eta };
}

/** The guidance the options ask for, or undefined (unguided). */
export function guideFromArgs(a: SamplerArgs): GuideSpec | undefined {
  if (a.class === undefined) {
    if (a.scale !== undefined || a.guide !== undefined) throw new RangeError('--scale and --guide steer toward a class: add --class Y (0..9) or --class all');
    return undefined;
  }
  let classes: number | 'all';
  if (a.class === 'all') classes = 'all';
  else {
    classes = number(a.class, 'class');
    if (!Number.isInteger(classes) || classes < 0) throw new RangeError(`--class must be a class index (0, 1, …) or "all", got "${a.class}"`);
  }
  const scale = a.scale === undefined ? 1 : number(a.scale, 'scale');
  return { dir: path.resolve(a.guide ?? DEFAULT_GUIDE_DIR), classes, scale };
}
