/**
 * End-to-end checks of the sample and eval code paths (src/node/sample.ts,
 * src/node/evaluate.ts, src/node/evalTable.ts) on tiny random-weight checkpoints written to
 * a temp folder: DD-GAN, DDPM (ancestral and DDIM), classifier guidance of both, the table.
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
import { LAST_STEP_GUIDE_ITERATIONS } from '../../src/core/diffusion/guidance';
import { classStats } from '../../src/core/metrics/classes';
import { STANDARD_PERTURBATIONS } from '../../src/core/metrics/perturb';
import { disposeCheckpoint, serializeCheckpoint, type ModelJson } from '../../src/core/models/checkpoint';
import { defaultClassifierConfig } from '../../src/core/models/classifier';
import { defaultGeneratorConfig } from '../../src/core/models/generator';
import { Network } from '../../src/core/models/network';
import { loadCheckpointDir, saveCheckpointDir } from '../../src/node/checkpointDir';
import { loadDataset } from '../../src/node/data';
import { evaluateCheckpoint, formatReport, type GeneratorReport } from '../../src/node/evaluate';
import { evaluationTable, formatTable } from '../../src/node/evalTable';
import { sampleToDir } from '../../src/node/sample';
import { guideFromArgs, samplerFromArgs } from '../../src/node/samplerArgs';
import { writeTinyDdpm, writeTinyGuide } from '../fixtures/tinyDdpm';

let tmp: string;
let mnistG: string;
let emojiG: string;
let classifier: string;
let ddpm: string;
let guide: string;

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
  ddpm = path.join(tmp, 'models', 'tiny-ddpm');
  guide = path.join(tmp, 'guide');
  await writeTinyDdpm(ddpm);
  await writeTinyGuide(guide);
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

    // the held-out class statistics are the judge's own votes on every mnist-test digit
    const test = await loadDataset('mnist-test');
    const judgeCk = await loadCheckpointDir(classifier);
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(test.pixels, (v) => v / 127.5 - 1), [test.count, test.size, test.size, test.channels]);
      return tf.softmax(judgeCk.networks.classifier.apply(x));
    });
    const expected = classStats(await probs.data(), test.count, 10, 0.9);
    probs.dispose();
    disposeCheckpoint(judgeCk);
    const h = report.heldOutClasses!;
    expect(h.n).toBe(test.count);
    expect(h.counts).toEqual(expected.counts);
    expect(h.confidentShare).toBeCloseTo(expected.confidentShare, 2);
    expect(h.klToUniform).toBeCloseTo(expected.klToUniform, 9);

    const table = formatReport(report);
    expect(table).toContain(`(mnist-test: ${h.klToUniform.toFixed(3)})`);
    expect(table).toContain(`(mnist-test: ${(100 * h.confidentShare).toFixed(1)} %)`);
    expect(table).toContain('| Fréchet distance to mnist-test');
    expect(table).toContain('images/s');

    const json = (await readJson(path.join(mnistG, 'model.json'))) as ModelJson;
    const m = json.metrics as Record<string, unknown> & { evaluation: Record<string, unknown> };
    expect(m.frechetDistance).toBe(report.generated.fd);
    expect(m.frechetDistanceFloor).toBe(report.real.fd);
    expect(m.precision).toBe(report.generated.precision);
    expect(m.classesPresent).toBe(report.generated.classes.classesPresent);
    expect(m.heldOutConfidentShare).toBe(h.confidentShare);
    expect(m.heldOutClassKlToUniform).toBe(h.klToUniform);
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
    expect(report.heldOutClasses).toBeUndefined();
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
    // the judge check: the same held-out digits, mildly perturbed
    expect(report.byPerturbation!.map((p) => p.label)).toEqual(STANDARD_PERTURBATIONS.map((p) => p.label));
    for (const p of report.byPerturbation!) {
      for (const v of [p.accuracy, p.confidentShare]) expect(v).toBeGreaterThanOrEqual(0);
      for (const v of [p.accuracy, p.confidentShare]) expect(v).toBeLessThanOrEqual(1);
    }
    // the table prints each perturbation's accuracy and the clean confident share
    const table = formatReport(report);
    expect(table).toContain('| accuracy, 3×3 box blur |');
    expect(table).toContain(`| held-out images classified with confidence ≥ 0.9 | ${(100 * report.heldOutConfidentShare!).toFixed(1)} % |`);
    const m = (await readJson(path.join(classifier, 'model.json'))).metrics as Record<string, unknown>;
    expect(m.heldOutAccuracy).toBe(report.heldOutAccuracy);
    expect(m.heldOutConfidentShare).toBe(report.heldOutConfidentShare);
    expect(m.byPerturbation).toEqual(report.byPerturbation);
  });

  it('the shipped judge: perturbed held-out digits cost it accuracy and confidence, deterministically', async () => {
    const shipped = path.resolve('public/models/mnist-classifier');
    const before = tf.memory().numTensors;
    const report = await evaluateCheckpoint({ checkpoint: shipped, write: false });
    expect(tf.memory().numTensors).toBe(before);
    if (report.kind !== 'classifier') throw new Error('expected a classifier report');
    const stored = (await readJson(path.join(shipped, 'model.json'))).metrics as Record<string, unknown>;
    expect(report.heldOutAccuracy).toBe(stored.heldOutAccuracy);
    expect(report.heldOutConfidentShare!).toBeGreaterThan(0.9);
    const scores = report.byPerturbation!;
    for (const p of scores) expect(p.accuracy).toBeLessThanOrEqual(report.heldOutAccuracy + 0.005);
    // thinning and shifting are real changes for a conv net trained on centred digits
    expect(Math.min(...scores.map((p) => p.accuracy))).toBeLessThan(report.heldOutAccuracy - 0.002);
    expect(Math.min(...scores.map((p) => p.confidentShare))).toBeLessThan(report.heldOutConfidentShare! - 0.01);
    const again = await evaluateCheckpoint({ checkpoint: shipped, write: false });
    expect(again.kind === 'classifier' && again.byPerturbation).toEqual(scores);
  });

  it('a missing judge is an error that names the fix', async () => {
    await expect(evaluateCheckpoint({ checkpoint: mnistG, n: 16, classifier: path.join(tmp, 'nope'), write: false })).rejects.toThrow(
      /npm run train -- --model classifier/,
    );
  });
});

describe('sampler and guidance options (src/node/samplerArgs.ts)', () => {
  it('parses DDPM samplers and guidance, and names the fix for bad combinations', () => {
    expect(samplerFromArgs({})).toBeUndefined();
    expect(samplerFromArgs({ sampler: 'ancestral' })).toEqual({ kind: 'ancestral' });
    expect(samplerFromArgs({ steps: '10' })).toEqual({ kind: 'ddim', steps: 10, eta: 0 });
    expect(samplerFromArgs({ sampler: 'ddim', eta: '0.5' })).toEqual({ kind: 'ddim', steps: 50, eta: 0.5 });
    expect(() => samplerFromArgs({ sampler: 'ancestral', steps: '10' })).toThrow(/--sampler ddim/);
    expect(() => samplerFromArgs({ sampler: 'euler' })).toThrow(/ddim, dpm-solver or ancestral/);
    expect(samplerFromArgs({ sampler: 'dpm-solver' })).toEqual({ kind: 'dpm-solver', steps: 20 });
    expect(samplerFromArgs({ sampler: 'dpm-solver', steps: '10' })).toEqual({ kind: 'dpm-solver', steps: 10 });
    expect(() => samplerFromArgs({ sampler: 'dpm-solver', eta: '0.5' })).toThrow(/--eta belong to --sampler ddim/);
    expect(() => samplerFromArgs({ sampler: 'ddim', eta: '2' })).toThrow(/--eta must be from 0 to 1/);
    expect(() => samplerFromArgs({ steps: '2.5' })).toThrow(/whole number/);
    expect(guideFromArgs({})).toBeUndefined();
    expect(guideFromArgs({ class: '3', scale: '2', guide: guide })).toEqual({ dir: guide, classes: 3, scale: 2 });
    expect(guideFromArgs({ class: 'all' })).toMatchObject({ classes: 'all', scale: 1 });
    expect(() => guideFromArgs({ scale: '2' })).toThrow(/--class/);
    expect(() => guideFromArgs({ class: 'seven' })).toThrow(/--class/);
  });
});

describe('DDPM checkpoints and guidance: npm run sample', () => {
  it('DDIM: NFE = steps, frames at the DDIM times, the last x̂₀ is the sample; same seed → same bytes', async () => {
    const a = path.join(tmp, 'ddpm-a');
    const before = tf.memory().numTensors;
    const summary = await sampleToDir({ checkpoint: ddpm, out: a, n: 5, seed: 3, batch: 3, frames: true, sampler: { kind: 'ddim', steps: 3, eta: 0 } });
    expect(tf.memory().numTensors).toBe(before);
    expect(summary).toMatchObject({ n: 5, sampler: 'DDIM-3 (η = 0)', nfe: 3, T: 3, classifierCalls: 0, guidance: null });
    const frames = (await readdir(path.join(a, 'frames'))).sort();
    // ddimTimesteps(50, 3) = [50, 33, 17]
    expect(frames).toEqual(['step-17-x0pred.png', 'step-17-xk.png', 'step-33-x0pred.png', 'step-33-xk.png', 'step-50-x0pred.png', 'step-50-xk.png']);
    expect(await sha(path.join(a, 'frames', 'step-17-x0pred.png'))).toBe(await sha(path.join(a, 'grid.png')));
    const b = path.join(tmp, 'ddpm-b');
    await sampleToDir({ checkpoint: ddpm, out: b, n: 5, seed: 3, batch: 3, frames: true, sampler: { kind: 'ddim', steps: 3, eta: 0 } });
    expect(await digests(b)).toEqual(await digests(a));
  });

  it('DPM-Solver++ (--sampler dpm-solver --steps 3): NFE = steps, frames at its grid times, guidable', async () => {
    const a = path.join(tmp, 'ddpm-dpm');
    const sampler = samplerFromArgs({ sampler: 'dpm-solver', steps: '3' });
    const summary = await sampleToDir({ checkpoint: ddpm, out: a, n: 3, seed: 4, batch: 3, frames: true, sampler });
    expect(summary).toMatchObject({ n: 3, sampler: 'DPM-Solver++(2M)-3', nfe: 3, T: 3, classifierCalls: 0 });
    // the DDIM grid of 3 steps, [50, 33, 17], then x₀
    expect((await readdir(path.join(a, 'frames'))).filter((f) => f.endsWith('xk.png')).sort()).toEqual(['step-17-xk.png', 'step-33-xk.png', 'step-50-xk.png']);
    const g = await sampleToDir({ checkpoint: ddpm, out: path.join(tmp, 'ddpm-dpm-g'), n: 3, seed: 4, batch: 3, sampler, guide: { dir: guide, classes: 1, scale: 50 } });
    expect(g).toMatchObject({ nfe: 3, classifierCalls: 3 });
    expect(await sha(path.join(tmp, 'ddpm-dpm-g', 'grid.png'))).not.toBe(await sha(path.join(a, 'grid.png')));
  });

  it('ancestral runs every step; the default sampler of a DDPM is DDIM-50', async () => {
    const anc = await sampleToDir({ checkpoint: ddpm, out: path.join(tmp, 'ddpm-anc'), n: 2, seed: 0, sampler: { kind: 'ancestral' } });
    expect(anc).toMatchObject({ sampler: 'DDPM-50 ancestral', nfe: 50 });
    const def = await sampleToDir({ checkpoint: ddpm, out: path.join(tmp, 'ddpm-default'), n: 1, seed: 0 });
    expect(def).toMatchObject({ sampler: 'DDIM-50 (η = 0)', nfe: 50 });
    await expect(sampleToDir({ checkpoint: mnistG, out: path.join(tmp, 'x'), n: 1, seed: 0, sampler: { kind: 'ancestral' } })).rejects.toThrow(/DDPM checkpoints/);
  });

  it('guidance changes DD-GAN and DDIM samples, counts classifier gradients, and a scale of 0 changes nothing', async () => {
    const plain = path.join(tmp, 'g-plain');
    const zero = path.join(tmp, 'g-zero');
    const steered = path.join(tmp, 'g-steered');
    await sampleToDir({ checkpoint: mnistG, out: plain, n: 4, seed: 5 });
    await sampleToDir({ checkpoint: mnistG, out: zero, n: 4, seed: 5, guide: { dir: guide, classes: 3, scale: 0 } });
    const before = tf.memory().numTensors;
    const s = await sampleToDir({ checkpoint: mnistG, out: steered, n: 4, seed: 5, guide: { dir: guide, classes: 'all', scale: 50 } });
    expect(tf.memory().numTensors).toBe(before);
    // T = 2: step k = 2 shifts its posterior mean (one gradient); step 1 has no variance, so the
    // last-step guide moves x_1 instead, one pass through G and one gradient per iteration
    const L = LAST_STEP_GUIDE_ITERATIONS;
    expect(s).toMatchObject({ nfe: 2 + L, classifierCalls: 1 + L, guidance: { classifier: 'guide', classes: 'all', scale: 50 } });
    expect(await sha(path.join(zero, 'grid.png'))).toBe(await sha(path.join(plain, 'grid.png')));
    expect(await sha(path.join(steered, 'grid.png'))).not.toBe(await sha(path.join(plain, 'grid.png')));

    const ddim = { kind: 'ddim', steps: 3, eta: 0 } as const;
    const p = await sampleToDir({ checkpoint: ddpm, out: path.join(tmp, 'gd-plain'), n: 2, seed: 5, sampler: ddim });
    const g = await sampleToDir({ checkpoint: ddpm, out: path.join(tmp, 'gd-steered'), n: 2, seed: 5, sampler: ddim, guide: { dir: guide, classes: 1, scale: 50 } });
    expect(p.classifierCalls).toBe(0);
    expect(g.classifierCalls).toBe(3);
    expect(await sha(path.join(tmp, 'gd-steered', 'grid.png'))).not.toBe(await sha(path.join(tmp, 'gd-plain', 'grid.png')));
    await expect(sampleToDir({ checkpoint: mnistG, out: path.join(tmp, 'x'), n: 1, seed: 0, guide: { dir: classifier, classes: 1, scale: 1 } })).rejects.toThrow(
      /no noise-aware classifier/,
    );
  });

  it('the CLI is wired: npx tsx src/cli/sample.ts --sampler ddim --steps 3 writes the same files', async () => {
    const out = path.join(tmp, 'ddpm-cli');
    const root = path.resolve(import.meta.dirname, '../..');
    await promisify(execFile)(
      'npx',
      ['tsx', 'src/cli/sample.ts', '--checkpoint', ddpm, '--n', '3', '--seed', '2', '--sampler', 'ddim', '--steps', '3', '--class', '1', '--scale', '4', '--guide', guide, '--out', out],
      { cwd: root },
    );
    const ref = path.join(tmp, 'ddpm-cli-ref');
    await sampleToDir({ checkpoint: ddpm, out: ref, n: 3, seed: 2, sampler: { kind: 'ddim', steps: 3, eta: 0 }, guide: { dir: guide, classes: 1, scale: 4 } });
    expect(await digests(out)).toEqual(await digests(ref));
    expect(await readJson(path.join(out, 'samples.json'))).toMatchObject({ sampler: 'DDIM-3 (η = 0)', nfe: 3, classifierCalls: 3 });
  });
});

describe('DDPM checkpoints and guidance: npm run eval', () => {
  it('DDPM with DDIM: NFE and time per image; --no-write leaves model.json alone; a write goes under metrics.samplers', async () => {
    const jsonBefore = await sha(path.join(ddpm, 'model.json'));
    const before = tf.memory().numTensors;
    const report = (await evaluateCheckpoint({ checkpoint: ddpm, n: 8, batch: 4, seed: 1, classifier, sampler: { kind: 'ddim', steps: 2, eta: 0 }, write: false })) as GeneratorReport;
    expect(tf.memory().numTensors).toBe(before);
    expect(report).toMatchObject({ model: 'ddpm', sampler: 'DDIM-2 (η = 0)', nfe: 2, guidance: null, referenceSet: 'mnist-test' });
    expect(report.timing.msPerImage).toBeGreaterThan(0);
    expect(await sha(path.join(ddpm, 'model.json'))).toBe(jsonBefore);
    const table = formatReport(report);
    expect(table).toContain('| network calls per image (NFE) | 2 |');
    expect(table).toContain('DDPM, DDIM-2 (η = 0)');

    const copy = path.join(tmp, 'ddpm-write');
    await writeTinyDdpm(copy);
    await evaluateCheckpoint({ checkpoint: copy, n: 8, batch: 8, seed: 1, classifier, sampler: { kind: 'ddim', steps: 2, eta: 0 } });
    await evaluateCheckpoint({ checkpoint: copy, n: 8, batch: 8, seed: 1, classifier, sampler: { kind: 'ddim', steps: 3, eta: 0 } });
    const m = (await readJson(path.join(copy, 'model.json'))).metrics as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(m.samplers).sort()).toEqual(['DDIM-2 (η = 0)', 'DDIM-3 (η = 0)']);
    expect(m.samplers['DDIM-2 (η = 0)']).toMatchObject({ nfe: 2, sampler: 'DDIM-2 (η = 0)' });
    expect(m.frechetDistance).toBeUndefined();
  });

  it('guided toward one class: judge accuracy from the judge, reference = that class, stored under metrics.guided', async () => {
    const copy = path.join(tmp, 'g-eval');
    await writeGenerator(copy, 1, 'mnist-train');
    const report = (await evaluateCheckpoint({ checkpoint: copy, n: 8, batch: 8, seed: 0, classifier, guide: { dir: guide, classes: 3, scale: 2 } })) as GeneratorReport;
    expect(report.guidance).toMatchObject({ classifier: 'guide', classes: 3, scale: 2, classifierCalls: 1 + LAST_STEP_GUIDE_ITERATIONS });
    expect(report.guidance!.judgeAccuracy).toBeGreaterThanOrEqual(0);
    expect(report.guidance!.judgeAccuracy).toBeLessThanOrEqual(1);
    // the judge votes: its histogram's class-3 share is the judge accuracy for a single target
    expect(report.guidance!.judgeAccuracy).toBeCloseTo(report.generated.classes.histogram[3], 12);
    expect(report.classifier.name).toBe('tiny-judge');
    expect(report.referenceSet).toBe('mnist-test, class 3');
    expect(formatReport(report)).toContain('judge accuracy on the target class');
    const m = (await readJson(path.join(copy, 'model.json'))).metrics as Record<string, Record<string, Record<string, unknown>>>;
    expect(m.guided['DD-GAN T = 2, class 3, s = 2']).toMatchObject({ judgeAccuracy: report.guidance!.judgeAccuracy, nfe: 2 + LAST_STEP_GUIDE_ITERATIONS });
    expect(m.frechetDistance).toBeUndefined();
  });

  it('a noise-aware classifier checkpoint: accuracy per noise level', async () => {
    const report = await evaluateCheckpoint({ checkpoint: guide, write: false });
    expect(report.kind).toBe('classifier');
    if (report.kind !== 'classifier') return;
    expect(report.byNoiseLevel!.map((l) => l.label)).toContain('DDPM t = 500');
    expect(report.heldOutAccuracy).toBe(report.byNoiseLevel![0].accuracy);
    expect(formatReport(report)).toContain('noise-aware classifier');
  });

  it('the CLI is wired: npx tsx src/cli/eval.ts on a DDPM with --no-write', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const jsonBefore = await sha(path.join(ddpm, 'model.json'));
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'src/cli/eval.ts', '--checkpoint', ddpm, '--n', '6', '--batch', '6', '--sampler', 'ddim', '--steps', '2', '--classifier', classifier, '--no-write'],
      { cwd: root },
    );
    expect(stdout).toContain('DDIM-2 (η = 0)');
    expect(stdout).toContain('not written (--no-write)');
    expect(await sha(path.join(ddpm, 'model.json'))).toBe(jsonBefore);
  });

  it('--table: every generator in a models folder, DDPM with ancestral (smaller n) and DDIM, plus guidance rows', async () => {
    const models = path.join(tmp, 'models');
    await writeGenerator(path.join(models, 'tiny-ddgan'), 1, 'mnist-train');
    await writeGenerator(path.join(models, 'tiny-emoji'), 3, 'emoji');
    const before = tf.memory().numTensors;
    const t = await evaluationTable({ modelsDir: models, n: 6, nSlow: 4, batch: 6, classifier, guide, steps: [3], guidedSteps: 2, scales: [0, 4] });
    expect(tf.memory().numTensors).toBe(before);
    // every DDPM sampler of the list: the step-count ones at each count, ancestral on n-slow
    expect(t.rows.map((r) => [r.model, r.sampler, r.n, r.nfe])).toEqual([
      ['tiny-ddgan', 'DD-GAN T = 2', 6, 2],
      ['tiny-ddpm', 'DDIM-3 (η = 0)', 6, 3],
      ['tiny-ddpm', 'DPM-Solver++(2M)-3', 6, 3],
      ['tiny-ddpm', 'DDPM-50 ancestral', 4, 50],
    ]);
    expect(t.guided.map((r) => [r.model, r.sampler, r.scale, r.classifierCalls])).toEqual([
      ['tiny-ddgan', 'DD-GAN T = 2', 0, 0],
      ['tiny-ddgan', 'DD-GAN T = 2', 4, 1 + LAST_STEP_GUIDE_ITERATIONS],
      ['tiny-ddpm', 'DDIM-2 (η = 0)', 0, 0],
      ['tiny-ddpm', 'DDIM-2 (η = 0)', 4, 2],
      ['tiny-ddpm', 'DPM-Solver++(2M)-2', 0, 0],
      ['tiny-ddpm', 'DPM-Solver++(2M)-2', 4, 2],
    ]);
    expect(t.floor).toMatchObject({ n: 6 });
    const md = formatTable(t);
    expect(md).toContain('| tiny-ddpm | DDPM-50 ancestral | 0 | **4** | 50 |');
    expect(md).toContain('## Classifier guidance');
    expect(md).toMatch(/ran on n = 4 images instead of 6/);
    expect(md).toMatch(/skipped tiny-emoji: trained on emoji/);
  });
});
