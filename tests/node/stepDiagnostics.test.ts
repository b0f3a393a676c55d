/** Per-step discriminator diagnostics (src/node/stepDiagnostics.ts, DdganTrainer.scorePairs). */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { defaultGeneratorConfig } from '../../src/core/models/generator';
import { defaultDiscriminatorConfig } from '../../src/core/models/discriminator';
import { DdganTrainer, defaultTrainConfig } from '../../src/core/training/ddganTrainer';
import { discriminatorByStep, formatStepScores, summariseByStep } from '../../src/node/stepDiagnostics';

beforeAll(() => backend('wasm'));

describe('summariseByStep', () => {
  it('averages logits and counts verdicts per k, leaving out steps without pairs', () => {
    const rows = summariseByStep(3, [1, 3, 1, 3, 3], [2, -1, 0.5, 1, 3], [-1, 1, 1, -2, -4]);
    expect(rows.map((r) => r.k)).toEqual([1, 3]);
    expect(rows[0]).toMatchObject({ pairs: 2, meanReal: 1.25, meanFake: 0, realJudgedReal: 1, fakeJudgedFake: 0.5 });
    expect(rows[1]).toMatchObject({ pairs: 3, meanReal: 1, meanFake: -5 / 3 });
    expect(rows[1].realJudgedReal).toBeCloseTo(2 / 3);
    expect(rows[1].fakeJudgedFake).toBeCloseTo(2 / 3);
    expect(formatStepScores(rows).split('\n')[3]).toBe('| 3 | 3 | 1.00 | -1.67 | 67 % | 67 % |');
  });
});

describe('discriminatorByStep', () => {
  it('scores batch × batches pairs of the steps the run draws, without leaking tensors', async () => {
    const gCfg = defaultGeneratorConfig({ imageSize: 8, channelMults: [1, 2], baseChannels: 8, zEmbedDim: 16, tEmbedDim: 16, nz: 4 });
    const dCfg = defaultDiscriminatorConfig({ imageSize: 8, channelMults: [1, 2], baseChannels: 8, tEmbedDim: 16 });
    const pixels = new Uint8Array(16 * 64).map((_, i) => (i * 37) % 256);
    const data = { name: 'toy', pixels, count: 16, size: 8, channels: 1 };
    const trainer = DdganTrainer.create(gCfg, dCfg, data, defaultTrainConfig({ batch: 8, stepWeights: [0, 1, 1, 0] }));
    await discriminatorByStep(trainer, 1);
    const before = tf.memory().numTensors;
    const rows = await discriminatorByStep(trainer, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.k).every((k) => k === 2 || k === 3)).toBe(true);
    expect(rows.reduce((n, r) => n + r.pairs, 0)).toBe(24);
    for (const r of rows) {
      expect(Number.isFinite(r.meanReal) && Number.isFinite(r.meanFake)).toBe(true);
      expect(r.realJudgedReal).toBeGreaterThanOrEqual(0);
      expect(r.fakeJudgedFake).toBeLessThanOrEqual(1);
    }
    trainer.dispose();
  });
});
