/**
 * The 2-D toy lab (core/toy): data samplers, the mode-coverage metric on known
 * configurations, the Diffusion-GAN adaptive-T rule, and short training runs of every
 * recipe (they run, they learn something measurable, they resume bit for bit, no leaks).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { Rng } from '../../src/core/rng';
import { TOY_DATASETS, ring8Means, sampleToy, toyDatasetInfo } from '../../src/core/toy/data';
import { adaptT, diffusionGanSchedule, sampleDiffusionSteps, tFromP } from '../../src/core/toy/diffusionGan';
import { nearestModeDistances, toyMetrics } from '../../src/core/toy/metrics';
import {
  createToyTrainer,
  defaultToyConfig,
  restoreToyTrainer,
  type ToyCommonConfig,
  type ToyRecipe,
  type ToyRecipeConfig,
  type ToyRecipeConfigOf,
  type ToyTrainer,
} from '../../src/core/toy/recipes';
import { GRID25_STD, grid25Means, modeCoverage } from '../../src/core/metrics/modes2d';

beforeAll(async () => {
  await backend('wasm');
});

/** Small, fast settings for the unit tests (the benchmark uses the defaults). */
const SMALL: Partial<ToyCommonConfig> = { batch: 64, hiddenG: 32, hiddenD: 32, layersG: 2, layersD: 2, fourierFeatures: 8 };

function tiny<R extends ToyRecipe>(recipe: R, extra: Partial<Omit<ToyRecipeConfigOf<R>, 'recipe'>> = {}): ToyRecipeConfig {
  return defaultToyConfig(recipe, { ...SMALL, ...extra } as Partial<Omit<ToyRecipeConfigOf<R>, 'recipe'>>);
}

async function train(trainer: ToyTrainer, steps: number) {
  const stats = [];
  for (let i = 0; i < steps; i++) stats.push(await trainer.step());
  return stats;
}

describe('toy data', () => {
  it('25 Gaussians: exact means (i, j), i, j ∈ {−4, −2, 0, 2, 4}, std 0.05, equal weights', () => {
    const n = 20000;
    const { points, info } = sampleToy('grid25', n, new Rng(1));
    expect(points).toBeInstanceOf(Float32Array);
    expect(points.length).toBe(2 * n);
    expect(Array.from(info.modeMeans!)).toEqual(Array.from(grid25Means()));
    expect(info.modeStd).toBe(0.05);
    const means = grid25Means();
    const sum = new Float64Array(50);
    const sumSq = new Float64Array(50);
    const count = new Array<number>(25).fill(0);
    for (let i = 0; i < n; i++) {
      // nearest grid point: the modes are 40 std apart, so this is the true component
      const mi = Math.round((points[2 * i] + 4) / 2);
      const mj = Math.round((points[2 * i + 1] + 4) / 2);
      const m = mi * 5 + mj;
      count[m]++;
      for (let d = 0; d < 2; d++) {
        const r = points[2 * i + d] - means[2 * m + d];
        sum[2 * m + d] += r;
        sumSq[2 * m + d] += r * r;
      }
    }
    for (let m = 0; m < 25; m++) {
      expect(count[m]).toBeGreaterThan(n / 25 - 5 * Math.sqrt(n / 25)); // ≈ 800 ± 28
      expect(count[m]).toBeLessThan(n / 25 + 5 * Math.sqrt(n / 25));
      for (let d = 0; d < 2; d++) {
        const mean = sum[2 * m + d] / count[m];
        const std = Math.sqrt(sumSq[2 * m + d] / count[m] - mean * mean);
        expect(Math.abs(mean)).toBeLessThan(0.01); // std of the mean ≈ 0.0018
        expect(std).toBeGreaterThan(0.045);
        expect(std).toBeLessThan(0.055);
      }
    }
  });

  it('every sampler is seeded, finite, [n × 2] and roughly inside [−5, 5]²', () => {
    for (const name of TOY_DATASETS) {
      const a = sampleToy(name, 3000, new Rng(7));
      const b = sampleToy(name, 3000, new Rng(7));
      expect(a.points).toEqual(b.points);
      expect(a.points.length).toBe(6000);
      let inside = 0;
      for (const v of a.points) {
        expect(Number.isFinite(v)).toBe(true);
        if (Math.abs(v) <= 5) inside++;
      }
      expect(inside / a.points.length).toBeGreaterThan(0.999);
      expect(a.info.description.length).toBeGreaterThan(10);
      expect(toyDatasetInfo(name).name).toBe(name);
    }
  });

  it('ring: 8 Gaussians on a circle of radius 4', () => {
    const { points } = sampleToy('ring8', 4000, new Rng(3));
    let r = 0;
    for (let i = 0; i < 4000; i++) r += Math.hypot(points[2 * i], points[2 * i + 1]);
    expect(r / 4000).toBeCloseTo(4, 1);
    const cov = modeCoverage(points, { means: ring8Means(), std: 0.05 });
    expect(cov.modesCovered).toBe(8);
    expect(cov.highQualityShare).toBeGreaterThan(0.97);
  });
});

