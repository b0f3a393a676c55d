/**
 * Training slice: the upload set (decoded in the worker, problems per file), the built-in
 * data choices, the run's settings, and the live view's state (loss columns appended in
 * place, capped preview history, state messages). Progress events are deltas; nothing
 * here ever receives a whole history from the worker.
 *
 * Autosave happens in the worker (src/worker/autosave.ts), which owns the run's tensors
 * and writes the session to storage itself; this slice only shows its 'autosave' notices
 * and lists, loads (to resume) and deletes saved sessions. A session is trained by one tab
 * at a time (sessionLocks.ts): resuming or deleting one that another tab trains is refused
 * with a message. After a reload or a crash the interrupted run comes back by itself
 * (`restoreInterrupted`, called by boot).
 *
 * Every setting is checked when it is typed (src/worker/trainingSettings.ts): a refused
 * value is kept out of the settings and its reason shown at the field.
 */
import { parseFewshotIndex } from '../../core/data/fewshot';
import { fetchDatasetLabels } from '../../core/data/fetch';
import { selectedIndices, type BuiltInChoice, type SelectableSet } from '../../core/data/selection';
import { MAX_UPLOADS, checkFileSize } from '../../core/data/uploadPrep';
import { MODEL_FILE_EXTENSION, encodeModelFile, shippableFromResume } from '../../core/io/modelFile';
import { toSerializedError } from '../../worker/client';
import type { SerializedError, TrainingData, TrainingInit, TrainingProgress, TrainingSettings } from '../../worker/protocol';
import { DEFAULT_TRAINING_SETTINGS, settingProblem, settingsProblems, type NumericSetting } from '../../worker/trainingSettings';
import { DEFAULT_TRAINING_RECIPE, objectiveNote } from '../../shared/recipes';
import { MAX_PREVIEWS, appendCapped, appendSeriesRow, dataLabel, emptySeries, savedDataOf, savedSessionProblem, sliceSeries, type SavedData, type SavedSession } from '../sessions';
import { webSessionLocks, type SessionLocks } from '../sessionLocks';
import type { AppActions, PreviewFrame, TrainSeries, TrainSlice, UploadItem, UploadProblem, UploadSource } from '../types';
import { isTraining, type SliceContext } from './context';

// The fine-tune defaults live beside the rules for the settings, where `npm run train --
// --init` reads them too.
export { DEFAULT_TRAINING_SETTINGS };
export { MAX_PREVIEWS, emptySeries, sliceSeries };
/** Files read and decoded per worker request (bounded memory; progress between chunks). */
export const DECODE_CHUNK = 8;

export function initialTrain(): TrainSlice {
  return {
    source: 'uploads',
    uploads: [],
    problems: [],
    decoding: null,
    // All ten: MNIST → Train → Use in Generate makes a model of every digit, not of one.
    digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    emojiCategory: 0,
    emojiSearch: '',
    emojiSet: 'emoji',
    sampleSets: null,
    sampleSetsError: null,
    init: 'finetune',
    settings: DEFAULT_TRAINING_SETTINGS,
    status: 'idle',
    run: null,
    note: null,
    message: null,
    error: null,
    iteration: 0,
    elapsedMs: 0,
    memory: null,
    series: emptySeries(),
    length: 0,
    previews: [],
    previewIndex: null,
    lastGoodIteration: null,
    checkpoint: null,
    hidden: false,
    sessions: [],
    sessionId: null,
    autosave: { status: 'idle', iteration: 0, message: null, savedIteration: null },
    selection: null,
    settingErrors: {},
    modelName: null,
    restored: null,
    runUploads: null,
  };
}

/** The uploads a run on uploads trains on: those of the first one's size and channels, in order. */
export function trainableUploads(uploads: readonly UploadItem[]): UploadItem[] {
  if (uploads.length === 0) return [];
  const { size, channels } = uploads[0];
  return uploads.filter((u) => u.size === size && u.channels === channels);
}

/** Iterations per second over the last `window` iterations (0 before the first). */
export function iterationsPerSecond(series: TrainSeries, window = 10): number {
  const ms = series.ms.slice(-window);
  const total = ms.reduce((a, b) => a + b, 0);
  return total > 0 ? (1000 * ms.length) / total : 0;
}

/** Appends a preview, keeping the first one and the newest MAX_PREVIEWS − 1 (as a saved session does). */
export function appendPreview(list: readonly PreviewFrame[], p: PreviewFrame): PreviewFrame[] {
  return appendCapped(list, p);
}

