/**
 * Classifier guidance (src/core/diffusion/guidance.ts): the gradient's shape and sign, the
 * sampler adapters on a toy problem where the answer is known, and tensor hygiene.
 *
 * Toy problem: 8×8 "images" that are one of two points, a (left half bright) with label 0
 * and b (right half bright) with label 1, equally likely. The exact ε (and the exact x̂₀ a
 * perfect DD-GAN generator would output) of such a two-point distribution has a closed
 * form, so the samplers run with an exact denoiser and only the classifier is learned: a
 * tiny noise-aware classifier trained for a few dozen steps. Unguided, about half the
 * samples land on a; guided toward class 0, far more must.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { LAST_STEP_GUIDE_CHUNK, classLogProb, classifierGradient, ddganLastStepGuide, ddganMeanShift, ddpmGuidance, labelsFor } from '../../src/core/diffusion/guidance';
import { ddpmSchedule, sampleDdpm, type DdpmSchedule } from '../../src/core/diffusion/ddpm';
import type { DdpmSamplerSpec } from '../../src/core/diffusion/samplers/specs';
import { ddganSchedule } from '../../src/core/diffusion/schedule';
import { sampleDdgan } from '../../src/core/diffusion/ddganSampler';
import { Network } from '../../src/core/models/network';
import { defaultNoisyClassifierConfig, type NoisyClassifierConfig } from '../../src/core/models/noisyClassifier';
import { defaultEpsNetConfig, type EpsNetConfig } from '../../src/core/models/epsNet';
import { defaultGeneratorConfig, type GeneratorConfig } from '../../src/core/models/generator';
import { NoisyClassifierTrainer, defaultNoisyClassifierTrainConfig } from '../../src/core/training/noisyClassifierTrainer';
import { Rng, randn } from '../../src/core/rng';

const SIZE = 8;
const tinyConfig = (): NoisyClassifierConfig =>
  defaultNoisyClassifierConfig({ imageSize: SIZE, numClasses: 2, baseChannels: 4, channelMults: [1, 2], featureDim: 8, groups: 2, noiseEmbedDim: 16 });

/** Point a: left half +0.8, right half −0.8; point b: the mirror image. */
const pointValues = (cls: number): Float32Array =>
  Float32Array.from({ length: SIZE * SIZE }, (_, p) => ((p % SIZE < SIZE / 2) === (cls === 0) ? 0.8 : -0.8));

function toyData(count: number) {
  const pixels = new Uint8Array(count * SIZE * SIZE);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    pixels.set(Array.from(pointValues(i % 2), (v) => Math.round((v + 1) * 127.5)), i * SIZE * SIZE);
  }
  return { name: 'two-points', pixels, labels, numClasses: 2, count, size: SIZE, channels: 1 };
}

/** E[x₀ | x] for x = √ᾱ x₀ + √(1−ᾱ) ε with x₀ ∈ {a, b} equally likely. */
function exactX0(x: tf.Tensor4D, alphaBar: number): tf.Tensor4D {
  return tf.tidy(() => {
    const points = tf.tensor2d([...pointValues(0), ...pointValues(1)], [2, SIZE * SIZE]);
    const flat = x.reshape([x.shape[0], 1, SIZE * SIZE]);
    const dist = flat.sub(points.mul(Math.sqrt(alphaBar)).expandDims(0)).square().sum(2);
    const w = tf.softmax(dist.div(-2 * (1 - alphaBar)));
    return tf.matMul(w, points).reshape(x.shape) as tf.Tensor4D;
  });
}

/** An ε-"network" that returns the exact ε of the two-point distribution. */
function exactEpsNet(s: DdpmSchedule): Network<EpsNetConfig> {
  const config = defaultEpsNetConfig({ imageSize: SIZE, steps: s.N });
  const apply = (x: tf.Tensor, t: tf.Tensor) =>
    tf.tidy(() => {
      const ab = s.alphaBars[(t.dataSync() as Int32Array)[0]];
      return x.sub(exactX0(x as tf.Tensor4D, ab).mul(Math.sqrt(ab))).div(Math.sqrt(1 - ab));
    });
  return { config, apply } as unknown as Network<EpsNetConfig>;
}

