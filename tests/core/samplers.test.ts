/**
 * The contract every sampler of the list (src/core/diffusion/samplers/specs.ts) keeps, run
 * through the one pipeline on tiny random networks (wasm backend, STYLE habit 15): the step
 * count is its NFE and follows its grid, a seed reproduces the output and another seed does
 * not, an abort between steps stops it and frees everything, a run leaks no tensor, a run
 * can start mid-grid from a given x, the spec survives JSON, and with the exact model of a
 * point mass every sampler lands on the point, whatever the shape of the examples.
 *
 * `CASES` has one entry per kind (the type requires it), so a new sampler is tested here
 * as soon as it is listed.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { ddpmSchedule } from '../../src/core/diffusion/ddpm';
import { ddganDenoiser, epsDenoiser, type Denoiser } from '../../src/core/diffusion/denoiser';
import { SamplingAborted, runSampler, type PipelineOptions } from '../../src/core/diffusion/pipeline';
import { createSampler } from '../../src/core/diffusion/samplers/registry';
import { SAMPLER_KINDS, infoOf, parseSamplerSpec, specLabel, specNfe, type SamplerKind, type SamplerSpecOf } from '../../src/core/diffusion/samplers/specs';
import { ddganSchedule } from '../../src/core/diffusion/schedule';
import { defaultEpsNetConfig, type EpsNetConfig } from '../../src/core/models/epsNet';
import { defaultGeneratorConfig, type GeneratorConfig } from '../../src/core/models/generator';
import { Network } from '../../src/core/models/network';
import { Rng } from '../../src/core/rng';

/** One spec per sampler kind, with parameters that exercise it (noise where it has any). */
const CASES: { readonly [K in SamplerKind]: SamplerSpecOf<K> } = {
  ddgan: { kind: 'ddgan' },
  ddim: { kind: 'ddim', steps: 5, eta: 0.5 },
  'dpm-solver': { kind: 'dpm-solver', steps: 5 },
  ancestral: { kind: 'ancestral' },
};

let G: Network<GeneratorConfig>;
let EPS: Network<EpsNetConfig>;

const modelFor = (kind: SamplerKind): Denoiser => (infoOf(kind).family === 'ddgan' ? ddganDenoiser(G) : epsDenoiser(EPS, ddpmSchedule(20)));
const lengthOf = (m: Denoiser): number => (m.family === 'ddgan' ? m.schedule.T : m.schedule.N);

/** Counts network calls of a denoiser. */
function counted(m: Denoiser): { model: Denoiser; calls: number[] } {
  const calls: number[] = [];
  const apply = m.apply;
  return { model: { ...m, apply: (x, t, z) => (calls.push(t), apply(x, t, z)) } as Denoiser, calls };
}

async function run(kind: SamplerKind, seed: number, extra: Partial<PipelineOptions> = {}) {
  const { model, calls } = counted(modelFor(kind));
  const sampler = createSampler(CASES[kind], model);
  const steps: { index: number; count: number; t: number }[] = [];
  const x = await runSampler(model, sampler, { batch: 2, rng: new Rng(seed), onStep: (s) => void steps.push({ index: s.index, count: s.count, t: s.t }), ...extra });
  const out = Array.from(await x.data());
  x.dispose();
  return { sampler, steps, calls, out };
}

beforeAll(async () => {
  await backend('wasm');
  G = Network.create(defaultGeneratorConfig({ baseChannels: 8, zEmbedDim: 16, tEmbedDim: 16, nz: 8, imageSize: 8, channelMults: [1, 2], groups: 4, T: 4 }), 1) as Network<GeneratorConfig>;
  EPS = Network.create(defaultEpsNetConfig({ imageSize: 8, channelMults: [1, 2], baseChannels: 8, tEmbedDim: 16, steps: 20, groups: 4 }), 2) as Network<EpsNetConfig>;
});
afterAll(() => {
  G.dispose();
  EPS.dispose();
});

describe('the sampler list', () => {
  it('has a contract case for every kind', () => {
    expect(Object.keys(CASES).sort()).toEqual([...SAMPLER_KINDS].sort());
  });
});

