/**
 * The mode-coverage lab in the worker: several toy recipes (core/toy/recipes.ts) trained
 * side by side on one 2-D data set, with the same iteration budget each.
 *
 * Scheduling: one iteration at a time, always of the recipe that is furthest behind (ties
 * in the order the user picked them), so the recipes advance together and a stop leaves
 * them at most one iteration apart. Before every iteration the loop yields a macrotask,
 * so pause / resume / stop messages are read between iterations (`await data()` alone
 * resolves as a microtask on wasm and would starve the message queue).
 *
 * Emitted (plain data, deltas only, buffers transferred by the worker):
 *   'started'   the recipes with their parameter counts, and the real points (once);
 *   'report'    per recipe at iteration 0, every `reportEvery` and at the end of its budget:
 *               a fixed-noise sample of `samples` points scored by core/toy/metrics.ts and
 *               core/metrics/precisionRecall.ts, the first `scatter` of them as a Float32
 *               buffer, the means of the losses and D outputs since its previous report,
 *               Diffusion-GAN's adaptive T (and its per-iteration trace since the previous
 *               report), DD-GAN's particles x_T → x_0 of the plotted points;
 *   'tick'      every TICK_MS or so, the iterations of every recipe (a progress bar's worth);
 *   'diverged'  a recipe's losses (or samples) stopped being finite: that recipe is freed
 *               and dropped, the others go on;
 *   'state'     whenever the run's state changes.
 *
 * Every trainer is disposed when its recipe diverges and in `dispose()`; reports read
 * tensors back with `await data()` inside the recipes' `sample()`, which frees its own.
 */
import * as tf from '@tensorflow/tfjs';
import { precisionRecall } from '../core/metrics/precisionRecall';
import { Rng } from '../core/rng';
import { sampleToy, toyDatasetInfo } from '../core/toy/data';
import { toyMetrics } from '../core/toy/metrics';
import { DiffusionGanToyTrainer, createToyTrainer, defaultToyConfig, type ToyRecipeConfig, type ToySample, type ToyStepStats, type ToyTrainer } from '../core/toy/recipes';
import { TrainingDiverged } from '../core/training/ganStep';
import { EngineFailure } from './errors';
import {
  TOY_LAB_DATASETS,
  TOY_LAB_LIMITS,
  TOY_LAB_RECIPES,
  TOY_LAB_RECIPE_LABELS,
  isToyLabRecipeId,
  type EngineMemory,
  type StartToyLabParams,
  type StartToyLabResult,
  type ToyLabIntervalStats,
  type ToyLabMetrics,
  type ToyLabProgress,
  type ToyLabRecipeId,
  type ToyLabSettings,
  type ToyLabState,
} from './protocol';

/** Validates settings from a message (untrusted input); returns them unchanged. */
export function checkLabSettings(s: ToyLabSettings): ToyLabSettings {
  if (typeof s !== 'object' || s === null) throw new EngineFailure('bad-request', 'lab settings are missing');
  if (!(TOY_LAB_DATASETS as readonly string[]).includes(s.dataset)) {
    throw new EngineFailure('bad-request', `unknown toy data set ${JSON.stringify(s.dataset)}; use one of ${TOY_LAB_DATASETS.join(', ')}`);
  }
  if (!Array.isArray(s.recipes) || s.recipes.length === 0) throw new EngineFailure('bad-request', 'pick at least one recipe');
  for (const r of s.recipes) {
    if (!isToyLabRecipeId(r)) throw new EngineFailure('bad-request', `unknown recipe ${JSON.stringify(r)}; use ${Object.keys(TOY_LAB_RECIPE_LABELS).join(', ')}`);
  }
  if (new Set(s.recipes).size !== s.recipes.length) throw new EngineFailure('bad-request', `a recipe is listed twice: ${s.recipes.join(', ')}`);
  for (const [key, [lo, hi]] of Object.entries(TOY_LAB_LIMITS) as [keyof typeof TOY_LAB_LIMITS, readonly [number, number]][]) {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new EngineFailure('bad-request', `lab setting ${key} must be a whole number in ${lo}..${hi}, got ${JSON.stringify(v)}`);
    }
  }
  if (s.scatter > s.samples) throw new EngineFailure('bad-request', `scatter points (${s.scatter}) cannot exceed the scored samples (${s.samples})`);
  return s;
}

