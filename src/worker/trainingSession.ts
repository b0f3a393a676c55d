/**
 * One training run in the worker: builds the trainer (fine-tune, scratch or resume), runs
 * iterations until the target, a stop, or a divergence, and obeys pause / resume / step /
 * stop / roll back between iterations.
 *
 * The loop yields to the event loop (a macrotask) before every iteration: `await data()`
 * alone resolves as a microtask on wasm, and then control messages would never be read.
 *
 * Emitted (all plain data, deltas only): 'started'; one 'iteration' per iteration; a fixed-
 * noise 'preview' of the EMA generator at the start and every `previewEvery` (on uploads,
 * with each sample's nearest training image by index, `nearestUploads`); a resume
 * 'checkpoint' at the start, every `checkpointEvery` iterations, every few seconds
 * (CHECKPOINT_INTERVAL_MS) and where the run ends, always before the final 'state' (the last
 * one is also the rollback point: a diverged run can return to it); 'state' whenever the
 * run's state changes.
 *
 * Divergence: besides the trainer's own NaN check, every update is judged by the checks of
 * src/core/training/divergence.ts (losses or logits exploding by orders of magnitude, samples
 * collapsed to one colour, non-finite weights). A diverged run stops there with a message; its
 * last good checkpoint stays the last one sent, so a bad state is never saved.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../core/data/dataset';
import { sampleDdgan } from '../core/diffusion/ddganSampler';
import { parseCheckpoint } from '../core/models/checkpoint';
import type { GeneratorConfig } from '../core/models/generator';
import { Network } from '../core/models/network';
import { Rng } from '../core/rng';
import { resumeCheckpoint, restoreTrainer } from '../core/training/ddganState';
import { TrainingDiverged } from '../core/training/ganStep';
import { DivergenceMonitor, checkSamples, checkWeights, type DivergenceLimits } from '../core/training/divergence';
import { nearestTrainingImages } from '../core/metrics/nearCopy';
import type { ImageGanTrainConfig, ImageGanTrainer } from '../core/training/imageGan';
import { imageRecipe } from '../core/training/recipes/registry';
import { DEFAULT_TRAINING_RECIPE, TRAINING_RECIPE_IDS, TRAINING_RECIPE_INFO, isTrainingRecipeId, type TrainingRecipeId } from '../shared/recipes';
import { EngineFailure, messageOf } from './errors';
import { TRAINING_LIMITS, settingsProblems } from './trainingSettings';
import { encodeRgba } from './frames';
import type {
  EngineMemory,
  StartTrainingResult,
  TrainingCheckpoint,
  TrainingInit,
  TrainingProgress,
  TrainingSettings,
  TrainingState,
} from './protocol';
import { checkAugmentations } from '../shared/augment';

export { TRAINING_LIMITS };

/** Checks the settings; the result always names its recipe ('ddgan' when it was absent). */
export function checkSettings(s: TrainingSettings): TrainingSettings & { readonly recipe: TrainingRecipeId } {
  if (typeof s !== 'object' || s === null) throw new EngineFailure('bad-request', 'training settings are missing');
  const problems = Object.values(settingsProblems(s));
  if (problems.length > 0) throw new EngineFailure('bad-request', `training setting ${problems.join('; ')}`);
  const recipe = s.recipe ?? DEFAULT_TRAINING_RECIPE;
  if (!isTrainingRecipeId(recipe)) {
    throw new EngineFailure('bad-request', `training setting recipe must be one of ${TRAINING_RECIPE_IDS.map((r) => `"${r}"`).join(', ')}, got ${JSON.stringify(recipe)}`);
  }
  const augment = checkAugmentations(s.augment);
  if (typeof augment === 'string') throw new EngineFailure('bad-request', `training setting ${augment}`);
  return { ...s, recipe, augment };
}

/** The discriminator's base channel count for a generator: twice G's, at most 16. */
const discriminatorBase = (g: GeneratorConfig): number => Math.min(16, 2 * g.baseChannels);

