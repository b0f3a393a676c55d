/**
 * End-to-end checks of the sample and eval code paths (src/node/sample.ts,
 * src/node/evaluate.ts) on tiny random-weight checkpoints written to a temp folder.
 */
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { serializeCheckpoint, type ModelJson } from '../../src/core/models/checkpoint';
import { defaultClassifierConfig } from '../../src/core/models/classifier';
import { defaultGeneratorConfig } from '../../src/core/models/generator';
import { Network } from '../../src/core/models/network';
import { saveCheckpointDir } from '../../src/node/checkpointDir';
import { evaluateCheckpoint, formatReport, type GeneratorReport } from '../../src/node/evaluate';
import { sampleToDir } from '../../src/node/sample';

let tmp: string;
let mnistG: string;
let emojiG: string;
let classifier: string;

async function writeGenerator(dir: string, channels: number, dataName: string): Promise<void> {
  const G = Network.create(
    defaultGeneratorConfig({ channels, T: 2, baseChannels: 8, channelMults: [1, 2], nz: 8, zEmbedDim: 16, tEmbedDim: 16 }),
    3,
  );
  const meta = {
    name: path.basename(dir),
    createdAt: '2026-01-01T00:00:00.000Z',
    codeVersion: 'test',
    data: { name: dataName },
    training: { iterations: 0 },
  };
  await saveCheckpointDir(dir, await serializeCheckpoint(meta, { generator: G }));
  G.dispose();
}

beforeAll(async () => {
  await backend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddgan-cli-'));
  mnistG = path.join(tmp, 'mnist-g');
  emojiG = path.join(tmp, 'emoji-g');
  classifier = path.join(tmp, 'judge');
  await writeGenerator(mnistG, 1, 'mnist-train');
  await writeGenerator(emojiG, 3, 'emoji');
  const C = Network.create(defaultClassifierConfig({ baseChannels: 4, channelMults: [1, 2], featureDim: 8, groups: 2 }), 5);
  const meta = { name: 'tiny-judge', createdAt: '2026-01-01T00:00:00.000Z', codeVersion: 'test', data: { name: 'mnist-train', heldOut: 'mnist-test' } };
  await saveCheckpointDir(classifier, await serializeCheckpoint(meta, { classifier: C }));
  C.dispose();
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const sha = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');
const pngSize = async (file: string): Promise<[number, number]> => {
  const png = PNG.sync.read(await readFile(file));
  return [png.width, png.height];
};
const readJson = async (file: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(file, 'utf8'));

/** sha256 of every file under dir except samples.json (which holds a date and timings). */
async function digests(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'samples.json') continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = await sha(file);
  }
  return out;
}

describe('npm run sample (src/node/sample.ts)', () => {
  it('writes per-sample PNGs, a 2× grid, per-step frames and samples.json; same seed → same bytes', async () => {
    const a = path.join(tmp, 'sample-a');
    const before = tf.memory().numTensors;
    // batch 6 with n 16: frames and samples are assembled across three batches
    const summary = await sampleToDir({ checkpoint: mnistG, out: a, n: 16, seed: 7, batch: 6, frames: true });
    expect(tf.memory().numTensors).toBe(before);
    expect(summary).toMatchObject({ n: 16, seed: 7, T: 2, batch: 6, checkpoint: 'mnist-g', frames: true });
    expect(summary.imagesPerSecond).toBeGreaterThan(0);

    const samples = (await readdir(path.join(a, 'samples'))).sort();
    expect(samples).toEqual(Array.from({ length: 16 }, (_, i) => `${String(i).padStart(5, '0')}.png`));
    expect(await pngSize(path.join(a, 'samples', '00015.png'))).toEqual([32, 32]);
    // 16 samples → 4 × 4 cells of 64 px (2×) with 2 px gaps
    expect(await pngSize(path.join(a, 'grid.png'))).toEqual([4 * 64 + 5 * 2, 4 * 64 + 5 * 2]);
    const frames = (await readdir(path.join(a, 'frames'))).sort();
    expect(frames).toEqual(['step-1-x0pred.png', 'step-1-xk.png', 'step-2-x0pred.png', 'step-2-xk.png']);
    // the last step's x̂₀ is the sample itself (no noise at k = 1): the same grid, byte for byte
    expect(await sha(path.join(a, 'frames', 'step-1-x0pred.png'))).toBe(await sha(path.join(a, 'grid.png')));
    expect(await readJson(path.join(a, 'samples.json'))).toMatchObject({ seed: 7, T: 2, n: 16, checkpoint: 'mnist-g' });

    const b = path.join(tmp, 'sample-b');
    await sampleToDir({ checkpoint: mnistG, out: b, n: 16, seed: 7, batch: 6, frames: true });
    expect(await digests(b)).toEqual(await digests(a));

    const c = path.join(tmp, 'sample-c');
    await sampleToDir({ checkpoint: mnistG, out: c, n: 16, seed: 8, batch: 6 });
    expect(await sha(path.join(c, 'grid.png'))).not.toBe(await sha(path.join(a, 'grid.png')));
  });

  it('the CLI is wired: npx tsx src/cli/sample.ts writes the same files', async () => {
    const out = path.join(tmp, 'sample-cli');
    const root = path.resolve(import.meta.dirname, '../..');
    await promisify(execFile)('npx', ['tsx', 'src/cli/sample.ts', '--checkpoint', mnistG, '--n', '4', '--seed', '7', '--batch', '6', '--out', out], {
      cwd: root,
    });
    const ref = path.join(tmp, 'sample-ref');
    await sampleToDir({ checkpoint: mnistG, out: ref, n: 4, seed: 7, batch: 6 });
    expect(await digests(out)).toEqual(await digests(ref));
  });
});

