/**
 * Protocol, sampling: `generate` (one run x_T → x_0, streamed step by step), `reroll`
 * (new branches from a step of the last generate) and `cancel`.
 */
import type { BackendName } from '../../shared/backends';
import type { EngineMemory } from './backend';

export const MAX_BATCH = 64;
export const MAX_BRANCHES = 8;

/** Geometry of the frames of one sampling run: RGBA8, [batch, height, width, 4]. */
export interface FrameGeometry {
  readonly batch: number;
  readonly width: number;
  readonly height: number;
  readonly T: number;
}

export interface GenerateParams {
  readonly batch: number;
  /** 0..2^32−1; the same seed on the same backend gives the same pixels. */
  readonly seed: number;
  /** Slow motion: each step is shown for at least this long (0 = as fast as possible). */
  readonly minStepMs: number;
}

/**
 * One step x_k → x_{k−1} as it happens: its input x_k and the prediction x̂₀ = G(x_k, k, z),
 * as RGBA8 frames (transferred). `branch` is 0 for a generate and the branch index for a
 * re-roll; `ms` is the step's wall time including the read-back (not the slow-motion wait).
 */
export interface StepProgress {
  readonly status: 'step';
  readonly branch: number;
  readonly k: number;
  readonly T: number;
  readonly xK: ArrayBuffer;
  readonly x0Pred: ArrayBuffer;
  readonly ms: number;
}

export interface GenerateResult extends FrameGeometry {
  readonly seed: number;
  /** The sample x_0 as an RGBA8 frame (transferred). */
  readonly x0: ArrayBuffer;
  readonly stepMs: readonly number[];
  /** Request to result, excluding slow-motion waits. */
  readonly totalMs: number;
  readonly backend: BackendName;
  readonly memory: EngineMemory;
}

export interface RerollParams {
  /** Keep x_T … x_k of the last generate; draw new z and posterior noise from step k on. */
  readonly fromK: number;
  /** Number of branches (1..8), each with its own random stream `branchSeed(seed, b)`. */
  readonly branches: number;
  readonly seed: number;
  readonly minStepMs: number;
}

export interface RerollBranch {
  readonly seed: number;
  readonly x0: ArrayBuffer;
  readonly stepMs: readonly number[];
}

export interface RerollResult extends FrameGeometry {
  readonly fromK: number;
  /** Seed of the generate this re-roll branched from. */
  readonly parentSeed: number;
  readonly branches: readonly RerollBranch[];
  readonly memory: EngineMemory;
}

export type CancelParams = Record<string, never>;
export interface CancelResult {
  /** Sampling requests that were running or queued and are now cancelled. */
  readonly cancelled: number;
}

/** Seed of branch `b` of a re-roll with base seed `seed` (both sides agree on this mix). */
export function branchSeed(seed: number, b: number): number {
  let x = (seed ^ Math.imul(b + 1, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
