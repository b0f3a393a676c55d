/**
 * Loss curves with uPlot: D real/fake logits, the D and G losses, and R1 (its own axis: it
 * lives on another scale). uPlot because it is small (≈50 kB), draws thousands of points on
 * a canvas in well under a frame, and takes columnar arrays, which is exactly how the store
 * keeps the series: the chart is created once and fed with `setData` at most once per
 * animation frame (transient updates: no React re-render per iteration).
 */
import { useRef } from 'react';
import type uPlot from 'uplot';
import { useStoreChart, type StoreChartSpec } from './useStoreChart';

const SERIES: { label: string; key: 'lossD' | 'lossG' | 'dReal' | 'dFake' | 'r1'; stroke: string; scale?: string }[] = [
  { label: 'loss D', key: 'lossD', stroke: '#c0392b' },
  { label: 'loss G', key: 'lossG', stroke: '#2471a3' },
  { label: 'D(real)', key: 'dReal', stroke: '#27ae60' },
  { label: 'D(fake)', key: 'dFake', stroke: '#d68910' },
  { label: 'R1', key: 'r1', stroke: '#7d3c98', scale: 'r1' },
];

const SPEC: StoreChartSpec = {
  height: 200,
  options: {
    scales: { x: { time: false } },
    series: [{ label: 'iteration' }, ...SERIES.map((d) => ({ label: d.label, stroke: d.stroke, width: 1.5, scale: d.scale ?? 'y', spanGaps: d.key === 'r1' }))],
    axes: [{ label: 'iteration' }, { scale: 'y' }, { scale: 'r1', side: 1, grid: { show: false } }],
    legend: { live: true },
  },
  data: (s) => [s.train.series.iteration, ...SERIES.map((d) => s.train.series[d.key])] as uPlot.AlignedData,
  length: (s) => s.train.length,
};

export function LossChart() {
  const host = useRef<HTMLDivElement>(null);
  useStoreChart(host, SPEC);
  return <div className="loss-chart" ref={host} data-testid="loss-chart" data-points="0" aria-label="Loss curves" role="img" />;
}
