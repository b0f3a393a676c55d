/**
 * What `npm run train -- --model ddgan --init DIR` and `--data` mean, checked before any
 * backend starts:
 *
 *  - `finetuneSettings`: the flags of a fine-tune as the tab's TrainingSettings, starting
 *    from the panel's defaults (DEFAULT_TRAINING_SETTINGS, src/worker/trainingSettings.ts)
 *    and held to the panel's limits, so the command line trains what the tab trains. Flags
 *    the tab has no setting for (the architecture, R1's interval, step weights) are refused.
 *  - `dataSourceFlag` / `resumeDataSource`: `--data mnist|emoji` names a built-in set, any
 *    other value a folder of images; a resumed run continues on the data it was saved with.
 *  - `initGenerator`: the generator config of the --init checkpoint (its model.json only).
 *  - `loadTrainingImages`: the data at the generator's size and channels (a folder through
 *    the upload code, a built-in set resized as the worker does).
 *
 * Every problem is a UsageError naming the flag.
 */
import path from 'node:path';
import type { ImageDataset } from '../core/data/dataset';
import { DATASETS, isDatasetKey, trainDataName } from '../core/data/catalog';
import type { GeneratorConfig } from '../core/models/generator';
import type { ModelJson } from '../core/models/checkpoint';
import type { TrainingSettings } from '../worker/protocol';
import { fitDataset } from '../worker/trainingData';
import { DEFAULT_TRAINING_SETTINGS, settingsProblems, type NumericSetting } from '../worker/trainingSettings';
import { UsageError, type FlagValues } from './args';
import type { TRAIN_DDGAN_FLAGS } from './cliFlags';
import { loadDataset } from './data';
import { folderProblem, loadImageFolder, type SkippedFile } from './imageFolder';

type DdganFlags = FlagValues<typeof TRAIN_DDGAN_FLAGS>;

/** The fine-tune settings each flag sets (the tab's names). */
export const FINETUNE_FLAG_SETTINGS = {
  iters: 'iterations',
  batch: 'batch',
  'lr-g': 'lrG',
  'lr-d': 'lrD',
  r1: 'r1Gamma',
  ema: 'emaDecay',
  seed: 'seed',
} as const satisfies Partial<Record<keyof DdganFlags, NumericSetting>>;

/** Flags of a fresh run that a fine-tune refuses, and why. */
const NOT_FOR_FINETUNE: Partial<Record<keyof DdganFlags, string>> = {
  T: 'the architecture (T included) is the --init checkpoint’s',
  'g-base': 'the architecture is the --init checkpoint’s',
  'd-base': 'the discriminator is sized to the generator, as in the tab',
  'r1-every': 'the tab’s recipe has no such setting (leave it out to train what the tab trains)',
  'step-weights': 'the tab’s recipe has no such setting (leave it out to train what the tab trains)',
};

/**
 * The TrainingSettings of a fine-tune: the tab's defaults with the flags that were given
 * (`given`: the raw flags, to tell a flag given from a default; `f`: their parsed values).
 */
export function finetuneSettings(given: Record<string, unknown>, f: Partial<DdganFlags>): TrainingSettings {
  for (const [flag, why] of Object.entries(NOT_FOR_FINETUNE)) {
    if (given[flag] !== undefined) throw new UsageError(`--${flag} ${String(given[flag])}: not with --init: ${why}`);
  }
  const settings: Record<string, unknown> = { ...DEFAULT_TRAINING_SETTINGS };
  if (given.recipe !== undefined && f.recipe !== undefined) settings.recipe = f.recipe;
  for (const [flag, key] of Object.entries(FINETUNE_FLAG_SETTINGS)) {
    const v = f[flag as keyof typeof FINETUNE_FLAG_SETTINGS];
    if (given[flag] !== undefined && v !== undefined) settings[key] = v;
  }
  if (given.augment !== undefined && f.augment !== undefined) settings.augment = f.augment;
  const problems = settingsProblems(settings);
  for (const [flag, key] of Object.entries(FINETUNE_FLAG_SETTINGS)) {
    const why = problems[key];
    if (why) throw new UsageError(`--${flag} ${String(given[flag])}: a fine-tune takes the tab’s values: ${why}`);
  }
  return settings as unknown as TrainingSettings;
}

