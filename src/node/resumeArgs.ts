/**
 * `--resume DIR` for the training CLIs, checked before any backend starts: the folder holds
 * one consistent save (src/node/checkpointDir.ts) whose resume state passes its checks
 * (src/core/training/resumeStateCheck.ts); `--data` agrees with the data it was trained on;
 * `--iters` is not below its iteration. Each problem ends the CLI with one line (exit 2).
 */
import { trainDataName } from '../core/data/catalog';
import { CheckpointError, parseCheckpoint, type LoadedCheckpoint, type ModelJson } from '../core/models/checkpoint';
import { usageExit } from './args';
import { readCheckpointFiles, readModelJson, type CheckpointFiles } from './checkpointDir';

export interface ResumeState<T> {
  readonly dir: string;
  readonly files: CheckpointFiles;
  /** The checked trainerState. */
  readonly trainerState: T;
  readonly iteration: number;
}

/** Reads and checks a resume state (no tensors: before the backend starts). */
export async function readResumeState<T extends { iteration: number }>(dir: string, check: (meta: ModelJson) => T): Promise<ResumeState<T>> {
  try {
    const files = await readCheckpointFiles(dir);
    const trainerState = check(files.meta);
    if (files.note) console.log(`--resume ${dir}: ${files.note}`);
    return { dir, files, trainerState, iteration: trainerState.iteration };
  } catch (e) {
    if (e instanceof CheckpointError) usageExit(`--resume ${dir}: ${e.message}`);
    throw e;
  }
}

/** The checkpoint of a resume state, once a backend runs; a bad one ends the CLI with one line. */
export function parseResumeState(state: ResumeState<unknown>): LoadedCheckpoint {
  try {
    return parseCheckpoint(state.files.meta, state.files.weightData);
  } catch (e) {
    if (e instanceof CheckpointError) usageExit(`--resume ${state.dir}: ${e.message}`);
    throw e;
  }
}

/** Runs `restore`, turning a CheckpointError (a bad state found while adopting it) into one line and exit 2. */
export function adoptResumeState<R>(state: ResumeState<unknown>, restore: () => R): R {
  try {
    return restore();
  } catch (e) {
    if (e instanceof CheckpointError) usageExit(`--resume ${state.dir}: ${e.message}`);
    throw e;
  }
}

/**
 * The data set a resumed run trains on: the one it was saved with. A --data that names
 * another is a usage error; without --data, the saved one (or mnist for states that do not say).
 */
export function resumeDataName(state: ResumeState<unknown>, dataFlag: string | undefined): string {
  const saved = (state.files.meta.data as { name?: unknown } | undefined)?.name;
  if (typeof saved !== 'string') return trainDataName(dataFlag ?? 'mnist');
  if (dataFlag !== undefined && trainDataName(dataFlag) !== saved) {
    usageExit(`--data ${dataFlag}: the state at ${state.dir} was trained on ${saved}; leave --data out to continue on it`);
  }
  return saved;
}

/** --iters below the state's iteration would go backwards: a usage error. */
export function checkResumeIters(state: ResumeState<unknown>, iters: number): void {
  if (iters < state.iteration) {
    usageExit(`--iters ${iters}: the state at ${state.dir} is already at iteration ${state.iteration}; use --iters ${state.iteration} or more`);
  }
}

/**
 * Flags that only a fresh run uses (architecture, batch, seed): given with --resume and
 * different from what the state was saved with, they are ignored, and the CLI says so.
 * `given` holds the raw flags, `values` their parsed values, `saved` the state's.
 */
export function noteIgnoredOnResume(given: Record<string, unknown>, values: Record<string, unknown>, saved: Record<string, unknown>): void {
  const differ = Object.keys(saved).filter((k) => given[k] !== undefined && values[k] !== saved[k]);
  if (differ.length) {
    console.log(`ignored on resume (the saved run keeps its own): ${differ.map((k) => `--${k} ${String(given[k])} (saved: ${String(saved[k] ?? 'not recorded')})`).join(', ')}`);
  }
}

/**
 * A flag naming a checkpoint folder (--checkpoint, --resume for reading): its model.json must
 * be there and readable, checked before the backend starts; else one line and exit 2.
 */
export async function readCheckpointFlag(flag: string, dir: string): Promise<ModelJson> {
  try {
    return await readModelJson(dir);
  } catch (e) {
    if (e instanceof CheckpointError) usageExit(`--${flag} ${dir}: ${e.message}`);
    throw e;
  }
}