export interface BuiltTrainer {
  readonly trainer: ImageGanTrainer;
  readonly note: string;
}

/** The settings a run may change, also on resume (the recipe's own ones stay as saved). */
function sharedConfig(settings: TrainingSettings): Partial<ImageGanTrainConfig> {
  return { batch: settings.batch, lrG: settings.lrG, lrD: settings.lrD, r1Gamma: settings.r1Gamma, emaDecay: settings.emaDecay, augment: settings.augment ?? [] };
}

/**
 * A discriminator the run can start from: `base` (a checkpoint's own D) when it is the kind
 * the recipe trains and judges images of G's size, channels and step count; else null.
 */
export function usableDiscriminator(base: Network | null | undefined, G: GeneratorConfig, recipe: TrainingRecipeId): Network | null {
  if (!base) return null;
  const c = base.config as unknown as { kind: string; imageSize?: number; channels?: number; T?: number };
  if (c.kind !== TRAINING_RECIPE_INFO[recipe].discriminator || c.imageSize !== G.imageSize || c.channels !== G.channels) return null;
  if (c.kind === 'ddgan-discriminator' && c.T !== G.T) return null;
  return base;
}

/**
 * A fresh trainer of the settings' recipe on G (adopted) and its EMA copy. D is a copy of
 * `baseD` when one fits (usableDiscriminator), else new and sized to G.
 */
function freshTrainer(
  G: Network<GeneratorConfig>,
  Gema: Network<GeneratorConfig>,
  data: ImageDataset,
  settings: TrainingSettings & { readonly recipe: TrainingRecipeId },
  baseD: Network | null = null,
): ImageGanTrainer {
  const recipe = imageRecipe(settings.recipe);
  const D = baseD ? baseD.clone() : Network.create(recipe.discriminator(G.config, discriminatorBase(G.config)), settings.seed * 2 + 2);
  return recipe.create({ G, D, Gema }, data, recipe.defaults({ ...sharedConfig(settings), seed: settings.seed }));
}

const runNote = (recipe: TrainingRecipeId): string => TRAINING_RECIPE_INFO[recipe].runNote;

/**
 * The trainer for a run. `generator` is the loaded model's (EMA) generator; it is cloned,
 * never adopted, so Generate keeps the base model for before/after comparisons.
 */
export function buildTrainer(
  init: TrainingInit,
  generator: Network<GeneratorConfig> | null,
  data: ImageDataset,
  settings: TrainingSettings,
  discriminator: Network | null = null,
): BuiltTrainer {
  const checked = checkSettings(settings);
  const need = (): Network<GeneratorConfig> => {
    if (!generator) throw new EngineFailure('no-model', 'no model is loaded: load one first (its architecture is what gets trained)');
    return generator;
  };
  switch (init.kind) {
    case 'finetune': {
      const g = need();
      const baseD = usableDiscriminator(discriminator, g.config, checked.recipe);
      return {
        trainer: freshTrainer(g.clone(), g.clone(), data, checked, baseD),
        note:
          (baseD
            ? 'Fine-tuning: G (and its EMA copy) start from the model’s EMA generator, and the discriminator from the model’s own, which already knows what its training images look like. '
            : 'Fine-tuning: G (and its EMA copy) start from the model’s EMA generator; the model carries no discriminator for this recipe, so D starts fresh and the first iterations train it. ') +
          runNote(checked.recipe),
      };
    }
    case 'scratch': {
      const g = need();
      const G = Network.create(g.config, checked.seed * 2 + 1);
      return { trainer: freshTrainer(G, G.clone(), data, checked), note: `From scratch: random G and D with the loaded model’s architecture. ${runNote(checked.recipe)}` };
    }
    case 'resume': {
      if (!(init.weights instanceof ArrayBuffer)) throw new EngineFailure('bad-request', 'resume needs the checkpoint weights');
      let ck;
      try {
        ck = parseCheckpoint(init.modelJson, init.weights);
      } catch (e) {
        throw new EngineFailure('model-load-failed', `the saved session cannot be resumed: ${messageOf(e)}`);
      }
      try {
        const trainer = restoreTrainer(ck, data, sharedConfig(checked));
        return { trainer, note: `Resumed at iteration ${trainer.iteration}: weights, optimiser state and random stream as saved. ${runNote(trainer.recipe)}` };
      } catch (e) {
        for (const n of Object.values(ck.networks)) n.dispose();
        for (const t of Object.values(ck.state)) t.dispose();
        throw new EngineFailure('model-load-failed', `the saved session cannot be resumed: ${messageOf(e)}`);
      }
    }
    default: {
      const unknown: never = init;
      throw new EngineFailure('bad-request', `unknown training init ${JSON.stringify(unknown)}`);
    }
  }
}

