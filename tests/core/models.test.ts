import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend, relError } from '../helpers';
import { Network } from '../../src/core/models/network';
import { defaultGeneratorConfig, type GeneratorConfig } from '../../src/core/models/generator';
import { defaultDiscriminatorConfig } from '../../src/core/models/discriminator';
import { CheckpointError, parseCheckpoint, serializeCheckpoint } from '../../src/core/models/checkpoint';
import { Rng, randn } from '../../src/core/rng';

beforeAll(() => backend('wasm'));

const small = (channels: number, over: Partial<GeneratorConfig> = {}) =>
  defaultGeneratorConfig({ channels, baseChannels: 8, zEmbedDim: 16, tEmbedDim: 16, nz: 8, ...over });

const meta = { name: 'test', createdAt: '2026-01-01T00:00:00Z', codeVersion: 'test' };

function generatorInputs(cfg: GeneratorConfig, b: number, seed = 0) {
  const rng = new Rng(seed);
  return [
    randn([b, cfg.imageSize, cfg.imageSize, cfg.channels], rng),
    tf.tensor1d(Array.from({ length: b }, (_, i) => 1 + (i % cfg.T)), 'int32'),
    randn([b, cfg.nz], rng),
  ];
}

describe('generator and discriminator', () => {
  for (const channels of [1, 3]) {
    it(`${channels}-channel 32×32: G gives [B,32,32,${channels}] in [−1, 1], D gives [B]`, async () => {
      const G = Network.create(small(channels), 1);
      const D = Network.create(defaultDiscriminatorConfig({ channels, baseChannels: 8, tEmbedDim: 16 }), 2);
      const before = tf.memory().numTensors;
      const x0 = tf.tidy(() => G.apply(...generatorInputs(G.config as GeneratorConfig, 3)));
      expect(x0.shape).toEqual([3, 32, 32, channels]);
      const values = await x0.data();
      expect(Math.max(...values)).toBeLessThanOrEqual(1);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
      const logits = tf.tidy(() => D.apply(x0, x0, tf.tensor1d([1, 2, 4], 'int32')));
      expect(logits.shape).toEqual([3]);
      tf.dispose([x0, logits]);
      expect(tf.memory().numTensors).toBe(before);
      G.dispose();
      D.dispose();
    });
  }

  it('works for other sizes and depths from the config alone', () => {
    const G = Network.create(small(3, { imageSize: 16, channelMults: [1, 2], resBlocksPerLevel: 2 }));
    const out = tf.tidy(() => G.apply(...generatorInputs(G.config as GeneratorConfig, 2)));
    expect(out.shape).toEqual([2, 16, 16, 3]);
    out.dispose();
    G.dispose();
    expect(() => Network.create(small(1, { imageSize: 30 }))).toThrow(/divisible/);
  });

  it('z changes the output (the latent is used) and k changes it too', async () => {
    const G = Network.create(small(1), 3);
    const cfg = G.config as GeneratorConfig;
    const [x, k, z] = generatorInputs(cfg, 2);
    const a = await tf.tidy(() => G.apply(x, k, z)).data();
    const b = await tf.tidy(() => G.apply(x, k, z.neg())).data();
    const c = await tf.tidy(() => G.apply(x, k.add(tf.scalar(1, 'int32')), z)).data();
    const diff = (p: ArrayLike<number>, q: ArrayLike<number>) => Math.max(...Array.from(p, (v, i) => Math.abs(v - q[i])));
    expect(diff(a, b)).toBeGreaterThan(1e-4);
    expect(diff(a, c)).toBeGreaterThan(1e-4);
    tf.dispose([x, k, z]);
    G.dispose();
  });

  it('counts parameters and FLOPs from the architecture', () => {
    const G = Network.create(small(1));
    const counted = G.params.list().reduce((a, v) => a + v.size, 0);
    expect(G.paramCount()).toBe(counted);
    // the input conv alone: 3×3×1×8 MACs at 32×32 positions
    const flops = G.flopsPerExample();
    expect(flops).toBeGreaterThan(2 * 32 * 32 * 9 * 1 * 8);
    // doubling the width roughly quadruples the conv FLOPs
    const wide = Network.create(small(1, { baseChannels: 16 }));
    expect(wide.flopsPerExample() / flops).toBeGreaterThan(3);
    expect(wide.flopsPerExample() / flops).toBeLessThan(4.2);
    G.dispose();
    wide.dispose();
  });

  it('initialisation is deterministic in the seed', async () => {
    const a = Network.create(small(1), 5);
    const b = Network.create(small(1), 5);
    const c = Network.create(small(1), 6);
    const name = a.params.names()[0];
    expect(Array.from(await a.params.vars.get(name)!.data())).toEqual(Array.from(await b.params.vars.get(name)!.data()));
    expect(Array.from(await a.params.vars.get(name)!.data())).not.toEqual(Array.from(await c.params.vars.get(name)!.data()));
    [a, b, c].forEach((n) => n.dispose());
  });
});