/** The recipe's trainer config: the tuned defaults of core/toy/recipes.ts, resized by the settings. */
export function labRecipeConfig(id: ToyLabRecipeId, s: ToyLabSettings): ToyRecipeConfig {
  const common = { dataset: s.dataset, seed: s.seed, batch: s.batch, hiddenG: s.hidden, hiddenD: s.hidden, layersG: s.layers, layersD: s.layers };
  switch (id) {
    case 'gan':
      return defaultToyConfig('gan', common);
    case 'diffusion-gan':
      return defaultToyConfig('diffusion-gan', common);
    case 'ddgan-t2':
      return defaultToyConfig('ddgan', { ...common, T: 2 });
    case 'ddgan-t4':
      return defaultToyConfig('ddgan', { ...common, T: 4 });
    case 'ddgan-t8':
      return defaultToyConfig('ddgan', { ...common, T: 8 });
    default: {
      const unknown: never = id;
      throw new EngineFailure('bad-request', `unknown recipe ${JSON.stringify(unknown)}`);
    }
  }
}

/** A zero-delay macrotask that browsers do not clamp to 4 ms (nested setTimeout is). */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** Least time between two 'tick' events. */
export const TICK_MS = 250;

export interface ToyLabOptions {
  readonly faultAt?: StartToyLabParams['faultAt'];
  /** Awaited before every iteration; defaults to `macrotask`. */
  readonly yieldToEvents?: () => Promise<void>;
  /** Least time between two 'tick' events; defaults to TICK_MS. */
  readonly tickMs?: number;
}

/** Sums of the step statistics since a recipe's previous report. */
class IntervalSums {
  iterations = 0;
  lossD = 0;
  lossG = 0;
  dReal = 0;
  dFake = 0;
  pReal = 0;
  pFake = 0;
  ms = 0;

  add(s: ToyStepStats): void {
    this.iterations++;
    this.lossD += s.lossD;
    this.lossG += s.lossG;
    this.dReal += s.dReal;
    this.dFake += s.dFake;
    this.pReal += s.pReal;
    this.pFake += s.pFake;
    this.ms += s.ms;
  }

  /** The means, and a reset; null when no iteration ran since the last call. */
  take(): ToyLabIntervalStats | null {
    const n = this.iterations;
    if (n === 0) return null;
    const out = { iterations: n, lossD: this.lossD / n, lossG: this.lossG / n, dReal: this.dReal / n, dFake: this.dFake / n, pReal: this.pReal / n, pFake: this.pFake / n, ms: this.ms / n };
    Object.assign(this, new IntervalSums());
    return out;
  }
}

interface RecipeRun {
  readonly id: ToyLabRecipeId;
  readonly label: string;
  /** Seed of the fixed noise every report samples with (the same points move over training). */
  readonly sampleSeed: number;
  /** null once the recipe diverged (its tensors are freed then). */
  trainer: ToyTrainer | null;
  iteration: number;
  trainMs: number;
  readonly sums: IntervalSums;
  /** Diffusion-GAN: T after each iteration since the previous report. */
  trace: { iteration: number[]; T: number[] };
}

function memory(): EngineMemory {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}

function allFinite(values: Float32Array): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

export class ToyLabSession {
  private readonly runs: RecipeRun[] = [];
  private state: ToyLabState = 'running';
  private stopRequested = false;
  private wake: (() => void) | null = null;
  private emit: (p: ToyLabProgress) => void = () => undefined;
  private disposed = false;

