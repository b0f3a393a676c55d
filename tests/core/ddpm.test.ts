import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend, meanVar } from '../helpers';
import { ddpmSchedule, sampleDdpm } from '../../src/core/diffusion/ddpm';
import { ancestralStep } from '../../src/core/diffusion/samplers/ddpmAncestral';
import { ddimStep } from '../../src/core/diffusion/samplers/ddim';
import { ddimTimesteps } from '../../src/core/diffusion/samplers/timesteps';
import { Network } from '../../src/core/models/network';
import { defaultEpsNetConfig, type EpsNetConfig } from '../../src/core/models/epsNet';
import { Rng, randn } from '../../src/core/rng';

beforeAll(() => backend('wasm'));

/** The exact ε for data that is a single point c: ε = (x_t − √ᾱ_t c) / √(1 − ᾱ_t). */
const oracleEps = (s: ReturnType<typeof ddpmSchedule>, x: tf.Tensor, t: number, c: number) =>
  x.sub(c * Math.sqrt(s.alphaBars[t])).div(Math.sqrt(1 - s.alphaBars[t]));

describe('DDPM schedule and steps', () => {
  it('linear β from 1e-4 to 0.02 over 1000 steps; ᾱ_1000 ≈ 4.04e-5', () => {
    const s = ddpmSchedule();
    expect(s.betas[1]).toBeCloseTo(1e-4, 12);
    expect(s.betas[1000]).toBeCloseTo(0.02, 12);
    expect(s.alphaBars[1000]).toBeGreaterThan(4.0e-5);
    expect(s.alphaBars[1000]).toBeLessThan(4.1e-5);
  });

  it('with the exact ε of a point mass, DDIM (η = 0) lands on the point from any start', async () => {
    const s = ddpmSchedule();
    let x: tf.Tensor = randn([64, 1], new Rng(1));
    const times = ddimTimesteps(1000, 10);
    expect(times[0]).toBe(1000);
    expect(times[times.length - 1]).toBe(100);
    for (let i = 0; i < times.length; i++) {
      const t = times[i];
      const next = ddimStep(s, oracleEps(s, x, t, 0.3), t, times[i + 1] ?? 0, 0, x);
      x.dispose();
      x = next.prev;
    }
    const v = await x.data();
    for (const value of v) expect(value).toBeCloseTo(0.3, 5);
  });

  it('an ancestral step has the posterior mean and variance β̃_t; DDIM η = 1 on consecutive steps matches it', async () => {
    const s = ddpmSchedule();
    const n = 40000;
    const t = 500;
    const rng = new Rng(4);
    const xT = tf.fill([n, 1], 0.5);
    const eps = oracleEps(s, xT, t, -0.2);
    const a = ancestralStep(s, eps, t, xT, { noise: randn([n, 1], rng) }).prev;
    const d = ddimStep(s, eps, t, t - 1, 1, xT, randn([n, 1], rng)).prev;
    const ab = s.alphaBars[t];
    const abPrev = s.alphaBars[t - 1];
    const beta = s.betas[t];
    const wantMean = ((beta * Math.sqrt(abPrev)) / (1 - ab)) * -0.2 + (((1 - abPrev) * Math.sqrt(1 - beta)) / (1 - ab)) * 0.5;
    const wantVar = (beta * (1 - abPrev)) / (1 - ab);
    for (const sample of [a, d]) {
      const { mean, variance } = meanVar(await sample.data());
      expect(Math.abs(mean - wantMean)).toBeLessThan(1e-3);
      expect(Math.abs(variance - wantVar) / wantVar).toBeLessThan(0.03);
    }
  });

  it('guidance shifts the ancestral mean by s·Σ·∇log p', async () => {
    const s = ddpmSchedule();
    const xT = tf.zeros([1, 1]);
    const eps = tf.zeros([1, 1]);
    const plain = await ancestralStep(s, eps, 10, xT, { noise: tf.zeros([1, 1]) }).prev.data();
    let seen = 0;
    const shifted = await ancestralStep(s, eps, 10, xT, {
      noise: tf.zeros([1, 1]),
      meanShift: (_x, _t, _x0, variance) => {
        seen = variance;
        return tf.fill([1, 1], 2 * variance);
      },
    }).prev.data();
    expect(seen).toBeCloseTo((s.betas[10] * (1 - s.alphaBars[9])) / (1 - s.alphaBars[10]), 12);
    expect(shifted[0] - plain[0]).toBeCloseTo(2 * seen, 6);
  });
});

