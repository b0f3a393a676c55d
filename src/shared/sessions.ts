/**
 * Saved training sessions (autosave): what is stored, and the storage interface both
 * threads use. The engine worker writes a session at every resume checkpoint of a run
 * (src/worker/autosave.ts); the UI lists, loads and deletes them. The browser
 * implementation is IndexedDB (src/shared/idbSessions.ts); tests use `memorySessions()`.
 * Plain data only, so a session survives structured cloning into IndexedDB unchanged: the
 * resume checkpoint (model.json object + weight bytes), the settings, the data (uploads as
 * their downscaled pixels; built-in sets as the choice that selects them), the loss columns
 * and the preview history.
 *
 * One save is one consistent state: the worker writes the whole record (weights, iteration,
 * curves, previews, data) and its summary in one IndexedDB transaction, and the record
 * carries an integrity stamp (the iteration and a hash of the weights) that a load checks,
 * so a save cut short can never resume at the wrong iteration. A save never replaces a
 * newer iteration of the same session (two tabs, or a late write): `staleSaveProblem`.
 *
 * No tfjs and no store code: the worker and the UI both load this file.
 */
import { EMOJI_CATEGORIES } from '../core/data/catalog';
import type { EmojiSet } from './datasets';
import type { TrainingSettings } from '../worker/protocol/train';
import type { IterationStats, TrainingData, TrainingState } from './training';

export const SESSION_FORMAT = 'ddgan-web-session/1';

/**
 * Loss curves as columns (uPlot's layout), appended in place: `length` in the store's slice
 * is what changes, so a chart subscribes to that and reads the arrays (STYLE habit 13,
 * transient updates); the arrays are never copied per iteration. A saved session keeps them.
 */
export interface TrainSeries {
  readonly iteration: number[];
  readonly lossD: number[];
  readonly lossG: number[];
  readonly dReal: number[];
  readonly dFake: number[];
  /** null on iterations without the lazy R1 penalty (a gap in the curve). */
  readonly r1: (number | null)[];
  readonly ms: number[];
  /** Diffusion-GAN's adaptive T_dg after each iteration; null for DD-GAN rows. */
  readonly diffusionT: (number | null)[];
  /** Diffusion-GAN's r_d of the last adaptive-T interval; null before the first and for DD-GAN rows. */
  readonly rd: (number | null)[];
}

/** Built-in sets are stored as the choice (refetched on resume), uploads as pixels. */
export type SavedData = Exclude<TrainingData, { kind: 'mnist' | 'emoji' }> | { readonly kind: 'mnist'; readonly digits: readonly number[] } | { readonly kind: 'emoji'; readonly category: number | null; readonly search: string; readonly set?: EmojiSet };

export interface SavedPreview {
  readonly iteration: number;
  readonly frame: ArrayBuffer;
  readonly batch: number;
  readonly width: number;
  readonly height: number;
  /** Per sample, the index of its nearest upload (runs on uploads; absent in older sessions). */
  readonly nearest?: readonly number[];
}

export interface SessionSummary {
  readonly id: string;
  readonly format: typeof SESSION_FORMAT;
  /** The model the run started from (a catalog name, or an imported file's name). */
  readonly modelName: string;
  readonly dataLabel: string;
  readonly iteration: number;
  readonly targetIterations: number;
  readonly savedAt: string;
  readonly bytes: number;
  /**
   * The run's state at this save: 'running' or 'paused' means it was interrupted (a reload,
   * a crash) and the app brings it back by itself; absent in sessions saved before.
   */
  readonly state?: TrainingState;
}

/** The iteration and weights a record was written with, checked when it is loaded. */
export interface SessionIntegrity {
  readonly iteration: number;
  readonly weightsBytes: number;
  readonly weightsHash: string;
}

export interface SavedSession extends SessionSummary {
  readonly settings: TrainingSettings;
  readonly init: 'finetune' | 'scratch';
  readonly data: SavedData;
  readonly checkpoint: { readonly modelJson: unknown; readonly weights: ArrayBuffer };
  readonly series: TrainSeries;
  readonly previews: readonly SavedPreview[];
  /** Absent in sessions saved before the stamp existed. */
  readonly integrity?: SessionIntegrity;
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
  return { kind: 'emoji', category: d.category, search: d.search, ...(d.set === 'icons' ? { set: d.set } : {}) };
}

export function dataLabel(d: SavedData): string {
  if (d.kind === 'pixels') return `${d.count} uploaded image${d.count === 1 ? '' : 's'}`;
  if (d.kind === 'mnist') return d.digits.length === 10 ? 'MNIST, all digits' : `MNIST digit${d.digits.length === 1 ? '' : 's'} ${d.digits.join(', ')}`;
  const category = d.category === null ? 'all emoji' : `emoji: ${EMOJI_CATEGORIES[d.category] ?? `category ${d.category}`}`;
  return `${category}${d.search ? ` matching “${d.search}”` : ''}${d.set === 'icons' ? ' (three styles)' : ''}`;
}

export function summarize(s: SavedSession): SessionSummary {
  const { id, format, modelName, dataLabel, iteration, targetIterations, savedAt, bytes, state } = s;
  return { id, format, modelName, dataLabel, iteration, targetIterations, savedAt, bytes, ...(state !== undefined ? { state } : {}) };
}

/** A 32-bit FNV-1a over the bytes, as 8 hex digits (fast enough for megabytes per save). */
export function weightsHash(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function sessionIntegrity(iteration: number, weights: ArrayBuffer): SessionIntegrity {
  return { iteration, weightsBytes: weights.byteLength, weightsHash: weightsHash(weights) };
}

/** Raised by a save that would replace a newer iteration of the same session. */
export class StaleSaveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaleSaveError';
  }
}

/**
 * Why `incoming` must not replace `existing` (a newer iteration of the same session, e.g.
 * written by another tab), or null. The same iteration may be written again (a run's final
 * state is saved over its last checkpoint).
 */
export function staleSaveProblem(existing: Pick<SessionSummary, 'iteration' | 'savedAt'> | null | undefined, incoming: Pick<SessionSummary, 'iteration'>): string | null {
  if (!existing || existing.iteration <= incoming.iteration) return null;
  return `not saved: this session already holds iteration ${existing.iteration} (saved ${existing.savedAt}, probably by another tab), newer than ${incoming.iteration}`;
}

/** An in-memory SessionStorage (tests; browsers without IndexedDB). */
export function memorySessions(): SessionStorage {
  const all = new Map<string, SavedSession>();
  return {
    async save(s) {
      const stale = staleSaveProblem(all.get(s.id), s);
      if (stale) throw new StaleSaveError(stale);
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
