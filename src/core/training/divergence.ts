/**
 * Divergence that stays finite. `ImageGanTrainerBase.step` already throws `TrainingDiverged`
 * on a NaN or infinite loss; a run at a far too high learning rate (lr 0.1, no R1) instead
 * keeps finite numbers while it falls apart: the losses and D's logits jump from ~1 to
 * 1e3…1e10 within a few iterations, and the generator's samples turn into one flat colour
 * (all white). These checks catch that, on plain numbers (no tfjs), so the worker and the
 * CLI can share them:
 *
 *   - `DivergenceMonitor.checkStats`: after each update, a loss or a logit larger than
 *     `factor` × its scale in the run's first iterations (and than `floor`), or larger than
 *     `ceiling` at any time;
 *   - `checkSamples`: samples (clipped to [−1, 1], as they are drawn) that are one constant
 *     colour, i.e. whose standard deviation is below `minStd`;
 *   - `checkWeights`: a non-finite value in serialised float32 weights.
 *
 * Each throws `TrainingDiverged` with a message that says what was seen.
 */
import { TrainingDiverged, type TrainStepStats } from './imageGan';

export interface DivergenceLimits {
  /** A value this many times its early scale is an explosion (three orders of magnitude). */
  readonly factor: number;
  /** …and only above this (so a loss going from 0.001 to 2 is not one). */
  readonly floor: number;
  /** Above this, always (whatever the early scale). */
  readonly ceiling: number;
  /** Iterations whose values set the early scale. */
  readonly window: number;
  /** Samples whose clipped standard deviation is below this are one constant colour. */
  readonly minStd: number;
}

export const DEFAULT_DIVERGENCE_LIMITS: DivergenceLimits = { factor: 1000, floor: 100, ceiling: 1e6, window: 5, minStd: 0.01 };

const WATCHED = ['lossD', 'lossG', 'dReal', 'dFake'] as const;
type Watched = (typeof WATCHED)[number];

const NAMES: Record<Watched, string> = { lossD: 'the D loss', lossG: 'the G loss', dReal: 'D(real)', dFake: 'D(fake)' };

const fmt = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : v.toPrecision(3));

export class DivergenceMonitor {
  /** |value| of the first `window` iterations seen, per watched number. */
  private readonly early: Record<Watched, number[]> = { lossD: [], lossG: [], dReal: [], dFake: [] };

  constructor(readonly limits: DivergenceLimits = DEFAULT_DIVERGENCE_LIMITS) {}

  /** The scale of a number in the run's first iterations (at least 1). */
  private scale(key: Watched): number {
    const v = [...this.early[key]].sort((a, b) => a - b);
    return v.length === 0 ? Infinity : Math.max(1, v[Math.floor((v.length - 1) / 2)]);
  }

  /** Throws TrainingDiverged when a loss or a logit of this update exploded. */
  checkStats(stats: Pick<TrainStepStats, 'iteration' | Watched>): void {
    const { factor, floor, ceiling, window } = this.limits;
    for (const key of WATCHED) {
      const v = Math.abs(stats[key]);
      if (!Number.isFinite(v)) throw new TrainingDiverged(`training diverged at iteration ${stats.iteration}: ${NAMES[key]} is ${stats[key]}`, stats.iteration);
      const scale = this.scale(key);
      const limit = Math.min(ceiling, Math.max(floor, factor * scale));
      if (v > limit) {
        const was = Number.isFinite(scale) ? `, against about ${fmt(scale)} in the first iterations` : '';
        throw new TrainingDiverged(
          `training diverged at iteration ${stats.iteration}: ${NAMES[key]} is ${fmt(stats[key])}${was} (the learning rates are too high for this model, or R1 is too weak)`,
          stats.iteration,
        );
      }
    }
    for (const key of WATCHED) if (this.early[key].length < window) this.early[key].push(Math.abs(stats[key]));
  }
}

/** Throws TrainingDiverged when the samples (clipped to [−1, 1]) are one constant colour. */
export function checkSamples(values: ArrayLike<number>, iteration: number, limits: Pick<DivergenceLimits, 'minStd'> = DEFAULT_DIVERGENCE_LIMITS): void {
  let sum = 0;
  let sq = 0;
  let bad = 0;
  for (let i = 0; i < values.length; i++) {
    const raw = values[i];
    if (!Number.isFinite(raw)) {
      bad++;
      continue;
    }
    const v = raw < -1 ? -1 : raw > 1 ? 1 : raw;
    sum += v;
    sq += v * v;
  }
  if (bad > 0) throw new TrainingDiverged(`training diverged at iteration ${iteration}: the generator's samples contain ${bad} non-finite values`, iteration);
  const n = values.length;
  if (n === 0) return;
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
  if (std < limits.minStd) {
    const colour = mean > 0.9 ? 'all white' : mean < -0.9 ? 'all black' : `one flat grey (${fmt(mean)})`;
    throw new TrainingDiverged(`training diverged at iteration ${iteration}: the generator's samples collapsed to one constant colour (${colour}, standard deviation ${fmt(std)})`, iteration);
  }
}

/** Throws TrainingDiverged when serialised float32 weights hold a NaN or an infinity. */
export function checkWeights(weights: ArrayBuffer, iteration: number): void {
  const f = new Float32Array(weights, 0, Math.floor(weights.byteLength / 4));
  for (let i = 0; i < f.length; i++) {
    // v - v is NaN exactly for NaN and ±Infinity: cheaper than Number.isFinite per element.
    if (f[i] - f[i] !== 0) throw new TrainingDiverged(`training diverged at iteration ${iteration}: the weights contain a non-finite value`, iteration);
  }
}
