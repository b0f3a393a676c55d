/**
 * Loss curves with uPlot: D real/fake logits, the D and G losses, and R1 (its own, labelled
 * axis on the right: it lives on another scale). uPlot because it is small (≈50 kB), draws
 * thousands of points on a canvas in well under a frame, and takes columnar arrays, which is
 * exactly how the store keeps the series: the chart is created once and fed with `setData`
 * at most once per animation frame (transient updates: no React re-render per iteration).
 * The options are in lossChartSpec.ts.
 */
import { useRef } from 'react';
import { LOSS_CHART_SPEC } from './lossChartSpec';
import { useStoreChart } from './useStoreChart';

export function LossChart() {
  const host = useRef<HTMLDivElement>(null);
  useStoreChart(host, LOSS_CHART_SPEC);
  return <div className="loss-chart" ref={host} data-testid="loss-chart" data-points="0" aria-label="Loss curves" role="img" />;
}
