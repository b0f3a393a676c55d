/**
 * The training slice against a fake engine: uploads (per-file problems, nothing lost),
 * progress deltas appended in place, previews capped, autosave into a session storage (by
 * the worker's own recorder, as the engine worker does it) and resume from it with the
 * data, curves and previews restored, and the model export. Then the reliability rules:
 * MNIST starts with every digit and counts the selection; settings are checked as they are
 * typed and a stored session with bad values is refused with a reason; sessions and exports
 * are named after the model in use (an imported file, an emoji category by its name); one
 * tab per session; an interrupted run comes back by itself; imports never end a run and a
 * refused file keeps the model in use.
 */
import { describe, expect, it } from 'vitest';
import { canGenerate, createAppStore, type AppStore } from '../../src/store/store';
import { MODEL_INDEX_FORMAT, type ModelIndexEntry } from '../../src/store/modelCatalog';
import { memorySessions, type SavedSession, type SessionStorage } from '../../src/store/sessions';
import { memorySessionLocks } from '../../src/store/sessionLocks';
import { EngineError } from '../../src/worker/client';
import type { StoreEnv } from '../../src/store/types';
import { SessionRecorder } from '../../src/worker/autosave';
import { DEFAULT_TRAINING_SETTINGS as DEFAULT_SETTINGS, MAX_PREVIEWS, appendPreview } from '../../src/store/slices/trainSlice';
import { decodeModelFile } from '../../src/core/io/modelFile';
import type { EngineApi, StartTrainingParams, TrainingProgress } from '../../src/worker/protocol';
import { labStubs } from './trainingStubs';

const S = 2;
const entry: ModelIndexEntry = {
  name: 'm', path: 'm/', description: 'fake', kind: 'ddgan-generator', T: 4, imageSize: S, channels: 1, paramCount: 10, weightBytes: 400,
  dataset: null, iterations: null, wallSeconds: null, createdAt: null, metrics: {},
};
const memory = { numTensors: 7, numBytes: 100 };

/** A resume checkpoint with one EMA weight of 1 float, as the worker would send it. */
function checkpoint(iteration: number): Extract<TrainingProgress, { status: 'checkpoint' }> {
  const modelJson = {
    format: 'ddgan-web-checkpoint/1', name: 'run', networks: { generator: { kind: 'ddgan-generator' }, generatorEma: { kind: 'ddgan-generator' } },
    weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'generator/w', shape: [1], dtype: 'float32' }, { name: 'generatorEma/w', shape: [1], dtype: 'float32' }] }],
    trainerState: { iteration },
  };
  return { status: 'checkpoint', iteration, modelJson, weights: new Float32Array([1, iteration]).buffer };
}