/** A DD-GAN "generator" that outputs the exact x̂₀ = E[x₀ | x_k] (it ignores z). */
function exactGenerator(T: number): Network<GeneratorConfig> {
  const s = ddganSchedule(T);
  const config = defaultGeneratorConfig({ imageSize: SIZE, T, nz: 2 });
  const apply = (x: tf.Tensor, k: tf.Tensor) => tf.tidy(() => exactX0(x as tf.Tensor4D, s.alphaBars[(k.dataSync() as Int32Array)[0]]));
  return { config, apply } as unknown as Network<GeneratorConfig>;
}

/** Per sample: 0 if it is closer to a (left brighter), 1 if closer to b. */
async function sides(x: tf.Tensor4D): Promise<number[]> {
  const d = tf.tidy(() => {
    const [left, right] = tf.split(x, 2, 2);
    return left.mean([1, 2, 3]).sub(right.mean([1, 2, 3]));
  });
  const v = await d.data();
  d.dispose();
  return Array.from(v, (diff) => (diff > 0 ? 0 : 1));
}

const share = (xs: number[], target: (i: number) => number): number => xs.filter((c, i) => c === target(i)).length / xs.length;

let trained: Network<NoisyClassifierConfig>;

beforeAll(async () => {
  await backend('wasm');
  const trainer = NoisyClassifierTrainer.create(
    tinyConfig(),
    toyData(64),
    defaultNoisyClassifierTrainConfig({ batch: 32, lr: 5e-3, maxShift: 0, ddganT: [2, 4], seed: 3 }),
  );
  for (let i = 0; i < 60; i++) await trainer.step();
  trained = trainer.net.clone();
  trainer.dispose();
});

describe('classifierGradient', () => {
  it('has the shape of x and points uphill in log p(y | x, σ) (finite differences agree)', async () => {
    const net = Network.create(tinyConfig(), 11) as Network<NoisyClassifierConfig>;
    const x = randn([3, SIZE, SIZE, 1], new Rng(5)) as tf.Tensor4D;
    const labels = [0, 1, 1];
    const sigma = 0.7;
    const g = classifierGradient(net, x, sigma, labels);
    expect(g.shape).toEqual(x.shape);
    const f = async (input: tf.Tensor4D) => {
      const lp = classLogProb(net, input, sigma, labels);
      const v = Array.from(await lp.data()).reduce((a, b) => a + b, 0);
      lp.dispose();
      return v;
    };
    // along a random direction d: (f(x + h d) − f(x − h d)) / 2h ≈ ⟨g, d⟩
    const d = randn(x.shape, new Rng(6)) as tf.Tensor4D;
    // small enough that no LeakyReLU kink lies within ±h·d, large enough for float32
    const h = 1e-3;
    const [plus, minus] = [tf.tidy(() => x.add(d.mul(h))) as tf.Tensor4D, tf.tidy(() => x.sub(d.mul(h))) as tf.Tensor4D];
    const numeric = ((await f(plus)) - (await f(minus))) / (2 * h);
    const dot = tf.tidy(() => g.mul(d).sum());
    const analytic = (await dot.data())[0];
    expect(Math.abs(numeric - analytic)).toBeLessThan(0.01 * Math.abs(analytic) + 1e-3);
    // a small step along g raises the log-probability; against g lowers it
    const up = tf.tidy(() => x.add(g.mul(1e-2))) as tf.Tensor4D;
    const down = tf.tidy(() => x.sub(g.mul(1e-2))) as tf.Tensor4D;
    const f0 = await f(x);
    expect(await f(up)).toBeGreaterThan(f0);
    expect(await f(down)).toBeLessThan(f0);
    tf.dispose([x, g, d, plus, minus, dot, up, down]);
    net.dispose();
  });

  it('one label per example gives each example the gradient of its own class', async () => {
    const net = Network.create(tinyConfig(), 12) as Network<NoisyClassifierConfig>;
    const x = randn([2, SIZE, SIZE, 1], new Rng(7)) as tf.Tensor4D;
    const mixed = await classifierGradient(net, x, [0.3, 0.9], [0, 1]).array();
    const all0 = await classifierGradient(net, x, [0.3, 0.9], 0).array();
    const all1 = await classifierGradient(net, x, [0.3, 0.9], 1).array();
    expect(mixed[0]).toEqual(all0[0]);
    expect(mixed[1]).toEqual(all1[1]);
    expect(mixed[0]).not.toEqual(all1[0]);
    tf.dispose(x);
    net.dispose();
  });

  it('rejects labels outside the classes and a wrong image size, with a message that says so', () => {
    expect(() => labelsFor(2, 3, 2)).toThrow(/0\.\.1/);
    expect(() => labelsFor([0, 1], 3, 2)).toThrow(/2 class labels for a batch of 3/);
    const x = tf.zeros([1, 16, 16, 1]) as tf.Tensor4D;
    expect(() => classifierGradient(trained, x, 0.5, 0)).toThrow(/8×8×1/);
    x.dispose();
  });
});

