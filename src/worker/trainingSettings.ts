/**
 * What a training setting may be, in one place: the worker refuses a run whose settings
 * break these rules (trainingSession.ts, `checkSettings`), and the fine-tune panel and the
 * store check every field with the same rules before anything is sent, so a value such as
 * batch 2.5 is refused with a reason at the field instead of failing inside tfjs ("Tensor
 * must have a shape comprised of positive integers") and leaving a session that cannot resume.
 *
 * Plain code (no tfjs): the UI thread imports it.
 */
import { DEFAULT_TRAINING_RECIPE, IMAGE_GAN_DEFAULTS } from '../shared/recipes';
import type { TrainingSettings } from './protocol';

/**
 * The fine-tune recipe's defaults: what the panel starts with, and what
 * `npm run train -- --init DIR` trains with unless a flag says otherwise
 * (src/node/finetuneArgs.ts), so a run measured on the command line is the tab's run.
 */
export const DEFAULT_TRAINING_SETTINGS: TrainingSettings = Object.freeze({
  recipe: DEFAULT_TRAINING_RECIPE,
  iterations: 200,
  batch: 8,
  lrG: IMAGE_GAN_DEFAULTS.lrG,
  lrD: IMAGE_GAN_DEFAULTS.lrD,
  r1Gamma: IMAGE_GAN_DEFAULTS.r1Gamma,
  emaDecay: IMAGE_GAN_DEFAULTS.emaDecay,
  seed: 0,
  previewEvery: 10,
  previewCount: 16,
  checkpointEvery: 25,
});

export type NumericSetting = Exclude<keyof TrainingSettings, 'recipe' | 'augment'>;

export const TRAINING_LIMITS = {
  iterations: [1, 1_000_000],
  batch: [1, 64],
  lrG: [0, 0.1],
  lrD: [0, 0.1],
  r1Gamma: [0, 100],
  emaDecay: [0, 1],
  seed: [0, 0xffffffff],
  previewEvery: [1, 100_000],
  previewCount: [1, 64],
  checkpointEvery: [1, 1_000_000],
} as const satisfies Record<NumericSetting, readonly [number, number]>;

/** Settings that count things (iterations, images, a seed): whole numbers only. */
export const INTEGER_SETTINGS: ReadonlySet<NumericSetting> = new Set<NumericSetting>(['iterations', 'batch', 'seed', 'previewEvery', 'previewCount', 'checkpointEvery']);

/** Why `value` cannot be setting `key`, or null when it can. */
export function settingProblem(key: NumericSetting, value: unknown): string | null {
  const [lo, hi] = TRAINING_LIMITS[key];
  const whole = INTEGER_SETTINGS.has(key);
  const want = `${whole ? 'a whole number' : 'a number'} from ${lo} to ${hi}`;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    // NaN is what an emptied number field gives.
    const got = value === '' || value === undefined || value === null || Number.isNaN(value) ? 'nothing' : JSON.stringify(value);
    return `${key} must be ${want}, got ${got}`;
  }
  if (whole && !Number.isInteger(value)) return `${key} must be ${want}, not ${value}`;
  if (!(value >= lo && value <= hi)) return `${key} must be ${want}, not ${value}`;
  return null;
}

/** Every problem of a settings object, by setting (empty when all are valid). */
export function settingsProblems(s: Partial<Record<NumericSetting, unknown>>): Partial<Record<NumericSetting, string>> {
  const out: Partial<Record<NumericSetting, string>> = {};
  for (const key of Object.keys(TRAINING_LIMITS) as NumericSetting[]) {
    const why = settingProblem(key, s[key]);
    if (why) out[key] = why;
  }
  return out;
}
