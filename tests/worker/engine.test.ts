/**
 * The engine the worker wraps, driven in-process in Node (wasm backend, the tiny fixture
 * model): messages go in through `receive`, events come out through the emit callback, as
 * they would cross `postMessage`. Checks the envelope rules (one answer per id, errors as
 * error events), the serial queue, supersede and cancel on arrival, the refusals of a second
 * run, and that repeated generate jobs leave tf.memory() flat.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint, type LoadedCheckpoint } from '../../src/core/models/checkpoint';
import { Engine, type EngineHost } from '../../src/worker/engine';
import { memorySessions } from '../../src/shared/sessions';
import type { CommandType, EngineEvent, ParamsOf, RequestId, ToyLabSettings } from '../../src/worker/protocol';
import { backend } from '../helpers';
import { TINY_CONFIG, buildTinyCheckpoint, type CheckpointFiles } from '../fixtures/tinyCheckpoint';

const ORIGIN = 'http://app.test';
const MODEL_URL = `${ORIGIN}/models/tiny/`;
const S = TINY_CONFIG.imageSize;

let files: CheckpointFiles;

beforeAll(async () => {
  await backend('wasm');
  files = await buildTinyCheckpoint();
});

/** A host for Node: wasm only, checkpoints from memory, sessions in memory. */
function nodeHost(overrides: Partial<EngineHost> = {}): EngineHost {
  return {
    origin: ORIGIN,
    adapterFacts: async () => ({ available: false, detail: 'Node has no navigator.gpu' }),
    startBackend: async (name) => {
      if (name !== 'wasm') throw new Error(`${name} is not offered in this test`);
      await backend('wasm');
    },
    wasmInfo: async () => ({ simd: true, threads: 1, requestedThreads: 1, threaded: false, isolated: false, why: 'one thread in tests' }),
    loadCheckpoint: async (url, onProgress): Promise<LoadedCheckpoint> => {
      if (url !== MODEL_URL) throw new Error(`404 for ${url}`);
      onProgress(0, files.weights.byteLength);
      onProgress(files.weights.byteLength, files.weights.byteLength);
      return parseCheckpoint(files.modelJson, files.weights.slice(0));
    },
    loadTrainingData: async () => {
      throw new Error('no data sets in this test');
    },
    sessions: () => memorySessions(),
    ...overrides,
  };
}

type Answer = Extract<EngineEvent, { kind: 'result' | 'error' }>;

/** The engine plus the events it sent, with a promise per request for its one answer. */
class Harness {
  readonly events: EngineEvent[] = [];
  readonly engine: Engine;
  private nextId = 1;
  private readonly waiting = new Map<RequestId, (a: Answer) => void>();
  private readonly answered = new Map<RequestId, Answer>();

  constructor(host: EngineHost = nodeHost()) {
    this.engine = new Engine(host, (e) => {
      this.events.push(e);
      if (e.kind === 'progress') return;
      expect(this.answered.has(e.id), `a second answer for ${e.id}`).toBe(false);
      this.answered.set(e.id, e);
      this.waiting.get(e.id)?.(e);
    });
  }

  send<K extends CommandType>(type: K, params: ParamsOf<K>): RequestId {
    const id = this.nextId++;
    this.engine.receive({ id, type, params });
    return id;
  }

