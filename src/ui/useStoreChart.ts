/**
 * A uPlot chart fed from the store without React re-renders (transient updates): the chart
 * is created once, redrawn with `setData` at most once per animation frame when the watched
 * length changes, resized with its box, and destroyed on unmount. The host element gets the
 * drawn length in `data-points` (and whatever `onDraw` adds) for tests to read.
 *
 * The first draw with data is the expensive one (the canvas gets its backing store and the
 * drawing code runs for the first time: 20–30 ms on a loaded 2-core machine, enough to turn
 * the first loss update of a run into a long task). A chart created empty therefore draws a
 * placeholder once while the page is idle, and the real (empty) data again in the same
 * task, so nothing of it is ever shown.
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
    const warm = (): void => {
      if (spec.length(store.getState()) > 0) return;
      plot.setData(spec.data(store.getState()).map(() => [0, 1]) as uPlot.AlignedData);
      // Queued after uPlot's own commit of the placeholder, before anything is painted.
      queueMicrotask(() => plot.setData(spec.data(store.getState())));
    };
    const idle = typeof requestIdleCallback === 'function' ? requestIdleCallback(warm, { timeout: 2000 }) : window.setTimeout(warm, 200);
    const unsubscribe = store.subscribe((s) => {
      if (spec.length(s) === drawn || frame) return;
      frame = requestAnimationFrame(redraw);
    });
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: spec.height }));
    resize.observe(el);
    return () => {
      unsubscribe();
      if (typeof cancelIdleCallback === 'function') cancelIdleCallback(idle);
      else window.clearTimeout(idle);
      resize.disconnect();
      cancelAnimationFrame(frame);
      plot.destroy();
    };
    // The spec is a module-level constant in every caller, so it is not a dependency.
  }, [store, host]);
}
