/**
 * Diffusion-GAN's adaptive T over training, with uPlot (as LossChart.tsx): the store keeps
 * the trace as columns appended in place, so the chart is created once and fed with
 * `setData` at most once per animation frame when `traceLength` changes.
 */
import { useRef } from 'react';
import uPlot from 'uplot';
import { useStoreChart, type StoreChartSpec } from './useStoreChart';

const SPEC: StoreChartSpec = {
  height: 180,
  options: {
    scales: { x: { time: false } },
    series: [{ label: 'iteration' }, { label: 'T (Diffusion-GAN)', stroke: '#c98a00', width: 1.5, paths: uPlot.paths.stepped?.({ align: 1 }) }],
    axes: [{ label: 'iteration' }, { label: 'T' }],
    legend: { live: true },
  },
  data: (s) => [s.lab.trace.iteration, s.lab.trace.T],
  length: (s) => s.lab.traceLength,
  onDraw: (el, s) => {
    const T = s.lab.trace.T;
    el.dataset.last = T.length > 0 ? String(T[T.length - 1]) : '';
  },
};

export function LabTChart() {
  const host = useRef<HTMLDivElement>(null);
  useStoreChart(host, SPEC);
  return <div className="lab-t-chart" ref={host} data-testid="lab-t-chart" data-points="0" aria-label="Diffusion-GAN's adaptive T over training" role="img" />;
}
