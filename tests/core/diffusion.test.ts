import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend, meanVar } from '../helpers';
import { ddganSchedule } from '../../src/core/diffusion/schedule';
import { qSample, qSamplePairs, samplePosterior } from '../../src/core/diffusion/ddgan';
import { Rng, randn } from '../../src/core/rng';

beforeAll(() => backend('wasm'));

describe('sample_posterior', () => {
  it('empirical mean and variance over many draws match the formulas', async () => {
    const s = ddganSchedule(4);
    const n = 40000;
    const rng = new Rng(7);
    for (const k of [2, 3, 4]) {
      const x0v = 0.6;
      const xkv = -0.8;
      const draws = tf.tidy(() => {
        const x0 = tf.fill([n, 1], x0v);
        const xk = tf.fill([n, 1], xkv);
        return samplePosterior(s, x0, xk, k, randn([n, 1], rng));
      });
      const { mean, variance } = meanVar(await draws.data());
      draws.dispose();
      const wantMean = s.posteriorC1[k] * x0v + s.posteriorC2[k] * xkv;
      const wantVar = s.posteriorVariance[k];
      // standard error of the mean: sqrt(var / n) ≈ 0.005; of the variance: var·sqrt(2/n) ≈ 0.007
      expect(Math.abs(mean - wantMean)).toBeLessThan(0.02);
      expect(Math.abs(variance - wantVar) / wantVar).toBeLessThan(0.03);
    }
  });

  it('is exactly x̂₀ at k = 1 (no noise at the last step)', async () => {
    const s = ddganSchedule(4);
    const rng = new Rng(1);
    const x0 = tf.tensor2d([[0.25, -0.5, 0.75]]);
    const out = samplePosterior(s, x0, tf.tensor2d([[3, 2, 1]]), 1, randn([1, 3], rng));
    expect(Array.from(await out.data())).toEqual(Array.from(await x0.data()));
  });

  it('adds a guidance mean shift to the mean', async () => {
    const s = ddganSchedule(2);
    const zero = tf.zeros([1, 2]);
    const out = samplePosterior(s, zero, zero, 2, zero, tf.tensor2d([[1, -1]]));
    expect(Array.from(await out.data())).toEqual([1, -1]);
  });
});

describe('forward process', () => {
  it('q_sample marginals have mean √ᾱ_k x₀ and variance 1 − ᾱ_k', async () => {
    const s = ddganSchedule(4);
    const n = 40000;
    const rng = new Rng(3);
    for (const k of [1, 2, 4]) {
      const xk = tf.tidy(() => qSample(s, tf.fill([n, 1], 0.9), k, randn([n, 1], rng)));
      const { mean, variance } = meanVar(await xk.data());
      xk.dispose();
      expect(Math.abs(mean - s.sqrtAlphaBars[k] * 0.9)).toBeLessThan(0.02);
      expect(Math.abs(variance - (1 - s.alphaBars[k]))).toBeLessThan(0.03);
    }
  });

  it('q_sample_pairs: x_k has the marginal of step k and x_{k−1} that of step k−1, per example', async () => {
    const s = ddganSchedule(4);
    const n = 40000;
    const rng = new Rng(5);
    const ks = [1, 3, 4];
    for (const k of ks) {
      const [xPrev, xK] = tf.tidy(() => {
        const kv = tf.fill([n], k, 'int32') as tf.Tensor1D;
        return qSamplePairs(s, tf.fill([n, 1], -0.7), kv, randn([n, 1], rng), randn([n, 1], rng));
      });
      const a = meanVar(await xPrev.data());
      const b = meanVar(await xK.data());
      tf.dispose([xPrev, xK]);
      expect(Math.abs(a.mean - s.sqrtAlphaBars[k - 1] * -0.7)).toBeLessThan(0.02);
      expect(Math.abs(b.mean - s.sqrtAlphaBars[k] * -0.7)).toBeLessThan(0.02);
      expect(Math.abs(b.variance - (1 - s.alphaBars[k]))).toBeLessThan(0.03);
    }
  });

  it('mixes step indices within one batch', async () => {
    const s = ddganSchedule(4);
    const x0 = tf.ones([4, 1]);
    const k = tf.tensor1d([1, 2, 3, 4], 'int32');
    const out = await qSample(s, x0, k, tf.zeros([4, 1])).data();
    for (let i = 0; i < 4; i++) expect(out[i]).toBeCloseTo(s.sqrtAlphaBars[i + 1], 5);
  });
});

describe('Rng', () => {
  it('is reproducible from a seed and restorable from its state', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    expect(a.normalArray(10)).toEqual(b.normalArray(10));
    const state = a.getState();
    const next = a.normalArray(5);
    const c = new Rng(0);
    c.setState(state);
    expect(c.normalArray(5)).toEqual(next);
    expect(new Rng(43).normalArray(3)).not.toEqual(new Rng(42).normalArray(3));
  });

  it('draws standard normals', () => {
    const { mean, variance } = meanVar(new Rng(9).normalArray(100000));
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });
});