describe('guided sampling on the two-point toy problem', () => {
  const n = 64;
  const toward0 = () => 0;

  it('the trained toy classifier separates the classes at moderate noise', async () => {
    const data = toyData(64);
    const x = tf.tidy(() => {
      const clean = tf.tensor4d(Float32Array.from(data.pixels, (v) => v / 127.5 - 1), [64, SIZE, SIZE, 1]);
      return clean.mul(Math.sqrt(1 - 0.9 ** 2)).add(randn([64, SIZE, SIZE, 1], new Rng(1)).mul(0.9));
    }) as tf.Tensor4D;
    const pred = tf.tidy(() => trained.apply(x, tf.fill([64], 0.9)).argMax(1));
    const p = await pred.data();
    expect(share(Array.from(p), (i) => data.labels[i])).toBeGreaterThan(0.8);
    tf.dispose([x, pred]);
  });

  for (const sampler of [{ kind: 'ddim', steps: 20, eta: 0 }, { kind: 'ancestral' }] as DdpmSamplerSpec[]) {
    it(`DDPM ${sampler.kind}: guidance toward class 0 raises its share well above the unguided one`, async () => {
      // ancestral: 100 steps with β from 1e-3 to 0.2 (ᾱ_100 ≈ 3e-5, so x_100 is pure noise as
      // with the 1000-step schedule); the classifier only sees σ, so any schedule will do
      const s = sampler.kind === 'ancestral' ? ddpmSchedule(100, 1e-3, 0.2) : ddpmSchedule(1000);
      const eps = exactEpsNet(s);
      const run = async (scale: number, labels: number | number[] = 0) => {
        const x = await sampleDdpm(eps, s, { batch: n, rng: new Rng(21), sampler, guidance: ddpmGuidance(trained, s, labels), guidanceScale: scale });
        const out = await sides(x);
        x.dispose();
        return out;
      };
      const before = tf.memory().numTensors;
      const unguided = share(await run(0), toward0);
      const guided = share(await run(4), toward0);
      expect(tf.memory().numTensors).toBe(before);
      expect(unguided).toBeGreaterThan(0.3);
      expect(unguided).toBeLessThan(0.7);
      expect(guided).toBeGreaterThan(Math.max(0.85, unguided + 0.25));
      // one label per sample: every other sample toward class 1
      const alternating = Array.from({ length: n }, (_, i) => i % 2);
      expect(share(await run(4, alternating), (i) => i % 2)).toBeGreaterThan(0.85);
    });
  }

  it('DD-GAN (T = 4, posterior mean shift): guidance toward class 0 raises its share well above the unguided one', async () => {
    const G = exactGenerator(4);
    const schedule = ddganSchedule(4);
    const run = async (scale: number) => {
      const x = await sampleDdgan(G, schedule, { batch: n, rng: new Rng(33), meanShift: ddganMeanShift(trained, schedule, 0, scale) });
      const out = await sides(x);
      x.dispose();
      return out;
    };
    const before = tf.memory().numTensors;
    const unguided = share(await run(0), toward0);
    const guided = share(await run(4), toward0);
    expect(tf.memory().numTensors).toBe(before);
    expect(unguided).toBeGreaterThan(0.3);
    expect(unguided).toBeLessThan(0.7);
    expect(guided).toBeGreaterThan(Math.max(0.85, unguided + 0.25));
  });

  it('the DD-GAN shift is s · var_k · ∇log p at the posterior mean and σ_{k−1}, and nothing at k = 1', async () => {
    const schedule = ddganSchedule(4);
    const shiftAt = ddganMeanShift(trained, schedule, 1, 2.5);
    const x = randn([2, SIZE, SIZE, 1], new Rng(9)) as tf.Tensor4D;
    const x0 = randn([2, SIZE, SIZE, 1], new Rng(10)).mul(0.5) as tf.Tensor4D;
    expect(shiftAt(x, 1, x0)).toBeNull();
    expect(ddganMeanShift(trained, schedule, 1, 0)(x, 3, x0)).toBeNull();
    const got = shiftAt(x, 3, x0)!;
    const want = tf.tidy(() => {
      const mean = x0.mul(schedule.posteriorC1[3]).add(x.mul(schedule.posteriorC2[3])) as tf.Tensor4D;
      return classifierGradient(trained, mean, Math.sqrt(1 - schedule.alphaBars[2]), 1).mul(2.5 * schedule.posteriorVariance[3]);
    });
    // the gradient where diffusion code often takes it (x_k, σ_k) is a different number
    const atXk = tf.tidy(() => classifierGradient(trained, x, Math.sqrt(1 - schedule.alphaBars[3]), 1).mul(2.5 * schedule.posteriorVariance[3]));
    const [diff, other] = tf.tidy(() => [got.sub(want).abs().max(), got.sub(atXk).abs().max()]);
    expect((await diff.data())[0]).toBeLessThan(1e-6);
    expect((await other.data())[0]).toBeGreaterThan(1e-4);
    tf.dispose([x, x0, got, want, atXk, diff, other]);
  });
});