describe('npm run eval (src/node/evaluate.ts)', () => {
  it('MNIST generator: metrics table, written into model.json only', async () => {
    const weightsBefore = await sha(path.join(mnistG, 'weights.bin'));
    const before = tf.memory().numTensors;
    const report = (await evaluateCheckpoint({ checkpoint: mnistG, n: 16, batch: 8, seed: 1, classifier })) as GeneratorReport;
    expect(tf.memory().numTensors).toBe(before);
    expect(report.kind).toBe('generator');
    expect(report.referenceSet).toBe('mnist-test');
    expect(report.featureInput).toBe('as-is');
    expect(report.precisionRecallN).toBe(16);
    for (const v of [report.generated.fd, report.real.fd]) expect(v).toBeGreaterThanOrEqual(0);
    for (const v of [report.generated.precision, report.generated.recall, report.classifier.heldOutAccuracy]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(report.generated.classes.histogram.reduce((s, h) => s + h, 0)).toBeCloseTo(1, 12);
    expect(report.nearCopy).toBeUndefined();

    const table = formatReport(report);
    expect(table).toContain('| Fréchet distance to mnist-test');
    expect(table).toContain('images/s');

    const json = (await readJson(path.join(mnistG, 'model.json'))) as ModelJson;
    const m = json.metrics as Record<string, unknown> & { evaluation: Record<string, unknown> };
    expect(m.frechetDistance).toBe(report.generated.fd);
    expect(m.frechetDistanceFloor).toBe(report.real.fd);
    expect(m.precision).toBe(report.generated.precision);
    expect(m.classesPresent).toBe(report.generated.classes.classesPresent);
    expect(m.evaluation).toMatchObject({ n: 16, seed: 1, classifier: 'tiny-judge', backend: 'wasm', trainingIterations: 0 });
    expect(m.evaluation.classifierHeldOutAccuracy).toBe(report.classifier.heldOutAccuracy);
    expect(json.weightsManifest).toBeDefined();
    expect(await sha(path.join(mnistG, 'weights.bin'))).toBe(weightsBefore);

    // the same seed reproduces the numbers; write: false leaves model.json alone
    const jsonBefore = await sha(path.join(mnistG, 'model.json'));
    const again = (await evaluateCheckpoint({ checkpoint: mnistG, n: 16, batch: 8, seed: 1, classifier, write: false })) as GeneratorReport;
    expect(again.generated.fd).toBe(report.generated.fd);
    expect(again.generated.classes.histogram).toEqual(report.generated.classes.histogram);
    expect(await sha(path.join(mnistG, 'model.json'))).toBe(jsonBefore);
  });

  it('emoji generator: luma features against the training set, plus near copies', async () => {
    const report = (await evaluateCheckpoint({ checkpoint: emojiG, n: 16, batch: 16, seed: 0, classifier })) as GeneratorReport;
    expect(report.featureInput).toBe('luma');
    expect(report.referenceSet).toContain('emoji');
    expect(report.nearCopy).toBeDefined();
    expect(report.nearCopy!.nGenerated).toBe(16);
    expect(report.nearCopy!.threshold).toBeGreaterThanOrEqual(0);
    // random weights do not copy training images
    expect(report.nearCopy!.share).toBe(0);
    expect(formatReport(report)).toContain('luma');
    const m = (await readJson(path.join(emojiG, 'model.json'))).metrics as Record<string, unknown>;
    expect(m.nearCopyShare).toBe(0);
  });

  it('classifier checkpoint: held-out accuracy', async () => {
    const report = await evaluateCheckpoint({ checkpoint: classifier });
    expect(report.kind).toBe('classifier');
    if (report.kind !== 'classifier') return;
    expect(report).toMatchObject({ heldOut: 'mnist-test', n: 1000 });
    expect(report.heldOutAccuracy).toBeGreaterThanOrEqual(0);
    expect(report.heldOutAccuracy).toBeLessThanOrEqual(1);
    const m = (await readJson(path.join(classifier, 'model.json'))).metrics as Record<string, unknown>;
    expect(m.heldOutAccuracy).toBe(report.heldOutAccuracy);
  });

  it('a missing judge is an error that names the fix', async () => {
    await expect(evaluateCheckpoint({ checkpoint: mnistG, n: 16, classifier: path.join(tmp, 'nope'), write: false })).rejects.toThrow(
      /npm run train -- --model classifier/,
    );
  });
});
