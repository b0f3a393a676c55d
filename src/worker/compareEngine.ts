/**
 * The compare job in-process: the same seed and batch sampled through several checkpoints
 * and samplers (DD-GAN T = 4 against any sampler of the core list on an ε-net: DDIM-50,
 * DPM-Solver++, ancestral DDPM-1000; DD-GAN at every T of the ablation; a guided batch).
 * A row is a checkpoint and a sampler spec; the engine turns them into the core's denoiser
 * (its schedule read from model.json), sampler and pipeline, the same code the CLIs run.
 * Each row streams its progress: preview frames, step index (= NFE so far), its own wall
 * time, and at the end its samples and what a judge classifier makes of them. The worker
 * (engine.ts) wraps one instance; tests drive one directly in Node with an injected
 * checkpoint loader (STYLE habit 7).
 *
 * Order. 'sequential' runs the rows one after the other. 'interleaved' lets them take turns
 * on the device: a row keeps it for at least `sliceMs` of its own time, then hands it to the
 * next unfinished row. Each row's clock runs only while it holds the device, so its
 * `elapsedMs` is the time sampling it cost, whatever the order; a row's clock is stopped
 * only after a read-back of its current state, so a GPU backend's queued work is charged to
 * the row that queued it.
 *
 * Timing is fair between rows: each row first runs one untimed forward pass at its batch
 * size (kernel set-up, shader compilation on WebGPU), reported as `warmupMs`.
 *
 * Cancellation: the samplers check the signal before every step, and the loop yields to the
 * event loop at least every `yieldMs` (a cancel message can only arrive then); on abort
 * every row stops at its next step, all tensors are freed, and the run throws the abort
 * reason. Memory: steps' tensors are freed by the samplers; loaded networks stay cached
 * (by URL and version, a few at a time) until `unload()`.
 */
import * as tf from '@tensorflow/tfjs';
import { classifierGuidance, type ClassifierGuidance } from '../core/diffusion/guidance';
import { denoiserOf, networkKinds, type Denoiser } from '../core/diffusion/denoiser';
import { runSampler } from '../core/diffusion/pipeline';
import type { Sampler } from '../core/diffusion/samplers/sampler';
import { createSampler } from '../core/diffusion/samplers/registry';
import { fitSpec, infoOf, parseSamplerSpec } from '../core/diffusion/samplers/specs';
import type { NoisyClassifierConfig } from '../core/models/noisyClassifier';
import { meanPairwiseDistance, meanTopProbability, predictedClasses } from '../core/metrics/diversity';
import { disposeCheckpoint, type LoadedCheckpoint } from '../core/models/checkpoint';
import type { ClassifierConfig } from '../core/models/classifier';
import type { Network } from '../core/models/network';
import { Rng } from '../core/rng';
import { EngineFailure, isCancellation, messageOf, serialize } from './errors';
import { encodeRgba, type FrameShape } from './frames';
import { CancelledError, throwIfAborted } from './jobs';
import {
  COMPARE_LIMITS,
  type CompareJudgeStats,
  type CompareModelRef,
  type CompareParams,
  type CompareProgress,
  type CompareResult,
  type CompareRowResult,
  type CompareRowSpec,
  type EngineMemory,
} from './protocol';

/** Fetches and parses one checkpoint folder, reporting downloaded bytes. */
export type CheckpointLoader = (ref: CompareModelRef, onProgress: (loadedBytes: number, totalBytes: number) => void) => Promise<LoadedCheckpoint>;

/**
 * Class guidance for one row, built from a noise-aware classifier for class `label` at
 * scale `scale`: given the row's model and sampler, the pipeline's hooks and their cost
 * (core guidance.ts `classifierGuidance`: DD-GAN's posterior mean shift and last-step
 * guide, or the ε-sampler's rule).
 */
export type GuidanceFactory = (guide: Network, label: number, scale: number) => (model: Denoiser, sampler: Sampler) => ClassifierGuidance;

/** The project's classifier guidance (core diffusion/guidance.ts, DESIGN §2.4). */
export const coreGuidance: GuidanceFactory = (guide, label, scale) => (model, sampler) =>
  classifierGuidance(guide as Network<NoisyClassifierConfig>, model, sampler, label, scale);

