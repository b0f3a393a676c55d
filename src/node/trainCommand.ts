/**
 * `npm run train`: one driver for every model kind. A kind is a TrainSpec (its flags and
 * usage, how it resumes, and a plan that creates or restores its trainer); the driver does
 * the rest the same way for all of them:
 *
 *   parse and check the flags → read and check a --resume state → the spec's plan (every
 *   check that needs no tensors) → start the backend → restore the trainer from the state,
 *   or create a fresh one → step until --iters with progress lines, saving every
 *   --save-every iterations and when stopped (Ctrl-C, SIGTERM, --minutes; src/node/trainLoop.ts).
 *
 * A save is one decision: the spec scores and serialises both checkpoints (the shippable
 * model and the resume state), the driver checks them (finite weights, no weight blow-up
 * since the run started, the preview not collapsed) and only then writes the resume state,
 * the model and the preview. A failed check is a TrainingDiverged: nothing is written and
 * the last good save survives.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import type { LoadedCheckpoint, ModelJson } from '../core/models/checkpoint';
import { checkWeights } from '../core/training/divergence';
import { flags, formatDuration, parseCli, requireFlags, stringOptions, type FlagSpec, type FlagValues } from './args';
import { BACKEND_CLI_OPTIONS, useBackendFromArgs } from './backend';
import { saveCheckpointDir } from './checkpointDir';
import { writeGridPng, type ImageBatch } from './png';
import { adoptResumeState, checkResumeIters, parseResumeState, readResumeState, type ResumeState } from './resumeArgs';
import { runTrainingLoop, type LoopOptions, type SteppingTrainer } from './trainLoop';
import { checkWeightGrowth, weightRms } from './weightScale';

/** A serialised checkpoint, ready to be checked and written. */
export interface SavedCheckpoint {
  readonly modelJson: ModelJson;
  readonly weightData: ArrayBuffer;
}

/** What every step reports; a kind's statistics add their losses. */
export interface StepStats {
  readonly iteration: number;
  readonly ms: number;
}

/** The checked trainerState of a resume state (its iteration at least). */
export interface ResumeJson {
  readonly iteration: number;
}

/** The flags every training kind takes; a kind's table adds its own. */
type TrainFlagTable = Record<string, FlagSpec> & {
  readonly out: FlagSpec;
  readonly minutes: FlagSpec;
};

/** The run so far, for the model.json of a save. */
export interface TrainProgress<S extends StepStats> {
  /** Training time of the whole run (a resumed run's earlier sessions included), seconds. */
  readonly wallSeconds: number;
  /** The latest step statistics, oldest first (at most RECENT_STATS). */
  readonly recent: readonly S[];
}

/** A grid of sample images written beside the resume state after each save. */
export interface PreviewGrid {
  readonly images: ImageBatch;
  readonly cols: number;
  readonly scale: number;
}

/** A trainer as the driver runs it. */
export interface TrainSession<S extends StepStats> {
  /** What the loop steps: the trainer itself, or a view of it that supplies a step's arguments. */
  readonly trainer: SteppingTrainer<S>;
  readonly imagesPerIteration: number;
  /** FLOPs of one iteration, for the effective GFLOP/s of the progress line. */
  readonly flopsPerIteration?: number;
  /** Printed once the trainer exists: what it trains, its size and cost. */
  readonly banner: string;
  /** The loss part of the progress line. */
  describe(stats: S): string;
  /** Checks each update; throws TrainingDiverged to stop the run unsaved. */
  check?(stats: S): void;
  /** Work a save does before its checkpoints are made (held-out scores that go into model.json). */
  score?(final: boolean): Promise<void>;
  /** The shippable model and, for a resumable kind, the resume state at this iteration. */
  checkpoints(progress: TrainProgress<S>): Promise<{ readonly model: SavedCheckpoint; readonly state?: SavedCheckpoint }>;
  /** Samples for the preview grid; may throw TrainingDiverged (collapsed samples). */
  preview?(): Promise<PreviewGrid>;
  dispose(): void;
}

