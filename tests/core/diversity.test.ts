/** The per-batch figures of the compare view's guided batches, on cases with known answers. */
import { describe, expect, it } from 'vitest';
import { meanPairwiseDistance, meanTopProbability, predictedClasses } from '../../src/core/metrics/diversity';

describe('batch diversity and judge figures', () => {
  it('mean pairwise distance: 3-4-5 triangle, identical rows, too few rows', () => {
    // Points (0,0), (3,0), (0,4): distances 3, 4, 5.
    expect(meanPairwiseDistance([0, 0, 3, 0, 0, 4], 3, 2)).toBeCloseTo(4, 12);
    expect(meanPairwiseDistance([1, 2, 1, 2], 2, 2)).toBe(0);
    expect(meanPairwiseDistance([1, 2], 1, 2)).toBeNaN();
    expect(() => meanPairwiseDistance([1, 2, 3], 2, 2)).toThrow(RangeError);
  });

  it('predicted classes and mean top probability', () => {
    const probs = [0.1, 0.7, 0.2, 0.5, 0.25, 0.25];
    expect(predictedClasses(probs, 2, 3)).toEqual([1, 0]);
    expect(meanTopProbability(probs, 2, 3)).toBeCloseTo(0.6, 12);
    expect(meanTopProbability([], 0, 3)).toBeNaN();
  });
});