export interface CompareEngineOptions {
  readonly load: CheckpointLoader;
  /** Default `coreGuidance`; null: guided rows (scale > 0) fail with a message (tests). */
  readonly guidance?: GuidanceFactory | null;
  readonly now?: () => number;
  /** Interleaved order: a row holds the device at least this long (ms of its own time). */
  readonly sliceMs?: number;
  /** Step events without a frame: at most one per row per this many ms. */
  readonly tickMs?: number;
  /** Yield to the event loop at least this often (ms), so a cancel can arrive. */
  readonly yieldMs?: number;
  /** Checkpoints kept loaded between runs. */
  readonly cacheSize?: number;
}

type Emit = (p: CompareProgress) => void;

interface Cached {
  readonly ck: LoadedCheckpoint;
  lastUsed: number;
}

/** A row with its networks resolved, ready to sample. */
interface PreparedRow {
  readonly spec: CompareRowSpec;
  readonly steps: number;
  /** Network passes per image: the steps, plus a guided DD-GAN's passes of its last-step guide. */
  readonly nfe: number;
  readonly imageSize: number;
  readonly channels: number;
  readonly sample: (hooks: SampleHooks) => Promise<tf.Tensor4D>;
  /** One untimed forward pass at the batch size. */
  readonly warm: () => Promise<void>;
}

/** What a sampler run reports to the row's bookkeeping after each step. */
interface SampleHooks {
  readonly rng: Rng;
  readonly signal: AbortSignal;
  /** `step` is 1-based; the tensors live until the returned promise resolves. */
  onStep(step: number, t: number, x0Pred: tf.Tensor4D, xNext: tf.Tensor4D): Promise<void>;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isRec = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function badRequest(message: string): never {
  throw new EngineFailure('bad-request', message);
}

function checkRef(ref: unknown, what: string): CompareModelRef {
  if (!isRec(ref) || typeof ref.name !== 'string' || typeof ref.url !== 'string' || !(ref.version === null || typeof ref.version === 'string')) {
    badRequest(`${what} needs a model { name, url, version }`);
  }
  return ref as unknown as CompareModelRef;
}

/** Validates a request field by field (a message is untrusted input). */
export function checkCompareParams(p: CompareParams): CompareParams {
  if (!isRec(p)) badRequest('compare needs a params object');
  const { rows, batch, seed, order, preview, maxFrames } = p;
  if (!Array.isArray(rows) || rows.length < 1 || rows.length > COMPARE_LIMITS.rows) badRequest(`compare needs 1..${COMPARE_LIMITS.rows} rows`);
  if (!isInt(batch) || batch < 1 || batch > COMPARE_LIMITS.batch) badRequest(`compare batch must be an integer in 1..${COMPARE_LIMITS.batch}, got ${JSON.stringify(batch)}`);
  if (!isInt(seed) || seed < 0 || seed > 0xffffffff) badRequest(`seed must be an integer in 0..4294967295, got ${JSON.stringify(seed)}`);
  if (order !== 'sequential' && order !== 'interleaved') badRequest(`order must be "sequential" or "interleaved", got ${JSON.stringify(order)}`);
  if (preview !== 'x0' && preview !== 'xt') badRequest(`preview must be "x0" or "xt", got ${JSON.stringify(preview)}`);
  if (!isInt(maxFrames) || maxFrames < 1 || maxFrames > COMPARE_LIMITS.maxFrames) badRequest(`maxFrames must be an integer in 1..${COMPARE_LIMITS.maxFrames}`);
  if (p.judge !== null) checkRef(p.judge, 'the judge');
  const ids = new Set<string>();
  for (const r of rows as unknown[]) {
    if (!isRec(r) || typeof r.id !== 'string' || r.id === '') badRequest('every compare row needs a string id');
    if (ids.has(r.id)) badRequest(`row id "${r.id}" is used twice`);
    ids.add(r.id);
    checkRef(r.model, `row "${r.id}"`);
    try {
      parseSamplerSpec(r.sampler);
    } catch (e) {
      badRequest(`row "${r.id}": ${(e as Error).message}`);
    }
    const target = r.target;
    if (target !== null && (!isInt(target) || target < 0 || target >= COMPARE_LIMITS.classes)) badRequest(`row "${r.id}": target must be a class index or null`);
    if (r.guidance !== null) {
      const g = r.guidance;
      if (!isRec(g)) badRequest(`row "${r.id}": guidance must be an object or null`);
      checkRef(g.classifier, `row "${r.id}" guidance`);
      if (typeof g.scale !== 'number' || !(g.scale >= 0 && g.scale <= COMPARE_LIMITS.scale)) badRequest(`row "${r.id}": guidance scale must be in 0..${COMPARE_LIMITS.scale}`);
      if (target === null) badRequest(`row "${r.id}": guidance needs a target class`);
    }
  }
  return p;
}

const keyOf = (ref: CompareModelRef): string => `${ref.url}#${ref.version ?? ''}`;

/** The first network of a checkpoint whose kind passes `test`. */
function networkOf<C>(ck: LoadedCheckpoint, test: (kind: string) => boolean): (Network & { config: C }) | undefined {
  return Object.values(ck.networks).find((n) => test(n.config.kind)) as (Network & { config: C }) | undefined;
}

/** Round-robin turns on the device for the interleaved order. */
class Turns {
  private readonly queue: string[];
  private holder: string | null;
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>();

