/**
 * The sampler and guidance options shared by `npm run sample` and `npm run eval`, read
 * from the sampler list (src/core/diffusion/samplers/specs.ts):
 *
 *   --sampler KIND             DDPM checkpoints: one of the ε-network samplers (default ddim)
 *   --steps S --eta E          the sampler's parameters, by name (DDIM: steps 50, η 0;
 *                              DPM-Solver++: steps 20); --steps or --eta alone means DDIM
 *   --class Y|all              classifier guidance toward class Y; 'all': sample i → class i mod 10
 *   --scale S                  guidance scale s (default 1)
 *   --guide DIR                the noise-aware classifier (default public/models/mnist-noisy-classifier)
 *
 * Parsing is pure: bad combinations throw a RangeError whose message names the fix.
 */
import path from 'node:path';
import { defaultSpec, parseSamplerSpec, samplersOf, type DdpmSamplerSpec } from '../core/diffusion/samplers/specs';
import { DEFAULT_GUIDE_DIR, type GuideSpec } from './guide';

/** The ε-network samplers the CLIs offer. */
const DDPM_SAMPLERS = samplersOf('ddpm');

/** Every parameter name of those samplers (each is a flag: --steps, --eta). */
const PARAM_FLAGS = [...new Set(DDPM_SAMPLERS.flatMap((i) => Object.keys(i.params)))];

/** The parameter names of the ε-network samplers' specs ('steps' | 'eta'). */
type ParamName = DdpmSamplerSpec extends infer S ? (S extends unknown ? Exclude<keyof S, 'kind'> : never) : never;
type SamplerFlag = 'sampler' | ParamName | 'class' | 'scale' | 'guide';

export const SAMPLER_CLI_OPTIONS = Object.fromEntries(
  ['sampler', ...PARAM_FLAGS, 'class', 'scale', 'guide'].map((name) => [name, { type: 'string' }]),
) as { readonly [F in SamplerFlag]: { readonly type: 'string' } };

export const SAMPLER_USAGE = `[--sampler ${DDPM_SAMPLERS.map((i) => i.kind).join('|')}] ${PARAM_FLAGS.map((p) => `[--${p} ${p === 'steps' ? 'S' : p[0].toUpperCase()}]`).join(' ')} [--class Y|all] [--scale S] [--guide DIR]`;

/** One line per sampler for --help: its kind, its parameters with their defaults, what it does. */
export const SAMPLER_HELP = DDPM_SAMPLERS.map((i) => {
  const params = Object.entries(i.params).map(([name, p]) => `--${name} ${p.default}`);
  return `  ${i.kind}${params.length ? ` (${params.join(', ')})` : ''}: ${i.name}, ${i.about}`;
}).join('\n');

export type SamplerArgs = { readonly [F in SamplerFlag]?: string };

function number(value: string, name: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new RangeError(`--${name} must be a number, got "${value}"`);
  return v;
}

/** The DDPM sampler the options ask for, or undefined (the checkpoint's default). */
export function samplerFromArgs(a: SamplerArgs): DdpmSamplerSpec | undefined {
  const given = PARAM_FLAGS.filter((name) => a[name as keyof SamplerArgs] !== undefined);
  const kind = a.sampler ?? (given.length > 0 ? 'ddim' : undefined);
  if (kind === undefined) return undefined;
  const info = DDPM_SAMPLERS.find((i) => i.kind === kind);
  if (!info) throw new RangeError(`--sampler must be ${DDPM_SAMPLERS.map((i) => i.kind).join(', ').replace(/, ([^,]*)$/, ' or $1')}, got "${kind}"`);
  const foreign = given.filter((name) => !(name in info.params));
  if (foreign.length > 0) {
    const owners = DDPM_SAMPLERS.filter((i) => foreign.every((name) => name in i.params)).map((i) => `--sampler ${i.kind}`);
    const what = Object.keys(info.params).length ? `takes only ${Object.keys(info.params).map((n) => `--${n}`).join(' and ')}` : 'takes no options';
    throw new RangeError(`--sampler ${kind} ${what}: ${foreign.map((n) => `--${n}`).join(' and ')} belong to ${owners.join(' or ') || 'another sampler'}`);
  }
  const spec: Record<string, unknown> = { ...defaultSpec(info.kind) };
  for (const name of given) {
    const value = number(a[name as keyof SamplerArgs]!, name);
    const p = info.params[name];
    if (p.integer && !Number.isInteger(value)) throw new RangeError(`--${name} must be a whole number, got ${a[name as keyof SamplerArgs]}`);
    if (value < p.min || value > p.max) throw new RangeError(`--${name} must be from ${p.min} to ${p.max} (${p.help}), got ${value}`);
    spec[name] = value;
  }
  return parseSamplerSpec(spec) as DdpmSamplerSpec;
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