describe('the DD-GAN last-step guide (gradient through the generator)', () => {
  const n = 64;

  it('steers a T = 1 model, whose only step has no posterior variance, toward the class', async () => {
    const G = exactGenerator(1);
    const schedule = ddganSchedule(1);
    const run = async (scale: number) => {
      const x = await sampleDdgan(G, schedule, {
        batch: n,
        rng: new Rng(41),
        meanShift: ddganMeanShift(trained, schedule, 0, scale),
        inputShift: ddganLastStepGuide(trained, G, schedule, 0, scale),
      });
      const out = await sides(x);
      x.dispose();
      return out;
    };
    const before = tf.memory().numTensors;
    const unguided = share(await run(0), () => 0);
    const guided = share(await run(4), () => 0);
    expect(tf.memory().numTensors).toBe(before);
    expect(unguided).toBeGreaterThan(0.3);
    expect(unguided).toBeLessThan(0.7);
    expect(guided).toBeGreaterThan(Math.max(0.85, unguided + 0.25));
  });

  it('is s · σ_1² · ∇ log p(y | G(x_1, 1, z), 0) per iteration, only at k = 1, the same in chunks as in one pass', async () => {
    const G = exactGenerator(4);
    const schedule = ddganSchedule(4);
    const batch = LAST_STEP_GUIDE_CHUNK + 6;
    const labels = Array.from({ length: batch }, (_, i) => i % 2);
    const x = randn([batch, SIZE, SIZE, 1], new Rng(12)).mul(0.7) as tf.Tensor4D;
    const z = randn([batch, 2], new Rng(13)) as tf.Tensor2D;
    expect(ddganLastStepGuide(trained, G, schedule, labels, 3)(x, 2, z)).toBeNull();
    expect(ddganLastStepGuide(trained, G, schedule, labels, 0)(x, 1, z)).toBeNull();
    const step = 3 * (1 - schedule.alphaBars[1]);
    // two iterations by hand, on the whole batch at once
    const want = tf.tidy(() => {
      const kVec = tf.fill([batch], 1, 'int32');
      const f = (input: tf.Tensor) => classLogProb(trained, G.apply(input as tf.Tensor4D, kVec, z) as tf.Tensor4D, 0, labels).sum();
      const x1 = x.add(tf.grad(f)(x).mul(step));
      return x1.add(tf.grad(f)(x1).mul(step));
    });
    const got = ddganLastStepGuide(trained, G, schedule, labels, 3, 2)(x, 1, z)!;
    expect(got.shape).toEqual(x.shape);
    const [diff, moved, gain] = tf.tidy(() => {
      const kVec = tf.fill([batch], 1, 'int32');
      const logP = (input: tf.Tensor4D) => classLogProb(trained, G.apply(input, kVec, z) as tf.Tensor4D, 0, labels).mean();
      return [got.sub(want).abs().max(), got.sub(x).abs().max(), logP(got).sub(logP(x))];
    });
    expect((await diff.data())[0]).toBeLessThan(1e-5);
    expect((await moved.data())[0]).toBeGreaterThan(1e-3);
    // the point of it: the guide likes what G makes from the moved x_1 better
    expect((await gain.data())[0]).toBeGreaterThan(0);
    tf.dispose([x, z, want, got, diff, moved, gain]);
  });

  it('the sampler feeds the corrected x_k to G and reports it; a hook that returns null changes nothing', async () => {
    const G = exactGenerator(4);
    const schedule = ddganSchedule(4);
    const plain = await sampleDdgan(G, schedule, { batch: 4, rng: new Rng(5) });
    const seen: number[] = [];
    const unchanged = await sampleDdgan(G, schedule, {
      batch: 4,
      rng: new Rng(5),
      inputShift: (_x, k) => {
        seen.push(k);
        return null;
      },
    });
    expect(seen).toEqual([4, 3, 2, 1]);
    const reported: number[] = [];
    const shifted = await sampleDdgan(G, schedule, {
      batch: 4,
      rng: new Rng(5),
      inputShift: (x, k) => (k === 1 ? (tf.fill(x.shape, 0.8) as tf.Tensor4D) : null),
      onStep: async (s) => {
        if (s.k === 1) reported.push(...(await s.xK.data()));
      },
    });
    const [same, differs] = tf.tidy(() => [plain.sub(unchanged).abs().max(), plain.sub(shifted).abs().max()]);
    expect((await same.data())[0]).toBe(0);
    expect((await differs.data())[0]).toBeGreaterThan(1e-3);
    expect(reported.every((v) => Math.abs(v - 0.8) < 1e-6)).toBe(true);
    // x_1 = 0.8 everywhere: E[x₀ | x_1] leans to a (left +0.8) and b (left −0.8) equally, so
    // the result is the same for every sample
    tf.dispose([plain, unchanged, shifted, same, differs]);
  });
});

