/** Value ranges of the user's settings, shared by the store and the URL state (pure). */

export const BATCH_SIZES = [1, 4, 16, 64] as const;
export type BatchSize = (typeof BATCH_SIZES)[number];

export function isBatchSize(n: number): n is BatchSize {
  return (BATCH_SIZES as readonly number[]).includes(n);
}

export const MAX_SEED = 0xffffffff;

/** A uniformly random seed in 0..MAX_SEED (from `random`, injectable for tests). */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * (MAX_SEED + 1)) >>> 0;
}

/** Slow motion: how long each step stays on screen at least (ms). */
export const SLOW_MOTION_MS = 700;

export const DEFAULT_BRANCHES = 3;