  constructor(
    readonly settings: ToyLabSettings,
    private readonly opts: ToyLabOptions = {},
  ) {}

  /** Iterations of the recipe that got furthest. */
  get iteration(): number {
    return this.runs.reduce((m, r) => Math.max(m, r.iteration), 0);
  }

  get current(): ToyLabState {
    return this.state;
  }

  /** Trains until every recipe used its budget (or diverged), or until a stop. */
  async run(emit: (p: ToyLabProgress) => void): Promise<StartToyLabResult> {
    if (this.disposed) throw new EngineFailure('no-training', 'this lab run was disposed');
    this.emit = emit;
    const s = this.settings;
    const t0 = performance.now();
    let pausedMs = 0;

    // Registered as each is built, so dispose() frees them even if a later one throws.
    for (const id of s.recipes) {
      // Keyed by the recipe, not its place in the selection: a seed gives each recipe the same noise.
      const slot = TOY_LAB_RECIPES.indexOf(id) + 1;
      const run: RecipeRun = {
        id,
        label: TOY_LAB_RECIPE_LABELS[id],
        sampleSeed: (s.seed ^ Math.imul(slot, 0x9e3779b1) ^ 0x5a3c) >>> 0,
        trainer: null,
        iteration: 0,
        trainMs: 0,
        sums: new IntervalSums(),
        trace: { iteration: [], T: [] },
      };
      this.runs.push(run);
      run.trainer = createToyTrainer(labRecipeConfig(id, s));
    }

    const real = sampleToy(s.dataset, s.scatter, new Rng((s.seed ^ 0x7e11da7a) >>> 0)).points;
    emit({
      status: 'started',
      dataset: s.dataset,
      iterations: s.iterations,
      recipes: this.runs.map((r) => {
        const counts = r.trainer!.paramCounts();
        const config = r.trainer!.config;
        return { id: r.id, label: r.label, T: config.recipe === 'ddgan' ? config.T : null, generatorParams: counts.G, discriminatorParams: counts.D };
      }),
      // The session keeps `real` for precision / recall; the event gets its own copy.
      real: real.slice().buffer,
      extent: toyDatasetInfo(s.dataset).extent,
    });
    this.setState('running');
    for (const r of this.runs) await this.report(r, real);

    const yieldToEvents = this.opts.yieldToEvents ?? macrotask;
    const elapsed = (): number => performance.now() - t0 - pausedMs;
    let lastTick = performance.now();
    for (;;) {
      await yieldToEvents();
      if (this.stopRequested) break;
      const active = this.runs.filter((r) => r.trainer !== null && r.iteration < s.iterations);
      if (active.length === 0) {
        this.setState('done');
        break;
      }
      if (this.state === 'paused') {
        const p0 = performance.now();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        pausedMs += performance.now() - p0;
        continue;
      }
      const next = active.reduce((a, b) => (b.iteration < a.iteration ? b : a));
      if (await this.iterate(next)) {
        if (next.iteration % s.reportEvery === 0 || next.iteration === s.iterations) await this.report(next, real);
      }
      if (performance.now() - lastTick >= (this.opts.tickMs ?? TICK_MS)) {
        lastTick = performance.now();
        emit({ status: 'tick', iterations: this.runs.map((r) => r.iteration), elapsedMs: elapsed() });
      }
    }
    if (this.state !== 'done') this.setState('stopped');
    return { state: this.state === 'done' ? 'done' : 'stopped', iteration: this.iteration, elapsedMs: elapsed(), memory: memory() };
  }

