/**
 * The command-line training loop shared by every trainer: step until the target
 * iteration, print a progress line every 10 iterations (with images/s and ETA), save every
 * `saveEvery` iterations and at the end, stop cleanly (saving first) on Ctrl-C, SIGTERM or a
 * time limit, and stop on a divergence without saving, so the last good state survives.
 *
 * A divergence is a TrainingDiverged thrown by the step itself (a non-finite loss), by
 * `check` after the update (losses that exploded while staying finite: DivergenceMonitor in
 * src/core/training/divergence.ts) or by `save` before it writes anything (collapsed samples,
 * non-finite weights). The message then names the last good state only if one exists.
 *
 * Under `npm run train` the process that runs this loop is not the one tsx watches
 * (src/node/tsxRelay.ts), so Ctrl-C reaches the handler below instead of a SIGKILL.
 */
import { TrainingDiverged } from '../core/training/ddganTrainer';
import { formatDuration } from './args';

export interface SteppingTrainer<S extends { iteration: number; ms: number }> {
  iteration: number;
  step(): Promise<S>;
}

export interface LoopOptions<S extends { iteration: number; ms: number }> {
  readonly iters: number;
  readonly saveEvery: number;
  /** Epoch milliseconds after which the loop stops and saves (Infinity: no limit). */
  readonly deadline: number;
  /** Images processed per iteration (for images/s). */
  readonly imagesPerIteration: number;
  /** FLOPs of one iteration, if known (for the effective GFLOP/s). */
  readonly flopsPerIteration?: number;
  readonly save: () => Promise<void>;
  /** The loss part of the progress line. */
  readonly describe: (stats: S) => string;
  /** Called after each step (bookkeeping such as wall time and recent stats). */
  readonly onStep?: (stats: S) => void;
  /** Checks each update; throws TrainingDiverged to stop the run unsaved. */
  readonly check?: (stats: S) => void;
  readonly stateDir: string;
  /** The good state on disk when the run starts: the folder it resumed from, or null (a fresh run). */
  readonly lastGood?: { readonly dir: string; readonly iteration: number } | null;
  /** Ends the process (default process.exit; tests pass one that throws). */
  readonly exit?: (code: number) => never;
}

export async function runTrainingLoop<S extends { iteration: number; ms: number }>(
  trainer: SteppingTrainer<S>,
  opts: LoopOptions<S>,
): Promise<string> {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopRequested = false;
  let firstSignalAt = 0;
  const onSignal = (sig: string) => {
    // Ctrl-C reaches the whole process group, and the launchers (npm, tsx, tsxRelay) relay it
    // once more: a repeat within a second is the same request. A later one means "stop now,
    // unsaved" (the last complete save stays: saves are atomic).
    if (stopRequested) {
      if (Date.now() - firstSignalAt > 1000) {
        console.log(`${sig} again: stopping without saving`);
        exit(130);
      }
      return;
    }
    stopRequested = true;
    firstSignalAt = Date.now();
    console.log(`\n${sig}: finishing this iteration and saving…`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const recentMs: number[] = [];
  let lastSaved = trainer.iteration;
  let lastGood = opts.lastGood ?? null;
  const save = async () => {
    await opts.save();
    lastSaved = trainer.iteration;
    lastGood = { dir: opts.stateDir, iteration: trainer.iteration };
  };
  const startIteration = trainer.iteration;
  const t0 = Date.now();
  let stopReason = 'done';
  try {
    while (trainer.iteration < opts.iters) {
      // On wasm, `await data()` settles as a microtask, so a loop of steps would never give
      // the event loop a turn and a signal would wait for the next save: yield one each step,
      // before looking at the stop request, so a signal that came during a step stops the
      // run before the next one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (stopRequested) {
        stopReason = 'interrupted';
        break;
      }
      if (Date.now() > opts.deadline) {
        stopReason = 'time limit reached';
        break;
      }
      const stats = await trainer.step();
      opts.onStep?.(stats);
      opts.check?.(stats);
      recentMs.push(stats.ms);
      if (recentMs.length > 10) recentMs.shift();
      if (stats.iteration % 10 === 0 || stats.iteration === opts.iters) {
        const ms = recentMs.reduce((a, b) => a + b, 0) / recentMs.length;
        const eta = ((opts.iters - trainer.iteration) * (Date.now() - t0)) / Math.max(1, trainer.iteration - startIteration) / 1000;
        const gflops = opts.flopsPerIteration ? ` ${(opts.flopsPerIteration / (ms * 1e6)).toFixed(1)} GFLOP/s` : '';
        console.log(
          `it ${stats.iteration}/${opts.iters} | ${opts.describe(stats)} | ` +
            `${((opts.imagesPerIteration * 1000) / ms).toFixed(1)} img/s${gflops} | ETA ${formatDuration(eta)}`,
        );
      }
      if (stats.iteration % opts.saveEvery === 0) await save();
    }
    // Save what the steps since the last save did; a run resumed at (or past) its target took
    // no steps, and saving then writes the model from the resume state, as the message promises.
    if (trainer.iteration !== lastSaved || trainer.iteration === startIteration) await save();
  } catch (e) {
    if (e instanceof TrainingDiverged) {
      console.error(`${e.message}. ${divergedAdvice(lastGood)}`);
      exit(1);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return stopReason;
}

/** What survives a divergence, naming only folders that exist. */
function divergedAdvice(lastGood: { dir: string; iteration: number } | null): string {
  if (lastGood) return `Stopped without saving: the last good state, ${lastGood.dir} (iteration ${lastGood.iteration}), is unchanged.`;
  return 'Stopped without saving: the run diverged before its first save, so nothing was written.';
}