describe('checkpoints', () => {
  it('save → load gives bit-identical outputs and keeps metadata', async () => {
    const G = Network.create(small(3), 11);
    const { modelJson, weightData } = await serializeCheckpoint({ ...meta, metrics: { fd: 1.5 } }, { generator: G });
    // through JSON text, as on disk
    const ck = parseCheckpoint(JSON.parse(JSON.stringify(modelJson)), weightData);
    const inputs = generatorInputs(G.config as GeneratorConfig, 2, 9);
    const a = await tf.tidy(() => G.apply(...inputs)).data();
    const b = await tf.tidy(() => ck.networks.generator.apply(...inputs)).data();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(ck.meta.metrics).toEqual({ fd: 1.5 });
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    tf.dispose(inputs);
    G.dispose();
    ck.networks.generator.dispose();
  });

  it('the weights are readable by plain tfjs (standard weights manifest)', async () => {
    const G = Network.create(small(1), 1);
    const { modelJson, weightData } = await serializeCheckpoint(meta, { generator: G });
    const specs = modelJson.weightsManifest[0].weights;
    const named = tf.io.decodeWeights(weightData, specs);
    const first = G.params.names()[0];
    expect(Array.from(await named[`generator/${first}`].data())).toEqual(Array.from(await G.params.vars.get(first)!.data()));
    tf.dispose(Object.values(named));
    G.dispose();
  });

  it('rejects corrupt, truncated and foreign checkpoints with a clear error', async () => {
    const G = Network.create(small(1), 1);
    const { modelJson, weightData } = await serializeCheckpoint(meta, { generator: G });
    const before = tf.memory().numTensors;
    const expectError = (json: unknown, data: ArrayBuffer, pattern: RegExp) => {
      let err: unknown;
      try {
        parseCheckpoint(json, data);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as Error).message).toMatch(pattern);
    };
    expectError(modelJson, weightData.slice(0, weightData.byteLength - 100), /truncated/);
    expectError({ ...modelJson, format: 'something-else' }, weightData, /format/);
    expectError('not json object', weightData, /not a JSON object/);
    expectError({ ...modelJson, weightsManifest: undefined }, weightData, /weightsManifest/);
    const nan = weightData.slice(0);
    new Float32Array(nan)[10] = NaN;
    expectError(modelJson, nan, /non-finite/);
    // same byte count, different architecture: a wider generator's config with these weights
    const foreign = { ...modelJson, networks: { generator: small(1, { baseChannels: 16 }) } };
    expectError(foreign, weightData, /different architecture/);
    // a checkpoint whose manifest lists weights the architecture does not have
    const renamed = JSON.parse(JSON.stringify(modelJson));
    renamed.weightsManifest[0].weights[0].name = 'generator/bogus/w';
    expectError(renamed, weightData, /different architecture/);
    expect(tf.memory().numTensors).toBe(before);
    G.dispose();
  });
});

describe('group norm', () => {
  it('its closed-form gradient matches differentiating the moments step by step', async () => {
    const { groupNormPlain } = await import('../../src/core/models/layers');
    const rng = new Rng(4);
    const x = tf.tensor4d(rng.normalArray(2 * 4 * 4 * 8).map((v, i) => v * (1 + (i % 3)) + (i % 5)), [2, 4, 4, 8]);
    const w = tf.tensor4d(rng.normalArray(2 * 4 * 4 * 8), [2, 4, 4, 8]);
    const reference = (input: tf.Tensor4D) => {
      const xg = input.reshape([2, 16, 4, 2]);
      const { mean, variance } = tf.moments(xg, [1, 3], true);
      return xg.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).reshape([2, 4, 4, 8]);
    };
    const ours = groupNormPlain(x, 4);
    expect(relError(await ours.data(), await reference(x).data())).toBeLessThan(1e-5);
    const gOurs = tf.grad((t: tf.Tensor) => groupNormPlain(t as tf.Tensor4D, 4).mul(w).sum())(x);
    const gRef = tf.grad((t: tf.Tensor) => reference(t as tf.Tensor4D).mul(w).sum())(x);
    expect(relError(await gOurs.data(), await gRef.data())).toBeLessThan(1e-4);
  });
});

describe('inference path', () => {
  it('takes the fused conv/matmul kernels and gives what the training path gives', async () => {
    const cfg = small(3);
    const G = Network.create(cfg, 5);
    const inputs = generatorInputs(cfg, 2, 7);
    const kernelsOf = async (f: () => void) => (await tf.profile(f)).kernels.map((k) => k.name);

    let plain: tf.Tensor | null = null;
    let taped: tf.Tensor | null = null;
    const inference = await kernelsOf(() => {
      plain = G.apply(...inputs);
    });
    // the same call while a gradient is recorded: the plain ops the gradient kernels cover
    const training = await kernelsOf(() => {
      const { value, grads } = tf.variableGrads(() => {
        const y = G.apply(...inputs);
        taped = tf.keep(y);
        return y.sum() as tf.Scalar;
      }, G.params.list());
      value.dispose();
      tf.dispose(grads);
    });
    expect(inference).toContain('FusedConv2D');
    expect(inference).toContain('_FusedMatMul');
    expect(training).not.toContain('FusedConv2D');
    expect(training).toContain('Conv2D');
    expect(relError(await plain!.data(), await taped!.data())).toBeLessThan(1e-5);
    tf.dispose([plain!, taped!, ...inputs]);
    G.dispose();
  });
});
