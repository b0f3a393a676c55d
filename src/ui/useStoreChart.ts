/**
 * A uPlot chart fed from the store without React re-renders (transient updates): the chart
 * is created once, redrawn with `setData` at most once per animation frame when the watched
 * length changes, resized with its box, and destroyed on unmount. The host element gets the
 * drawn length in `data-points` (and whatever `onDraw` adds) for tests to read.
 */
import { useEffect, type RefObject } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AppState } from '../store/types';
import { useAppStoreApi } from './storeContext';

export interface StoreChartSpec {
  readonly height: number;
  /** uPlot options without the size (the chart takes its host's width). */
  readonly options: Omit<uPlot.Options, 'width' | 'height'>;
  /** The columns to draw, read from the current state. */
  readonly data: (s: AppState) => uPlot.AlignedData;
  /** A number that changes whenever the data do (e.g. the number of rows). */
  readonly length: (s: AppState) => number;
  /** Extra work after each redraw (e.g. machine-readable copies on the host). */
  readonly onDraw?: (el: HTMLElement, s: AppState) => void;
}

export function useStoreChart(host: RefObject<HTMLDivElement | null>, spec: StoreChartSpec): void {
  const store = useAppStoreApi();
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = (): number => Math.max(240, el.clientWidth || 480);
    const plot = new uPlot({ ...spec.options, width: width(), height: spec.height }, spec.data(store.getState()), el);
    let frame = 0;
    let drawn = -1;
    const redraw = (): void => {
      frame = 0;
      const s = store.getState();
      drawn = spec.length(s);
      plot.setData(spec.data(s));
      el.dataset.points = String(drawn);
      spec.onDraw?.(el, s);
    };
    redraw();
    const unsubscribe = store.subscribe((s) => {
      if (spec.length(s) === drawn || frame) return;
      frame = requestAnimationFrame(redraw);
    });
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: spec.height }));
    resize.observe(el);
    return () => {
      unsubscribe();
      resize.disconnect();
      cancelAnimationFrame(frame);
      plot.destroy();
    };
    // The spec is a module-level constant in every caller, so it is not a dependency.
  }, [store, host]);
}