type TrainActions = Pick<
  AppActions,
  | 'addFiles'
  | 'removeUpload'
  | 'clearUploads'
  | 'setDataSource'
  | 'setDigits'
  | 'setEmojiFilter'
  | 'setEmojiSet'
  | 'loadSampleSets'
  | 'addSampleSet'
  | 'setTrainInit'
  | 'setTrainSettings'
  | 'startTraining'
  | 'pauseTraining'
  | 'resumeTraining'
  | 'stepTraining'
  | 'stopTraining'
  | 'rollbackTraining'
  | 'selectPreview'
  | 'setHidden'
  | 'listSessions'
  | 'resumeSession'
  | 'restoreInterrupted'
  | 'deleteSession'
  | 'exportModelFile'
>;

/** Upload items back from a saved session's pixels. */
function uploadsFromPixels(d: Extract<SavedData, { kind: 'pixels' }>, firstId: number): UploadItem[] {
  const per = d.size * d.size * d.channels;
  const all = new Uint8Array(d.pixels);
  return Array.from({ length: d.count }, (_, i) => ({
    id: firstId + i,
    name: `saved image ${i + 1}`,
    pixels: all.slice(i * per, (i + 1) * per),
    size: d.size,
    channels: d.channels,
    width: d.size,
    height: d.size,
    format: 'saved',
  }));
}

/** The base name a model goes by in saved sessions and exports: an imported file's name without its extension. */
export function modelBaseName(name: string): string {
  return name.endsWith(MODEL_FILE_EXTENSION) ? name.slice(0, -MODEL_FILE_EXTENSION.length) : name;
}

const refused = (message: string): SerializedError => ({ name: 'NoTrainingError', code: 'no-training', message });

