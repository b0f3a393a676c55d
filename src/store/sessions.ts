/**
 * Saved training sessions (autosave): what is stored, and the storage interface both
 * threads use. The engine worker writes a session at every resume checkpoint of a run
 * (src/worker/autosave.ts); the UI lists, loads and deletes them. The browser
 * implementation is IndexedDB (src/store/idbSessions.ts); tests use `memorySessions()`.
 * Plain data only, so a session survives structured cloning into IndexedDB unchanged: the
 * resume checkpoint (model.json object + weight bytes), the settings, the data (uploads as
 * their downscaled pixels; built-in sets as the choice that selects them), the loss columns
 * and the preview history.
 *
 * No runtime imports beyond plain code: the worker and the UI both load this file.
 */
import type { IterationStats, TrainingData, TrainingSettings } from '../worker/protocol';
import type { TrainSeries } from './types';

export const SESSION_FORMAT = 'ddgan-web-session/1';

/** Built-in sets are stored as the choice (refetched on resume), uploads as pixels. */
export type SavedData = Exclude<TrainingData, { kind: 'mnist' | 'emoji' }> | { readonly kind: 'mnist'; readonly digits: readonly number[] } | { readonly kind: 'emoji'; readonly category: number | null; readonly search: string };

export interface SavedPreview {
  readonly iteration: number;
  readonly frame: ArrayBuffer;
  readonly batch: number;
  readonly width: number;
  readonly height: number;
}

export interface SessionSummary {
  readonly id: string;
  readonly format: typeof SESSION_FORMAT;
  /** The catalog model the run started from. */
  readonly modelName: string;
  readonly dataLabel: string;
  readonly iteration: number;
  readonly targetIterations: number;
  readonly savedAt: string;
  readonly bytes: number;
}

export interface SavedSession extends SessionSummary {
  readonly settings: TrainingSettings;
  readonly init: 'finetune' | 'scratch';
  readonly data: SavedData;
  readonly checkpoint: { readonly modelJson: unknown; readonly weights: ArrayBuffer };
  readonly series: TrainSeries;
  readonly previews: readonly SavedPreview[];
}

export interface SessionStorage {
  save(session: SavedSession): Promise<void>;
  /** Newest first. */
  list(): Promise<SessionSummary[]>;
  load(id: string): Promise<SavedSession | null>;
  remove(id: string): Promise<void>;
}

/** Previews kept for the strip and in a saved session: the first (the "before") plus the newest ones. */
export const MAX_PREVIEWS = 40;

/** Appends a preview, keeping the first one and the newest MAX_PREVIEWS − 1. */
export function appendCapped<P extends { readonly iteration: number }>(list: readonly P[], p: P): P[] {
  // A resumed run draws its start again: replace the saved preview of that iteration.
  const next = list.length > 0 && list[list.length - 1].iteration === p.iteration ? [...list.slice(0, -1), p] : [...list, p];
  return next.length > MAX_PREVIEWS ? [next[0], ...next.slice(next.length - MAX_PREVIEWS + 1)] : next;
}

export function emptySeries(): TrainSeries {
  return { iteration: [], lossD: [], lossG: [], dReal: [], dFake: [], r1: [], ms: [], diffusionT: [], rd: [] };
}

/** Appends one iteration's numbers to a series, in place. */
export function appendSeriesRow(s: TrainSeries, st: IterationStats): void {
  s.iteration.push(st.iteration);
  s.lossD.push(st.lossD);
  s.lossG.push(st.lossG);
  s.dReal.push(st.dReal);
  s.dFake.push(st.dFake);
  s.r1.push(Number.isFinite(st.r1) ? st.r1 : null);
  s.ms.push(st.ms);
  s.diffusionT.push(st.diffusionT ?? null);
  s.rd.push(st.rd !== undefined && Number.isFinite(st.rd) ? st.rd : null);
}

/**
 * A copy of the first rows of a series, up to and including `iteration` (all of them by
 * default). Columns a session saved before they existed (Diffusion-GAN's T_dg and r_d) come
 * back as gaps.
 */
export function sliceSeries(s: TrainSeries, iteration = Infinity): TrainSeries {
  let n = s.iteration.length;
  while (n > 0 && s.iteration[n - 1] > iteration) n--;
  const gaps = (col: (number | null)[] | undefined): (number | null)[] => (col ? col.slice(0, n) : new Array<number | null>(n).fill(null));
  return {
    iteration: s.iteration.slice(0, n),
    lossD: s.lossD.slice(0, n),
    lossG: s.lossG.slice(0, n),
    dReal: s.dReal.slice(0, n),
    dFake: s.dFake.slice(0, n),
    r1: s.r1.slice(0, n),
    ms: s.ms.slice(0, n),
    diffusionT: gaps(s.diffusionT),
    rd: gaps(s.rd),
  };
}

/** What a session stores of its training data: uploads as pixels, built-in sets as the choice. */
export function savedDataOf(d: TrainingData): SavedData {
  if (d.kind === 'pixels') return d;
  if (d.kind === 'mnist') return { kind: 'mnist', digits: d.digits };
  return { kind: 'emoji', category: d.category, search: d.search };
}

export function dataLabel(d: SavedData): string {
  if (d.kind === 'pixels') return `${d.count} uploaded image${d.count === 1 ? '' : 's'}`;
  if (d.kind === 'mnist') return `MNIST digits ${d.digits.join(', ')}`;
  return `emoji${d.category !== null ? ` category ${d.category}` : ''}${d.search ? ` “${d.search}”` : ''}`;
}

export function summarize(s: SavedSession): SessionSummary {
  const { id, format, modelName, dataLabel, iteration, targetIterations, savedAt, bytes } = s;
  return { id, format, modelName, dataLabel, iteration, targetIterations, savedAt, bytes };
}

/** An in-memory SessionStorage (tests; browsers without IndexedDB). */
export function memorySessions(): SessionStorage {
  const all = new Map<string, SavedSession>();
  return {
    async save(s) {
      all.set(s.id, structuredClone(s));
    },
    async list() {
      return [...all.values()].map(summarize).sort((a, b) => b.savedAt.localeCompare(a.savedAt));
    },
    async load(id) {
      const s = all.get(id);
      return s ? structuredClone(s) : null;
    },
    async remove(id) {
      all.delete(id);
    },
  };
}