describe('25-Gaussians metric on known configurations', () => {
  const grid = grid25Means();

  it('true samples: 25 modes, ≈ 98.9 % high quality, reverse KL ≈ 0', () => {
    const m = toyMetrics('grid25', sampleToy('grid25', 2500, new Rng(11)).points)!;
    expect(m.coverage.modesCovered).toBe(25);
    expect(m.coverage.highQualityShare).toBeGreaterThan(0.97);
    expect(m.coverage.reverseKl).toBeLessThan(0.02);
    expect(m.meanPointToMode).toBeLessThan(0.1);
    expect(m.meanModeToPoint).toBeLessThan(0.02);
  });

  it('samples on 17 of the 25 modes: 17 modes, KL = ln(25/17)', () => {
    const rng = new Rng(12);
    const pts = new Float32Array(2 * 1700);
    for (let i = 0; i < 1700; i++) {
      const m = i % 17;
      pts[2 * i] = grid[2 * m] + 0.02 * rng.normal();
      pts[2 * i + 1] = grid[2 * m + 1] + 0.02 * rng.normal();
    }
    const c = modeCoverage(pts);
    expect(c.modesCovered).toBe(17);
    expect(c.highQualityShare).toBe(1);
    expect(c.reverseKl).toBeCloseTo(Math.log(25 / 17), 6);
  });

  it('half the samples halfway between modes: all 25 modes, 50 % high quality', () => {
    const pts: number[] = [];
    for (let m = 0; m < 25; m++) {
      for (let r = 0; r < 10; r++) pts.push(grid[2 * m], grid[2 * m + 1]); // on the mode
      for (let r = 0; r < 10; r++) pts.push(grid[2 * m] + 1, grid[2 * m + 1]); // 20 std away
    }
    const c = modeCoverage(pts);
    expect(c.modesCovered).toBe(25);
    expect(c.highQualityShare).toBeCloseTo(0.5, 12);
    expect(c.reverseKl).toBeCloseTo(0, 9);
    // a point at 2.9 std counts, one at 3.1 std does not
    expect(modeCoverage([2.9 * GRID25_STD, 0]).highQualityShare).toBe(1);
    expect(modeCoverage([3.1 * GRID25_STD, 0]).highQualityShare).toBe(0);
  });

  it('nearest-mode distances', () => {
    const d = nearestModeDistances([0.3, 0, 10, 0], [0, 0, 10, 1]);
    expect(d.meanPointToMode).toBeCloseTo((0.3 + 1) / 2, 9);
    expect(d.meanModeToPoint).toBeCloseTo((0.3 + 1) / 2, 9);
    expect(toyMetrics('moons', [0, 0])).toBeNull();
  });
});