  /** One iteration of one recipe; false when it diverged (it is then dropped). */
  private async iterate(r: RecipeRun): Promise<boolean> {
    const trainer = r.trainer!;
    let stats: ToyStepStats;
    try {
      stats = await trainer.step();
      const fault = this.opts.faultAt;
      if (fault && fault.recipe === r.id && stats.iteration === fault.iteration) {
        throw new TrainingDiverged(`toy ${trainer.recipe} diverged at iteration ${stats.iteration}: lossD is NaN (injected fault)`, stats.iteration);
      }
    } catch (e) {
      if (!(e instanceof TrainingDiverged)) throw e;
      this.diverge(r, e.iteration, e.message);
      return false;
    }
    r.iteration = stats.iteration;
    r.trainMs += stats.ms;
    r.sums.add(stats);
    if (stats.recipe === 'diffusion-gan') {
      r.trace.iteration.push(stats.iteration);
      r.trace.T.push(stats.T);
    }
    return true;
  }

  private diverge(r: RecipeRun, iteration: number, why: string): void {
    r.trainer?.dispose();
    r.trainer = null;
    r.iteration = iteration;
    this.emit({
      status: 'diverged',
      id: r.id,
      iteration,
      message: `${r.label} diverged (${why}). Its training stopped at iteration ${iteration}; the plot keeps its last good report, and the other recipes go on.`,
    });
  }

  /** Samples with the recipe's fixed noise, scores the samples, and emits them. */
  private async report(r: RecipeRun, real: Float32Array): Promise<void> {
    const trainer = r.trainer;
    if (!trainer) return;
    const s = this.settings;
    const sample: ToySample = await trainer.sample(s.samples, new Rng(r.sampleSeed));
    if (!allFinite(sample.points)) {
      this.diverge(r, r.iteration, `its samples at iteration ${r.iteration} are not finite numbers`);
      return;
    }
    const m = toyMetrics(s.dataset, sample.points);
    const n = s.scatter;
    const shown = sample.points.slice(0, 2 * n);
    const pr = precisionRecall(real, n, shown, n, 2);
    const metrics: ToyLabMetrics = {
      n: sample.n,
      modesCovered: m?.coverage.modesCovered ?? null,
      numModes: m?.coverage.numModes ?? null,
      highQualityShare: m?.coverage.highQualityShare ?? null,
      reverseKl: m?.coverage.reverseKl ?? null,
      meanPointToMode: m?.meanPointToMode ?? null,
      meanModeToPoint: m?.meanModeToPoint ?? null,
      precision: pr.precision,
      recall: pr.recall,
    };
    let trajectory: { T: number; frames: ArrayBuffer } | null = null;
    if (sample.trajectory) {
      // x_T … x_1 from the steps (k = T first), then x_0: the particles of the plotted points.
      const T = sample.trajectory.length;
      const frames = new Float32Array((T + 1) * n * 2);
      sample.trajectory.forEach((step, j) => frames.set(step.xK.subarray(0, 2 * n), j * n * 2));
      frames.set(shown, T * n * 2);
      trajectory = { T, frames: frames.buffer };
    }
    const dg = trainer instanceof DiffusionGanToyTrainer ? trainer.diffusion : null;
    const trace = dg ? r.trace : null;
    r.trace = { iteration: [], T: [] };
    this.emit({
      status: 'report',
      id: r.id,
      iteration: r.iteration,
      points: shown.buffer,
      n,
      metrics,
      stats: r.sums.take(),
      diffusion: dg ? { T: dg.T, p: dg.p, rd: dg.rd } : null,
      tTrace: trace,
      trajectory,
      trainMs: r.trainMs,
      memory: memory(),
    });
  }

  private setState(state: ToyLabState): void {
    this.state = state;
    this.emit({ status: 'state', state, iteration: this.iteration });
  }

  pause(): void {
    if (this.state === 'running') this.setState('paused');
  }

  resume(): void {
    if (this.state === 'paused') {
      this.setState('running');
      this.wake?.();
    }
  }

  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  dispose(): void {
    this.disposed = true;
    this.stopRequested = true;
    this.wake?.();
    for (const r of this.runs) {
      r.trainer?.dispose();
      r.trainer = null;
    }
  }
}