describe('tensor hygiene', () => {
  it('repeated gradients and guided runs leave tf.memory().numTensors flat', async () => {
    const x = randn([4, SIZE, SIZE, 1], new Rng(2)) as tf.Tensor4D;
    const s = ddpmSchedule(1000);
    const eps = exactEpsNet(s);
    const G = exactGenerator(4);
    const schedule = ddganSchedule(4);
    const once = async () => {
      classifierGradient(trained, x, 0.5, [0, 1, 0, 1]).dispose();
      ddpmGuidance(trained, s, 1)(x, 500).dispose();
      (await sampleDdpm(eps, s, { batch: 4, rng: new Rng(1), sampler: { kind: 'ddim', steps: 5, eta: 0 }, guidance: ddpmGuidance(trained, s, 1), guidanceScale: 2 })).dispose();
      (await sampleDdgan(G, schedule, { batch: 4, rng: new Rng(1), meanShift: ddganMeanShift(trained, schedule, 1, 2) })).dispose();
      const inputShift = ddganLastStepGuide(trained, G, schedule, [0, 1, 0, 1], 2);
      (await sampleDdgan(G, schedule, { batch: 4, rng: new Rng(1), meanShift: ddganMeanShift(trained, schedule, 1, 2), inputShift })).dispose();
    };
    await once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await once();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
