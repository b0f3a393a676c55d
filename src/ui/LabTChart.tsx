/**
 * Diffusion-GAN's adaptive T over training, with uPlot (as LossChart.tsx): the store keeps
 * the trace as columns appended in place, so the chart is created once and fed with
 * `setData` at most once per animation frame when `traceLength` changes.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useAppStoreApi } from './storeContext';

const HEIGHT = 180;

export function LabTChart() {
  const store = useAppStoreApi();
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const data = (): uPlot.AlignedData => {
      const t = store.getState().lab.trace;
      return [t.iteration, t.T];
    };
    const plot = new uPlot(
      {
        width: Math.max(240, el.clientWidth || 480),
        height: HEIGHT,
        scales: { x: { time: false } },
        series: [{ label: 'iteration' }, { label: 'T (Diffusion-GAN)', stroke: '#c98a00', width: 1.5, paths: uPlot.paths.stepped?.({ align: 1 }) }],
        axes: [{ label: 'iteration' }, { label: 'T' }],
        legend: { live: true },
      },
      data(),
      el,
    );
    let frame = 0;
    let drawn = -1;
    const redraw = (): void => {
      frame = 0;
      drawn = store.getState().lab.traceLength;
      plot.setData(data());
      el.dataset.points = String(drawn);
      const T = store.getState().lab.trace.T;
      el.dataset.last = T.length > 0 ? String(T[T.length - 1]) : '';
    };
    redraw();
    const unsubscribe = store.subscribe((s) => {
      if (s.lab.traceLength === drawn || frame) return;
      frame = requestAnimationFrame(redraw);
    });
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(240, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      unsubscribe();
      resize.disconnect();
      cancelAnimationFrame(frame);
      plot.destroy();
    };
  }, [store]);

  return <div className="lab-t-chart" ref={host} data-testid="lab-t-chart" data-points="0" aria-label="Diffusion-GAN's adaptive T over training" role="img" />;
}
