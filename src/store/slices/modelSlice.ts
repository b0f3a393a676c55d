/**
 * Models slice: the catalog (models/index.json), loading with progress, warm-up per batch,
 * and the batch limit a loaded model reports for this backend (src/worker/batchLimit.ts):
 * a batch over it is lowered once, with a notice, and cannot be chosen again.
 *
 * Model files (import): the loaded model stays in use until the worker has checked the new
 * file whole; a refused file leaves it loaded and says why. While it is loaded, an imported
 * model is what `loadModel` (Retry, a backend switch) loads again. No import while a
 * fine-tune run trains: it would end the run.
 */
import { toSerializedError } from '../../worker/client';
import { batchOverLimit, batchWithin } from '../../worker/batchLimit';
import type { LoadModelResult } from '../../worker/protocol';
import { parseModelIndex, pickModel } from '../modelCatalog';
import { BATCH_SIZES, isBatchSize } from '../settings';
import type { AppActions, AppState, ModelsSlice, UploadSource } from '../types';
import { isTraining, type SliceContext } from './context';

/** True when the loaded model cannot run `batch` on this backend. */
export function isBatchOverLimit(s: AppState, batch: number): boolean {
  const max = s.models.result?.batchLimit?.maxBatch ?? null;
  return max !== null && batch > max;
}

export function initialModels(selected: string | null): ModelsSlice {
  return {
    catalogStatus: 'idle',
    catalog: [],
    auxiliary: [],
    skipped: [],
    catalogError: null,
    selected,
    status: 'idle',
    loadedBytes: 0,
    totalBytes: 0,
    warmup: null,
    result: null,
    warmBatches: [],
    error: null,
    imported: null,
  };
}