/** A fake engine; with `sessions`, it autosaves there the way the worker does. */
function fake(sessions: SessionStorage | null = null, opts: { gate?: Promise<void> } = {}): { engine: EngineApi; starts: StartTrainingParams[]; imports: string[] } {
  const starts: StartTrainingParams[] = [];
  const imports: string[] = [];
  const none = async () => ({ state: null, iteration: 0 });
  const engine: EngineApi = {
    async init({ backend }) {
      return { requested: backend, backend: 'wasm', adapter: { available: false, detail: 'fake' }, reason: 'fake', failures: [], wasm: null, numTensors: 0, ms: 1 };
    },
    probeGenerator: async () => Promise.reject(new Error('unused')),
    async loadModel(p) {
      const warmup = { batch: p.warmupBatch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 };
      return { model: { name: p.name, T: 4, imageSize: S, channels: 1, nz: 2, paramCount: 10 }, backend: 'wasm', bytes: 400, downloadMs: 1, warmup, memory };
    },
    warmup: async ({ batch }) => ({ batch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 }),
    generate: async () => Promise.reject(new Error('unused')),
    reroll: async () => Promise.reject(new Error('unused')),
    cancel: async () => ({ cancelled: 0 }),
    memory: async () => memory,
    async decodeImages({ files, size, channels }) {
      return {
        ms: 1,
        images: files.map((f) =>
          f.name.endsWith('.png') ? { name: f.name, ok: true as const, pixels: new Uint8Array(size * size * channels).fill(f.bytes.byteLength).buffer, width: 9, height: 9, format: 'png' } : { name: f.name, ok: false as const, error: 'not a PNG, JPEG, WebP or GIF image' },
        ),
      };
    },
    async startTraining(p, o) {
      starts.push(p);
      const from = p.init.kind === 'resume' ? 2 : 0;
      const rec = p.autosave ? await SessionRecorder.start(sessions, { autosave: p.autosave, data: p.data, settings: p.settings, resumed: p.init.kind === 'resume' }, (n) => o?.onProgress?.(n)) : null;
      const emit = (e: TrainingProgress) => {
        rec?.observe(e);
        o?.onProgress?.(e);
      };
      const recipe = p.settings.recipe ?? 'ddgan';
      emit({ status: 'started', iteration: from, init: p.init.kind, recipe, images: 2, generatorParams: 10, discriminatorParams: 5, imageSize: S, channels: 1, note: 'n' });
      emit({ status: 'state', state: 'running', iteration: from, message: null, lastGoodIteration: null });
      // On uploads the worker names each sample's nearest upload (here: the second one).
      emit({ status: 'preview', iteration: from, frame: new Uint8ClampedArray(16).buffer, batch: 1, width: S, height: S, ...(p.data.kind === 'pixels' ? { nearest: [1] } : {}) });
      emit(checkpoint(from));
      for (let i = from + 1; i <= p.settings.iterations; i++) {
        const dg = recipe === 'diffusion-gan' ? { diffusionT: 10 + i, rd: i % 2 ? NaN : 0.75 } : {};
        emit({ status: 'iteration', stats: { iteration: i, lossD: 1.4, lossG: 0.7, r1: i % 2 ? NaN : 0.1, dReal: 0.1, dFake: -0.1, ms: 100, ...dg }, elapsedMs: 100 * i, memory });
        if (i === 2) emit(checkpoint(2));
      }
      await opts.gate;
      emit({ status: 'state', state: 'done', iteration: p.settings.iterations, message: null, lastGoodIteration: 2 });
      await rec?.flush();
      return { state: 'done', iteration: p.settings.iterations, elapsedMs: 100, memory };
    },
    pauseTraining: none, resumeTraining: none, stepTraining: none, stopTraining: none, rollbackTraining: none, saveTraining: none,
    async importModel(p) {
      imports.push(p.name);
      if (p.name.startsWith('bad')) throw new EngineError({ name: 'ModelLoadError', code: 'model-load-failed', message: `${p.name} cannot be used: its generator makes 64×64 images` });
      const warmup = { batch: p.warmupBatch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 };
      return { model: { name: p.name, T: 4, imageSize: S, channels: 1, nz: 2, paramCount: 11 }, backend: 'wasm', bytes: 44, downloadMs: 1, warmup, memory };
    },
    ...labStubs(),
  };
  return { engine, starts, imports };
}

async function booted(engine: EngineApi, sessions = memorySessions(), more: Partial<StoreEnv> = {}): Promise<AppStore> {
  const store = createAppStore({
    engine, sessions, indexUrl: 'http://127.0.0.1:1/models/index.json', random: () => 0.5, now: () => '2026-11-23T22:00:00.000Z',
    fetchJson: async () => ({ format: MODEL_INDEX_FORMAT, models: [entry], skipped: [] }),
    ...more,
  });
  await store.getState().actions.boot();
  return store;
}

const file = (name: string, bytes: number) => ({ name, size: bytes, arrayBuffer: async () => new ArrayBuffer(bytes) });

