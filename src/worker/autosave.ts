/**
 * Autosave of a training run, done where the run lives: the worker keeps the session's
 * record (settings, data, loss columns, previews) next to the trainer and writes it to the
 * session storage (IndexedDB) at every resume checkpoint. Writing there costs the UI thread
 * nothing: the structured clone of megabytes of weights that `IDBObjectStore.put` makes
 * happens on this thread, and the UI only gets a small 'autosave' notice per write.
 *
 * Writes are one at a time and the newest state wins: a checkpoint that arrives while a
 * write is in flight replaces any other waiting one. `flush()` waits for the last write
 * (a run's result is answered after it, so a finished run is always saved).
 *
 * Each record says the run's state when it was written, and a change of state (paused,
 * done, stopped, diverged) rewrites the last checkpoint with the new one: a record still
 * 'running' or 'paused' after the page is gone is an interrupted run, which the app brings
 * back by itself on the next visit. A record carries an integrity stamp of its weights
 * (sessions.ts), and a write that would replace a newer iteration (another tab) is refused
 * by the storage and reported, never forced.
 *
 * No tfjs here: this runs on plain data, in the worker and in the store's tests alike.
 */
import { SESSION_FORMAT, StaleSaveError, appendCapped, appendSeriesRow, dataLabel, emptySeries, savedDataOf, sessionIntegrity, sliceSeries, type SavedData, type SavedPreview, type SavedSession, type SessionStorage, type TrainSeries } from '../shared/sessions';
import type { AutosaveParams, TrainingCheckpoint, TrainingData, TrainingProgress, TrainingSettings, TrainingState } from './protocol';

export type AutosaveNotice = Extract<TrainingProgress, { status: 'autosave' }>;

export interface RecorderRun {
  readonly autosave: AutosaveParams;
  readonly data: TrainingData;
  readonly settings: TrainingSettings;
  /** True for a resumed session: its saved rows and previews are continued. */
  readonly resumed: boolean;
}

/** Says what went wrong with a write in words a user can act on. */
export function autosaveFailure(e: unknown): string {
  const name = typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '';
  const message = e instanceof Error || (typeof e === 'object' && e !== null && 'message' in e) ? String((e as { message: unknown }).message) : String(e);
  if (e instanceof StaleSaveError) return `autosave stopped: ${message}. This tab's run goes on; Export model keeps its result.`;
  if (name === 'QuotaExceededError' || /quota/i.test(message)) {
    return 'autosave failed: this site’s browser storage is full. Delete old saved sessions (below) or free disk space; the run goes on, and Export model keeps the result.';
  }
  return `autosave failed: ${message || name || 'unknown error'}. The run goes on; Export model keeps the result.`;
}

export const AUTOSAVE_UNAVAILABLE =
  'autosave is off: this browser gives the page no IndexedDB (a private window, or storage disabled for this site), so the run is not kept across reloads. Export model keeps the result.';

export class SessionRecorder {
  private series: TrainSeries = emptySeries();
  private previews: SavedPreview[] = [];
  private readonly data: SavedData;
  private pending: { readonly ck: TrainingCheckpoint; readonly state: TrainingState } | null = null;
  private writing: Promise<void> | null = null;
  /** The last checkpoint seen and the run's state, as the next write will record them. */
  private last: TrainingCheckpoint | null = null;
  private state: TrainingState = 'running';
  private unavailableSaid = false;

  private constructor(
    private readonly storage: SessionStorage | null,
    private readonly run: RecorderRun,
    private readonly notify: (n: AutosaveNotice) => void,
    private readonly now: () => string,
  ) {
    this.data = savedDataOf(run.data);
  }

  /**
   * A recorder for one run. A resumed run reads its saved record once, to continue the
   * loss columns and previews from where it was saved. `storage` null: every checkpoint
   * reports that autosave is unavailable (once).
   */
  static async start(storage: SessionStorage | null, run: RecorderRun, notify: (n: AutosaveNotice) => void, now: () => string = () => new Date().toISOString()): Promise<SessionRecorder> {
    const r = new SessionRecorder(storage, run, notify, now);
    if (storage && run.resumed) {
      try {
        const saved = await storage.load(run.autosave.id);
        if (saved) {
          r.series = sliceSeries(saved.series, saved.iteration);
          r.previews = saved.previews.filter((p) => p.iteration <= saved.iteration);
        }
      } catch {
        // Unreadable: the run starts a fresh record under the same id.
      }
    }
    return r;
  }

  /**
   * Takes note of an event on its way to the UI. Buffers the event carries are copied,
   * because the event's own are transferred (detached here) when it is posted.
   */
  observe(p: TrainingProgress): void {
    switch (p.status) {
      case 'iteration': {
        appendSeriesRow(this.series, p.stats);
        return;
      }
      case 'preview':
        this.previews = appendCapped(this.previews, {
          iteration: p.iteration,
          frame: p.frame.slice(0),
          batch: p.batch,
          width: p.width,
          height: p.height,
          ...(p.nearest ? { nearest: [...p.nearest] } : {}),
        });
        return;
      case 'checkpoint':
        this.last = { iteration: p.iteration, modelJson: p.modelJson, weights: p.weights.slice(0) };
        this.save(this.last);
        return;
      case 'state':
        // The last checkpoint again, now saying how the run stands (finished, paused, diverged).
        if (p.state !== this.state) {
          this.state = p.state;
          if (this.last) this.save(this.last);
        }
        return;
      default:
        return;
    }
  }

  /** Resolves when the newest checkpoint seen so far is written (or has failed). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private save(ck: TrainingCheckpoint): void {
    this.pending = { ck, state: this.state };
    if (!this.writing) this.writing = this.drain().finally(() => (this.writing = null));
  }

  private async drain(): Promise<void> {
    for (let next = this.pending; next; next = this.pending) {
      this.pending = null;
      await this.write(next.ck, next.state);
    }
  }

  private async write(ck: TrainingCheckpoint, state: TrainingState): Promise<void> {
    const { iteration } = ck;
    if (!this.storage) {
      if (!this.unavailableSaid) this.notify({ status: 'autosave', state: 'error', iteration, message: AUTOSAVE_UNAVAILABLE });
      this.unavailableSaid = true;
      return;
    }
    const { autosave, settings } = this.run;
    const previews = this.previews.filter((p) => p.iteration <= iteration);
    const bytes = ck.weights.byteLength + (this.data.kind === 'pixels' ? this.data.pixels.byteLength : 0) + previews.reduce((a, p) => a + p.frame.byteLength, 0);
    const session: SavedSession = {
      id: autosave.id,
      format: SESSION_FORMAT,
      modelName: autosave.modelName,
      dataLabel: dataLabel(this.data),
      iteration,
      targetIterations: settings.iterations,
      savedAt: this.now(),
      bytes,
      state,
      settings,
      init: autosave.init,
      data: this.data,
      checkpoint: { modelJson: ck.modelJson, weights: ck.weights },
      integrity: sessionIntegrity(iteration, ck.weights),
      // Only the rows up to the checkpoint: a resumed run appends from there.
      series: sliceSeries(this.series, iteration),
      previews,
    };
    this.notify({ status: 'autosave', state: 'saving', iteration, message: null });
    try {
      await this.storage.save(session);
      this.notify({ status: 'autosave', state: 'saved', iteration, message: null });
    } catch (e) {
      this.notify({ status: 'autosave', state: 'error', iteration, message: autosaveFailure(e) });
    }
  }
}
