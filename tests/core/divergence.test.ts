/**
 * The checks for a divergence that stays finite (src/core/training/divergence.ts): losses or
 * logits exploding by orders of magnitude against the run's first iterations, samples of one
 * constant colour, non-finite weights; ordinary values pass.
 */
import { describe, expect, it } from 'vitest';
import { DivergenceMonitor, checkSamples, checkWeights } from '../../src/core/training/divergence';
import { TrainingDiverged } from '../../src/core/training/imageGan';

const row = (iteration: number, lossD: number, lossG = 0.7, dReal = 0.1, dFake = -0.1) => ({ iteration, lossD, lossG, dReal, dFake });

describe('divergence checks', () => {
  it('lets a GAN run move its losses by a lot, and stops one whose losses explode by orders of magnitude', () => {
    const m = new DivergenceMonitor();
    // Ordinary GAN swings: D loss from 1.4 to 0.05 and back up to 8, logits of ±20.
    for (const [i, l] of [1.4, 1.2, 0.05, 3, 8, 0.9].entries()) m.checkStats(row(i + 1, l, 2, 20, -20));
    // lr 0.1 without R1: the D loss at 7.9e3 two iterations in.
    const wild = new DivergenceMonitor();
    wild.checkStats(row(1, 1.41, 0, -0.29, -0.28));
    let caught: unknown;
    try {
      wild.checkStats(row(2, 7890, 0, 8070, 7890));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TrainingDiverged);
    expect((caught as TrainingDiverged).iteration).toBe(2);
    expect(String((caught as Error).message)).toMatch(/iteration 2: the D loss is 7\.89e\+3, against about 1\.41 in the first iterations/);
    // Past the ceiling whatever the start was; NaN too.
    expect(() => new DivergenceMonitor().checkStats(row(1, 2e6))).toThrow(TrainingDiverged);
    expect(() => new DivergenceMonitor().checkStats(row(1, NaN))).toThrow(/is NaN/);
  });

  it('stops on samples of one constant colour (all white), not on ordinary samples', () => {
    const white = new Float32Array(64).fill(1.7); // clipped: all 1 (white)
    expect(() => checkSamples(white, 9)).toThrow(/iteration 9: the generator's samples collapsed to one constant colour \(all white/);
    const grey = new Float32Array(64).fill(0.2);
    expect(() => checkSamples(grey, 3)).toThrow(/one flat grey/);
    const ordinary = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    expect(() => checkSamples(ordinary, 3)).not.toThrow();
    expect(() => checkSamples(Float32Array.from([0, NaN]), 3)).toThrow(/non-finite/);
  });

  it('stops on non-finite weights', () => {
    expect(() => checkWeights(new Float32Array([1, 2, 3]).buffer, 4)).not.toThrow();
    expect(() => checkWeights(new Float32Array([1, Infinity]).buffer, 4)).toThrow(/iteration 4: the weights contain a non-finite value/);
    expect(() => checkWeights(new Float32Array([NaN]).buffer, 4)).toThrow(TrainingDiverged);
  });
});
