/**
 * The Diffusion-GAN recipe for images (src/core/training/diffusionGanImageTrainer.ts) on
 * tiny 8×8 models with T = 2, wasm backend: the generator's gradient runs through the whole
 * DD-GAN chain, the adaptive T is wired to D's logits on the reals, a resumed run takes the
 * same next step bit for bit, nothing leaks, and a short run trains a discriminator that
 * tells real from fake. The adaptive-T rule itself is tested in tests/core/toy.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { defaultGeneratorConfig } from '../../src/core/models/generator';
import { defaultDiffusionGanDiscriminatorConfig, defaultDiscriminatorConfig } from '../../src/core/models/discriminator';
import { Network } from '../../src/core/models/network';
import { parseCheckpoint } from '../../src/core/models/checkpoint';
import type { ImageDataset } from '../../src/core/data/dataset';
import {
  DiffusionGanImageTrainer,
  defaultDiffusionGanTrainConfig,
  type DiffusionGanImageTrainConfig,
} from '../../src/core/training/diffusionGanImageTrainer';
import { restoreTrainer, resumeCheckpoint, shippableCheckpoint } from '../../src/core/training/ddganState';
import { TrainingDiverged } from '../../src/core/training/imageGan';
import { DdganTrainer, defaultTrainConfig } from '../../src/core/training/ddganTrainer';

beforeAll(() => backend('wasm'));

const T = 2;
const gCfg = defaultGeneratorConfig({ imageSize: 8, T, channelMults: [1, 2], baseChannels: 8, zEmbedDim: 16, tEmbedDim: 16, nz: 4, groups: 4 });
const dCfg = defaultDiffusionGanDiscriminatorConfig({ imageSize: 8, channelMults: [1, 2], baseChannels: 8, tEmbedDim: 16, tMax: 100 });
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

function trainer(overrides: Partial<DiffusionGanImageTrainConfig> = {}): DiffusionGanImageTrainer {
  return DiffusionGanImageTrainer.create(gCfg, dCfg, toyData(), defaultDiffusionGanTrainConfig({ batch: 4, tMin: 10, tMax: 100, ...overrides }));
}

async function values(net: Network): Promise<number[]> {
  const out: number[] = [];
  for (const v of net.params.vars.values()) out.push(...(await v.data()));
  return out;
}

describe('Diffusion-GAN image trainer', () => {
  it('builds D(y, t) on one image with t up to tMax, and rejects a tMax beyond it', () => {
    const D = Network.create(dCfg, 1);
    const logits = tf.tidy(() => D.apply(tf.zeros([3, 8, 8, 1]), tf.tensor1d([0, 50, 100], 'int32')));
    expect(logits.shape).toEqual([3]);
    logits.dispose();
    D.dispose();
    expect(() => trainer({ tMax: 200 })).toThrow(/beyond the discriminator's tMax 100/);
  });

  it("backpropagates the generator's loss through every step of the DD-GAN chain", async () => {
    const t = trainer({ seed: 2 });
    // The G loss as a function of a scale on x̂₀ at one step k of the chain (1 = as trained).
    const lossAt = (k: number) => (s: tf.Tensor) => {
      const draws = t.drawFakes();
      const [y, steps] = t.fakeInputs(draws, (kk, x0) => (kk === k ? x0.mul(s) : x0));
      return tf.softplus(t.D.apply(y, steps).neg()).mean() as tf.Scalar;
    };
    const rngState = t.rng.getState();
    for (const k of [T, 1]) {
      // the same draws for every evaluation: reset the trainer's stream before each
      const at = (s: number, grad = false): number =>
        tf.tidy(() => {
          t.rng.setState(rngState);
          const f = lossAt(k);
          return (grad ? tf.grad(f)(tf.scalar(s)) : f(tf.scalar(s))).arraySync() as number;
        });
      const g = at(1, true);
      const h = 0.05;
      const fd = (at(1 + h) - at(1 - h)) / (2 * h);
      // (at k = T the loss depends on x̂₀ only through the posterior step and G at k = 1:
      // about 1e-3 here, against 1e-1 at k = 1; a chain cut from the tape gives 0)
      expect(Math.abs(g)).toBeGreaterThan(1e-4);
      expect(Math.abs(fd - g)).toBeLessThan(0.1 * Math.abs(g) + 1e-5);
    }
    t.rng.setState(rngState);
    // and one step moves G
    const before = await values(t.G);
    await t.step();
    const after = await values(t.G);
    expect(after.filter((v, i) => v !== before[i]).length).toBeGreaterThan(0.9 * before.length);
    t.dispose();
  });

  it('wires the adaptive T to D on the reals: it rises when r_d is above the target and falls to T_min below it', async () => {
    const up = trainer({ adaptEvery: 2, delta: 0.25, target: -2, seed: 1, r1Gamma: 0 });
    const ups = [];
    for (let i = 0; i < 4; i++) ups.push(await up.step());
    // T_dg = 10 + round(p · 90) with p moving by 0.25 every 2 iterations
    expect(ups.map((s) => s.diffusionT)).toEqual([10, 33, 33, 55]);
    expect(ups.map((s) => s.p)).toEqual([0, 0.25, 0.25, 0.5]);
    expect(Number.isNaN(ups[0].rd)).toBe(true);
    for (const s of [ups[1], ups[3]]) {
      // r_d is the mean of sign(D(y_real)) over the 2 × 4 logits of the interval
      expect(Math.abs(s.rd!)).toBeLessThanOrEqual(1);
      expect(Number.isInteger(s.rd! * 8)).toBe(true);
    }
    expect(up.diffusion).toMatchObject({ T: 55, p: 0.5 });
    up.dispose();

    const down = trainer({ adaptEvery: 1, delta: 0.4, target: 2, pInit: 1, seed: 1, r1Gamma: 0 });
    const downs = [];
    for (let i = 0; i < 4; i++) downs.push(await down.step());
    expect(downs.map((s) => s.diffusionT)).toEqual([64, 28, 10, 10]);
    down.dispose();
  });

  it('resumes from a checkpoint with the same next step, adaptive state included', async () => {
    const data = toyData();
    const config = defaultDiffusionGanTrainConfig({ batch: 4, tMin: 10, tMax: 100, adaptEvery: 2, delta: 0.3, r1Every: 2, seed: 3 });
    const a = DiffusionGanImageTrainer.create(gCfg, dCfg, data, config);
    for (let i = 0; i < 3; i++) await a.step();
    const ck = await resumeCheckpoint(a, meta);
    const next = await a.step(); // adapts T from the r_d of iterations 3 and 4
    const b = restoreTrainer(parseCheckpoint(JSON.parse(JSON.stringify(ck.modelJson)), ck.weightData), data);
    expect(b.recipe).toBe('diffusion-gan');
    expect(b.iteration).toBe(3);
    const again = await b.step();
    expect({ ...again, ms: 0 }).toEqual({ ...next, ms: 0 });
    for (const net of ['G', 'D', 'Gema'] as const) expect(await values(b[net])).toEqual(await values(a[net]));
    expect((b as DiffusionGanImageTrainer).diffusion).toEqual(a.diffusion);
    // the shippable model is the DD-GAN generator, whatever the recipe
    const ship = await shippableCheckpoint(b, meta);
    expect(Object.keys(ship.modelJson.networks)).toEqual(['generator']);
    expect(ship.modelJson.networks.generator.kind).toBe('ddgan-generator');
    a.dispose();
    b.dispose();
  });

  it('restores the saved recipe: states without one are DD-GAN, and a recipe needs its own kind of D', async () => {
    const data = toyData();
    const ddCfg = defaultDiscriminatorConfig({ imageSize: 8, T, channelMults: [1, 2], baseChannels: 8, tEmbedDim: 16 });
    const dd = DdganTrainer.create(gCfg, ddCfg, data, defaultTrainConfig({ batch: 4 }));
    const ck = await resumeCheckpoint(dd, meta);
    dd.dispose();
    const json = JSON.parse(JSON.stringify(ck.modelJson));
    delete json.trainConfig.recipe; // as saved before there was a choice
    const old = restoreTrainer(parseCheckpoint(json, ck.weightData), data);
    expect(old.recipe).toBe('ddgan');
    expect(old).toBeInstanceOf(DdganTrainer);
    old.dispose();
    json.trainConfig.recipe = 'diffusion-gan';
    const wrong = parseCheckpoint(json, ck.weightData);
    expect(() => restoreTrainer(wrong, data)).toThrow(/diffusion-gan run needs a diffusion-gan-discriminator, the checkpoint has a ddgan-discriminator/);
    for (const n of Object.values(wrong.networks)) n.dispose();
    for (const x of Object.values(wrong.state)) x.dispose();
  });

  it('keeps the number of tensors flat over steps (R1, adaptive updates and all)', async () => {
    const t = trainer({ adaptEvery: 2, delta: 0.3, r1Every: 2 });
    await t.step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) await t.step();
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });

  it('trains: finite losses, D scores the reals above the chain’s fakes, and T_dg rises as D grows sure', async () => {
    const t = trainer({ batch: 8, lrG: 1e-3, lrD: 1e-3, adaptEvery: 2, delta: 0.05, seed: 1 });
    const stats = [];
    for (let i = 0; i < 20; i++) stats.push(await t.step());
    for (const s of stats) for (const v of [s.lossD, s.lossG, s.dReal, s.dFake]) expect(Number.isFinite(v)).toBe(true);
    const late = stats.slice(10);
    const margin = late.reduce((a, s) => a + s.dReal - s.dFake, 0) / late.length;
    expect(margin).toBeGreaterThan(0);
    const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
    expect(mean(late.map((s) => s.lossD))).toBeLessThan(mean(stats.slice(0, 3).map((s) => s.lossD)));
    expect(stats[stats.length - 1].diffusionT).toBeGreaterThan(10);
    t.dispose();
  });

  it('stops with TrainingDiverged when D goes non-finite', async () => {
    const t = trainer();
    const v = t.D.params.vars.get(t.D.params.names()[0])!;
    v.assign(tf.fill(v.shape, NaN));
    await expect(t.step()).rejects.toBeInstanceOf(TrainingDiverged);
    t.dispose();
  });
});
