/**
 * The loss chart's axes (src/ui/lossChartSpec.ts): iteration ticks are whole numbers even
 * when only a few iterations are drawn, and both value axes are labelled (R1 on the right).
 */
import { describe, expect, it } from 'vitest';
import { ITERATION_AXIS, ITERATION_INCRS, LOSS_CHART_SPEC, iterationSplits } from '../../src/ui/lossChartSpec';

describe('loss chart axes', () => {
  it('ticks the iteration axis at whole iterations only, early in a run too', () => {
    // uPlot pads a 1…3 range and may propose a step of 0.5: no tick at 1.5.
    expect(iterationSplits(null, 0, 0.6, 3.4, 0.5)).toEqual([1, 2, 3]);
    expect(iterationSplits(null, 0, 0, 1000, 200)).toEqual([0, 200, 400, 600, 800, 1000]);
    for (const [min, max, step] of [[0.2, 1.8, 0.2], [1, 4, 0.25], [3, 7.5, 1.5]]) {
      for (const v of iterationSplits(null, 0, min, max, step)) expect(Number.isInteger(v)).toBe(true);
    }
    expect(ITERATION_INCRS.every((v) => Number.isInteger(v) && v >= 1)).toBe(true);
    const axes = LOSS_CHART_SPEC.options.axes!;
    expect(axes[0]).toBe(ITERATION_AXIS);
    expect(axes[0].splits).toBe(iterationSplits);
  });

  it('labels both value axes: the losses and logits on the left, the R1 penalty on the right', () => {
    const axes = LOSS_CHART_SPEC.options.axes!;
    expect(axes[1]).toMatchObject({ scale: 'y', label: 'loss, D logit' });
    expect(axes[2]).toMatchObject({ scale: 'r1', side: 1, label: 'R1 penalty' });
  });
});