export interface SessionOptions {
  readonly settings: TrainingSettings;
  readonly name: string;
  readonly faultAt?: number;
  /** Called when a control arrives, for tests; defaults to a zero-delay macrotask. */
  readonly yieldToEvents?: () => Promise<void>;
  /**
   * A resume checkpoint (autosave) also whenever this much wall time has passed since the
   * last one, so a reload or a crash loses at most a few seconds of training, whatever
   * `checkpointEvery` says. Default CHECKPOINT_INTERVAL_MS.
   */
  readonly checkpointMs?: number;
  /** Milliseconds clock (tests). */
  readonly now?: () => number;
  /** The checks for a divergence that stays finite (src/core/training/divergence.ts). */
  readonly divergence?: DivergenceLimits;
  /**
   * The data are the user's uploads: each preview names, per sample, the nearest training
   * image (pixel L2), so the panel can show whether the model adapts or copies. Built-in
   * sets are left out (the page does not hold their pixels to show).
   */
  readonly nearestUploads?: boolean;
}

/** Wall time between two resume checkpoints at most (while iterations run). */
export const CHECKPOINT_INTERVAL_MS = 4000;

const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function memory(): EngineMemory {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}

export class TrainingSession {
  private state: TrainingState = 'running';
  private stopRequested = false;
  private saveRequested = false;
  private pendingSteps = 0;
  private wake: (() => void) | null = null;
  private elapsedMs = 0;
  private lastGood: TrainingCheckpoint | null = null;
  private lastCheckpointAt = 0;
  /** The iteration whose samples were last checked for a collapse. */
  private samplesCheckedAt = -1;
  /** The iteration the run (or its last rollback) started from: never judged, it is the start. */
  private startIteration: number;
  private monitor: DivergenceMonitor;
  private rollbacks = 0;
  private emit: (p: TrainingProgress) => void = () => undefined;
  private readonly now: () => number;

  constructor(
    private trainer: ImageGanTrainer,
    private readonly data: ImageDataset,
    private readonly opts: SessionOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.startIteration = trainer.iteration;
    this.monitor = new DivergenceMonitor(opts.divergence);
  }

  get iteration(): number {
    return this.trainer.iteration;
  }

  get current(): TrainingState {
    return this.state;
  }

