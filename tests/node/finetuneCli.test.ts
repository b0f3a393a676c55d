/**
 * `npm run train -- --model ddgan --init DIR --data FOLDER` (src/cli/train-ddgan.ts,
 * src/node/finetuneArgs.ts): the command line resolves the same settings as the tab's
 * Fine-tune panel, refuses what the tab has no setting for with a message naming the flag,
 * and, run on a small folder (three tiny PNGs and a text file) with the tiny 16×16 model,
 * names and skips the unreadable file, trains, writes a model that loads, and continues
 * with --resume on the folder recorded in the state.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeCheckpoint } from '../../src/core/models/checkpoint';
import { defaultTrainConfig } from '../../src/core/training/ddganTrainer';
import { checkFlags, stringOptions, parseArgv, UsageError } from '../../src/node/args';
import { loadCheckpointDir, saveCheckpointDir } from '../../src/node/checkpointDir';
import { TRAIN_DDGAN_FLAGS } from '../../src/node/cliFlags';
import { DATA_CHOICES, dataSourceFlag, finetuneSettings, initGenerator, resumeDataSource } from '../../src/node/finetuneArgs';
import { initialTrain } from '../../src/store/slices/trainSlice';
import { TINY_CONFIG, buildTinyCheckpoint } from '../fixtures/tinyCheckpoint';
import { backend } from '../helpers';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
let tmp: string;
let tiny: string;
let images: string;

/** The settings the command line resolves from these flags. */
function resolve(argv: string[]) {
  const args = parseArgv(stringOptions(TRAIN_DDGAN_FLAGS), argv);
  return finetuneSettings(args, checkFlags(args, TRAIN_DDGAN_FLAGS));
}