describe('training slice', () => {
  it('loads good files and reports each bad one without losing what was loaded', async () => {
    const store = await booted(fake().engine);
    const a = store.getState().actions;
    await a.addFiles([file('a.png', 3), file('notes.txt', 5), file('empty.png', 0)]);
    await a.addFiles([file('b.png', 4)]);
    const t = store.getState().train;
    expect(t.uploads.map((u) => u.name)).toEqual(['a.png', 'b.png']);
    expect(t.problems).toEqual([
      { name: 'empty.png', message: 'the file is empty (0 bytes)' },
      { name: 'notes.txt', message: 'not a PNG, JPEG, WebP or GIF image' },
    ]);
    expect(t.decoding).toBeNull();
  });

  it('trains on the uploads, appends deltas, autosaves, and resumes a saved session where it stopped', async () => {
    const sessions = memorySessions();
    const { engine, starts } = fake(sessions);
    const store = await booted(engine, sessions);
    const a = store.getState().actions;
    expect(a.exportModelFile()).toBeNull();
    await a.addFiles([file('a.png', 3), file('b.png', 4)]);
    a.setTrainSettings({ iterations: 3 });
    await a.startTraining();
    let t = store.getState().train;
    expect(starts[0].data).toMatchObject({ kind: 'pixels', count: 2, size: S, channels: 1 });
    expect(t.status).toBe('done');
    // The preview's nearest-upload indices point into the uploads the run was sent, in order.
    expect(t.previews[0].nearest).toEqual([1]);
    expect(t.runUploads?.map((u) => u.name)).toEqual(['a.png', 'b.png']);
    expect(t.series.iteration).toEqual([1, 2, 3]);
    expect(t.series.r1).toEqual([null, 0.1, null]);
    expect(t.length).toBe(3);
    expect(t.autosave).toMatchObject({ status: 'saved', iteration: 2 });
    const list = await sessions.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ iteration: 2, dataLabel: '2 uploaded images', modelName: 'm' });
    expect(store.getState().train.sessions).toHaveLength(1);

    // Export: the EMA weight only, renamed to generator.
    const out = a.exportModelFile();
    expect(out?.filename).toBe('m-ft2.ddgan.json');
    const back = decodeModelFile(out!.bytes.buffer as ArrayBuffer);
    expect([...new Float32Array(back.weights)]).toEqual([2]);

    // A new page: resume restores the uploads and the rows up to the checkpoint, then goes on.
    const store2 = await booted(engine, sessions);
    store2.getState().actions.setTrainSettings({ iterations: 3 });
    await store2.getState().actions.resumeSession(list[0].id);
    t = store2.getState().train;
    expect(starts[1].init.kind).toBe('resume');
    expect(t.uploads).toHaveLength(2);
    expect(t.series.iteration).toEqual([1, 2, 3]);
    expect(t.run?.startIteration).toBe(2);
    expect(t.sessionId).toBe(list[0].id);
    // The saved preview keeps its pairs, and they point into the saved images.
    expect(t.previews.map((p) => [p.iteration, p.nearest])).toEqual([
      [0, [1]],
      [2, [1]],
    ]);
    expect(t.runUploads?.map((u) => u.name)).toEqual(['saved image 1', 'saved image 2']);
  });

  it('keeps the newest saved iteration while the next write is under way', async () => {
    const { engine } = fake();
    const seen: (number | null)[] = [];
    let store: AppStore | null = null;
    const notices: TrainingProgress[] = [
      { status: 'autosave', state: 'saving', iteration: 0, message: null },
      { status: 'autosave', state: 'saved', iteration: 0, message: null },
      { status: 'autosave', state: 'saving', iteration: 7, message: null },
      { status: 'autosave', state: 'saved', iteration: 7, message: null },
      { status: 'autosave', state: 'saving', iteration: 12, message: null },
      { status: 'autosave', state: 'error', iteration: 12, message: 'autosave failed: full' },
    ];
    engine.startTraining = async (_p, o) => {
      for (const n of notices) {
        o?.onProgress?.(n);
        seen.push(store!.getState().train.autosave.savedIteration);
      }
      return { state: 'stopped', iteration: 12, elapsedMs: 1, memory };
    };
    store = await booted(engine);
    const a = store.getState().actions;
    await a.addFiles([file('a.png', 3)]);
    expect(store.getState().train.autosave.savedIteration).toBeNull();
    await a.startTraining();
    expect(seen).toEqual([null, 0, 0, 7, 7, 7]);
    expect(store.getState().train.autosave).toMatchObject({ status: 'error', iteration: 12, savedIteration: 7 });
  });

  it('trains the chosen recipe, keeps T_dg and r_d per row, and a saved session resumes with its recipe', async () => {
    const sessions = memorySessions();
    const { engine, starts } = fake(sessions);
    const store = await booted(engine, sessions);
    const a = store.getState().actions;
    expect(store.getState().train.settings.recipe).toBe('ddgan');
    await a.addFiles([file('a.png', 3)]);
    a.setTrainSettings({ iterations: 3, recipe: 'diffusion-gan' });
    await a.startTraining();
    let t = store.getState().train;
    expect(starts[0].settings.recipe).toBe('diffusion-gan');
    expect(t.run?.recipe).toBe('diffusion-gan');
    expect(t.series.diffusionT).toEqual([11, 12, 13]);
    expect(t.series.rd).toEqual([null, 0.75, null]);
    const [saved] = await sessions.list();
    expect((await sessions.load(saved.id))?.settings.recipe).toBe('diffusion-gan');
    expect(a.exportModelFile()?.bytes.byteLength).toBeGreaterThan(0);

    // A new page whose settings say DD-GAN: the session continues with its own recipe.
    const store2 = await booted(engine, sessions);
    store2.getState().actions.setTrainSettings({ iterations: 3 });
    await store2.getState().actions.resumeSession(saved.id);
    t = store2.getState().train;
    expect(t.settings.recipe).toBe('diffusion-gan');
    expect(starts[1].settings.recipe).toBe('diffusion-gan');
    expect(t.series.diffusionT).toEqual([11, 12, 13]);
  });

  it('resumes a session saved before the recipe choice as DD-GAN, its T_dg column as gaps', async () => {
    const sessions = memorySessions();
    const { engine, starts } = fake(sessions);
    const store = await booted(engine, sessions);
    const a = store.getState().actions;
    await a.addFiles([file('a.png', 3)]);
    a.setTrainSettings({ iterations: 2 });
    await a.startTraining();
    const [summary] = await sessions.list();
    // Rewrite it the way an older version stored it: no recipe, no Diffusion-GAN columns.
    const old = (await sessions.load(summary.id))!;
    const { recipe: _recipe, ...oldSettings } = old.settings;
    const { diffusionT: _t, rd: _rd, ...oldSeries } = old.series;
    void _recipe;
    void _t;
    void _rd;
    await sessions.save({ ...old, settings: oldSettings, series: oldSeries as typeof old.series });

    const store2 = await booted(engine, sessions);
    store2.getState().actions.setTrainSettings({ recipe: 'diffusion-gan', iterations: 2 });
    await store2.getState().actions.resumeSession(summary.id);
    const t = store2.getState().train;
    expect(starts[1].settings.recipe).toBe('ddgan');
    expect(t.settings.recipe).toBe('ddgan');
    expect(t.series.iteration).toEqual([1, 2]);
    expect(t.series.diffusionT).toEqual([null, null]);
  });

  it('keeps the first preview and the newest ones', () => {
    let list: ReturnType<typeof appendPreview> = [];
    for (let i = 0; i < MAX_PREVIEWS + 10; i++) list = appendPreview(list, { iteration: i, frame: new Uint8ClampedArray(4), batch: 1, width: 1, height: 1 });
    expect(list).toHaveLength(MAX_PREVIEWS);
    expect(list[0].iteration).toBe(0);
    expect(list[list.length - 1].iteration).toBe(MAX_PREVIEWS + 9);
  });

  it('shows a divergence with its last good iteration and asks the worker to roll back', async () => {
    const { engine } = fake();
    let rollbacks = 0;
    engine.rollbackTraining = async () => {
      rollbacks++;
      return { state: 'paused', iteration: 2 };
    };
    let release!: () => void;
    engine.startTraining = async (_p, o) => {
      o?.onProgress?.(checkpoint(2));
      o?.onProgress?.({ status: 'state', state: 'diverged', iteration: 3, message: 'training diverged at iteration 3: lossD is NaN', lastGoodIteration: 2 });
      await new Promise<void>((r) => (release = r));
      return { state: 'stopped', iteration: 3, elapsedMs: 1, memory };
    };
    const store = await booted(engine);
    const a = store.getState().actions;
    await a.addFiles([file('a.png', 3)]);
    const running = a.startTraining();
    await new Promise((r) => setTimeout(r, 0));
    const t = store.getState().train;
    expect(t.status).toBe('diverged');
    expect(t.message).toMatch(/lossD is NaN/);
    expect(t.lastGoodIteration).toBe(2);
    // Generate waits while a diverged run still holds the worker.
    expect(canGenerate(store.getState())).toBe(false);
    await a.rollbackTraining();
    expect(rollbacks).toBe(1);
    release();
    await running;
    expect(store.getState().train.status).toBe('stopped');
  });

  it('says why it cannot train without images', async () => {
    const store = await booted(fake().engine);
    await store.getState().actions.startTraining();
    expect(store.getState().train.error?.message).toMatch(/add some images first/);
    // The refusal goes once the data changes; it does not wait for the next run.
    store.getState().actions.setDataSource('mnist');
    expect(store.getState().train.error).toBeNull();
    expect(store.getState().train.status).toBe('idle');
  });
});