export function trainActions(ctx: SliceContext): TrainActions {
  const { get, env } = ctx;
  const patch = (p: Partial<TrainSlice>): void => ctx.patch('train', p);
  let nextUploadId = 1;
  let runId = 0;
  const locks: SessionLocks | null = env.locks === undefined ? webSessionLocks() : env.locks;

  const dataUrl = (): string => new URL('../data', env.indexUrl).href;

  /** The loaded model's name as a session and an export name it (imported files by their own name). */
  const currentModelName = (): string => {
    const m = get().models;
    return modelBaseName(m.imported ?? m.selected ?? 'model');
  };

  // ─── how many images a built-in choice selects ──────────────────────────────────────
  type IndexName = 'mnist-train' | 'emoji' | 'icons-train';
  const indexes = new Map<IndexName, Promise<SelectableSet>>();
  const datasetIndex = (name: IndexName): Promise<SelectableSet> => {
    let p = indexes.get(name);
    if (!p) {
      p = env.datasetIndex ? env.datasetIndex(name) : fetchDatasetLabels(dataUrl(), name);
      // A failed read is tried again on the next change, not remembered.
      p.catch(() => indexes.delete(name));
      indexes.set(name, p);
    }
    return p;
  };
  let counting = 0;
  const countSelection = async (): Promise<void> => {
    const generation = ++counting;
    const t = get().train;
    const choice: BuiltInChoice | null =
      t.source === 'mnist' ? { kind: 'mnist', digits: t.digits } : t.source === 'emoji' ? { kind: 'emoji', category: t.emojiCategory, search: t.emojiSearch } : null;
    if (!choice) return;
    try {
      const ds = await datasetIndex(choice.kind === 'mnist' ? 'mnist-train' : t.emojiSet === 'icons' ? 'icons-train' : 'emoji');
      if (generation === counting) patch({ selection: { count: selectedIndices(ds, choice).length, total: ds.count } });
    } catch {
      if (generation === counting) patch({ selection: null });
    }
  };

  const trainingData = (): TrainingData | string => {
    const t = get().train;
    if (t.source === 'mnist') return { kind: 'mnist', dataUrl: dataUrl(), digits: t.digits };
    if (t.source === 'emoji') return { kind: 'emoji', dataUrl: dataUrl(), category: t.emojiCategory, search: t.emojiSearch, ...(t.emojiSet === 'icons' ? { set: t.emojiSet } : {}) };
    if (t.uploads.length === 0) return 'add some images first (drop them on the page, pick files or a folder, or paste)';
    const { size, channels } = t.uploads[0];
    const per = size * size * channels;
    const usable = trainableUploads(t.uploads);
    const pixels = new Uint8Array(usable.length * per);
    usable.forEach((u, i) => pixels.set(u.pixels, i * per));
    return { kind: 'pixels', name: `uploads (${usable.length})`, pixels: pixels.buffer, count: usable.length, size, channels };
  };

  /** A "no data" refusal is answered by changing the data: it goes once the choice changes. */
  const clearDataError = (): void => {
    const t = get().train;
    if (t.status === 'error' && t.error?.code === 'bad-data') patch({ status: 'idle', error: null });
  };

  const onProgress = (id: number) => (p: TrainingProgress): void => {
    if (id !== runId) return;
    const t = get().train;
    switch (p.status) {
      case 'started':
        patch({
          run: { init: p.init, recipe: p.recipe, images: p.images, generatorParams: p.generatorParams, discriminatorParams: p.discriminatorParams, imageSize: p.imageSize, channels: p.channels, startIteration: p.iteration },
          note: p.note,
          iteration: p.iteration,
        });
        return;
      case 'iteration': {
        const s = t.series;
        const st = p.stats;
        appendSeriesRow(s, st);
        patch({ iteration: st.iteration, elapsedMs: p.elapsedMs, memory: p.memory, length: s.iteration.length });
        return;
      }
      case 'preview':
        patch({
          previews: appendPreview(t.previews, {
            iteration: p.iteration,
            frame: new Uint8ClampedArray(p.frame),
            batch: p.batch,
            width: p.width,
            height: p.height,
            ...(p.nearest ? { nearest: p.nearest } : {}),
          }),
        });
        return;
      case 'state':
        patch({ status: p.state, message: p.message ?? (p.state === 'running' ? null : t.message), lastGoodIteration: p.lastGoodIteration, iteration: p.iteration });
        return;
      case 'checkpoint':
        // The weights were transferred, not copied: kept for Export and Use in Generate.
        patch({ checkpoint: { iteration: p.iteration, modelJson: p.modelJson, weights: p.weights }, lastGoodIteration: p.iteration });
        return;
      case 'autosave':
        patch({ autosave: { status: p.state, iteration: p.iteration, message: p.message, savedIteration: p.state === 'saved' ? p.iteration : t.autosave.savedIteration } });
        // Summaries only: listing never reads the weights.
        if (p.state === 'saved') listing = get().actions.listSessions();
        return;
      default: {
        const unhandled: never = p;
        void unhandled;
      }
    }
  };

  /** The data of the running session (for the export's description). */
  let runData: SavedData | null = null;
  /** The session list being re-read after the last 'saved' notice. */
  let listing: Promise<void> = Promise.resolve();

  const toWire = (d: SavedData): TrainingData =>
    d.kind === 'pixels' ? { ...d, pixels: d.pixels.slice(0) } : d.kind === 'mnist' ? { kind: 'mnist', dataUrl: dataUrl(), digits: d.digits } : { kind: 'emoji', dataUrl: dataUrl(), category: d.category, search: d.search, ...(d.set ? { set: d.set } : {}) };

  /**
   * Starts a run in the worker and follows it to the end, holding the session's lock (one tab
   * per session) for as long as it runs.
   */
  const run = async (
    init: TrainingInit,
    origin: 'finetune' | 'scratch',
    data: SavedData,
    settings: TrainingSettings,
    restored: { series: TrainSeries; previews: PreviewFrame[] } | null,
    sessionId: string,
    modelName: string,
    opts: { release?: (() => void) | null; paused?: boolean; restoredNote?: string | null } = {},
  ): Promise<void> => {
    const id = ++runId;
    const series = restored?.series ?? emptySeries();
    runData = data;
    // Sessions are kept where the app has a session storage; the worker writes them.
    const autosave = env.sessions ? { id: sessionId, modelName, init: origin } : undefined;
    patch({
      modelName,
      restored: opts.restoredNote ?? null,
      status: 'starting',
      error: null,
      message: null,
      note: null,
      run: null,
      iteration: 0,
      elapsedMs: 0,
      series,
      length: series.iteration.length,
      previews: restored?.previews ?? [],
      previewIndex: null,
      // The images the worker receives, in its order: a run on uploads sends exactly these
      // (`trainingData`, or a resumed session's saved pixels, set as the uploads before this).
      runUploads: data.kind === 'pixels' ? trainableUploads(get().train.uploads) : null,
      lastGoodIteration: null,
      checkpoint: null,
      sessionId,
      autosave: { status: 'idle', iteration: 0, message: null, savedIteration: null },
    });
    const follow = onProgress(id);
    let pauseAsked = !opts.paused;
    try {
      const result = await env.engine.startTraining(
        { init, data: toWire(data), settings, ...(autosave ? { autosave } : {}) },
        {
          onProgress: (p) => {
            follow(p);
            // A run that was paused when the page went away comes back paused.
            if (!pauseAsked && p.status === 'state' && p.state === 'running') {
              pauseAsked = true;
              void env.engine.pauseTraining({}).catch(() => undefined);
            }
          },
        },
      );
      if (id === runId) patch({ status: result.state, iteration: result.iteration, elapsedMs: result.elapsedMs, memory: result.memory });
    } catch (e) {
      if (id === runId) patch({ status: 'error', error: toSerializedError(e) });
    } finally {
      opts.release?.();
    }
    await listing;
  };

  /** The session's lock for this tab: undefined when another tab holds it (null: no locking here). */
  const lockSession = async (sessionId: string): Promise<(() => void) | null | undefined> => {
    if (!locks) return null;
    try {
      return (await locks.acquire(sessionId)) ?? undefined;
    } catch {
      return null; // a lock manager that fails is no reason to refuse training
    }
  };

  /** Loads, checks and continues a saved session (`auto`: brought back after a reload). */
  const resume = async (id: string, auto: boolean): Promise<void> => {
    const s = get();
    if (!env.sessions || isTraining(s) || s.engine.status !== 'ready') return;
    const release = await lockSession(id);
    if (release === undefined) {
      if (!auto) patch({ error: refused('this saved session is being trained in another tab: stop it there (or close that tab) to continue it here') });
      return;
    }
    let saved: SavedSession | null;
    try {
      saved = await env.sessions.load(id);
    } catch (e) {
      release?.();
      patch({ status: 'error', error: toSerializedError(e) });
      return;
    }
    if (!saved) {
      release?.();
      if (!auto) patch({ status: 'error', error: refused('that saved session no longer exists') });
      return;
    }
    const problem = savedSessionProblem(saved);
    if (problem) {
      release?.();
      patch({ status: 'error', error: { name: 'BadSessionError', code: 'bad-data', message: problem } });
      return;
    }
    const d = saved.data;
    if (d.kind === 'pixels') patch({ source: 'uploads', uploads: uploadsFromPixels(d, nextUploadId), problems: [] });
    else if (d.kind === 'mnist') patch({ source: 'mnist', digits: d.digits });
    else patch({ source: 'emoji', emojiCategory: d.category, emojiSearch: d.search, emojiSet: d.set ?? 'emoji' });
    if (d.kind === 'pixels') nextUploadId += d.count;
    else void countSelection();
    // Continue to the saved target, or further if the Iterations field asks for more (not
    // when it comes back by itself: then it is the run as it was). The recipe is the saved
    // one (sessions from before the choice are DD-GAN).
    const settings: TrainingSettings = {
      ...saved.settings,
      recipe: saved.settings.recipe ?? DEFAULT_TRAINING_RECIPE,
      iterations: auto ? saved.settings.iterations : Math.max(saved.settings.iterations, s.train.settings.iterations),
    };
    patch({ settings, init: saved.init, settingErrors: {} });
    const series: TrainSeries = sliceSeries(saved.series);
    const previews = saved.previews.map((p) => ({ ...p, frame: new Uint8ClampedArray(p.frame) }));
    const note = auto
      ? `Brought back the run that was interrupted (a reload or a crash): iteration ${saved.iteration} of ${saved.targetIterations}, saved ${new Date(saved.savedAt).toLocaleTimeString()}, with its data, curves and previews${saved.state === 'paused' ? '; it was paused, and waits for Resume' : ''}.`
      : null;
    await run({ kind: 'resume', modelJson: saved.checkpoint.modelJson, weights: saved.checkpoint.weights }, saved.init, d, settings, { series, previews }, saved.id, saved.modelName, {
      release,
      paused: auto && saved.state === 'paused',
      restoredNote: note,
    });
  };

  const control = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      patch({ error: toSerializedError(e) });
    }
  };

  return {
    async loadSampleSets() {
      if (get().train.sampleSets !== null) return;
      try {
        const index = parseFewshotIndex(await env.fetchJson(`${dataUrl()}/fewshot/index.json`));
        patch({ sampleSets: index.sets, sampleSetsError: null });
      } catch (e) {
        patch({ sampleSetsError: `the ready-made image sets could not be read: ${toSerializedError(e).message}` });
      }
    },

    async addSampleSet(name) {
      await get().actions.loadSampleSets();
      const set = get().train.sampleSets?.find((s) => s.name === name);
      if (!set) {
        patch({ problems: [...get().train.problems, { name, message: 'no ready-made image set of that name' }] });
        return;
      }
      const fetchBytes =
        env.fetchBytes ??
        (async (url: string): Promise<ArrayBuffer> => {
          const res = await fetch(url);
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.arrayBuffer();
        });
      // Each image is read when addFiles asks for it, like a picked file; a failed read is
      // reported under its name and the rest still load. Their byte size is not known before
      // the read (the set's PNGs are a few kB; the decoder checks what arrives).
      const files: UploadSource[] = set.files.map((f) => ({ name: `${set.name}/${f}`, size: 1, arrayBuffer: () => fetchBytes(`${dataUrl()}/fewshot/${set.name}/${f}`) }));
      await get().actions.addFiles(files);
    },

    async addFiles(files) {
      const model = get().models.result?.model;
      if (!model) {
        patch({ problems: [...get().train.problems, ...files.map((f) => ({ name: f.name, message: 'no model is loaded yet: images are resized to the model, so load one first' }))] });
        return;
      }
      const size = model.imageSize;
      const channels = model.channels === 1 ? 1 : 3;
      const room = MAX_UPLOADS - get().train.uploads.length;
      const accepted = files.slice(0, Math.max(0, room));
      const problems: UploadProblem[] = files.slice(accepted.length).map((f) => ({ name: f.name, message: `not loaded: at most ${MAX_UPLOADS} images per set` }));
      const toRead = accepted.filter((f) => {
        const why = checkFileSize(f.size);
        if (why) problems.push({ name: f.name, message: why });
        return !why;
      });
      patch({ problems: [...get().train.problems, ...problems], decoding: { done: 0, total: toRead.length } });
      for (let i = 0; i < toRead.length; i += DECODE_CHUNK) {
        const chunk = toRead.slice(i, i + DECODE_CHUNK);
        const read: { name: string; bytes: ArrayBuffer }[] = [];
        const readProblems: UploadProblem[] = [];
        for (const f of chunk) {
          try {
            read.push({ name: f.name, bytes: await f.arrayBuffer() });
          } catch (e) {
            readProblems.push({ name: f.name, message: `could not read the file: ${toSerializedError(e).message}` });
          }
        }
        let images: UploadItem[] = [];
        try {
          const res = await env.engine.decodeImages({ files: read, size, channels });
          for (const im of res.images) {
            if (im.ok) images.push({ id: nextUploadId++, name: im.name, pixels: new Uint8Array(im.pixels), size, channels, width: im.width, height: im.height, format: im.format });
            else readProblems.push({ name: im.name, message: im.error });
          }
        } catch (e) {
          images = [];
          for (const f of read) readProblems.push({ name: f.name, message: `could not decode: ${toSerializedError(e).message}` });
        }
        const t = get().train;
        if (images.length > 0) clearDataError();
        patch({ uploads: [...t.uploads, ...images], problems: [...t.problems, ...readProblems], decoding: { done: Math.min(toRead.length, i + chunk.length), total: toRead.length } });
      }
      patch({ decoding: null });
    },

    removeUpload(id) {
      patch({ uploads: get().train.uploads.filter((u) => u.id !== id) });
    },

    clearUploads() {
      patch({ uploads: [], problems: [] });
    },

    setDataSource(source) {
      clearDataError();
      patch({ source, selection: source === get().train.source ? get().train.selection : null });
      void countSelection();
    },

    setDigits(digits) {
      clearDataError();
      patch({ digits: [...new Set(digits)].filter((d) => Number.isInteger(d) && d >= 0 && d <= 9).sort() });
      void countSelection();
    },

    setEmojiFilter(emojiCategory, emojiSearch) {
      clearDataError();
      patch({ emojiCategory, emojiSearch });
      void countSelection();
    },

    setEmojiSet(emojiSet) {
      clearDataError();
      patch({ emojiSet, selection: null });
      void countSelection();
    },

    setTrainInit(init) {
      patch({ init });
    },

    setTrainSettings(p) {
      const t = get().train;
      const errors: Partial<Record<NumericSetting, string>> = { ...t.settingErrors };
      const accepted: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(p)) {
        if (key === 'recipe' || key === 'augment') {
          accepted[key] = value;
          continue;
        }
        const k = key as NumericSetting;
        const why = settingProblem(k, value);
        if (why) errors[k] = why;
        else {
          delete errors[k];
          accepted[k] = value;
        }
      }
      patch({ settings: { ...t.settings, ...(accepted as Partial<TrainingSettings>) }, settingErrors: errors });
    },

    async startTraining() {
      const s = get();
      if (isTraining(s) || s.engine.status !== 'ready' || s.models.status !== 'ready') return;
      const problems = [...Object.values(s.train.settingErrors), ...Object.values(settingsProblems(s.train.settings))];
      if (problems.length > 0) {
        patch({ status: 'error', error: { name: 'BadRequestError', code: 'bad-request', message: `fix the settings first: ${[...new Set(problems)].join('; ')}` } });
        return;
      }
      const data = trainingData();
      if (typeof data === 'string') {
        patch({ status: 'error', error: { name: 'BadDataError', code: 'bad-data', message: data } });
        return;
      }
      const sessionId = `session-${(env.now?.() ?? new Date().toISOString()).replace(/[^0-9]/g, '')}-${Math.floor(env.random() * 1e6)}`;
      // The click is answered at once: an earlier run's error is gone before the lock is taken.
      patch({ status: 'starting', error: null });
      const release = await lockSession(sessionId);
      await run({ kind: s.train.init }, s.train.init, savedDataOf(data), s.train.settings, null, sessionId, currentModelName(), { release });
    },

    async listSessions() {
      if (!env.sessions) return;
      try {
        patch({ sessions: await env.sessions.list() });
      } catch {
        patch({ sessions: [] });
      }
    },

    resumeSession: (id) => resume(id, false),

    async restoreInterrupted() {
      const s = get();
      if (!env.sessions || isTraining(s) || s.engine.status !== 'ready' || s.train.sessionId !== null) return;
      let list;
      try {
        list = await env.sessions.list();
      } catch {
        return;
      }
      // The newest run that was still going when its page went away (and no other tab has).
      for (const summary of list) {
        if (summary.state !== 'running' && summary.state !== 'paused') continue;
        if (locks && !(await locks.isFree(summary.id).catch(() => true))) continue;
        await resume(summary.id, true);
        return;
      }
    },

    exportModelFile() {
      const t = get().train;
      const ck = t.checkpoint;
      if (!ck) return null;
      // The model the run started from (a resumed session's own), not whatever is loaded now.
      const base = t.modelName ?? currentModelName();
      const name = `${base}-ft${ck.iteration}`;
      const ship = shippableFromResume(ck.modelJson, ck.weights, {
        name,
        description: `DD-GAN fine-tuned in the browser${objectiveNote(t.run?.recipe)} for ${ck.iteration} iterations on ${runData ? dataLabel(runData) : 'user data'}`,
        createdAt: env.now?.() ?? new Date().toISOString(),
      });
      return { filename: `${name}${MODEL_FILE_EXTENSION}`, bytes: encodeModelFile(ship.modelJson, ship.weights) };
    },

    async deleteSession(id) {
      if (!env.sessions) return;
      if (locks && !(await locks.isFree(id).catch(() => true))) {
        patch({ error: refused('this saved session is being trained (in this or another tab): stop that run before deleting it') });
        return;
      }
      await env.sessions.remove(id).catch(() => undefined);
      await get().actions.listSessions();
    },

    pauseTraining: () => control(() => env.engine.pauseTraining({})),
    resumeTraining: () => control(() => env.engine.resumeTraining({})),
    stepTraining: () => control(() => env.engine.stepTraining({})),
    stopTraining: () => control(() => env.engine.stopTraining({})),
    rollbackTraining: () => control(() => env.engine.rollbackTraining({})),

    selectPreview(index) {
      const n = get().train.previews.length;
      patch({ previewIndex: index === null || n === 0 ? null : Math.max(0, Math.min(n - 1, index)) });
    },

    setHidden(hidden) {
      patch({ hidden });
      // Hidden (another tab, a minimised window, or the page being left or reloaded): save
      // what was trained since the last checkpoint now; a hidden tab may be frozen or discarded.
      const st = get().train.status;
      if (hidden && (st === 'running' || st === 'paused')) void env.engine.saveTraining({}).catch(() => undefined);
    },
  };
}