describe('Diffusion-GAN: schedule and adaptive T', () => {
  const opts = { tMin: 5, tMax: 500, target: 0.6, delta: 0.05 };

  it('adaptT moves T up when D overfits (r_d above target) and down when it does not', () => {
    const s0 = { p: 0.5, T: tFromP(0.5, opts) };
    expect(s0.T).toBe(5 + Math.round(0.5 * 495));
    const up = adaptT(s0, 0.9, opts);
    expect(up.p).toBeCloseTo(0.55, 12);
    expect(up.T).toBe(5 + Math.round(0.55 * 495));
    expect(up.T).toBeGreaterThan(s0.T);
    const down = adaptT(s0, 0.2, opts);
    expect(down.p).toBeCloseTo(0.45, 12);
    expect(down.T).toBeLessThan(s0.T);
    // the step is sign-based: the size of the gap does not matter
    expect(adaptT(s0, 0.61, opts)).toEqual(up);
    // exactly on target or undefined: no move
    expect(adaptT(s0, 0.6, opts)).toEqual(s0);
    expect(adaptT(s0, NaN, opts)).toEqual(s0);
  });

  it('adaptT clips p to [0, 1], so T stays in [T_min, T_max]', () => {
    let s = { p: 0, T: 5 };
    s = adaptT(s, -1, opts);
    expect(s).toEqual({ p: 0, T: 5 });
    for (let i = 0; i < 40; i++) s = adaptT(s, 1, opts);
    expect(s).toEqual({ p: 1, T: 500 });
    s = adaptT(s, 1, opts);
    expect(s).toEqual({ p: 1, T: 500 });
  });

  it('per-T linear β schedule from 1e-4 to 0.02; ᾱ_0 = 1 and decreasing', () => {
    const s = diffusionGanSchedule(100);
    expect(s.betas[1]).toBeCloseTo(1e-4, 12);
    expect(s.betas[100]).toBeCloseTo(0.02, 12);
    expect(s.alphaBars[0]).toBe(1);
    for (let t = 1; t <= 100; t++) expect(s.alphaBars[t]).toBeLessThan(s.alphaBars[t - 1]);
    // Σβ ≈ 1.005 → ᾱ_T ≈ e^{−1.005} (to first order)
    expect(s.alphaBars[100]).toBeGreaterThan(0.35);
    expect(s.alphaBars[100]).toBeLessThan(0.37);
  });

  it('step distributions: clean share, uniform and priority (∝ t)', () => {
    const T = 10;
    const n = 40000;
    const uni = sampleDiffusionSteps(T, n, 'uniform', 0, new Rng(1));
    const pri = sampleDiffusionSteps(T, n, 'priority', 0, new Rng(2));
    const half = sampleDiffusionSteps(T, n, 'uniform', 0.5, new Rng(3));
    const mean = (a: Int32Array) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(Math.min(...uni)).toBe(1);
    expect(Math.max(...uni)).toBe(T);
    expect(mean(uni)).toBeCloseTo((T + 1) / 2, 1);
    // E[t] under P(t) ∝ t is (2T + 1)/3
    expect(mean(pri)).toBeCloseTo((2 * T + 1) / 3, 1);
    expect(Math.min(...pri)).toBe(1);
    expect(Math.max(...pri)).toBe(T);
    expect(half.filter((t) => t === 0).length / n).toBeCloseTo(0.5, 1);
  });
});

