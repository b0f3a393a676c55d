/**
 * The loss chart's uPlot options (LossChart.tsx), apart from React so they can be tested in
 * Node: the columns drawn, the iteration axis (whole iterations only: early in a run uPlot
 * would otherwise tick at 0.5, 1.5, …) and the two value axes, each labelled (the losses and
 * D's logits on the left, the R1 penalty, which lives on another scale, on the right).
 */
import type uPlot from 'uplot';
import type { StoreChartSpec } from './useStoreChart';

/** Tick steps for an iteration axis: whole numbers only (1, 2, 5 × 10^k). */
export const ITERATION_INCRS: readonly number[] = Array.from({ length: 7 }, (_, k) => [1, 2, 5].map((m) => m * 10 ** k)).flat();

/**
 * Ticks of an iteration axis between `min` and `max`: whole multiples of the step uPlot
 * found (rounded up to a whole number), so no tick is ever at a fractional iteration.
 */
export function iterationSplits(_u: unknown, _axis: number, min: number, max: number, foundIncr: number): number[] {
  const incr = Math.max(1, Math.ceil(foundIncr));
  const out: number[] = [];
  for (let v = Math.ceil(min / incr) * incr; v <= max + 1e-9 && out.length < 1000; v += incr) out.push(v);
  return out;
}

/** The x axis of every chart over iterations. */
export const ITERATION_AXIS: uPlot.Axis = {
  label: 'iteration',
  incrs: [...ITERATION_INCRS],
  splits: iterationSplits as uPlot.Axis.Splits,
  values: (_u, splits) => splits.map((v) => String(v)),
};

export const LOSS_SERIES: readonly { label: string; key: 'lossD' | 'lossG' | 'dReal' | 'dFake' | 'r1'; stroke: string; scale?: string }[] = [
  { label: 'loss D', key: 'lossD', stroke: '#c0392b' },
  { label: 'loss G', key: 'lossG', stroke: '#2471a3' },
  { label: 'D(real)', key: 'dReal', stroke: '#27ae60' },
  { label: 'D(fake)', key: 'dFake', stroke: '#d68910' },
  { label: 'R1', key: 'r1', stroke: '#7d3c98', scale: 'r1' },
];

export const LOSS_CHART_SPEC: StoreChartSpec = {
  height: 200,
  options: {
    scales: { x: { time: false } },
    series: [{ label: 'iteration' }, ...LOSS_SERIES.map((d) => ({ label: d.label, stroke: d.stroke, width: 1.5, scale: d.scale ?? 'y', spanGaps: d.key === 'r1' }))],
    axes: [ITERATION_AXIS, { scale: 'y', label: 'loss, D logit' }, { scale: 'r1', side: 1, label: 'R1 penalty', grid: { show: false } }],
    legend: { live: true },
  },
  data: (s) => [s.train.series.iteration, ...LOSS_SERIES.map((d) => s.train.series[d.key])] as uPlot.AlignedData,
  length: (s) => s.train.length,
};