/**
 * The generator an --init checkpoint starts from: a shipped model's `generator` (its EMA
 * weights), or the EMA copy of a resume state, the weights a shipped model would carry. A
 * UsageError when it has none.
 */
export function initGenerator(dir: string, meta: ModelJson): { readonly key: 'generator' | 'generatorEma'; readonly config: GeneratorConfig } {
  const key = meta.networks?.generatorEma ? 'generatorEma' : 'generator';
  const g = meta.networks?.[key] as GeneratorConfig | undefined;
  if (!g || g.kind !== 'ddgan-generator') {
    const kinds = Object.entries(meta.networks ?? {}).map(([k, n]) => `${k}: ${(n as { kind?: string }).kind}`);
    throw new UsageError(`--init ${dir}: holds no DD-GAN generator to fine-tune (networks: ${kinds.join(', ') || 'none'})`);
  }
  return { key, config: g };
}

export type TrainDataSource = { readonly kind: 'builtin'; readonly name: string } | { readonly kind: 'folder'; readonly dir: string };

/** What --data takes, in words: the built-in sets by name, or a folder. */
export const DATA_CHOICES = `${Object.keys(DATASETS).join(', ')} or a folder of images`;
const DATA_USE = `use ${DATA_CHOICES}`;

/** `--data`: a built-in set by name, or a folder that exists (undefined when the flag is absent). */
export async function dataSourceFlag(value: string | undefined): Promise<TrainDataSource | undefined> {
  if (value === undefined) return undefined;
  if (isDatasetKey(value)) return { kind: 'builtin', name: trainDataName(value) };
  const dir = path.resolve(value);
  const problem = await folderProblem(dir);
  if (problem) throw new UsageError(`--data ${value}: ${DATA_USE}; ${problem}`);
  return { kind: 'folder', dir };
}

/** The data the state at `stateDir` was saved with (`meta.data`): a folder, or a built-in set's name. */
function savedSource(data: unknown): TrainDataSource | null {
  const d = data as { name?: unknown; folder?: unknown } | undefined;
  if (typeof d?.folder === 'string') return { kind: 'folder', dir: d.folder };
  if (typeof d?.name === 'string') return { kind: 'builtin', name: d.name };
  return null;
}

/**
 * The data a resumed run trains on: the one it was saved with. A built-in set must be the
 * same; a folder may be given again (the images may have moved), else the saved path is read.
 */
export async function resumeDataSource(stateDir: string, savedData: unknown, flag: TrainDataSource | undefined, raw: string | undefined): Promise<TrainDataSource> {
  const saved = savedSource(savedData);
  if (!saved) return flag ?? { kind: 'builtin', name: trainDataName('mnist') };
  if (saved.kind === 'builtin') {
    if (flag && (flag.kind !== 'builtin' || flag.name !== saved.name)) {
      throw new UsageError(`--data ${raw}: the state at ${stateDir} was trained on ${saved.name}; leave --data out to continue on it`);
    }
    return saved;
  }
  if (flag?.kind === 'builtin') throw new UsageError(`--data ${raw}: the state at ${stateDir} was trained on the images in ${saved.dir}; give that folder, or leave --data out`);
  if (flag) return flag;
  const problem = await folderProblem(saved.dir);
  if (problem) throw new UsageError(`--resume ${stateDir}: it was trained on the images in ${saved.dir}, but ${problem}; give the folder with --data`);
  return saved;
}

/** The images of a run at the generator's size and channels, and what the folder's files gave. */
export async function loadTrainingImages(
  source: TrainDataSource,
  size: number,
  channels: 1 | 3,
  onSkip?: (s: SkippedFile) => void,
): Promise<{ dataset: ImageDataset; skipped: readonly SkippedFile[] }> {
  if (source.kind === 'folder') return loadImageFolder(source.dir, size, channels, onSkip);
  return { dataset: fitDataset(await loadDataset(source.name), size, channels), skipped: [] };
}

/** `meta.data` of a save: what the run trained on, with the folder to find it again. */
export function dataMeta(source: TrainDataSource, ds: ImageDataset): Record<string, unknown> {
  return { name: ds.name, count: ds.count, size: ds.size, channels: ds.channels, ...(source.kind === 'folder' ? { folder: source.dir } : {}) };
}
