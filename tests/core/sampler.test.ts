import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { Network } from '../../src/core/models/network';
import { defaultGeneratorConfig, type GeneratorConfig } from '../../src/core/models/generator';
import { ddganSchedule } from '../../src/core/diffusion/schedule';
import { sampleDdgan, SamplingAborted, type DdganStep } from '../../src/core/diffusion/ddganSampler';
import { Rng } from '../../src/core/rng';

beforeAll(() => backend('wasm'));

const cfg = defaultGeneratorConfig({ baseChannels: 8, zEmbedDim: 16, tEmbedDim: 16, nz: 8, imageSize: 16, channelMults: [1, 2] });

async function run(seed: number, T = 4, extra: Partial<Parameters<typeof sampleDdgan>[2]> = {}) {
  const G = Network.create({ ...cfg, T }, 1) as Network<GeneratorConfig>;
  const frames: { k: number; xK: Float32Array; x0Pred: Float32Array; xPrev: Float32Array }[] = [];
  let x0: tf.Tensor;
  try {
    x0 = await sampleDdgan(G, ddganSchedule(T), {
    batch: 2,
    rng: new Rng(seed),
    onStep: async (s: DdganStep) => {
      frames.push({
        k: s.k,
        xK: (await s.xK.data()) as Float32Array,
        x0Pred: (await s.x0Pred.data()) as Float32Array,
        xPrev: (await s.xPrev.data()) as Float32Array,
      });
    },
    ...extra,
    });
  } finally {
    G.dispose();
  }
  const out = (await x0.data()) as Float32Array;
  x0.dispose();
  return { frames, out };
}

describe('DD-GAN sampler', () => {
  it('reports T steps in order k = T … 1, each step feeding the next', async () => {
    const { frames, out } = await run(3);
    expect(frames.map((f) => f.k)).toEqual([4, 3, 2, 1]);
    for (let i = 1; i < frames.length; i++) expect(frames[i].xK).toEqual(frames[i - 1].xPrev);
    // the last step has no noise: x₀ is the generator's prediction
    expect(out).toEqual(frames[3].x0Pred);
    expect(frames[3].xPrev).toEqual(frames[3].x0Pred);
  });

  it('the same seed gives the same samples; another seed does not', async () => {
    const a = await run(10);
    const b = await run(10);
    const c = await run(11);
    expect(b.out).toEqual(a.out);
    expect(c.out).not.toEqual(a.out);
  });

  it('re-roll from step k keeps x_T … x_k and changes the later steps', async () => {
    const base = await run(5);
    const G = Network.create(cfg, 1) as Network<GeneratorConfig>;
    const xK = tf.tensor4d(base.frames[1].xK, [2, 16, 16, 1]); // x_3
    const ks: number[] = [];
    const x0 = await sampleDdgan(G, ddganSchedule(4), {
      batch: 2,
      rng: new Rng(99),
      start: { k: 3, xK },
      onStep: (s) => {
        ks.push(s.k);
      },
    });
    expect(ks).toEqual([3, 2, 1]);
    expect(Array.from(await x0.data())).not.toEqual(Array.from(base.out));
    tf.dispose([xK, x0]);
    G.dispose();
  });

  it('T = 1 is a single generator call', async () => {
    const { frames } = await run(1, 1);
    expect(frames.map((f) => f.k)).toEqual([1]);
  });

  it('can be cancelled between steps, and leaks no tensors either way', async () => {
    const before = tf.memory().numTensors;
    await run(2);
    expect(tf.memory().numTensors).toBe(before);
    const controller = new AbortController();
    await expect(
      run(2, 4, {
        signal: controller.signal,
        onStep: (s) => {
          if (s.k === 3) controller.abort();
        },
      }),
    ).rejects.toBeInstanceOf(SamplingAborted);
    expect(tf.memory().numTensors).toBe(before);
  });
});
