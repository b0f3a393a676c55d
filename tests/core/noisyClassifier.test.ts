/**
 * The noise-aware classifier (src/core/models/noisyClassifier.ts) and its trainer
 * (src/core/training/noisyClassifierTrainer.ts): the network kind and its checkpoint round
 * trip, the clean judge left as it was, noise levels that cover both schedules, a falling
 * loss, bit-exact resume, and accuracy per noise level.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { Network } from '../../src/core/models/network';
import { defaultClassifierConfig } from '../../src/core/models/classifier';
import { defaultNoisyClassifierConfig, type NoisyClassifierConfig } from '../../src/core/models/noisyClassifier';
import { parseCheckpoint, serializeCheckpoint, type ModelJson } from '../../src/core/models/checkpoint';
import { ddpmSchedule } from '../../src/core/diffusion/ddpm';
import { ddganNoiseLevels, ddpmNoiseLevel, noiseLevelOf, standardNoiseLevels } from '../../src/core/diffusion/noiseLevel';
import { ddganSchedule } from '../../src/core/diffusion/schedule';
import {
  NoisyClassifierTrainer,
  accuracyAtNoiseLevels,
  cosineLr,
  defaultNoisyClassifierTrainConfig,
  drawNoiseLevels,
} from '../../src/core/training/noisyClassifierTrainer';
import { Rng } from '../../src/core/rng';

beforeAll(() => backend('wasm'));

const tiny = (): NoisyClassifierConfig =>
  defaultNoisyClassifierConfig({ imageSize: 8, numClasses: 2, baseChannels: 4, channelMults: [1, 2], featureDim: 8, groups: 2, noiseEmbedDim: 16 });

/** Two classes of 8×8 images: left half bright (0) or right half bright (1), with pixel jitter. */
function toyData(count: number, seed = 0) {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 64; p++) {
      const bright = (p % 8 < 4) === (i % 2 === 0);
      pixels[i * 64 + p] = Math.max(0, Math.min(255, (bright ? 220 : 35) + Math.round(30 * rng.normal())));
    }
  }
  return { name: 'halves', pixels, labels, numClasses: 2, count, size: 8, channels: 1 };
}

describe('noise-aware classifier network', () => {
  it('the clean judge keeps exactly the parameters of the shipped public/models/mnist-classifier', () => {
    const shipped = JSON.parse(readFileSync(new URL('../../public/models/mnist-classifier/model.json', import.meta.url), 'utf8')) as ModelJson;
    const judge = Network.create(shipped.networks.classifier);
    const built = judge.params.names().map((n) => `classifier/${n}:${judge.params.vars.get(n)!.shape.join('x')}`);
    const stored = shipped.weightsManifest.flatMap((g) => g.weights.map((w) => `${w.name}:${w.shape.join('x')}`));
    expect(built).toEqual(stored);
    expect(shipped.networks.classifier).toEqual(defaultClassifierConfig());
    judge.dispose();
  });

  it("is its own kind: builds, depends on σ, counts FLOPs and round-trips through a checkpoint", async () => {
    const net = Network.create(tiny(), 4) as Network<NoisyClassifierConfig>;
    expect(net.flopsPerExample()).toBeGreaterThan(0);
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const a = net.apply(x, tf.tensor1d([0, 0]));
    const b = net.apply(x, tf.tensor1d([0.9, 0.9]));
    expect(a.shape).toEqual([2, 2]);
    expect(Array.from(await a.data())).not.toEqual(Array.from(await b.data()));
    expect(net.features(x, tf.tensor1d([0, 0])).shape).toEqual([2, 8]);
    expect(() => net.features(x)).toThrow(/noise level/);

    const ck = await serializeCheckpoint({ name: 'n', createdAt: 'x', codeVersion: 't' }, { classifier: net });
    const loaded = parseCheckpoint(JSON.parse(JSON.stringify(ck.modelJson)), ck.weightData);
    expect(loaded.networks.classifier.config.kind).toBe('noisy-classifier');
    const c = loaded.networks.classifier.apply(x, tf.tensor1d([0.9, 0.9]));
    expect(Array.from(await c.data())).toEqual(Array.from(await b.data()));
    tf.dispose([x, a, b, c]);
    net.dispose();
    loaded.networks.classifier.dispose();
  });
});

