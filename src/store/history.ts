/**
 * Step-history bookkeeping on the UI side (pure: no React, no DOM, no tfjs).
 *
 * A trajectory is one sampling run as the user scrubs it: positions 0..T along a slider,
 * position p showing x_{T−p} (x_T, pure noise, on the left; x_0, the sample, on the right).
 * Each position has two views:
 *
 *   'xk'   the chain state x_k itself;
 *   'x0'   the generator's prediction x̂₀ = G(x_k, k, z) made *from* x_k (at p = T, where
 *          there is no further step, x̂₀ is x_0 itself).
 *
 * Frames arrive from the worker one step at a time (`withStep`) and are shared by
 * reference, never copied: appending a step copies two short arrays of pointers. A re-roll
 * branch (`branchFrom`) shares the frames x_T … x_{k+1} of its parent and fills in the rest
 * from its own steps, which start with its own copy of x_k.
 */

export type View = 'xk' | 'x0';

/** One encoded frame (see src/worker/frames.ts) plus a hash for cheap equality checks. */
export interface Frame {
  /** RGBA8, [batch, height, width, 4]. */
  readonly rgba: Uint8ClampedArray;
  readonly hash: number;
}

export interface Trajectory {
  readonly T: number;
  readonly batch: number;
  readonly width: number;
  readonly height: number;
  /** xs[p] = x_{T−p}; null until it has arrived. */
  readonly xs: readonly (Frame | null)[];
  /** preds[p] = x̂₀ predicted from x_{T−p} (p < T); preds[T] = x_0. */
  readonly preds: readonly (Frame | null)[];
  /** ms[p] = wall time of the step x_{T−p} → x_{T−p−1} (p < T). */
  readonly ms: readonly (number | null)[];
  /** First position this trajectory computed itself (0 for a fresh run, T − k for a re-roll from k). */
  readonly ownFrom: number;
}

/** FNV-1a over the bytes: a 32-bit fingerprint, enough to tell frames apart in tests and UI. */
export function hashBytes(bytes: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function makeFrame(rgba: Uint8ClampedArray): Frame {
  return { rgba, hash: hashBytes(rgba) };
}

export function emptyTrajectory(T: number, batch: number, width: number, height: number): Trajectory {
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`T must be a positive integer, got ${T}`);
  const none = (): null[] => new Array<null>(T + 1).fill(null);
  return { T, batch, width, height, xs: none(), preds: none(), ms: new Array<null>(T).fill(null), ownFrom: 0 };
}

/** Slider position of x_k. */
export function positionOfK(T: number, k: number): number {
  return T - k;
}

/** k of the x_k shown at slider position p. */
export function kOfPosition(T: number, p: number): number {
  return T - p;
}

export function clampPosition(T: number, p: number): number {
  return Math.max(0, Math.min(T, Math.round(p)));
}

/**
 * The step (1..T) a slider position belongs to: position p shows x_{T−p}, the input of
 * step p + 1, and x̂₀ predicted by that step; the last position shows x_0, step T's result.
 */
export function stepOfPosition(T: number, p: number): number {
  return Math.min(clampPosition(T, p) + 1, T);
}

function checkFrame(t: Trajectory, f: Frame, what: string): void {
  const want = t.batch * t.width * t.height * 4;
  if (f.rgba.length !== want) throw new RangeError(`${what} has ${f.rgba.length} bytes, expected ${want}`);
}

/** Records the step x_k → x_{k−1}: its input x_k, the prediction x̂₀ from it, and its time. */
export function withStep(t: Trajectory, k: number, xK: Frame, x0Pred: Frame, ms: number): Trajectory {
  if (!Number.isInteger(k) || k < 1 || k > t.T) throw new RangeError(`step k = ${k} is outside 1..${t.T}`);
  checkFrame(t, xK, `x_${k}`);
  checkFrame(t, x0Pred, `x̂₀ from x_${k}`);
  const p = positionOfK(t.T, k);
  const xs = t.xs.slice();
  const preds = t.preds.slice();
  const msList = t.ms.slice();
  xs[p] = xK;
  preds[p] = x0Pred;
  msList[p] = ms;
  return { ...t, xs, preds, ms: msList };
}

/** Records the final sample x_0 (which is also the "prediction" at the last position). */
export function withFinal(t: Trajectory, x0: Frame): Trajectory {
  checkFrame(t, x0, 'x_0');
  const xs = t.xs.slice();
  const preds = t.preds.slice();
  xs[t.T] = x0;
  preds[t.T] = x0;
  return { ...t, xs, preds };
}

/**
 * A re-roll from step k: keeps x_T … x_{k+1} of `parent` (shared), leaves x_k and later
 * empty for the branch's own steps (the worker re-sends x_k from its stored copy, so the
 * shared prefix can be checked rather than assumed). The x̂₀ predictions before k are kept
 * too: the branch made the same calls there.
 */
export function branchFrom(parent: Trajectory, k: number): Trajectory {
  if (!Number.isInteger(k) || k < 1 || k > parent.T) throw new RangeError(`re-roll step k = ${k} is outside 1..${parent.T}`);
  const p = positionOfK(parent.T, k);
  const keep = <T>(a: readonly (T | null)[]): (T | null)[] => a.map((v, i) => (i < p ? v : null));
  return { ...parent, xs: keep(parent.xs), preds: keep(parent.preds), ms: keep(parent.ms), ownFrom: p };
}

export function frameAt(t: Trajectory, position: number, view: View): Frame | null {
  const p = clampPosition(t.T, position);
  return (view === 'xk' ? t.xs : t.preds)[p] ?? null;
}

/** Number of leading positions whose x_k has arrived (the slider's live extent). */
export function arrivedCount(t: Trajectory): number {
  let n = 0;
  while (n <= t.T && t.xs[n] !== null) n++;
  return n;
}

export function isComplete(t: Trajectory): boolean {
  return t.xs.every((f) => f !== null) && t.preds.every((f) => f !== null);
}

/** Sum of the step times that have arrived (ms). */
export function totalStepMs(t: Trajectory): number {
  return t.ms.reduce<number>((a, b) => a + (b ?? 0), 0);
}
