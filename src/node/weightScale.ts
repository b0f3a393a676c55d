/**
 * A blow-up of the weights themselves, checked before each save. A healthy run barely moves
 * the scale of its networks' weights, while one update at a far too high learning rate moves
 * every weight by about that rate (Adam's step is bounded by it), before any loss shows it.
 * A network whose RMS grew more than `factor` times since the run started (default 10×) has
 * diverged, and the save is refused (the measured scales: training/STUDY.md).
 *
 * Works on serialised checkpoints (model.json's manifest + the float32 weights); optimiser
 * state (`state/…`) is not a network and is left out.
 */
import { TrainingDiverged } from '../core/training/imageGan';
import type { ModelJson } from '../core/models/checkpoint';

export const WEIGHT_GROWTH_LIMIT = 10;

/** RMS of each network's weights (keyed by network name, e.g. generator, discriminator). */
export function weightRms(ck: { modelJson: Pick<ModelJson, 'weightsManifest'>; weightData: ArrayBuffer }): Record<string, number> {
  const values = new Float32Array(ck.weightData, 0, Math.floor(ck.weightData.byteLength / 4));
  const sums: Record<string, { sq: number; n: number }> = {};
  let offset = 0;
  for (const group of ck.modelJson.weightsManifest) {
    for (const spec of group.weights) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const net = spec.name.split('/')[0];
      if (net !== 'state') {
        const s = (sums[net] ??= { sq: 0, n: 0 });
        for (let i = offset; i < offset + size; i++) s.sq += values[i] * values[i];
        s.n += size;
      }
      offset += size;
    }
  }
  return Object.fromEntries(Object.entries(sums).map(([net, s]) => [net, Math.sqrt(s.sq / Math.max(1, s.n))]));
}

const fmt = (v: number) => (v >= 1e4 || v < 1e-3 ? v.toExponential(1) : v.toPrecision(3));
const NAMES: Record<string, string> = { generator: "the generator's", discriminator: "the discriminator's", generatorEma: "the EMA generator's" };

/**
 * Throws TrainingDiverged when a network's weight RMS is more than `factor` times what it was
 * at `since` (the run's start), or is not finite.
 */
export function checkWeightGrowth(start: Record<string, number>, now: Record<string, number>, iteration: number, since: number, factor = WEIGHT_GROWTH_LIMIT): void {
  for (const [net, rms] of Object.entries(now)) {
    const was = start[net];
    if (was === undefined) continue;
    const what = NAMES[net] ?? `network ${net}'s`;
    if (!Number.isFinite(rms)) throw new TrainingDiverged(`training diverged at iteration ${iteration}: ${what} weights are not finite`, iteration);
    if (was > 0 && rms > factor * was) {
      throw new TrainingDiverged(
        `training diverged at iteration ${iteration}: ${what} weights grew ${fmt(rms / was)}× since iteration ${since} (RMS ${fmt(was)} → ${fmt(rms)}; the learning rates are too high)`,
        iteration,
      );
    }
  }
}
