/**
 * The flags of the train, sample, eval and info CLIs with what a valid value is, read by
 * `flags()` (src/node/args.ts) before any backend starts. A bad value ends the CLI with one
 * line, "--batch 0: use a whole number from 1 to 512", and exit status 2.
 *
 * Bounds: training batches stop at 512 and sampling batches at 1,000 (far past what the
 * wasm backend's memory holds for these networks would be an out-of-memory abort, not a
 * message); seeds are 32-bit; base channel counts stop at 256.
 */
import { DATASETS } from '../core/data/catalog';
import { TRAINING_RECIPE_IDS } from '../shared/recipes';
import { int, intIn, listOf, oneOf, positive, real, text, type Rule } from './args';
import { AUGMENTATIONS, parseAugmentations, type Augmentation } from '../shared/augment';

export const MAX_TRAIN_BATCH = 512;
export const MAX_SAMPLE_BATCH = 1000;
export const MAX_SAMPLES = 100_000;
export const MAX_ITERS = 100_000_000;

const DATA = oneOf(Object.keys(DATASETS) as (keyof typeof DATASETS)[]);
const SEED = int(0, 0xffffffff);
const PATH = text();
const ITERS = int(1, MAX_ITERS);
const TRAIN_BATCH = int(1, MAX_TRAIN_BATCH);
const BASE_CHANNELS = int(1, 256);

/** What every training CLI takes (defaults differ per model). */
const TRAIN_COMMON = {
  model: PATH,
  out: PATH,
  seed: SEED,
  minutes: positive(),
} as const;

/** --iters of a fresh DD-GAN run (a fine-tune's default is the tab's, a resumed run's its saved target). */
export const DEFAULT_ITERS = 4000;

/**
 * `npm run train -- --model ddgan`. --data and --batch default to the resume state's, else
 * mnist and 32; --data is also a folder of images (src/node/finetuneArgs.ts checks it).
 * --init names a checkpoint to fine-tune; its settings then start from the tab's.
 */
/** `--augment color,translation,cutout` (or none): DiffAugment on what D sees. */
const AUGMENT: Rule<Augmentation[]> = {
  expects: `a comma-separated list of ${AUGMENTATIONS.join(', ')}, or none`,
  parse: (text) => {
    try {
      return parseAugmentations(text);
    } catch {
      return undefined;
    }
  },
};

export const TRAIN_DDGAN_FLAGS = {
  ...TRAIN_COMMON,
  data: { expects: `${Object.keys(DATASETS).join(', ')} or a folder of images`, parse: (t: string) => (t.trim() === '' ? undefined : t) } as Rule<string>,
  init: PATH,
  T: [intIn([1, 2, 4, 8]), 4],
  recipe: oneOf(TRAINING_RECIPE_IDS),
  iters: ITERS,
  batch: TRAIN_BATCH,
  state: PATH,
  resume: PATH,
  'save-every': [int(1), 100],
  'lr-g': positive(),
  'lr-d': positive(),
  r1: real({ min: 0 }),
  'r1-every': int(1, 1_000_000),
  ema: real({ min: 0, below: 1 }),
  'step-weights': listOf(real({ min: 0 })),
  augment: AUGMENT,
  /** With --init: start D from the checkpoint's own when it fits ('base', the tab's way) or from random weights ('fresh'). */
  'init-d': oneOf(['base', 'fresh'] as const),
  'g-base': [BASE_CHANNELS, 16],
  'd-base': [BASE_CHANNELS, 16],
  name: PATH,
} as const;

/** `npm run train -- --model ddpm`. */
export const TRAIN_DDPM_FLAGS = {
  ...TRAIN_COMMON,
  data: DATA,
  iters: [ITERS, 4000],
  batch: TRAIN_BATCH,
  lr: positive(),
  base: [BASE_CHANNELS, 16],
  state: PATH,
  resume: PATH,
  'save-every': [int(1), 200],
} as const;

/** `npm run train -- --model classifier`. */
export const TRAIN_CLASSIFIER_FLAGS = {
  ...TRAIN_COMMON,
  data: [DATA, 'mnist'],
  iters: [ITERS, 4000],
  batch: [TRAIN_BATCH, 64],
  lr: [positive(), 2e-3],
} as const;

/** `npm run train -- --model noisy-classifier`. */
export const TRAIN_NOISY_CLASSIFIER_FLAGS = {
  ...TRAIN_COMMON,
  data: [DATA, 'mnist'],
  iters: [ITERS, 3000],
  batch: TRAIN_BATCH,
  lr: positive(),
  base: [BASE_CHANNELS, 16],
  state: PATH,
  resume: PATH,
  'save-every': [int(1), 250],
} as const;

/** `npm run sample` (the sampler flags are read by src/node/samplerArgs.ts). */
export const SAMPLE_FLAGS = {
  checkpoint: PATH,
  out: PATH,
  n: [int(1, MAX_SAMPLES), 64],
  seed: [SEED, 0],
  batch: [int(1, MAX_SAMPLE_BATCH), 64],
} as const;

/** `npm run eval` (one checkpoint or --table; the sampler flags are read by src/node/samplerArgs.ts). */
export const EVAL_FLAGS = {
  checkpoint: PATH,
  // Precision/recall's k-NN needs more than k = 3 images per set, the covariance at least 2.
  n: int(4, MAX_SAMPLES),
  batch: [int(1, MAX_SAMPLE_BATCH), 250],
  seed: [SEED, 0],
  classifier: PATH,
  'n-slow': int(4, MAX_SAMPLES),
  'n-guided': int(4, MAX_SAMPLES),
  'step-counts': listOf(int(1, 1000)),
  'guided-steps': int(1, 1000),
  scales: listOf(real()),
  models: PATH,
  out: PATH,
} as const;

/** `npm run info`. */
export const INFO_FLAGS = {
  checkpoint: PATH,
  pairs: [int(1, MAX_SAMPLES), 2000],
} as const;

/**
 * Why a base channel count does not fit a network's group norms (each level's channels must
 * split into min(groups, channels) groups), or undefined when it does.
 */
export function groupNormProblem(cfg: { readonly baseChannels: number; readonly channelMults: readonly number[]; readonly groups: number }): string | undefined {
  for (const m of cfg.channelMults) {
    const c = cfg.baseChannels * m;
    const g = Math.min(cfg.groups, c);
    if (c % g !== 0) return `${c} channels do not split into ${g} groups (use a multiple of ${cfg.groups}, or fewer than ${cfg.groups})`;
  }
  return undefined;
}