/** What a spec decides before the backend starts. */
export interface TrainPlan<S extends StepStats, R extends ResumeJson = ResumeJson> {
  /** The target iteration. */
  readonly iters: number;
  /** A fresh trainer (the backend runs). */
  create(): Promise<TrainSession<S>>;
  /**
   * The trainer of the --resume state, adopting its networks (the backend runs); needed when
   * the spec has `resume`. A CheckpointError it throws (a state that parses but does not
   * fit) ends the CLI with one line.
   */
  restore?(ck: LoadedCheckpoint, resume: ResumeState<R>): TrainSession<S>;
}

export interface PlanContext<F extends TrainFlagTable, R extends ResumeJson = ResumeJson> {
  /** The raw flags as given (to tell a flag given from its default). */
  readonly args: Record<string, string | boolean | undefined>;
  readonly f: FlagValues<F>;
  /** The shippable model's folder (absolute). */
  readonly out: string;
  readonly name: string;
  /** The checked --resume state, if one was named. */
  readonly resume?: ResumeState<R>;
}

/** One model kind of `npm run train -- --model KIND`. */
export interface TrainSpec<F extends TrainFlagTable, S extends StepStats, R extends ResumeJson = ResumeJson> {
  /** The --model value. */
  readonly model: string;
  /** --help, and the usage line of the backend's errors. */
  readonly usage: string;
  /** Every flag with its rule and default (src/node/cliFlags.ts). */
  readonly flags: F;
  /** The run's name in model.json (default: the --out folder's name). */
  readonly name?: (f: FlagValues<F>) => string | undefined;
  /**
   * How a run of this kind continues: the resume state's folder when neither --state nor
   * --resume names one, and the check of a --resume state's model.json. Absent: the kind
   * writes no resume state and saves its model once, at the end.
   */
  readonly resume?: {
    readonly defaultDir: (out: string, name: string) => string;
    readonly check: (meta: ModelJson) => R;
  };
  /** Every check that needs no backend, and what to build once it runs. */
  plan(ctx: PlanContext<F, R>): Promise<TrainPlan<S, R>>;
}

/** Step statistics kept for model.json's recent averages. */
export const RECENT_STATS = 200;

/** The flag values the driver reads besides the spec's own. */
interface DriverFlags {
  readonly out?: string;
  readonly minutes?: number;
  readonly state?: string;
  readonly resume?: string;
  readonly 'save-every'?: number;
}

export interface TrainCommandOptions {
  /** The command's arguments (default: the process's). */
  readonly argv?: readonly string[];
  /** Starts the backend the flags name (default useBackendFromArgs; tests keep theirs). */
  readonly startBackend?: (args: { backend?: string; threads?: string }, usage: string) => Promise<unknown>;
  /** Ends the process on a divergence (default process.exit; tests pass one that throws). */
  readonly exit?: LoopOptions<StepStats>['exit'];
  readonly log?: (line: string) => void;
}