describe('toy recipes', () => {
  it('vanilla GAN: D learns to separate real from fake, and the samples spread toward the modes', async () => {
    const trainer = createToyTrainer(tiny('gan'));
    const before = toyMetrics('grid25', (await trainer.sample(500, new Rng(5))).points)!;
    // 150 steps: the ReLU generator's samples first bunch up (≈ 50 steps) before they spread
    const stats = await train(trainer, 150);
    // D (on raw points) learns to score the reals above the fakes
    const margin = (from: number, to: number) => {
      const d = stats.slice(from, to).map((s) => s.dReal - s.dFake);
      return d.reduce((a, b) => a + b, 0) / d.length;
    };
    expect(margin(130, 150)).toBeGreaterThan(0);
    expect(margin(130, 150)).toBeGreaterThan(margin(0, 5));
    const after = toyMetrics('grid25', (await trainer.sample(500, new Rng(5))).points)!;
    // a fresh G sits near the origin, far from the corner modes
    expect(after.meanModeToPoint).toBeLessThan(before.meanModeToPoint * 0.8);
    for (const s of stats) {
      expect(s.recipe).toBe('gan');
      expect(s.pReal).toBeGreaterThan(0);
      expect(s.pReal).toBeLessThan(1);
    }
    trainer.dispose();
  }, 60_000);

  it('Diffusion-GAN: reports T, p and r_d, and adapts T every adaptEvery steps', async () => {
    const trainer = createToyTrainer(tiny('diffusion-gan', { adaptEvery: 2, delta: 0.1, pInit: 0.5 }));
    const before = toyMetrics('grid25', (await trainer.sample(500, new Rng(5))).points)!;
    const stats = await train(trainer, 120);
    const after = toyMetrics('grid25', (await trainer.sample(500, new Rng(5))).points)!;
    expect(after.meanModeToPoint).toBeLessThan(before.meanModeToPoint * 0.8);
    for (const s of stats) {
      if (s.recipe !== 'diffusion-gan') throw new Error('wrong recipe');
      expect(s.adapted).toBe(s.iteration % 2 === 0);
      expect(s.T).toBe(tFromP(s.p, { tMin: 5, tMax: 500 }));
      if (s.iteration >= 2) expect(Math.abs(s.rd)).toBeLessThanOrEqual(1);
    }
    // p moves by exactly ±delta (or stays clipped) at each update
    const ps = stats.filter((s) => s.recipe === 'diffusion-gan' && s.adapted).map((s) => (s.recipe === 'diffusion-gan' ? s.p : 0));
    let prev = 0.5;
    for (const p of ps) {
      const d = Math.abs(p - prev);
      expect(d < 1e-9 || Math.abs(d - 0.1) < 1e-9).toBe(true);
      prev = p;
    }
    trainer.dispose();
  }, 60_000);

  it('DD-GAN: trains, samples x_T → x_0 through T steps, and the samples spread toward the modes', async () => {
    // The mechanics on a 60-step run: the grid shrunk to [−1, 1] and no EMA, where an untrained
    // G's samples sit far from the modes and a few steps visibly pull them out (the tuned
    // defaults, dataScale 4 with an EMA, are measured by the benchmark, not here).
    const trainer = createToyTrainer(tiny('ddgan', { T: 4, dataScale: 0.25, emaDecay: 0 }));
    const before = toyMetrics('grid25', (await trainer.sample(500, new Rng(5))).points)!;
    const stats = await train(trainer, 60);
    expect(stats.every((s) => s.recipe === 'ddgan' && s.T === 4)).toBe(true);
    const sample = await trainer.sample(300, new Rng(9));
    expect(sample.points.length).toBe(600);
    expect(sample.trajectory!.map((s) => s.k)).toEqual([4, 3, 2, 1]);
    for (const s of sample.trajectory!) {
      expect(s.xK.length).toBe(600);
      expect(s.x0Pred.length).toBe(600);
    }
    // the last step has zero posterior variance: x_0 is exactly G's x̂₀
    expect(sample.points).toEqual(sample.trajectory![3].x0Pred);
    const after = toyMetrics('grid25', (await trainer.sample(500, new Rng(5))).points)!;
    expect(after.meanModeToPoint).toBeLessThan(before.meanModeToPoint * 0.8);
    trainer.dispose();
  }, 60_000);

  it('sampling is reproducible from its Rng and the GAN has no trajectory', async () => {
    const trainer = createToyTrainer(tiny('gan'));
    const a = await trainer.sample(100, new Rng(1));
    const b = await trainer.sample(100, new Rng(1));
    expect(a.points).toEqual(b.points);
    expect(a.points.length).toBe(200);
    expect(a.trajectory).toBeNull();
    trainer.dispose();
  });

  it('resumes bit for bit (Diffusion-GAN, with its adaptive-T state, and DD-GAN with EMA)', async () => {
    for (const config of [
      tiny('diffusion-gan', { adaptEvery: 3, delta: 0.1, seed: 4 }),
      tiny('ddgan', { T: 2, emaDecay: 0.99, seed: 5 }),
    ]) {
      const a = createToyTrainer(config);
      await train(a, 4);
      // a snapshot: JSON through a string, tensors copied
      const json = JSON.parse(JSON.stringify(a.stateJson()));
      const tensors = Object.fromEntries(Object.entries(a.stateTensors()).map(([k, t]) => [k, t.clone()]));
      const statsA = await train(a, 5);
      const b = restoreToyTrainer(json, tensors);
      Object.values(tensors).forEach((t) => t.dispose());
      const statsB = await train(b, 5);
      expect(statsB.map(({ ms: _ms, ...s }) => s)).toEqual(statsA.map(({ ms: _ms, ...s }) => s));
      const pa = a.stateTensors();
      const pb = b.stateTensors();
      expect(Object.keys(pb).sort()).toEqual(Object.keys(pa).sort());
      for (const key of Object.keys(pa)) expect(pb[key].dataSync()).toEqual(pa[key].dataSync());
      expect((await b.sample(50, new Rng(2))).points).toEqual((await a.sample(50, new Rng(2))).points);
      a.dispose();
      b.dispose();
    }
  }, 60_000);

  it('loadState rejects a state from another recipe', () => {
    const gan = createToyTrainer(tiny('gan'));
    const dd = createToyTrainer(tiny('ddgan'));
    expect(() => dd.loadState(gan.stateJson(), gan.stateTensors())).toThrow(/gan run/);
    gan.dispose();
    dd.dispose();
  });

  it('no tensor leaks: steps and samples keep tf.memory().numTensors flat; dispose frees all', async () => {
    const base = tf.memory().numTensors;
    for (const recipe of ['gan', 'diffusion-gan', 'ddgan'] as const) {
      const trainer = createToyTrainer(tiny(recipe, { r1Gamma: 0.1, emaDecay: 0.99 }));
      await train(trainer, 2);
      await trainer.sample(20, new Rng(1));
      const after2 = tf.memory().numTensors;
      await train(trainer, 3);
      await trainer.sample(20, new Rng(1));
      expect(tf.memory().numTensors).toBe(after2);
      trainer.dispose();
      expect(tf.memory().numTensors).toBe(base);
    }
  }, 60_000);
});