/** Waits (a few event-loop turns at a time) until `ok` holds. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 0));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('training slice: reliability', () => {
  it('starts MNIST with all ten digits and says how many images the choice selects', async () => {
    // 30 images, labels 0…9 three times; emoji: 4 items in two categories.
    const datasetIndex: StoreEnv['datasetIndex'] = async (name) =>
      name === 'mnist-train' ? { count: 30, labels: Uint8Array.from({ length: 30 }, (_, i) => i % 10) } : { count: 4, labels: Uint8Array.from([0, 0, 2, 2]), itemNames: ['grinning', 'cat face', 'cat', 'dog'] };
    const { engine, starts } = fake();
    const store = await booted(engine, memorySessions(), { datasetIndex });
    const a = store.getState().actions;
    expect(store.getState().train.digits).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    a.setDataSource('mnist');
    await until(() => store.getState().train.selection !== null, 'the count');
    expect(store.getState().train.selection).toEqual({ count: 30, total: 30 });
    a.setDigits([3, 5]);
    await until(() => store.getState().train.selection?.count === 6, 'the new count');
    a.setDigits([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    a.setTrainSettings({ iterations: 2 });
    await a.startTraining();
    expect(starts[0].data).toMatchObject({ kind: 'mnist', digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    a.setDataSource('emoji');
    a.setEmojiFilter(2, 'cat');
    await until(() => store.getState().train.selection?.total === 4, 'the emoji count');
    expect(store.getState().train.selection).toEqual({ count: 1, total: 4 });
  });

  it('adds a ready-made few-shot set as uploads, names a set it does not know, and says when the list cannot be read', async () => {
    const index = {
      format: 'ddgan-fewshot/1', size: 32, channels: 3,
      sets: [{ name: 'fx-food', theme: 'fruit and food', style: 'fxemoji', license: 'CC-BY-4.0', credit: 'Mozilla', files: ['01-banana.png', '02-bread.png', '03-cherries.png'] }],
    };
    const fetched: string[] = [];
    const { engine } = fake();
    const store = await booted(engine, memorySessions(), {
      fetchJson: async (url) => (url.endsWith('/data/fewshot/index.json') ? index : { format: MODEL_INDEX_FORMAT, models: [entry], skipped: [] }),
      fetchBytes: async (url) => {
        fetched.push(url);
        if (url.endsWith('02-bread.png')) throw new Error('HTTP 404');
        return new ArrayBuffer(5);
      },
    });
    const a = store.getState().actions;
    await a.loadSampleSets();
    expect(store.getState().train.sampleSets?.map((s) => s.name)).toEqual(['fx-food']);
    await a.addSampleSet('fx-food');
    const t = store.getState().train;
    expect(fetched).toEqual(['01-banana.png', '02-bread.png', '03-cherries.png'].map((f) => `http://127.0.0.1:1/data/fewshot/fx-food/${f}`));
    expect(t.uploads.map((u) => u.name)).toEqual(['fx-food/01-banana.png', 'fx-food/03-cherries.png']);
    expect(t.problems).toEqual([{ name: 'fx-food/02-bread.png', message: 'could not read the file: HTTP 404' }]);
    await a.addSampleSet('nope');
    expect(store.getState().train.problems.at(-1)).toEqual({ name: 'nope', message: 'no ready-made image set of that name' });

    const broken = await booted(fake().engine, memorySessions(), {
      fetchJson: async (url) => (url.includes('fewshot') ? { format: 'other' } : { format: MODEL_INDEX_FORMAT, models: [entry], skipped: [] }),
    });
    await broken.getState().actions.loadSampleSets();
    expect(broken.getState().train.sampleSetsError).toMatch(/ready-made image sets could not be read: the few-shot index has format "other"/);
    expect(broken.getState().train.sampleSets).toBeNull();
  });

  it('trains on three styles of each emoji when asked, and a saved session keeps that choice', async () => {
    // icons-train: the same two categories, each emoji in three drawings.
    const datasetIndex: StoreEnv['datasetIndex'] = async (name) =>
      name === 'icons-train'
        ? { count: 12, labels: Uint8Array.from([0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2]), itemNames: ['grinning', 'grinning', 'grinning', 'cat face', 'cat face', 'cat face', 'cat', 'cat', 'cat', 'dog', 'dog', 'dog'] }
        : { count: 4, labels: Uint8Array.from([0, 0, 2, 2]), itemNames: ['grinning', 'cat face', 'cat', 'dog'] };
    const sessions = memorySessions();
    const { engine, starts } = fake(sessions);
    const store = await booted(engine, sessions, { datasetIndex });
    const a = store.getState().actions;
    a.setDataSource('emoji');
    a.setEmojiFilter(2, 'cat');
    await until(() => store.getState().train.selection?.total === 4, 'the Twemoji count');
    expect(store.getState().train.emojiSet).toBe('emoji');
    a.setEmojiSet('icons');
    await until(() => store.getState().train.selection?.total === 12, 'the three-style count');
    expect(store.getState().train.selection).toEqual({ count: 3, total: 12 });
    a.setTrainSettings({ iterations: 3 });
    await a.startTraining();
    expect(starts[0].data).toMatchObject({ kind: 'emoji', category: 2, search: 'cat', set: 'icons' });
    const [saved] = await sessions.list();
    expect(saved.dataLabel).toBe('emoji: Animals & Nature matching “cat” (three styles)');
    // Back to Twemoji, then resuming the saved session brings its three styles back.
    a.setEmojiSet('emoji');
    await a.resumeSession(saved.id);
    expect(store.getState().train.emojiSet).toBe('icons');
    expect(starts[1].data).toMatchObject({ kind: 'emoji', set: 'icons' });
  });

  it('refuses an invalid setting with its reason, keeps the last valid value, and will not start with it', async () => {
    const { engine, starts } = fake();
    const store = await booted(engine);
    const a = store.getState().actions;
    await a.addFiles([file('a.png', 3)]);
    a.setTrainSettings({ batch: 2.5, iterations: 3 });
    let t = store.getState().train;
    expect(t.settings.batch).toBe(8);
    expect(t.settings.iterations).toBe(3);
    expect(t.settingErrors.batch).toMatch(/batch must be a whole number from 1 to 64, not 2\.5/);
    a.setTrainSettings({ lrG: NaN });
    expect(store.getState().train.settingErrors.lrG).toMatch(/lrG must be a number from 0 to 0\.1, got nothing/);
    await a.startTraining();
    t = store.getState().train;
    expect(starts).toHaveLength(0);
    expect(t.error?.message).toMatch(/fix the settings first: batch must be a whole number/);
    a.setTrainSettings({ batch: 2, lrG: 1e-4 });
    expect(store.getState().train.settingErrors).toEqual({});
    await a.startTraining();
    expect(starts[0].settings).toMatchObject({ batch: 2, iterations: 3, lrG: 1e-4 });
  });

  it('refuses to resume a stored session with invalid values, or a damaged one, with a clear message', async () => {
    const sessions = memorySessions();
    const { engine, starts } = fake(sessions);
    const store = await booted(engine, sessions);
    const a = store.getState().actions;
    await a.addFiles([file('a.png', 3)]);
    a.setTrainSettings({ iterations: 2 });
    await a.startTraining();
    const [summary] = await sessions.list();
    const good = (await sessions.load(summary.id))!;
    // As an older version could save it: batch 2.5.
    const bad: SavedSession = { ...good, id: 'bad', settings: { ...good.settings, batch: 2.5 } };
    await sessions.save(bad);
    await a.resumeSession('bad');
    expect(store.getState().train.error?.message).toMatch(/has settings no run accepts \(batch must be a whole number from 1 to 64, not 2\.5\): it cannot be resumed\. Delete it/);
    // Weights that are not the ones the record was written with.
    await sessions.save({ ...good, id: 'torn', checkpoint: { ...good.checkpoint, weights: new Float32Array([9, 9]).buffer } });
    await a.resumeSession('torn');
    expect(store.getState().train.error?.message).toMatch(/is damaged .*the save was cut short/);
    expect(starts).toHaveLength(1);
  });

  it('names sessions and exports after the model in use (an imported file), and emoji by category name', async () => {
    const sessions = memorySessions();
    const { engine } = fake(sessions);
    const store = await booted(engine, sessions);
    const a = store.getState().actions;
    await a.importModelFile(file('mine.ddgan.json', 44));
    expect(store.getState().models.imported).toBe('mine.ddgan.json');
    a.setDataSource('emoji');
    a.setEmojiFilter(2, '');
    a.setTrainSettings({ iterations: 2 });
    await a.startTraining();
    const [summary] = await sessions.list();
    expect(summary).toMatchObject({ modelName: 'mine', dataLabel: 'emoji: Animals & Nature' });
    expect(a.exportModelFile()?.filename).toBe('mine-ft2.ddgan.json');
    // A new page, with the catalog model loaded: the resumed session keeps its own name.
    const store2 = await booted(engine, sessions);
    await store2.getState().actions.resumeSession(summary.id);
    expect(store2.getState().models.selected).toBe('m');
    expect(store2.getState().actions.exportModelFile()?.filename).toBe('mine-ft2.ddgan.json');
  });

  it('locks a session to one tab: another tab can neither resume nor delete it while it trains', async () => {
    const sessions = memorySessions();
    const locks = memorySessionLocks();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const tabA = await booted(fake(sessions, { gate }).engine, sessions, { locks });
    const b = fake(sessions);
    const tabB = await booted(b.engine, sessions, { locks });
    await tabA.getState().actions.addFiles([file('a.png', 3)]);
    tabA.getState().actions.setTrainSettings({ iterations: 3 });
    const running = tabA.getState().actions.startTraining();
    await until(() => tabA.getState().train.autosave.status === 'saved' && tabA.getState().train.autosave.iteration === 2, 'the save at 2');
    const [summary] = await sessions.list();
    await tabB.getState().actions.resumeSession(summary.id);
    expect(tabB.getState().train.error?.message).toMatch(/being trained in another tab/);
    expect(b.starts).toHaveLength(0);
    await tabB.getState().actions.deleteSession(summary.id);
    expect(tabB.getState().train.error?.message).toMatch(/stop that run before deleting it/);
    expect(await sessions.load(summary.id)).not.toBeNull();
    open();
    await running;
    // Free again once A's run is over.
    await tabB.getState().actions.resumeSession(summary.id);
    expect(b.starts).toHaveLength(1);
  });

  it('brings an interrupted run back by itself after a reload, with its data, curves and previews', async () => {
    const sessions = memorySessions();
    // The first page saved at iteration 2 while running, then went away (no final state).
    const rec = await SessionRecorder.start(
      sessions,
      { autosave: { id: 'lost', modelName: 'm', init: 'finetune' }, data: { kind: 'pixels', name: 'uploads (2)', pixels: new Uint8Array(2 * S * S).fill(7).buffer, count: 2, size: S, channels: 1 }, settings: { ...DEFAULT_SETTINGS, iterations: 5 }, resumed: false },
      () => undefined,
    );
    const progress: TrainingProgress[] = [
      { status: 'state', state: 'running', iteration: 0, message: null, lastGoodIteration: null },
      { status: 'preview', iteration: 0, frame: new Uint8ClampedArray(16).buffer, batch: 1, width: S, height: S },
      checkpoint(0),
      ...[1, 2].map((i): TrainingProgress => ({ status: 'iteration', stats: { iteration: i, lossD: 1, lossG: 1, r1: NaN, dReal: 0, dFake: 0, ms: 10 }, elapsedMs: 10 * i, memory })),
      checkpoint(2),
    ];
    for (const e of progress) rec.observe(e);
    await rec.flush();
    const { engine, starts } = fake(sessions);
    const store = await booted(engine, sessions);
    await until(() => store.getState().train.status === 'done', 'the restored run');
    const t = store.getState().train;
    expect(starts[0]).toMatchObject({ init: { kind: 'resume' }, settings: { iterations: 5 }, autosave: { id: 'lost' } });
    expect(t.restored).toMatch(/Brought back the run that was interrupted.*iteration 2 of 5/);
    expect(t.uploads).toHaveLength(2);
    expect(t.series.iteration).toEqual([1, 2, 3, 4, 5]);
    expect(t.previews[0].iteration).toBe(0);
    // Finished now: the next visit does not bring it back again.
    expect((await sessions.list())[0].state).toBe('done');
    const again = fake(sessions);
    await booted(again.engine, sessions);
    await new Promise((r) => setTimeout(r, 10));
    expect(again.starts).toHaveLength(0);
  });

  it('refuses an import while a run trains without touching it, keeps the model when a file is refused, and Retry reloads the imported model', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const { engine, imports } = fake(null, { gate });
    const store = await booted(engine);
    const a = store.getState().actions;
    await a.addFiles([file('a.png', 3)]);
    a.setTrainSettings({ iterations: 3 });
    const running = a.startTraining();
    await until(() => store.getState().train.status === 'running', 'the run');
    await a.importModelFile(file('other.ddgan.json', 44));
    expect(imports).toEqual([]);
    expect(store.getState().train.error?.message).toMatch(/other\.ddgan\.json was not imported: a fine-tune run is training/);
    expect(store.getState().train.status).toBe('running');
    open();
    await running;

    await a.importModelFile(file('good.ddgan.json', 44));
    const loaded = store.getState().models.result;
    expect(loaded?.model.name).toBe('good.ddgan.json');
    // A refused file: the model in use stays loaded and ready, and the reason is shown.
    await a.importModelFile(file('bad64.ddgan.json', 44));
    let m = store.getState().models;
    expect(m.status).toBe('ready');
    expect(m.result).toBe(loaded);
    expect(m.imported).toBe('good.ddgan.json');
    expect(m.error?.message).toMatch(/bad64\.ddgan\.json cannot be used: its generator makes 64×64 images/);
    // Retry loads the model in use again: the imported one, not the catalog's.
    await a.loadModel();
    m = store.getState().models;
    expect(imports).toEqual(['good.ddgan.json', 'bad64.ddgan.json', 'good.ddgan.json']);
    expect(m).toMatchObject({ status: 'ready', imported: 'good.ddgan.json', error: null });
  });
});
