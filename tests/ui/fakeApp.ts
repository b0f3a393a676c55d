/**
 * A store on a fake engine (no worker, no tfjs) for the UI tests, and a server render of a
 * panel against the store's current state: what the user would read on the page.
 */
import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { createAppStore, type AppStore, type InitialSettings } from '../../src/store/store';
import { MODEL_INDEX_FORMAT, type AuxiliaryEntry, type ModelIndexEntry } from '../../src/store/modelCatalog';
import { StoreContext } from '../../src/ui/storeContext';
import type { AdapterFacts, CompareParams, CompareProgress, EngineApi, GenerateParams } from '../../src/worker/protocol';
import { EngineError } from '../../src/worker/client';
import { trainingStubs } from '../store/trainingStubs';

export const S = 2;

export const gen = (name: string, T: number, extra: Partial<ModelIndexEntry> = {}): ModelIndexEntry => ({
  name,
  path: `${name}/`,
  description: name,
  kind: 'ddgan-generator',
  T,
  imageSize: S,
  channels: 1,
  paramCount: 10,
  weightBytes: 400,
  dataset: 'mnist-train',
  iterations: 100,
  wallSeconds: 60,
  createdAt: `${name}-v1`,
  metrics: {},
  ...extra,
});

export const aux = (name: string, role: AuxiliaryEntry['role'], extra: Partial<AuxiliaryEntry> = {}): AuxiliaryEntry => ({
  name,
  path: `${name}/`,
  description: name,
  role,
  kind: role === 'ddpm' ? 'ddpm-eps' : role === 'guide' ? 'noisy-classifier' : 'classifier',
  network: role === 'ddpm' ? 'eps' : 'classifier',
  imageSize: S,
  channels: 1,
  steps: role === 'ddpm' ? 1000 : null,
  numClasses: role === 'ddpm' ? null : 10,
  paramCount: 5,
  weightBytes: 100,
  dataset: 'mnist-train',
  iterations: 50,
  wallSeconds: 30,
  createdAt: `${name}-v1`,
  metrics: {},
  ...extra,
});

const buf = (batch: number, v: number): ArrayBuffer => new Uint8ClampedArray(batch * S * S * 4).fill(v).buffer;
const memory = { numTensors: 7, numBytes: 100 };

export interface FakeApp {
  readonly store: AppStore;
  readonly generates: GenerateParams[];
  readonly compares: CompareParams[];
  /** Set to stop the next compare's slow rows after this many steps, as a Cancel would. */
  cancelAtStep: number | null;
}

/**
 * A booted store: the catalog `models` (+ `auxiliary`), T = models[0].T, and an adapter as
 * given (none by default). Compare rows play their steps with a preview every 40 steps.
 */