  answer(id: RequestId): Promise<Answer> {
    const done = this.answered.get(id);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  async call<K extends CommandType>(type: K, params: ParamsOf<K>): Promise<Answer> {
    return this.answer(this.send(type, params));
  }

  /** Answers and progress of one request, in the order they were sent. */
  of(id: RequestId): EngineEvent[] {
    return this.events.filter((e) => e.id === id);
  }

  /** The ids in the order their answers arrived. */
  answerOrder(ids: readonly RequestId[]): RequestId[] {
    return this.events.filter((e) => e.kind !== 'progress' && ids.includes(e.id)).map((e) => e.id);
  }
}

const resultOf = (a: Answer) => {
  if (a.kind !== 'result') throw new Error(`expected a result, got ${a.error.code}: ${a.error.message}`);
  return a;
};

const codeOf = (a: Answer): string => (a.kind === 'error' ? a.error.code : `result:${a.type}`);

async function ready(h: Harness): Promise<void> {
  resultOf(await h.call('init', { backend: 'wasm' }));
  resultOf(await h.call('loadModel', { name: 'tiny', url: MODEL_URL, warmupBatch: 2 }));
}

describe('Engine (in-process)', () => {
  const harnesses: Harness[] = [];
  const make = (host?: EngineHost): Harness => {
    const h = new Harness(host);
    harnesses.push(h);
    return h;
  };
  afterAll(async () => {
    for (const h of harnesses) await h.engine.dispose();
  });

  it('answers malformed messages and model commands before init with error events', async () => {
    const h = make();
    h.engine.receive(null);
    h.engine.receive({ id: 'x', type: 'explode', params: {} });
    expect(h.events).toMatchObject([
      { id: -1, kind: 'error', error: { code: 'bad-request', name: 'BadRequestError' } },
      { id: 'x', kind: 'error', error: { code: 'bad-request' } },
    ]);
    const gen = await h.call('generate', { batch: 1, seed: 1, minStepMs: 0 });
    expect(gen).toMatchObject({ kind: 'error', type: 'generate', error: { code: 'not-initialised' } });
  });

  it('starts the backend the host offers, reports a failed one, and needs a model to sample', async () => {
    const h = make();
    const auto = resultOf(await h.call('init', { backend: 'auto' }));
    expect(auto.result).toMatchObject({ requested: 'auto', backend: 'wasm', failures: [], wasm: { threads: 1 } });
    expect(h.engine.backend).toBe('wasm');

    const cpu = await h.call('init', { backend: 'cpu' });
    expect(cpu).toMatchObject({ kind: 'error', error: { code: 'backend-unavailable' } });
    expect(cpu.kind === 'error' && cpu.error.message).toMatch(/cpu backend could not be initialised \(cpu: cpu is not offered/);
    expect(h.engine.backend).toBe(null);

    resultOf(await h.call('init', { backend: 'wasm' }));
    expect(codeOf(await h.call('generate', { batch: 1, seed: 1, minStepMs: 0 }))).toBe('no-model');
    expect(codeOf(await h.call('init', { backend: 'wasm', wasm: { threads: -3 } as never }))).toBe('bad-request');
  });

  it('loads a model from its own origin only and turns loader failures into model-load-failed', async () => {
    const h = make();
    resultOf(await h.call('init', { backend: 'wasm' }));
    const foreign = await h.call('loadModel', { name: 'x', url: 'https://elsewhere.test/m/', warmupBatch: 1 });
    expect(foreign).toMatchObject({ kind: 'error', error: { code: 'bad-request', message: `models are loaded from ${ORIGIN} only, not https://elsewhere.test` } });
    const missing = await h.call('loadModel', { name: 'gone', url: `${ORIGIN}/models/gone/`, warmupBatch: 1 });
    expect(missing).toMatchObject({ kind: 'error', error: { code: 'model-load-failed', message: 'gone: 404 for http://app.test/models/gone/' } });

    const id = h.send('loadModel', { name: 'tiny', url: MODEL_URL, warmupBatch: 2 });
    const loaded = resultOf(await h.answer(id));
    expect(loaded.result).toMatchObject({ backend: 'wasm', model: { name: 'tiny', T: TINY_CONFIG.T, imageSize: S }, warmup: { batch: 2 } });
    const statuses = h.of(id).flatMap((e) => (e.kind === 'progress' && 'status' in e.progress ? [e.progress.status] : []));
    expect(statuses.slice(0, 2)).toEqual(['download', 'download']);
    expect(statuses).toContain('warmup');
  });

  it('runs queued commands in arrival order, one answer each', async () => {
    const h = make();
    await ready(h);
    const ids = [h.send('memory', {}), h.send('generate', { batch: 2, seed: 3, minStepMs: 0 }), h.send('memory', {})];
    await h.engine.idle();
    expect(h.answerOrder(ids)).toEqual(ids);
    const gen = resultOf(await h.answer(ids[1]));
    expect(gen.result).toMatchObject({ batch: 2, width: S, height: S, seed: 3, backend: 'wasm' });
    const steps = h.of(ids[1]).filter((e) => e.kind === 'progress');
    expect(steps.map((e) => (e.kind === 'progress' && 'k' in e.progress ? e.progress.k : null))).toEqual([4, 3, 2, 1]);
  });

  it('a newer generate supersedes an older one: the older answers cancelled, without progress', async () => {
    const h = make();
    await ready(h);
    const older = h.send('generate', { batch: 2, seed: 10, minStepMs: 0 });
    const newer = h.send('generate', { batch: 2, seed: 11, minStepMs: 0 });
    const [a, b] = await Promise.all([h.answer(older), h.answer(newer)]);
    expect(a).toMatchObject({ kind: 'error', type: 'generate', error: { code: 'cancelled', name: 'CancelledError' } });
    expect(resultOf(b).result).toMatchObject({ seed: 11 });
    expect(h.of(older).filter((e) => e.kind === 'progress')).toEqual([]);
    expect(h.answerOrder([older, newer])).toEqual([older, newer]);
  });

  it('cancel is answered on arrival and stops the running generate at a step boundary', async () => {
    const h = make();
    await ready(h);
    const gen = h.send('generate', { batch: 1, seed: 5, minStepMs: 40 });
    // Wait for the first step, then cancel while the slow-motion wait runs.
    await new Promise<void>((resolve) => {
      const poll = (): void => (h.of(gen).some((e) => e.kind === 'progress') ? resolve() : void setTimeout(poll, 5));
      poll();
    });
    const cancel = h.send('cancel', {});
    // Answered synchronously inside receive, before the generate's own answer.
    expect(h.events.at(-1)).toMatchObject({ id: cancel, kind: 'result', type: 'cancel', result: { cancelled: 1 } });
    expect(await h.answer(gen)).toMatchObject({ kind: 'error', error: { code: 'cancelled' } });
    // Nothing left to cancel, and the engine keeps working.
    expect(resultOf(await h.call('cancel', {})).result).toEqual({ cancelled: 0 });
    expect(codeOf(await h.call('generate', { batch: 1, seed: 6, minStepMs: 0 }))).toBe('result:generate');
  });

  it('bad params surface as error events and leave the engine usable', async () => {
    const h = make();
    await ready(h);
    expect(codeOf(await h.call('generate', { batch: 0, seed: 1, minStepMs: 0 }))).toBe('bad-request');
    expect(codeOf(await h.call('reroll', { fromK: 2, branches: 2, seed: 1, minStepMs: 0 }))).toBe('no-history');
    expect(codeOf(await h.call('decodeImages', { files: 'nope' as never, size: 8, channels: 1 }))).toBe('bad-request');
    expect(codeOf(await h.call('probeGenerator', { config: { T: -1 }, batch: 1, seed: 1 }))).toBe('bad-request');
    expect(codeOf(await h.call('generate', { batch: 1, seed: 1, minStepMs: 0 }))).toBe('result:generate');
  });

  it('repeated generate jobs leak no tensors', async () => {
    const h = make();
    await ready(h);
    resultOf(await h.call('generate', { batch: 2, seed: 1, minStepMs: 0 }));
    const before = tf.memory().numTensors;
    for (let seed = 2; seed < 7; seed++) resultOf(await h.call('generate', { batch: 2, seed, minStepMs: 0 }));
    // Superseded ones too.
    const ids = [1, 2, 3].map((seed) => h.send('generate', { batch: 2, seed, minStepMs: 0 }));
    await h.engine.idle();
    expect(ids.slice(0, 2).map((id) => h.events.find((e) => e.id === id && e.kind !== 'progress'))).toMatchObject([{ kind: 'error' }, { kind: 'error' }]);
    expect(tf.memory().numTensors).toBe(before);
    const mem = resultOf(await h.call('memory', {}));
    expect(mem.result).toMatchObject({ numTensors: before });
  });

  it('refuses a second lab run on arrival and answers lab controls outside the queue', async () => {
    const h = make();
    resultOf(await h.call('init', { backend: 'wasm' }));
    const settings: ToyLabSettings = { dataset: 'grid25', recipes: ['gan'], iterations: 100_000, reportEvery: 1000, samples: 20, scatter: 10, batch: 8, hidden: 4, layers: 1, seed: 1 };
    const before = tf.memory().numTensors;
    const run = h.send('startToyLab', { settings });
    await new Promise((r) => setTimeout(r, 50));
    const second = h.send('startToyLab', { settings });
    expect(h.events.at(-1)).toMatchObject({ id: second, kind: 'error', error: { code: 'no-training', message: 'the mode-coverage lab is training: stop it first' } });
    // The stop lands at the next iteration boundary; the control answers with the state now.
    const stop = resultOf(await h.call('stopToyLab', {}));
    expect(stop.result).toMatchObject({ state: expect.stringMatching(/^(running|stopped)$/), iteration: expect.any(Number) });
    expect(resultOf(await h.answer(run)).result).toMatchObject({ state: 'stopped' });
    expect(resultOf(await h.call('stopToyLab', {})).result).toEqual({ state: null, iteration: 0 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ignores messages after dispose and frees the model', async () => {
    const h = new Harness();
    const before = tf.memory().numTensors;
    await ready(h);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    await h.engine.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const n = h.events.length;
    h.engine.receive({ id: 99, type: 'memory', params: {} });
    await h.engine.idle();
    expect(h.events.length).toBe(n);
  });
});