  constructor(ids: readonly string[], signal: AbortSignal) {
    this.queue = [...ids];
    this.holder = this.queue[0] ?? null;
    signal.addEventListener(
      'abort',
      () => {
        const reason = signal.reason instanceof Error ? signal.reason : new CancelledError();
        for (const w of this.waiting.values()) w.reject(reason);
        this.waiting.clear();
      },
      { once: true },
    );
  }

  /** Resolves when `id` holds the device. */
  acquire(id: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new CancelledError());
    if (this.holder === id) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  /** `id` hands the device to the next row and waits for its own next turn. */
  async pass(id: string, signal: AbortSignal): Promise<void> {
    const i = this.queue.indexOf(id);
    if (i >= 0) this.give(this.queue[(i + 1) % this.queue.length]);
    await this.acquire(id, signal);
  }

  /** `id` is finished: it leaves the rotation, and the device goes on if it held it. */
  leave(id: string): void {
    const i = this.queue.indexOf(id);
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.waiting.delete(id);
    if (this.holder === id) this.give(this.queue.length > 0 ? this.queue[i % this.queue.length] : null);
  }

  private give(next: string | null): void {
    this.holder = next;
    if (next === null) return;
    const w = this.waiting.get(next);
    if (w) {
      this.waiting.delete(next);
      w.resolve();
    }
  }
}

/** A macrotask turn of the event loop (lets a cancel message in). */
const nextTask = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

export class CompareEngine {
  private readonly cache = new Map<string, Cached>();
  private readonly load: CheckpointLoader;
  private readonly guidance: GuidanceFactory | null;
  private readonly now: () => number;
  private readonly sliceMs: number;
  private readonly tickMs: number;
  private readonly yieldMs: number;
  private readonly cacheSize: number;
  /** (model key, batch) pairs that have had their warm-up pass on this backend. */
  private readonly warmed = new Set<string>();

  constructor(opts: CompareEngineOptions) {
    this.load = opts.load;
    this.guidance = opts.guidance === undefined ? coreGuidance : opts.guidance;
    this.now = opts.now ?? (() => performance.now());
    this.sliceMs = opts.sliceMs ?? 40;
    this.tickMs = opts.tickMs ?? 150;
    this.yieldMs = opts.yieldMs ?? 50;
    this.cacheSize = opts.cacheSize ?? 6;
  }

  /** Names of the checkpoints loaded now (tests, diagnostics). */
  get cached(): string[] {
    return [...this.cache.values()].map((c) => c.ck.meta.name);
  }

  memory(): EngineMemory {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes };
  }

  /** Frees every cached network (a new backend starts clean). */
  unload(): void {
    for (const c of this.cache.values()) disposeCheckpoint(c.ck);
    this.cache.clear();
    this.warmed.clear();
  }