function train(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(tsx, ['src/cli/train.ts', '--model', 'ddgan', '--threads', '1', ...args], { cwd: root, timeout: 120_000 }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

function solidPng(width: number, height: number, rgb: readonly [number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([...rgb, 255], i * 4);
  return PNG.sync.write(png);
}

beforeAll(async () => {
  await backend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddgan-finetune-'));
  tiny = path.join(tmp, 'tiny');
  const ck = await buildTinyCheckpoint();
  await saveCheckpointDir(tiny, { modelJson: ck.modelJson, weightData: ck.weights });
  images = path.join(tmp, 'my images');
  await mkdir(images);
  await writeFile(path.join(images, 'red.png'), solidPng(20, 12, [255, 0, 0]));
  await writeFile(path.join(images, 'green.png'), solidPng(12, 20, [0, 255, 0]));
  await writeFile(path.join(images, 'blue.png'), solidPng(16, 16, [0, 0, 255]));
  await writeFile(path.join(images, 'notes.txt'), 'not an image, just some text\n');
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('fine-tune settings: the command line and the tab', () => {
  it('resolve identical settings when no flag changes one', () => {
    // The tab trains the store's settings as they start (src/store/slices/trainSlice.ts).
    expect(resolve([])).toEqual(initialTrain().settings);
  });

  it('maps each flag onto the tab’s setting of the same meaning', () => {
    const argv = ['--iters', '7', '--batch', '2', '--lr-g', '0.001', '--lr-d', '0.002', '--r1', '0', '--ema', '0.99', '--seed', '5', '--recipe', 'diffusion-gan'];
    expect(resolve(argv)).toEqual({ ...initialTrain().settings, iterations: 7, batch: 2, lrG: 0.001, lrD: 0.002, r1Gamma: 0, emaDecay: 0.99, seed: 5, recipe: 'diffusion-gan' });
  });

  it('takes --augment as the tab’s augmentation setting, and names the choices for a bad one', () => {
    expect(resolve(['--augment', 'cutout,color'])).toEqual({ ...initialTrain().settings, augment: ['color', 'cutout'] });
    expect(resolve(['--augment', 'none'])).toEqual({ ...initialTrain().settings, augment: [] });
    expect(() => resolve(['--augment', 'flip'])).toThrow(/--augment.*color, translation, cutout, or none/);
  });

  it('takes --init-d only with --init, before any backend starts', async () => {
    const r = await train(['--data', 'mnist', '--init-d', 'fresh', '--out', path.join(tmp, 'no-init-d')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--init-d fresh: .*goes with --init/);
  }, 60_000);

  it('refuses flags the tab has no setting for, and values outside the tab’s limits, naming the flag', () => {
    expect(() => resolve(['--T', '2'])).toThrow(new UsageError('--T 2: not with --init: the architecture (T included) is the --init checkpoint’s'));
    expect(() => resolve(['--g-base', '8'])).toThrow(/^--g-base 8: not with --init/);
    expect(() => resolve(['--r1-every', '2'])).toThrow(/^--r1-every 2: not with --init: the tab’s recipe has no such setting/);
    expect(() => resolve(['--step-weights', '1,1,1,1'])).toThrow(/^--step-weights 1,1,1,1: not with --init/);
    expect(() => resolve(['--batch', '100'])).toThrow(new UsageError('--batch 100: a fine-tune takes the tab’s values: batch must be a whole number from 1 to 64, not 100'));
    expect(() => resolve(['--lr-g', '0.5'])).toThrow(/^--lr-g 0\.5: a fine-tune takes the tab’s values: lrG must be a number from 0 to 0\.1/);
  });

  it('reads --data as a built-in set or a folder, and an --init checkpoint for its generator', async () => {
    expect(await dataSourceFlag('mnist')).toEqual({ kind: 'builtin', name: 'mnist-train' });
    expect(await dataSourceFlag(images)).toEqual({ kind: 'folder', dir: images });
    expect(await dataSourceFlag(undefined)).toBeUndefined();
    await expect(dataSourceFlag(path.join(tmp, 'nope'))).rejects.toThrow(`--data ${path.join(tmp, 'nope')}: use ${DATA_CHOICES}; no folder ${path.join(tmp, 'nope')} exists`);
    expect(DATA_CHOICES).toMatch(/^mnist, emoji(, \w+)* or a folder of images$/);
    const meta = (await loadCheckpointDir(tiny)).meta;
    expect(initGenerator(tiny, meta)).toEqual({ key: 'generator', config: TINY_CONFIG });
    // A resume state: its EMA copy, the weights a shipped model carries.
    expect(initGenerator('state', { ...meta, networks: { generator: TINY_CONFIG, discriminator: { kind: 'ddgan-discriminator' } as never, generatorEma: TINY_CONFIG } }).key).toBe('generatorEma');
    expect(() => initGenerator('judge', { ...meta, networks: { classifier: { kind: 'classifier' } as never } })).toThrow('--init judge: holds no DD-GAN generator to fine-tune (networks: classifier: classifier)');
  });

  it('continues a resumed run on its own data: the saved folder, or the same built-in set', async () => {
    const folder = { name: 'folder x', folder: images };
    expect(await resumeDataSource('S', folder, undefined, undefined)).toEqual({ kind: 'folder', dir: images });
    await expect(resumeDataSource('S', folder, { kind: 'builtin', name: 'mnist-train' }, 'mnist')).rejects.toThrow(`--data mnist: the state at S was trained on the images in ${images}; give that folder, or leave --data out`);
    await expect(resumeDataSource('S', { name: 'folder y', folder: path.join(tmp, 'moved') }, undefined, undefined)).rejects.toThrow(/give the folder with --data$/);
    expect(await resumeDataSource('S', { name: 'mnist-train' }, undefined, undefined)).toEqual({ kind: 'builtin', name: 'mnist-train' });
    await expect(resumeDataSource('S', { name: 'mnist-train' }, { kind: 'folder', dir: images }, images)).rejects.toThrow(/was trained on mnist-train; leave --data out/);
  });
});

describe('npm run train -- --init DIR --data FOLDER', () => {
  it('names and skips the unreadable file, fine-tunes with the tab’s recipe, writes a model that loads, and resumes on the folder', async () => {
    const out = path.join(tmp, 'out');
    const r = await train(['--init', tiny, '--data', images, '--iters', '2', '--batch', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('skipped notes.txt: not a PNG, JPEG, WebP or GIF image');
    expect(r.stdout).toContain(`3 images from ${images}, at 16×16×1`);
    expect(r.stdout).toMatch(/done at iteration 2/);

    const model = await loadCheckpointDir(out);
    try {
      expect(Object.keys(model.networks)).toEqual(['generator']);
      expect(model.networks.generator.config).toEqual(TINY_CONFIG);
      expect(model.meta.data).toEqual({ name: 'folder my images', count: 3, size: 16, channels: 1, folder: images });
      expect(model.meta.init).toEqual({ name: 'tiny-ddgan-t4', dir: tiny });
      // The trainer's settings are the tab's defaults (batch from the flag) through the same config builder.
      const tab = initialTrain().settings;
      const trained = (model.meta.training as { config: unknown }).config;
      expect(trained).toEqual(defaultTrainConfig({ batch: 2, lrG: tab.lrG, lrD: tab.lrD, r1Gamma: tab.r1Gamma, emaDecay: tab.emaDecay, seed: tab.seed, augment: tab.augment ?? [] }));
    } finally {
      disposeCheckpoint(model);
    }

    const resumed = await train(['--resume', `${out}.state`, '--iters', '3', '--out', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('skipped notes.txt');
    expect(resumed.stdout).toMatch(/resumed out at iteration 2/);
    expect(resumed.stdout).toMatch(/done at iteration 3/);
    const again = await loadCheckpointDir(out);
    try {
      expect((again.meta.training as { iterations: number }).iterations).toBe(3);
      expect(again.meta.init).toEqual({ name: 'tiny-ddgan-t4', dir: tiny });
    } finally {
      disposeCheckpoint(again);
    }
  });
});
