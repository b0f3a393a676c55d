/**
 * The command-line training loop shared by every trainer: step until the target
 * iteration, print a progress line every 10 iterations (with images/s and ETA), save every
 * `saveEvery` iterations and at the end, stop cleanly (saving first) on Ctrl-C, SIGTERM or a
 * time limit, and refuse to save after a divergence so the last good state survives.
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
  readonly stateDir: string;
}

export async function runTrainingLoop<S extends { iteration: number; ms: number }>(
  trainer: SteppingTrainer<S>,
  opts: LoopOptions<S>,
): Promise<string> {
  let stopRequested = false;
  let firstSignalAt = 0;
  const onSignal = (sig: string) => {
    // Ctrl-C reaches the whole process group, and a launcher such as tsx relays it once more:
    // a repeat within a second is the same request. A later one means "stop now, unsaved".
    if (stopRequested) {
      if (Date.now() - firstSignalAt > 1000) process.exit(130);
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
  const startIteration = trainer.iteration;
  const t0 = Date.now();
  let stopReason = 'done';
  try {
    while (trainer.iteration < opts.iters) {
      if (stopRequested) {
        stopReason = 'interrupted';
        break;
      }
      if (Date.now() > opts.deadline) {
        stopReason = 'time limit reached';
        break;
      }
      // On wasm, `await data()` settles as a microtask, so a loop of steps would never give
      // the event loop a turn and a signal would wait for the next save: yield one each step.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const stats = await trainer.step();
      opts.onStep?.(stats);
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
      if (stats.iteration % opts.saveEvery === 0) {
        await opts.save();
        lastSaved = trainer.iteration;
      }
    }
  } catch (e) {
    if (e instanceof TrainingDiverged) {
      console.error(`${e.message}. Nothing was saved for this iteration; the last good state is at ${opts.stateDir} (iteration ${lastSaved}).`);
      process.exit(1);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // Save what the steps since the last save did; a run resumed at (or past) its target took
  // no steps, and saving then writes the model from the resume state, as the message promises.
  if (trainer.iteration !== lastSaved || trainer.iteration === startIteration) await opts.save();
  return stopReason;
}