  async run(paramsIn: CompareParams, emit: Emit, signal: AbortSignal): Promise<Omit<CompareResult, 'backend'>> {
    const params = checkCompareParams(paramsIn);
    const t0 = this.now();
    throwIfAborted(signal);
    const results = new Map<string, CompareRowResult>();
    const fail = (row: string, e: unknown): void => {
      const error = serialize(e);
      emit({ status: 'row-error', row, error });
      results.set(row, { id: row, status: 'error', nfe: 0, elapsedMs: 0, imagesPerSecond: 0 });
    };

    // 1. Load every model the rows and the judge need (each URL once), newest first in the cache.
    const inUse = new Set<string>();
    const loaded = new Map<string, LoadedCheckpoint | Error>();
    const need = async (ref: CompareModelRef, row: string): Promise<LoadedCheckpoint> => {
      const key = keyOf(ref);
      inUse.add(key);
      let got = loaded.get(key);
      if (!got) {
        try {
          got = await this.fetch(ref, (loadedBytes, totalBytes) => emit({ status: 'load', row, model: ref.name, loadedBytes, totalBytes }), signal);
        } catch (e) {
          if (isCancellation(e) || signal.aborted) throw e;
          got = e instanceof EngineFailure ? e : new EngineFailure('model-load-failed', `${ref.name}: ${messageOf(e)}`);
        }
        loaded.set(key, got);
      }
      if (got instanceof Error) throw got;
      return got;
    };

    const prepared: PreparedRow[] = [];
    for (const spec of params.rows) {
      try {
        prepared.push(await this.prepare(spec, params.batch, need));
      } catch (e) {
        if (isCancellation(e) || signal.aborted) throw signal.reason ?? e;
        fail(spec.id, e);
      }
    }
    let judge: { readonly name: string; readonly net: Network<ClassifierConfig> } | null = null;
    let judgeError: string | null = null;
    if (params.judge) {
      try {
        const ck = await need(params.judge, prepared[0]?.spec.id ?? params.rows[0].id);
        const net = networkOf<ClassifierConfig>(ck, (k) => k === 'classifier') as Network<ClassifierConfig> | undefined;
        if (net) judge = { name: params.judge.name, net };
        else judgeError = `${params.judge.name} has no classifier (networks: ${networkKinds(ck)})`;
      } catch (e) {
        if (isCancellation(e) || signal.aborted) throw signal.reason ?? e;
        judgeError = messageOf(e);
      }
    }
    if (judgeError) console.warn(`compare: no judge scores (${judgeError})`);
    this.evict(inUse);

    // 2. Sample the rows, in turns or one after the other.
    const runRow = async (row: PreparedRow, turns: Turns | null): Promise<void> => {
      try {
        const r = await this.sampleRow(row, params, judge, emit, signal, turns);
        results.set(row.spec.id, r);
      } catch (e) {
        if (isCancellation(e) || signal.aborted) throw e;
        fail(row.spec.id, e);
      }
    };
    if (params.order === 'sequential') {
      for (const row of prepared) await runRow(row, null);
    } else {
      const turns = new Turns(
        prepared.map((r) => r.spec.id),
        signal,
      );
      const settled = await Promise.allSettled(
        prepared.map(async (row) => {
          try {
            await turns.acquire(row.spec.id, signal);
            await runRow(row, turns);
          } finally {
            turns.leave(row.spec.id);
          }
        }),
      );
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw signal.aborted && signal.reason instanceof Error ? signal.reason : failed.reason;
    }
    throwIfAborted(signal);
    return {
      batch: params.batch,
      seed: params.seed,
      rows: params.rows.map((r) => results.get(r.id) ?? { id: r.id, status: 'error' as const, nfe: 0, elapsedMs: 0, imagesPerSecond: 0 }),
      totalMs: this.now() - t0,
      memory: this.memory(),
    };
  }

  /** A cached checkpoint, or a fresh load (cancellable between download and upload). */
  private async fetch(ref: CompareModelRef, onProgress: (l: number, t: number) => void, signal: AbortSignal): Promise<LoadedCheckpoint> {
    const key = keyOf(ref);
    const hit = this.cache.get(key);
    if (hit) {
      hit.lastUsed = this.now();
      return hit.ck;
    }
    // A newer version of the same folder replaces the old one.
    for (const [k, c] of this.cache) {
      if (k.startsWith(`${ref.url}#`)) {
        disposeCheckpoint(c.ck);
        this.cache.delete(k);
      }
    }
    const ck = await this.load(ref, onProgress);
    if (signal.aborted) {
      disposeCheckpoint(ck);
      throwIfAborted(signal);
    }
    this.cache.set(key, { ck, lastUsed: this.now() });
    return ck;
  }