describe('sampleDdpm', () => {
  const cfg = defaultEpsNetConfig({ imageSize: 8, channelMults: [1, 2], baseChannels: 8, tEmbedDim: 16, steps: 20 });

  it('runs DDIM with the requested number of network calls and reports every k-th frame', async () => {
    const net = Network.create(cfg, 1) as Network<EpsNetConfig>;
    const s = ddpmSchedule(20);
    const seen: number[] = [];
    const before = tf.memory().numTensors;
    const x0 = await sampleDdpm(net, s, {
      batch: 2,
      rng: new Rng(1),
      sampler: { kind: 'ddim', steps: 5, eta: 0 },
      onStep: (st) => {
        seen.push(st.t);
      },
    });
    expect(seen).toEqual([20, 16, 12, 8, 4]);
    expect(x0.shape).toEqual([2, 8, 8, 1]);
    x0.dispose();
    const frames: number[] = [];
    const y = await sampleDdpm(net, s, { batch: 1, rng: new Rng(2), sampler: { kind: 'ancestral' }, every: 6, onStep: (st) => void frames.push(st.index) });
    expect(frames).toEqual([0, 6, 12, 18, 19]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });

  it('DDIM with η = 0 is deterministic given x_T; the same seed reproduces ancestral samples', async () => {
    const net = Network.create(cfg, 2) as Network<EpsNetConfig>;
    const s = ddpmSchedule(20);
    const run = async (seed: number, sampler: Parameters<typeof sampleDdpm>[2]['sampler']) => {
      const x = await sampleDdpm(net, s, { batch: 1, rng: new Rng(seed), sampler });
      const v = Array.from(await x.data());
      x.dispose();
      return v;
    };
    expect(await run(3, { kind: 'ancestral' })).toEqual(await run(3, { kind: 'ancestral' }));
    expect(await run(3, { kind: 'ancestral' })).not.toEqual(await run(4, { kind: 'ancestral' }));
    expect(await run(5, { kind: 'ddim', steps: 4, eta: 0 })).toEqual(await run(5, { kind: 'ddim', steps: 4, eta: 0 }));
    net.dispose();
  });
});

describe('DDPM trainer', () => {
  it('lowers the ε-prediction loss on a toy set, leaks nothing, and resumes bit for bit', async () => {
    const { DdpmTrainer, defaultDdpmTrainConfig } = await import('../../src/core/training/ddpmTrainer');
    const { serializeCheckpoint, parseCheckpoint } = await import('../../src/core/models/checkpoint');
    const n = 32;
    const pixels = new Uint8Array(n * 64);
    for (let i = 0; i < n; i++) for (let p = 0; p < 64; p++) pixels[i * 64 + p] = (p % 8 < 4) === (i % 2 === 0) ? 255 : 0;
    const data = { name: 'toy', pixels, count: n, size: 8, channels: 1 };
    const cfg = defaultEpsNetConfig({ imageSize: 8, channelMults: [1, 2], baseChannels: 8, tEmbedDim: 16, steps: 50 });
    const tr = DdpmTrainer.create(cfg, data, defaultDdpmTrainConfig({ batch: 16, lr: 2e-3, seed: 2 }));
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) losses.push((await tr.step()).loss);
    expect(tf.memory().numTensors).toBe(before);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(20))).toBeLessThan(0.8 * mean(losses.slice(0, 5)));

    const ck = await serializeCheckpoint({ name: 'd', createdAt: 'x', codeVersion: 't', trainerState: tr.stateJson() }, { net: tr.net, netEma: tr.netEma }, tr.stateTensors());
    const next = await tr.step();
    const loaded = parseCheckpoint(ck.modelJson, ck.weightData);
    const resumed = new DdpmTrainer(loaded.networks.net as Network<EpsNetConfig>, loaded.networks.netEma as Network<EpsNetConfig>, data, tr.config);
    resumed.loadState(loaded.meta.trainerState as ReturnType<typeof tr.stateJson>, loaded.state);
    expect({ ...(await resumed.step()), ms: 0 }).toEqual({ ...next, ms: 0 });
    tf.dispose(Object.values(loaded.state));
    tr.dispose();
    resumed.dispose();
  });
});