export async function fakeApp(opts: { models: ModelIndexEntry[]; auxiliary?: AuxiliaryEntry[]; adapter?: AdapterFacts; initial?: InitialSettings; random?: () => number }): Promise<FakeApp> {
  const T = opts.models[0]?.T ?? 4;
  const app: { -readonly [K in keyof FakeApp]: FakeApp[K] } = { store: null as unknown as AppStore, generates: [], compares: [], cancelAtStep: null };
  const engine: EngineApi = {
    ...trainingStubs(),
    async init({ backend }) {
      return {
        requested: backend,
        backend: backend === 'auto' ? 'wasm' : backend,
        adapter: opts.adapter ?? { available: false, detail: 'fake' },
        reason: 'fake',
        failures: [],
        wasm: null,
        numTensors: 0,
        ms: 1,
      };
    },
    probeGenerator: async () => Promise.reject(new Error('unused')),
    async loadModel(p, o) {
      o?.onProgress?.({ status: 'download', loadedBytes: 400, totalBytes: 400 });
      o?.onProgress?.({ status: 'warmup', phase: 'measure', done: 0, total: 0 });
      const warmup = { batch: p.warmupBatch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 };
      return { model: { name: p.name, T, imageSize: S, channels: 1, nz: 2, paramCount: 10 }, backend: 'wasm', bytes: 400, downloadMs: 1, warmup, memory };
    },
    warmup: async ({ batch }) => ({ batch, compileMs: 0, shaders: 0, firstRunMs: 1, ms: 1 }),
    async generate(p, o) {
      app.generates.push(p);
      for (let k = T; k >= 1; k--) o?.onProgress?.({ status: 'step', branch: 0, k, T, xK: buf(p.batch, 10 * k), x0Pred: buf(p.batch, 10 * k + 1), ms: 1 });
      return { seed: p.seed, batch: p.batch, width: S, height: S, T, x0: buf(p.batch, 11), stepMs: Array<number>(T).fill(1), totalMs: T, backend: 'wasm', memory };
    },
    reroll: async () => Promise.reject(new Error('unused')),
    cancel: async () => ({ cancelled: 0 }),
    memory: async () => memory,
    async compare(p, o) {
      app.compares.push(p);
      const emit = (e: CompareProgress): void => o?.onProgress?.(e);
      for (const [i, row] of p.rows.entries()) {
        const steps = row.sampler.kind === 'ddgan' ? 4 : row.sampler.kind === 'ddim' ? row.sampler.steps : 1000;
        emit({ status: 'row', row: row.id, model: row.model.name, sampler: row.sampler.kind, steps, batch: p.batch, width: S, height: S, guided: (row.guidance?.scale ?? 0) > 0, warmupMs: 0 });
        for (let step = 1; step <= steps; step++) {
          if (app.cancelAtStep !== null && step > app.cancelAtStep) throw new EngineError({ name: 'CancelledError', code: 'cancelled', message: 'cancelled by request' });
          const frame = (step - 1) % 40 === 0 ? buf(p.batch, step % 250) : null;
          if (frame || step % 5 === 0) emit({ status: 'step', row: row.id, step, steps, t: steps - step + 1, elapsedMs: step, frame });
        }
        const predicted = Array.from({ length: p.batch }, (_, j) => (j % 3 === 0 ? 5 : (row.target ?? 3)));
        const judge = p.judge
          ? {
              classifier: p.judge.name,
              predicted,
              confidences: predicted.map((_, j) => 0.4 + (0.5 * j) / p.batch),
              confidence: 0.6,
              accuracy: row.target === null ? null : predicted.filter((c) => c === row.target).length / p.batch,
              diversity: 2.5,
              classes: new Set(predicted).size,
            }
          : null;
        emit({ status: 'row-done', row: row.id, nfe: steps, elapsedMs: steps, imagesPerSecond: 1, x0: buf(p.batch, 200 + i), judge });
      }
      return { batch: p.batch, seed: p.seed, rows: p.rows.map((r) => ({ id: r.id, status: 'done' as const, nfe: 4, elapsedMs: 1, imagesPerSecond: 1 })), totalMs: 9, backend: 'wasm', memory };
    },
  };
  const index = { format: MODEL_INDEX_FORMAT, models: opts.models, auxiliary: opts.auxiliary ?? [], skipped: [] };
  app.store = createAppStore({ engine, indexUrl: 'http://127.0.0.1:1/models/index.json', random: opts.random ?? (() => 0.5), fetchJson: async () => index }, { batch: 1, ...opts.initial });
  await app.store.getState().actions.boot();
  return app;
}

/**
 * Renders `el` on the server inside the store's context, with the store's current state
 * (zustand's server snapshot is the initial state, so the store is handed in with
 * getInitialState pointing at the live one).
 */
export function render(store: AppStore, el: ReactElement): string {
  const live: AppStore = { ...store, getInitialState: store.getState };
  return renderToStaticMarkup(createElement(StoreContext.Provider, { value: live }, el));
}

/** The text a user reads in rendered markup: tags dropped, entities decoded, spaces collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