  /** Drops the least recently used checkpoints beyond the cache size (never one in use). */
  private evict(inUse: Set<string>): void {
    const spare = [...this.cache.entries()].filter(([k]) => !inUse.has(k)).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    while (this.cache.size > this.cacheSize && spare.length > 0) {
      const [k, c] = spare.shift()!;
      disposeCheckpoint(c.ck);
      this.cache.delete(k);
    }
  }

  /**
   * Resolves a row's networks and builds its sampling closure: the checkpoint's denoiser
   * of the sampler's family over the schedule of its model.json, the sampler from the
   * registry (a step count capped to the schedule), and the guidance hooks.
   */
  private async prepare(spec: CompareRowSpec, batch: number, need: (ref: CompareModelRef, row: string) => Promise<LoadedCheckpoint>): Promise<PreparedRow> {
    const ck = await need(spec.model, spec.id);
    const scale = spec.guidance?.scale ?? 0;
    let guidance: ((model: Denoiser, sampler: Sampler) => ClassifierGuidance) | null = null;
    if (spec.guidance && scale > 0) {
      if (!this.guidance) throw new EngineFailure('bad-request', 'class guidance is not available in this engine: sample with s = 0');
      const guideCk = await need(spec.guidance.classifier, spec.id);
      const guide = networkOf<unknown>(guideCk, (k) => k !== 'classifier' && /classifier/.test(k));
      if (!guide) throw new EngineFailure('model-load-failed', `${spec.guidance.classifier.name} has no noise-aware classifier (networks: ${networkKinds(guideCk)})`);
      guidance = this.guidance(guide, spec.target!, scale);
    }
    let model: Denoiser;
    try {
      model = denoiserOf(ck, infoOf(spec.sampler.kind).family);
    } catch (e) {
      throw new EngineFailure('model-load-failed', `${spec.model.name}: ${messageOf(e)}`);
    }
    const length = model.family === 'ddgan' ? model.schedule.T : model.schedule.N;
    const sampler = createSampler(fitSpec(spec.sampler, length), model);
    const steer = guidance?.(model, sampler) ?? null;
    const key = keyOf(spec.model);
    const shape = [batch, ...model.exampleShape];
    return {
      spec,
      steps: sampler.nfe,
      nfe: sampler.nfe + (steer?.extraNetworkCalls ?? 0),
      imageSize: model.exampleShape[0],
      channels: model.exampleShape[2],
      warm: () => this.warmOnce(key, batch, () => tf.tidy(() => model.apply(tf.zeros(shape), sampler.timesteps[0], model.latentDim > 0 ? tf.zeros([batch, model.latentDim]) : null))),
      sample: async (h) =>
        (await runSampler(model, sampler, {
          batch,
          rng: h.rng,
          signal: h.signal,
          guidance: steer?.hooks,
          // Every step comes back here: the row decides which ones become frames.
          onStep: (s) => h.onStep(s.index + 1, s.t, s.x0Pred as tf.Tensor4D, s.prev as tf.Tensor4D),
        })) as tf.Tensor4D,
    };
  }

  /** One forward pass at this batch size, once per model and batch on this backend; its ms (0 if warm). */
  private async warmOnce(key: string, batch: number, forward: () => tf.Tensor): Promise<void> {
    const id = `${key}|${batch}`;
    if (this.warmed.has(id)) return;
    const out = forward();
    try {
      await out.data();
    } finally {
      out.dispose();
    }
    this.warmed.add(id);
  }