export function modelActions(
  ctx: SliceContext,
): Pick<AppActions, 'loadCatalog' | 'selectModel' | 'loadModel' | 'setBatch' | 'dismissBatchNotice' | 'importModelFile'> & { warmup(batch: number): Promise<void> } {
  const { get, patch, counters, env } = ctx;
  /** The file of the imported model in use (loaded again by a retry or on a new backend). */
  let importedFile: UploadSource | null = null;

  /**
   * A model just loaded: lower the batch to the largest offered one it can run here (the
   * worker warmed up that one already), saying why; a load that lowers nothing clears an
   * older notice, which was about another model or backend.
   */
  function applyBatchLimit(result: LoadModelResult): void {
    const batch = get().gen.batch;
    const allowed = batchWithin(batch, result.batchLimit?.maxBatch ?? null, BATCH_SIZES);
    if (allowed === batch || !isBatchSize(allowed)) {
      if (get().gen.batchNotice !== null) patch('gen', { batchNotice: null });
      return;
    }
    const why = batchOverLimit(result.batchLimit, batch);
    patch('gen', { batch: allowed, batchNotice: `Batch ${batch} is too large for this model on ${result.backend}: ${why}. Using batch ${allowed}.` });
  }

  async function warmup(batch: number): Promise<void> {
    const generation = ++counters.warmup;
    const load = counters.load;
    const current = (): boolean => generation === counters.warmup && load === counters.load;
    patch('models', { status: 'warming', warmup: null, error: null });
    try {
      const r = await env.engine.warmup({ batch }, { onProgress: (warmupProgress) => current() && patch('models', { warmup: warmupProgress }) });
      if (!current()) return;
      patch('models', { status: 'ready', warmup: null, warmBatches: [...get().models.warmBatches, r.batch] });
      // The batch may have changed while this one warmed up.
      await ensureWarm();
    } catch (e) {
      // A newer warm-up, load or init answers for itself; anything else (even a cancel) is
      // shown, with a retry, rather than leaving the bar spinning.
      if (!current()) return;
      patch('models', { status: 'error', warmup: null, error: toSerializedError(e) });
    }
  }

  async function ensureWarm(): Promise<void> {
    const s = get();
    if (s.models.status === 'ready' && !s.models.warmBatches.includes(s.gen.batch)) await warmup(s.gen.batch);
  }

  return {
    warmup,

    async loadCatalog() {
      patch('models', { catalogStatus: 'loading', catalogError: null });
      try {
        const index = parseModelIndex(await env.fetchJson(env.indexUrl));
        const wanted = get().models.selected;
        let selected = pickModel(index.models, wanted);
        if (wanted !== null && selected !== wanted && index.models.length > 0) {
          console.warn(`model "${wanted}" is not in the model list; using ${selected}`);
        }
        if (index.models.length === 0) selected = null;
        patch('models', {
          catalogStatus: 'ready',
          catalog: index.models,
          auxiliary: index.auxiliary,
          skipped: index.skipped,
          selected,
          catalogError: index.models.length === 0 ? 'no generator ships under models/ (see models/index.json)' : null,
        });
      } catch (e) {
        patch('models', { catalogStatus: 'error', catalogError: `could not read the model list: ${(e as Error).message}` });
      }
    },

    async selectModel(name) {
      if (!get().models.catalog.some((m) => m.name === name)) return;
      // A catalog choice replaces an imported model.
      importedFile = null;
      patch('models', { selected: name, imported: null });
      await get().actions.loadModel();
    },

    async loadModel() {
      const s = get();
      // The model in use is an imported file: that is what a retry or a new backend loads again.
      if (s.models.imported !== null && importedFile !== null && importedFile.name === s.models.imported) {
        await get().actions.importModelFile(importedFile);
        return;
      }
      const entry = s.models.catalog.find((m) => m.name === s.models.selected);
      if (!entry || s.engine.status !== 'ready') return;
      const generation = ++counters.load;
      counters.warmup++;
      counters.run++;
      counters.reroll++;
      const current = (): boolean => generation === counters.load;
      patch('models', { status: 'downloading', loadedBytes: 0, totalBytes: entry.weightBytes, warmup: null, result: null, warmBatches: [], error: null, imported: null });
      patch('gen', { status: s.gen.status === 'running' ? 'cancelled' : s.gen.status, trajectory: null, stats: null, playing: false, position: 0 });
      patch('reroll', { status: 'idle', branches: [], seeds: [], fromK: null, error: null });
      ctx.set(() => ({ enlarged: null }));
      const batch = s.gen.batch;
      try {
        const result = await env.engine.loadModel(
          { name: entry.name, url: new URL(entry.path, env.indexUrl).href, warmupBatch: batch, batchSizes: BATCH_SIZES },
          {
            onProgress: (p) => {
              if (!current()) return;
              if (p.status === 'download') patch('models', { status: 'downloading', loadedBytes: p.loadedBytes, totalBytes: p.totalBytes });
              else patch('models', { status: 'warming', warmup: p });
            },
          },
        );
        if (!current()) return;
        patch('models', { status: 'ready', result, warmup: null, warmBatches: [result.warmup.batch], loadedBytes: result.bytes, totalBytes: result.bytes });
        patch('engine', { memory: result.memory });
        applyBatchLimit(result);
        await ensureWarm();
      } catch (e) {
        if (!current()) return;
        patch('models', { status: 'error', warmup: null, error: toSerializedError(e) });
      }
    },

    async importModelFile(file) {
      const s = get();
      if (s.engine.status !== 'ready') return;
      if (isTraining(s)) {
        // The worker refuses it too; say so where the run is shown, without touching the model.
        patch('train', {
          error: { name: 'NoTrainingError', code: 'no-training', message: `${file.name} was not imported: a fine-tune run is training. Stop it (or let it finish), then import the file; the loaded model stays in use.` },
        });
        return;
      }
      const generation = ++counters.load;
      counters.warmup++;
      counters.run++;
      counters.reroll++;
      const current = (): boolean => generation === counters.load;
      // The model in use stays (result, warm batches) until the new file is accepted.
      const before = s.models;
      patch('models', { status: 'downloading', loadedBytes: 0, totalBytes: file.size, warmup: null, error: null });
      if (s.gen.status === 'running') patch('gen', { status: 'cancelled' });
      try {
        const bytes = await file.arrayBuffer();
        const result = await env.engine.importModel(
          { name: file.name, bytes, warmupBatch: s.gen.batch, batchSizes: BATCH_SIZES },
          { onProgress: (p) => current() && patch('models', { status: 'warming', warmup: p }) },
        );
        if (!current()) return;
        importedFile = file;
        patch('models', { status: 'ready', result, warmup: null, warmBatches: [result.warmup.batch], loadedBytes: result.bytes, totalBytes: result.bytes, imported: file.name });
        patch('gen', { trajectory: null, stats: null, playing: false, position: 0 });
        patch('reroll', { status: 'idle', branches: [], seeds: [], fromK: null, error: null });
        ctx.set(() => ({ enlarged: null }));
        patch('engine', { memory: result.memory });
        applyBatchLimit(result);
        await ensureWarm();
      } catch (e) {
        if (!current()) return;
        const error = toSerializedError(e);
        // Refused before the worker let go of the model in use (a bad file, a run training):
        // it is still loaded and warm; anything later (a failed warm-up) left nothing usable.
        const kept = before.status === 'ready' && before.result !== null && (error.code === 'model-load-failed' || error.code === 'no-training' || error.code === 'bad-request');
        if (kept) patch('models', { status: 'ready', warmup: null, error, loadedBytes: before.loadedBytes, totalBytes: before.totalBytes });
        else patch('models', { status: 'error', warmup: null, result: null, warmBatches: [], error });
      }
    },

    async setBatch(batch) {
      if (isBatchOverLimit(get(), batch)) return;
      patch('gen', { batch, batchNotice: null });
      await ensureWarm();
    },

    dismissBatchNotice() {
      patch('gen', { batchNotice: null });
    },
  };
}
