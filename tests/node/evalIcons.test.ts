/**
 * The evaluation of a generator trained on the icons set (src/node/evaluate.ts): it is
 * compared with the held-out icons, its floor is as many random training icons against the
 * same, and near copies are looked for among the training icons. Tiny random-weight
 * checkpoints in a temp folder, and a data folder holding the first images of the built icons
 * files (the whole training set would make the near-copy search take most of a minute).
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { serializeCheckpoint } from '../../src/core/models/checkpoint';
import { defaultClassifierConfig } from '../../src/core/models/classifier';
import { defaultGeneratorConfig } from '../../src/core/models/generator';
import { Network } from '../../src/core/models/network';
import { saveCheckpointDir } from '../../src/node/checkpointDir';
import { subset } from '../../src/core/data/dataset';
import type { LoadedDataset } from '../../src/core/data/format';
import { DEFAULT_DATA_DIR, loadDataset } from '../../src/node/data';
import { evaluateCheckpoint, formatReport, type GeneratorReport } from '../../src/node/evaluate';

let tmp: string;
let dataDir: string;
let iconsG: string;
let judge: string;

/** Writes the first `count` images of `ds` into `dir` as data set `ds.name`, in the built files' format. */
async function writeFirst(ds: LoadedDataset, count: number, dir: string): Promise<void> {
  const part = subset(ds, Array.from({ length: count }, (_, i) => i));
  const manifest = {
    format: 'ddgan-dataset/1',
    name: ds.name,
    count,
    size: ds.size,
    channels: ds.channels,
    numClasses: ds.numClasses,
    classNames: ds.classNames,
    pixelsFile: `${ds.name}.u8`,
    labelsFile: `${ds.name}.labels.u8`,
    source: ds.source,
    sha256: createHash('sha256').update(part.pixels).digest('hex'),
  };
  await writeFile(path.join(dir, `${ds.name}.json`), JSON.stringify(manifest));
  await writeFile(path.join(dir, `${ds.name}.u8`), part.pixels);
  await writeFile(path.join(dir, `${ds.name}.labels.u8`), part.labels!);
}

beforeAll(async () => {
  await backend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddgan-eval-icons-'));
  dataDir = path.join(tmp, 'data');
  await mkdir(dataDir);
  await writeFirst(await loadDataset('icons-train'), 300, dataDir);
  await writeFirst(await loadDataset('icons-test'), 60, dataDir);
  // The judge reports its accuracy on the digits' held-out split.
  for (const file of ['mnist-test.json', 'mnist-test.u8', 'mnist-test.labels.u8']) await copyFile(path.join(DEFAULT_DATA_DIR, file), path.join(dataDir, file));
  iconsG = path.join(tmp, 'icons-g');
  judge = path.join(tmp, 'judge');
  const G = Network.create(defaultGeneratorConfig({ channels: 3, T: 2, baseChannels: 8, channelMults: [1, 2], nz: 8, zEmbedDim: 16, tEmbedDim: 16 }), 3);
  const meta = { name: 'icons-g', createdAt: '2026-01-01T00:00:00.000Z', codeVersion: 'test', data: { name: 'icons-train' }, training: { iterations: 0 } };
  await saveCheckpointDir(iconsG, await serializeCheckpoint(meta, { generator: G }));
  G.dispose();
  const C = Network.create(defaultClassifierConfig({ baseChannels: 4, channelMults: [1, 2], featureDim: 8, groups: 2 }), 5);
  const judgeMeta = { name: 'tiny-judge', createdAt: '2026-01-01T00:00:00.000Z', codeVersion: 'test', data: { name: 'mnist-train', heldOut: 'mnist-test' } };
  await saveCheckpointDir(judge, await serializeCheckpoint(judgeMeta, { classifier: C }));
  C.dispose();
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('eval of an icons generator', () => {
  it('scores against icons-test, with a floor of as many training icons, plus near copies', async () => {
    const report = (await evaluateCheckpoint({ checkpoint: iconsG, n: 16, batch: 16, seed: 0, classifier: judge, write: false, dataDir })) as GeneratorReport;
    expect(report).toMatchObject({ data: 'icons-train', referenceSet: 'icons-test', featureInput: 'luma', precisionRecallN: 16 });
    expect(report.real.description).toBe('60 random icons-train images vs 60 icons-test');
    // The floor compares real images with real images: they share the held-out set's classes.
    expect(report.real.classes.classesPresent).toBeGreaterThan(0);
    expect(report.nearCopy).toBeDefined();
    expect(report.nearCopy!.nGenerated).toBe(16);
    // random weights do not copy training images
    expect(report.nearCopy!.share).toBe(0);
    expect(formatReport(report)).toContain('Fréchet distance to icons-test');
  });

  it('names the data sets it knows when a checkpoint was trained on another', async () => {
    const other = path.join(tmp, 'other-g');
    const G = Network.create(defaultGeneratorConfig({ channels: 3, T: 2, baseChannels: 8, channelMults: [1, 2], nz: 8, zEmbedDim: 16, tEmbedDim: 16 }), 3);
    const meta = { name: 'other-g', createdAt: '2026-01-01T00:00:00.000Z', codeVersion: 'test', data: { name: 'uploads (12)' } };
    await saveCheckpointDir(other, await serializeCheckpoint(meta, { generator: G }));
    G.dispose();
    await expect(evaluateCheckpoint({ checkpoint: other, n: 8, batch: 8, classifier: judge, write: false, dataDir })).rejects.toThrow(
      'checkpoint "other-g" was trained on "uploads (12)"; eval knows mnist-train, emoji, icons-train',
    );
  });
});
