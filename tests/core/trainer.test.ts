import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { defaultGeneratorConfig } from '../../src/core/models/generator';
import { defaultDiscriminatorConfig } from '../../src/core/models/discriminator';
import { DdganTrainer, defaultTrainConfig, TrainingDiverged } from '../../src/core/training/ddganTrainer';
import { restoreTrainer, resumeCheckpoint, shippableCheckpoint } from '../../src/core/training/ddganState';
import { parseCheckpoint } from '../../src/core/models/checkpoint';
import type { ImageDataset } from '../../src/core/data/dataset';
import { Rng } from '../../src/core/rng';

beforeAll(() => backend('wasm'));

const gCfg = defaultGeneratorConfig({ imageSize: 8, channelMults: [1, 2], baseChannels: 8, zEmbedDim: 16, tEmbedDim: 16, nz: 4 });
const dCfg = defaultDiscriminatorConfig({ imageSize: 8, channelMults: [1, 2], baseChannels: 8, tEmbedDim: 16 });
const meta = { name: 't', createdAt: 'x', codeVersion: 'test' };

/** Two kinds of 8×8 images: a bright left half or a bright top half. */
function toyData(): ImageDataset {
  const n = 64;
  const pixels = new Uint8Array(n * 64);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) pixels[i * 64 + y * 8 + x] = (i % 2 === 0 ? x < 4 : y < 4) ? 255 : 0;
  return { name: 'toy', pixels, count: n, size: 8, channels: 1 };
}

describe('DD-GAN trainer', () => {
  it('resuming from a checkpoint takes exactly the same next step', async () => {
    const data = toyData();
    const a = DdganTrainer.create(gCfg, dCfg, data, defaultTrainConfig({ batch: 4, r1Every: 2, seed: 3 }));
    await a.step();
    await a.step();
    const ck = await resumeCheckpoint(a, meta);
    const next = await a.step();
    const b = restoreTrainer(parseCheckpoint(JSON.parse(JSON.stringify(ck.modelJson)), ck.weightData), data);
    expect(b.iteration).toBe(2);
    const again = await b.step();
    expect({ ...again, ms: 0 }).toEqual({ ...next, ms: 0 });
    for (const [name, v] of a.G.params.vars) {
      expect(Array.from(await b.G.params.vars.get(name)!.data())).toEqual(Array.from(await v.data()));
    }
    a.dispose();
    b.dispose();
  });

  it('step weights set how often each k is drawn, survive a resume, and bad weights are refused', async () => {
    const data = toyData();
    const config = defaultTrainConfig({ batch: 400, seed: 5, stepWeights: [0, 3, 1, 0] });
    const a = DdganTrainer.create(gCfg, dCfg, data, config);
    // the k of a discriminator batch's real pairs (third input of D)
    const drawSteps = async (t: unknown) => {
      const batch = (t as unknown as { discriminatorBatch(): { real: tf.Tensor[]; fake: tf.Tensor[] } }).discriminatorBatch();
      const ks = Array.from(await batch.real[2].data());
      tf.dispose([...batch.real, ...batch.fake]);
      return ks;
    };
    const ks = await drawSteps(a);
    expect(new Set(ks)).toEqual(new Set([2, 3]));
    expect(ks.filter((k) => k === 2).length / ks.length).toBeCloseTo(0.75, 1);

    const ck = await resumeCheckpoint(a, meta);
    const b = restoreTrainer(parseCheckpoint(JSON.parse(JSON.stringify(ck.modelJson)), ck.weightData), data);
    expect((b.config as typeof config).stepWeights).toEqual([0, 3, 1, 0]);
    expect(await drawSteps(b)).toEqual(await drawSteps(a));
    a.dispose();
    b.dispose();

    expect(() => DdganTrainer.create(gCfg, dCfg, data, defaultTrainConfig({ stepWeights: [1, 2, 1] }))).toThrow(/one per step k = 1…4/);
    expect(() => DdganTrainer.create(gCfg, dCfg, data, defaultTrainConfig({ stepWeights: [1, -1, 1, 1] }))).toThrow(/non-negative/);
    expect(() => DdganTrainer.create(gCfg, dCfg, data, defaultTrainConfig({ stepWeights: [0, 0, 0, 0] }))).toThrow(/at least one above 0/);
  });

  it('the shippable checkpoint holds only the EMA generator', async () => {
    const a = DdganTrainer.create(gCfg, dCfg, toyData(), defaultTrainConfig({ batch: 4 }));
    await a.step();
    const ck = await shippableCheckpoint(a, meta);
    expect(Object.keys(ck.modelJson.networks)).toEqual(['generator']);
    expect(ck.modelJson.schedule).toMatchObject({ T: 4 });
    const loaded = parseCheckpoint(ck.modelJson, ck.weightData);
    const name = a.Gema.params.names()[3];
    expect(Array.from(await loaded.networks.generator.params.vars.get(name)!.data())).toEqual(
      Array.from(await a.Gema.params.vars.get(name)!.data()),
    );
    loaded.networks.generator.dispose();
    a.dispose();
  });

  it('learns a toy distribution: D separates real from fake at first, G then lowers its loss', async () => {
    const a = DdganTrainer.create(gCfg, dCfg, toyData(), defaultTrainConfig({ batch: 8, lrG: 1e-3, lrD: 1e-3, seed: 1 }));
    const before = tf.memory().numTensors;
    const stats = [];
    for (let i = 0; i < 40; i++) stats.push(await a.step());
    expect(tf.memory().numTensors).toBe(before);
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    const dFirst = mean(stats.slice(0, 5).map((s) => s.lossD));
    const dLater = mean(stats.slice(10, 20).map((s) => s.lossD));
    // D starts at chance (2 ln 2 ≈ 1.39) and learns to tell the pairs apart
    expect(Math.abs(dFirst - 2 * Math.LN2)).toBeLessThan(0.3);
    expect(dLater).toBeLessThan(dFirst);
    const gPeak = Math.max(...stats.slice(5, 20).map((s) => s.lossG));
    const gLate = mean(stats.slice(30, 40).map((s) => s.lossG));
    expect(gLate).toBeLessThan(gPeak);
    // EMA decay warms up towards its maximum
    expect(stats[0].emaDecay).toBeCloseTo(0.1, 6);
    expect(stats[39].emaDecay).toBeGreaterThan(0.7);
    a.dispose();
  });

  it('stops with a clear error when the losses become non-finite', async () => {
    const a = DdganTrainer.create(gCfg, dCfg, toyData(), defaultTrainConfig({ batch: 4 }));
    const name = a.D.params.names()[0];
    const v = a.D.params.vars.get(name)!;
    v.assign(tf.fill(v.shape, NaN));
    await expect(a.step()).rejects.toBeInstanceOf(TrainingDiverged);
    await expect(a.step()).rejects.toThrow(/diverged at iteration/);
    a.dispose();
  });

  it('uses one Rng for all its randomness (same seed → same run)', async () => {
    const run = async () => {
      const t = DdganTrainer.create(gCfg, dCfg, toyData(), defaultTrainConfig({ batch: 4, seed: 8 }));
      const s = await t.step();
      t.dispose();
      return { ...s, ms: 0 };
    };
    expect(await run()).toEqual(await run());
    expect(new Rng(8).nextU32()).toBe(new Rng(8).nextU32());
  });
});