/** Runs one training command for `spec` on the process's arguments; resolves with why it stopped. */
export async function runTrainCommand<F extends TrainFlagTable, S extends StepStats, R extends ResumeJson>(spec: TrainSpec<F, S, R>, opts: TrainCommandOptions = {}): Promise<string> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const args = parseCli(spec.usage, { ...BACKEND_CLI_OPTIONS, ...stringOptions(spec.flags) }, opts.argv) as Record<string, string | boolean | undefined>;
  requireFlags(args, ['out']);
  const f = flags(args, spec.flags);
  const d = f as DriverFlags;
  const out = path.resolve(d.out!);
  const name = spec.name?.(f) ?? path.basename(out);
  const stateDir = spec.resume ? path.resolve(d.state ?? d.resume ?? spec.resume.defaultDir(out, name)) : out;
  const deadline = d.minutes !== undefined ? Date.now() + d.minutes * 60_000 : Infinity;

  // Everything about the run that can be checked without tensors, before the backend starts.
  const resume = spec.resume && d.resume !== undefined ? await readResumeState(d.resume, spec.resume.check) : undefined;
  const plan = await spec.plan({ args, f, out, name, resume });
  if (resume) checkResumeIters(resume, plan.iters);

  await (opts.startBackend ?? useBackendFromArgs)(args as { backend?: string; threads?: string }, spec.usage);
  let session: TrainSession<S>;
  let wallSeconds = 0;
  if (resume) {
    const restore = plan.restore;
    if (!restore) throw new Error(`--model ${spec.model} has a resume state but no way to restore it`);
    const ck = parseResumeState(resume);
    session = adoptResumeState(resume, () => restore(ck, resume));
    wallSeconds = Number((ck.meta.training as { wallSeconds?: number } | undefined)?.wallSeconds ?? 0);
    log(`resumed ${name} at iteration ${session.trainer.iteration} (${formatDuration(wallSeconds)} of training so far)`);
  } else {
    session = await plan.create();
  }
  log(session.banner);

  const recent: S[] = [];
  const progress = (): TrainProgress<S> => ({ wallSeconds, recent });
  const startIteration = session.trainer.iteration;
  /** The scale of every network's weights at the start, against which a blow-up is measured. */
  const startScale = spec.resume
    ? weightRms(resume ? { modelJson: resume.files.meta, weightData: resume.files.weightData } : (await session.checkpoints(progress())).state!)
    : null;

  async function save(): Promise<void> {
    const it = session.trainer.iteration;
    await session.score?.(it >= plan.iters);
    const { model, state } = await session.checkpoints(progress());
    if (state) checkWeights(state.weightData, it);
    checkWeights(model.weightData, it);
    if (state && startScale) checkWeightGrowth(startScale, weightRms(state), it, startIteration);
    const preview = await session.preview?.();
    if (state) await saveCheckpointDir(stateDir, state);
    await saveCheckpointDir(out, model);
    if (preview) await writeGridPng(path.join(stateDir, 'preview.png'), preview.images, preview.cols, preview.scale);
  }

  try {
    const stopReason = await runTrainingLoop(session.trainer, {
      iters: plan.iters,
      saveEvery: spec.resume ? (d['save-every'] ?? Infinity) : Infinity,
      deadline,
      imagesPerIteration: session.imagesPerIteration,
      flopsPerIteration: session.flopsPerIteration,
      stateDir,
      lastGood: resume ? { dir: path.resolve(resume.dir), iteration: resume.iteration } : null,
      save,
      onStep: (stats) => {
        wallSeconds += stats.ms / 1000;
        recent.push(stats);
        if (recent.length > RECENT_STATS) recent.shift();
      },
      check: session.check ? (stats) => session.check!(stats) : undefined,
      describe: (stats) => session.describe(stats),
      exit: opts.exit,
    });
    log(spec.resume ? `${stopReason} at iteration ${session.trainer.iteration}; model: ${out}; resume state: ${stateDir}` : `${stopReason} at iteration ${session.trainer.iteration}; model: ${out}`);
    return stopReason;
  } finally {
    session.dispose();
  }
}

/** The mean of `key` over the last `count` statistics (null when there are none). */
export function recentMean<S extends StepStats>(recent: readonly S[], key: { [K in keyof S]: S[K] extends number ? K : never }[keyof S], count = 50): number | null {
  const last = recent.slice(-count);
  return last.length ? last.reduce((a, s) => a + (s[key] as number), 0) / last.length : null;
}

/** Wall time, backend and throughput of the run, as the training block of model.json records them. */
export function throughputFields(progress: TrainProgress<StepStats>, batch: number, flopsPerIteration: number): Record<string, unknown> {
  const ms = recentMean(progress.recent, 'ms');
  return {
    wallSeconds: Math.round(progress.wallSeconds),
    backend: tf.getBackend(),
    imagesPerSecond: ms !== null ? (batch * 1000) / ms : null,
    effectiveGflops: ms !== null ? flopsPerIteration / (ms * 1e6) : null,
  };
}