describe('noise levels', () => {
  it('σ = √(1 − ᾱ) for both schedules; the standard report levels include clean and both samplers', () => {
    const ddpm = ddpmSchedule();
    expect(ddpmNoiseLevel(ddpm, 0)).toBe(0);
    expect(ddpmNoiseLevel(ddpm, 1000)).toBeCloseTo(Math.sqrt(1 - ddpm.alphaBars[1000]), 12);
    // DESIGN §2.1 table, T = 4: √ᾱ_2 = 0.280492
    expect(ddganNoiseLevels(4)[2]).toBeCloseTo(Math.sqrt(1 - 0.280492 ** 2), 5);
    expect(ddganNoiseLevels(4)[0]).toBe(0);
    expect(noiseLevelOf(1.0000001)).toBe(0);
    const labels = standardNoiseLevels(ddpm).map((l) => l.label);
    expect(labels).toContain('clean');
    expect(labels).toContain('DDPM t = 500');
    expect(labels).toContain('DD-GAN T = 4, k = 2');
  });

  it('a batch draws half its levels from DDPM steps and half from the DD-GAN steps (clean included)', () => {
    const ddpm = ddpmSchedule();
    const ddganT = [1, 2, 4];
    const levels = ddganT.map((T) => ddganNoiseLevels(T));
    const sigmas = drawNoiseLevels({ batch: 4000, ddpmShare: 0.5, ddganT }, ddpm, levels, new Rng(1));
    const ddpmSet = new Set(Array.from({ length: 1000 }, (_, t) => Math.fround(ddpmNoiseLevel(ddpm, t + 1))));
    const ddganSet = new Set(levels.flat().map(Math.fround));
    const first = Array.from(sigmas.subarray(0, 2000));
    const second = Array.from(sigmas.subarray(2000));
    expect(first.every((v) => ddpmSet.has(v))).toBe(true);
    expect(second.every((v) => ddganSet.has(v))).toBe(true);
    // every DD-GAN level shows up, clean ones at about mean(1/(T+1)) = 0.344 of that half
    for (const v of ddganSet) expect(second).toContain(v);
    const clean = second.filter((v) => v === 0).length / second.length;
    expect(clean).toBeGreaterThan(0.29);
    expect(clean).toBeLessThan(0.4);
    // DDPM half: t uniform, so about 10 % of it below σ_100
    const low = first.filter((v) => v < ddpmNoiseLevel(ddpm, 100)).length / first.length;
    expect(low).toBeGreaterThan(0.07);
    expect(low).toBeLessThan(0.13);
  });

  it('cosine learning rate: full at the start, 5 % at the end', () => {
    expect(cosineLr(1, 0, 100)).toBeCloseTo(1, 12);
    expect(cosineLr(1, 100, 100)).toBeCloseTo(0.05, 12);
    expect(cosineLr(1, 50, 100)).toBeCloseTo(0.525, 12);
  });
});

describe('NoisyClassifierTrainer', () => {
  it('lowers the loss on a toy set, leaks nothing, and resumes bit for bit', async () => {
    const data = toyData(64);
    const config = defaultNoisyClassifierTrainConfig({ batch: 32, lr: 5e-3, maxShift: 1, ddganT: [2, 4], seed: 2 });
    const tr = NoisyClassifierTrainer.create(tiny(), data, config);
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) losses.push((await tr.step()).loss);
    expect(tf.memory().numTensors).toBe(before);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(30))).toBeLessThan(0.8 * mean(losses.slice(0, 5)));

    const ck = await serializeCheckpoint(
      { name: 'n', createdAt: 'x', codeVersion: 't', trainConfig: tr.config, trainerState: tr.stateJson() },
      { classifier: tr.net },
      tr.stateTensors(),
    );
    const next = await tr.step(1e-3);
    const loaded = parseCheckpoint(JSON.parse(JSON.stringify(ck.modelJson)), ck.weightData);
    const resumed = new NoisyClassifierTrainer(loaded.networks.classifier as Network<NoisyClassifierConfig>, data, loaded.meta.trainConfig as typeof config);
    resumed.loadState(loaded.meta.trainerState as ReturnType<typeof tr.stateJson>, loaded.state);
    expect({ ...(await resumed.step(1e-3)), ms: 0 }).toEqual({ ...next, ms: 0 });
    tf.dispose(Object.values(loaded.state));

    // accuracy per level: deterministic, near perfect when clean, near chance at σ ≈ 1
    const heldOut = toyData(64, 9);
    const levels = [
      { label: 'clean', sigma: 0 },
      { label: 'T = 1', sigma: ddganNoiseLevels(1)[1] },
    ];
    const beforeAcc = tf.memory().numTensors;
    const acc = await accuracyAtNoiseLevels(tr.net, heldOut, levels, 0, 20);
    expect(tf.memory().numTensors).toBe(beforeAcc);
    expect(await accuracyAtNoiseLevels(tr.net, heldOut, levels, 0, 20)).toEqual(acc);
    expect(acc.map((a) => a.label)).toEqual(['clean', 'T = 1']);
    expect(acc[0].accuracy).toBeGreaterThan(0.9);
    expect(acc[1].accuracy).toBeLessThan(acc[0].accuracy);
    expect(ddganSchedule(1).alphaBars[1]).toBeLessThan(1e-3);
    tr.dispose();
    resumed.dispose();
  });
});
