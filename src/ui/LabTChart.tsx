/**
 * Diffusion-GAN's adaptive T over training, with uPlot (as LossChart.tsx): the store keeps
 * the trace as columns appended in place, so the chart is created once and fed with
 * `setData` at most once per animation frame when the watched length changes. Two traces
 * use it: the mode-coverage lab's (2-D toys) and the Train panel's T_dg of a Diffusion-GAN
 * fine-tune run (a column of the loss series, null on DD-GAN rows).
 */
import { useRef } from 'react';
import uPlot from 'uplot';
import type { AppState } from '../store/types';
import { ITERATION_AXIS } from './lossChartSpec';
import { useStoreChart, type StoreChartSpec } from './useStoreChart';

function tSpec(label: string, data: (s: AppState) => uPlot.AlignedData, length: (s: AppState) => number, height: number): StoreChartSpec {
  return {
    height,
    options: {
      scales: { x: { time: false } },
      series: [{ label: 'iteration' }, { label, stroke: '#c98a00', width: 1.5, paths: uPlot.paths.stepped?.({ align: 1 }) }],
      axes: [ITERATION_AXIS, { label: 'T' }],
      legend: { live: true },
    },
    data,
    length,
    onDraw: (el, s) => {
      const T = data(s)[1];
      const last = T.length > 0 ? T[T.length - 1] : null;
      el.dataset.last = last === null || last === undefined ? '' : String(last);
    },
  };
}

const LAB_SPEC = tSpec(
  'T (Diffusion-GAN)',
  (s) => [s.lab.trace.iteration, s.lab.trace.T],
  (s) => s.lab.traceLength,
  180,
);

const TRAIN_SPEC = tSpec(
  'T_dg (Diffusion-GAN)',
  (s) => [s.train.series.iteration, s.train.series.diffusionT] as uPlot.AlignedData,
  (s) => s.train.length,
  140,
);

export function LabTChart() {
  const host = useRef<HTMLDivElement>(null);
  useStoreChart(host, LAB_SPEC);
  return <div className="lab-t-chart" ref={host} data-testid="lab-t-chart" data-points="0" aria-label="Diffusion-GAN's adaptive T over training" role="img" />;
}

/** T_dg of the Train panel's Diffusion-GAN run over its iterations. */
export function TrainTChart() {
  const host = useRef<HTMLDivElement>(null);
  useStoreChart(host, TRAIN_SPEC);
  return <div className="train-t-chart" ref={host} data-testid="train-t-chart" data-points="0" aria-label="Diffusion-GAN's adaptive number of diffusion steps T_dg over training" role="img" />;
}
