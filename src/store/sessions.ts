/**
 * Saved training sessions (autosave): what is stored, and the storage interface the store
 * uses. The browser implementation is IndexedDB (src/ui/idbSessions.ts); tests use
 * `memorySessions()`. Plain data only, so a session survives structured cloning into
 * IndexedDB unchanged: the resume checkpoint (model.json object + weight bytes), the
 * settings, the data (uploads as their downscaled pixels; built-in sets as the choice that
 * selects them), the loss columns and the preview history.
 */
import type { TrainingData, TrainingSettings } from '../worker/protocol';
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