  /** Samples one row, streaming its steps; returns its timing. */
  private async sampleRow(
    row: PreparedRow,
    params: CompareParams,
    judge: { readonly name: string; readonly net: Network<ClassifierConfig> } | null,
    emit: Emit,
    signal: AbortSignal,
    turns: Turns | null,
  ): Promise<CompareRowResult> {
    const { spec, steps } = row;
    const id = spec.id;
    const shape: FrameShape = { batch: params.batch, height: row.imageSize, width: row.imageSize, channels: row.channels };
    const tw = this.now();
    await row.warm();
    const warmupMs = this.now() - tw;
    const guided = spec.guidance !== null && spec.guidance.scale > 0;
    emit({ status: 'row', row: id, model: spec.model.name, sampler: spec.sampler.kind, steps, batch: params.batch, width: row.imageSize, height: row.imageSize, guided, warmupMs });

    const every = Math.max(1, Math.ceil(steps / params.maxFrames));
    let elapsed = 0;
    let clock = this.now();
    let sliceStart = clock;
    let lastTick = -Infinity;
    let lastYield = this.now();

    const x0 = await row.sample({
      rng: new Rng(params.seed),
      signal,
      onStep: async (step, t, x0Pred, xNext) => {
        const isFrame = (step - 1) % every === 0 && step < steps;
        let frame: ArrayBuffer | null = null;
        if (isFrame) {
          const values = await (params.preview === 'x0' ? x0Pred : xNext).data();
          frame = encodeRgba(values, shape).buffer;
        }
        const handOff = turns !== null && this.now() - sliceStart >= this.sliceMs;
        const yieldNow = this.now() - lastYield >= this.yieldMs;
        // Before the clock stops, make sure the step's work is done (GPU backends queue it).
        if (!isFrame && (handOff || yieldNow)) await xNext.data();
        const now = this.now();
        elapsed += now - clock;
        if (frame || now - lastTick >= this.tickMs || step === steps) {
          lastTick = now;
          emit({ status: 'step', row: id, step, steps, t, elapsedMs: elapsed, frame });
        }
        try {
          if (handOff) {
            await nextTask();
            await turns!.pass(id, signal);
            lastYield = this.now();
            sliceStart = this.now();
          } else if (yieldNow) {
            await nextTask();
            lastYield = this.now();
          }
          throwIfAborted(signal);
        } catch (e) {
          // Stopped after this step: its picture goes out with it, so a cancelled row shows
          // the step it reached rather than an older preview.
          if (signal.aborted && !frame) {
            const values = await (params.preview === 'x0' ? x0Pred : xNext).data();
            emit({ status: 'step', row: id, step, steps, t, elapsedMs: elapsed, frame: encodeRgba(values, shape).buffer });
          }
          throw e;
        }
        clock = this.now();
      },
    });
    let values: Float32Array;
    try {
      values = (await x0.data()) as Float32Array;
      elapsed += this.now() - clock;
    } finally {
      x0.dispose();
    }
    const judged = judge ? await this.judge(judge.name, judge.net, values, shape, spec.target) : null;
    const imagesPerSecond = elapsed > 0 ? (1000 * params.batch) / elapsed : 0;
    emit({ status: 'row-done', row: id, nfe: row.nfe, elapsedMs: elapsed, imagesPerSecond, x0: encodeRgba(values, shape).buffer, judge: judged });
    return { id, status: 'done', nfe: row.nfe, elapsedMs: elapsed, imagesPerSecond };
  }

  /** The judge's classes, confidence, accuracy and feature spread for a row's samples. */
  private async judge(name: string, net: Network<ClassifierConfig>, values: Float32Array, shape: FrameShape, target: number | null): Promise<CompareJudgeStats | null> {
    const cfg = net.config;
    // The judge reads grey images of its own size; anything else is not scored.
    if (cfg.imageSize !== shape.height || cfg.channels !== shape.channels) return null;
    const [logits, feats] = tf.tidy(() => {
      const x = tf.tensor4d(values, [shape.batch, shape.height, shape.width, shape.channels]);
      return [tf.softmax(net.apply(x)), net.features(x)];
    });
    let probs: Float32Array;
    let features: Float32Array;
    try {
      [probs, features] = (await Promise.all([logits.data(), feats.data()])) as [Float32Array, Float32Array];
    } finally {
      tf.dispose([logits, feats]);
    }
    const n = shape.batch;
    const predicted = predictedClasses(probs, n, cfg.numClasses);
    const diversity = meanPairwiseDistance(features, n, cfg.featureDim);
    return {
      classifier: name,
      predicted,
      confidences: predicted.map((c, i) => probs[i * cfg.numClasses + c]),
      confidence: meanTopProbability(probs, n, cfg.numClasses),
      accuracy: target === null ? null : predicted.filter((c) => c === target).length / n,
      diversity: Number.isFinite(diversity) ? diversity : null,
      classes: new Set(predicted).size,
    };
  }
}