  /**
   * Runs until the target iteration, a stop, or (after a divergence) a stop. The run's
   * last checkpoint is sent before its final state, so whoever sees 'done' already holds
   * the final weights.
   */
  async run(emit: (p: TrainingProgress) => void, info: { init: TrainingInit['kind']; note: string }): Promise<StartTrainingResult> {
    this.emit = emit;
    const { settings } = this.opts;
    const t = this.trainer;
    emit({
      status: 'started',
      iteration: t.iteration,
      init: info.init,
      recipe: t.recipe,
      images: this.data.count,
      generatorParams: t.G.paramCount(),
      discriminatorParams: t.D.paramCount(),
      imageSize: t.G.config.imageSize,
      channels: t.G.config.channels,
      note: info.note,
    });
    this.setState('running');
    await this.preview();
    await this.checkpoint();
    const yieldToEvents = this.opts.yieldToEvents ?? macrotask;
    const interval = this.opts.checkpointMs ?? CHECKPOINT_INTERVAL_MS;
    let reached = false;
    for (;;) {
      await yieldToEvents();
      if (this.stopRequested) break;
      if (this.saveRequested) {
        // The page is being hidden or left: keep what was trained since the last checkpoint.
        this.saveRequested = false;
        if (this.state !== 'diverged' && this.trainer.iteration !== this.lastGood?.iteration) await this.guard(() => this.checkpoint());
        continue;
      }
      if (this.trainer.iteration >= settings.iterations && this.state !== 'diverged') {
        reached = true;
        break;
      }
      if (this.state !== 'running' && this.pendingSteps === 0) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = null;
        continue;
      }
      if (this.state !== 'running') this.pendingSteps--;
      if (!(await this.guard(() => this.iterate()))) continue;
      const it = this.trainer.iteration;
      if (it % settings.previewEvery === 0 && !(await this.guard(() => this.preview()))) continue;
      if (it % settings.checkpointEvery === 0 || this.now() - this.lastCheckpointAt >= interval) await this.guard(() => this.checkpoint());
    }
    // Save where it stopped (not only the last periodic checkpoint), unless the weights
    // are the diverged ones: a resumed session then continues at exactly this iteration.
    if (this.state !== 'diverged' && this.trainer.iteration !== this.lastGood?.iteration) await this.guard(() => this.checkpoint());
    const end = reached && this.state !== 'diverged' ? 'done' : 'stopped';
    this.setState(end);
    return { state: end, iteration: this.trainer.iteration, elapsedMs: this.elapsedMs, memory: memory() };
  }

  /**
   * Runs one part of an iteration; a divergence it reports stops the run (it then waits for
   * a rollback or a stop) and makes this false. The last good checkpoint stays what it was.
   */
  private async guard(part: () => Promise<void>): Promise<boolean> {
    try {
      await part();
      return true;
    } catch (e) {
      if (!(e instanceof TrainingDiverged)) throw e;
      this.pendingSteps = 0;
      const good = this.lastGood?.iteration;
      this.setState(
        'diverged',
        `${e.message}. Training stopped; nothing after iteration ${good ?? '–'} is saved: roll back to the last good checkpoint (iteration ${good ?? '–'}: Export model and the saved session keep its weights) and lower the learning rates, or stop.`,
      );
      return false;
    }
  }

  /** One iteration, judged by the divergence checks after the update. */
  private async iterate(): Promise<void> {
    const s = await this.trainer.step();
    if (this.opts.faultAt !== undefined && s.iteration === this.opts.faultAt && this.rollbacks === 0) {
      throw new TrainingDiverged(`training diverged at iteration ${s.iteration}: lossD is NaN (injected fault)`, s.iteration);
    }
    this.elapsedMs += s.ms;
    this.emit({
      status: 'iteration',
      stats: {
        iteration: s.iteration,
        lossD: s.lossD,
        lossG: s.lossG,
        r1: s.r1,
        dReal: s.dReal,
        dFake: s.dFake,
        ms: s.ms,
        ...(s.diffusionT !== undefined ? { diffusionT: s.diffusionT, rd: s.rd ?? NaN } : {}),
      },
      elapsedMs: this.elapsedMs,
      memory: memory(),
    });
    this.monitor.checkStats(s);
  }

  private setState(state: TrainingState, message: string | null = null): void {
    this.state = state;
    this.emit({ status: 'state', state, iteration: this.trainer.iteration, message, lastGoodIteration: this.lastGood?.iteration ?? null });
  }

  /** The fixed-noise samples of the EMA generator, as values in [−1, 1] (unclipped). */
  private async samples(): Promise<Float32Array> {
    const { previewCount, seed } = this.opts.settings;
    const x = await sampleDdgan(this.trainer.Gema, this.trainer.schedule, { batch: previewCount, rng: new Rng((seed ^ 0x51ed) >>> 0) });
    try {
      return (await x.data()) as Float32Array;
    } finally {
      x.dispose();
    }
  }

  /** Throws TrainingDiverged when the generator's samples collapsed (after the start only). */
  private judgeSamples(values: Float32Array): void {
    const it = this.trainer.iteration;
    this.samplesCheckedAt = it;
    if (it > this.startIteration) checkSamples(values, it, this.opts.divergence);
  }

  /** Sends a preview (also a collapsed one: it shows what went wrong), then judges it. */
  private async preview(): Promise<void> {
    const { previewCount } = this.opts.settings;
    const g = this.trainer.Gema;
    const values = await this.samples();
    const size = g.config.imageSize;
    const frame = encodeRgba(values, { batch: previewCount, height: size, width: size, channels: g.config.channels });
    const nearest = this.opts.nearestUploads ? await nearestTrainingImages(values, previewCount, this.data) : undefined;
    this.emit({ status: 'preview', iteration: this.trainer.iteration, frame: frame.buffer, batch: previewCount, width: size, height: size, ...(nearest ? { nearest } : {}) });
    this.judgeSamples(values);
  }

  /**
   * A resume checkpoint, sent only when it is good: samples that have not collapsed (checked
   * here unless a preview of this iteration was) and finite weights. A bad one throws
   * TrainingDiverged and never reaches the UI or the saved session.
   */
  private async checkpoint(): Promise<void> {
    const it = this.trainer.iteration;
    if (it > this.startIteration && this.samplesCheckedAt !== it) this.judgeSamples(await this.samples());
    const { modelJson, weightData } = await resumeCheckpoint(this.trainer, {
      name: this.opts.name,
      description: `training session at iteration ${it}`,
      createdAt: new Date().toISOString(),
      codeVersion: 'ddgan-web',
      data: { name: this.data.name, count: this.data.count, size: this.data.size, channels: this.data.channels },
      training: { iterations: it, elapsedMs: this.elapsedMs },
    });
    checkWeights(weightData, it);
    this.lastGood = { iteration: it, modelJson, weights: weightData };
    this.lastCheckpointAt = this.now();
    // The event's buffer is transferred to the UI; the session keeps its own copy.
    this.emit({ status: 'checkpoint', iteration: it, modelJson, weights: weightData.slice(0) });
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

  /** One iteration while paused (a running run ignores it). */
  step(): void {
    if (this.state === 'paused') {
      this.pendingSteps++;
      this.wake?.();
    }
  }

  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  /** A checkpoint (autosave) at the next iteration boundary, also while paused. */
  requestSave(): void {
    this.saveRequested = true;
    this.wake?.();
  }

  /**
   * Restores the last good checkpoint and pauses there. The random stream is reseeded, so
   * resuming does not retrace the exact steps that diverged.
   */
  rollback(): void {
    if (this.state !== 'diverged') throw new EngineFailure('no-training', 'nothing to roll back: the run has not diverged');
    const good = this.lastGood;
    if (!good) throw new EngineFailure('no-training', 'there is no good checkpoint to roll back to');
    const ck = parseCheckpoint(good.modelJson, good.weights.slice(0));
    const restored = restoreTrainer(ck, this.data);
    this.trainer.dispose();
    this.trainer = restored;
    this.rollbacks++;
    this.startIteration = restored.iteration;
    this.samplesCheckedAt = restored.iteration;
    this.monitor = new DivergenceMonitor(this.opts.divergence);
    restored.rng.setState(new Rng((this.opts.settings.seed + 0x9e3779b9 * this.rollbacks) >>> 0).getState());
    this.setState('paused', `rolled back to iteration ${good.iteration}`);
  }

  dispose(): void {
    this.trainer.dispose();
    this.lastGood = null;
  }
}