for (const kind of SAMPLER_KINDS) {
  describe(`sampler contract: ${kind}`, () => {
    it('makes one network call per step, on its grid in order; NFE and label agree with the list', async () => {
      const { sampler, steps, calls } = await run(kind, 1);
      const length = lengthOf(modelFor(kind));
      expect(sampler.nfe).toBe(sampler.timesteps.length);
      expect(sampler.nfe).toBe(specNfe(CASES[kind], length));
      expect(sampler.label).toBe(specLabel(CASES[kind], length));
      for (let i = 1; i < sampler.timesteps.length; i++) expect(sampler.timesteps[i]).toBeLessThan(sampler.timesteps[i - 1]);
      expect(Math.min(...sampler.timesteps)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...sampler.timesteps)).toBeLessThanOrEqual(length);
      expect(calls).toEqual([...sampler.timesteps]);
      expect(steps).toEqual(sampler.timesteps.map((t, index) => ({ index, count: sampler.nfe, t })));
    });

    it('reproduces a seed exactly, and another seed draws something else', async () => {
      const a = await run(kind, 7);
      const b = await run(kind, 7);
      const c = await run(kind, 8);
      expect(b.out).toEqual(a.out);
      expect(c.out).not.toEqual(a.out);
      expect(a.out.every(Number.isFinite)).toBe(true);
    });

    it('leaks no tensor, and an abort between steps stops it with everything freed', async () => {
      const before = tf.memory().numTensors;
      await run(kind, 3);
      expect(tf.memory().numTensors).toBe(before);
      const stop = new AbortController();
      let seen = 0;
      await expect(
        run(kind, 3, {
          signal: stop.signal,
          onStep: () => {
            if (++seen === 2) stop.abort();
          },
        }),
      ).rejects.toBeInstanceOf(SamplingAborted);
      expect(seen).toBe(2);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('starts mid-grid from a given x (a re-roll) and runs the remaining steps', async () => {
      const model = modelFor(kind);
      const sampler = createSampler(CASES[kind], model);
      const before = tf.memory().numTensors;
      const x = tf.randomNormal([2, ...model.exampleShape], 0, 1, 'float32', 5);
      const ts: number[] = [];
      const out = await runSampler(model, sampler, { batch: 2, rng: new Rng(2), start: { t: sampler.timesteps[1], x }, onStep: (s) => void ts.push(s.t) });
      expect(ts).toEqual(sampler.timesteps.slice(1));
      tf.dispose([x, out]);
      expect(tf.memory().numTensors).toBe(before);
      await expect(runSampler(model, sampler, { batch: 2, rng: new Rng(2), start: { t: -1, x } })).rejects.toThrow(/not on the grid/);
    });

    it('is plain JSON: a round trip gives the same spec; bad parameters and the other family are refused', () => {
      const spec = CASES[kind];
      expect(parseSamplerSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
      for (const [name, p] of Object.entries(infoOf(kind).params)) {
        expect(() => parseSamplerSpec({ ...spec, [name]: p.max + 1 })).toThrow(new RegExp(name));
      }
      const other = infoOf(kind).family === 'ddgan' ? epsDenoiser(EPS, ddpmSchedule(20)) : ddganDenoiser(G);
      expect(() => createSampler(spec, other)).toThrow(/DD-GAN|DDPM/);
    });

    it('with the exact model of a point mass, lands on the point (examples of any shape: here 3 numbers)', async () => {
      const c = [0.3, -0.5, 0.1];
      const base = modelFor(kind);
      const point = tf.tensor2d([c]);
      // DD-GAN's generator predicts x₀ itself; an ε-network's exact ε is (x_t − √ᾱ_t c)/√(1 − ᾱ_t).
      const model: Denoiser =
        base.family === 'ddgan'
          ? { ...base, exampleShape: [3], apply: (x) => point.tile([x.shape[0], 1]) }
          : { ...base, exampleShape: [3], apply: (x, t) => x.sub(point.mul(Math.sqrt(base.schedule.alphaBars[t]))).div(Math.sqrt(1 - base.schedule.alphaBars[t])) };
      const x = await runSampler(model, createSampler(CASES[kind], model), { batch: 4, rng: new Rng(9) });
      expect(x.shape).toEqual([4, 3]);
      const v = await x.data();
      for (let i = 0; i < v.length; i++) expect(Math.abs(v[i] - c[i % 3])).toBeLessThan(2e-3);
      tf.dispose([x, point]);
    });
  });
}

describe('DD-GAN schedules', () => {
  it('a generator and a schedule of another T are refused', () => {
    expect(() => ddganDenoiser(G, ddganSchedule(2))).toThrow(/T = 4.*T = 2/);
  });
});
