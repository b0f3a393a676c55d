import { describe, expect, it } from 'vitest';
import {
  arrivedCount,
  branchFrom,
  clampPosition,
  emptyTrajectory,
  frameAt,
  hashBytes,
  isComplete,
  kOfPosition,
  makeFrame,
  positionOfK,
  totalStepMs,
  withFinal,
  withStep,
  type Trajectory,
} from '../../src/store/history';

const W = 2;
const frame = (v: number) => makeFrame(new Uint8ClampedArray(W * W * 4).fill(v));

/** A complete T = 4 run whose frames are filled with recognisable bytes. */
function fullRun(): Trajectory {
  let t = emptyTrajectory(4, 1, W, W);
  for (let k = 4; k >= 1; k--) t = withStep(t, k, frame(10 * k), frame(10 * k + 1), k);
  return withFinal(t, frame(1));
}

describe('trajectory positions', () => {
  it('position p shows x_{T-p}: x_T on the left, x_0 on the right', () => {
    expect(positionOfK(4, 4)).toBe(0);
    expect(positionOfK(4, 0)).toBe(4);
    expect(kOfPosition(4, 1)).toBe(3);
    expect(clampPosition(4, -3)).toBe(0);
    expect(clampPosition(4, 9)).toBe(4);
    expect(clampPosition(4, 2.4)).toBe(2);
  });
});

describe('withStep / withFinal', () => {
  it('fills positions as steps arrive, without touching the previous trajectory', () => {
    const t0 = emptyTrajectory(4, 1, W, W);
    const t1 = withStep(t0, 4, frame(40), frame(41), 5);
    expect(arrivedCount(t0)).toBe(0);
    expect(arrivedCount(t1)).toBe(1);
    expect(frameAt(t1, 0, 'xk')!.rgba[0]).toBe(40);
    expect(frameAt(t1, 0, 'x0')!.rgba[0]).toBe(41);
    expect(frameAt(t1, 1, 'xk')).toBeNull();
    expect(t0.xs[0]).toBeNull();
  });

  it('a complete run has T + 1 states, and x̂₀ at the last position is x_0 itself', () => {
    const t = fullRun();
    expect(isComplete(t)).toBe(true);
    expect(arrivedCount(t)).toBe(5);
    expect(t.xs.map((f) => f!.rgba[0])).toEqual([40, 30, 20, 10, 1]);
    expect(t.preds.map((f) => f!.rgba[0])).toEqual([41, 31, 21, 11, 1]);
    expect(totalStepMs(t)).toBe(10);
  });

  it('shares frames by reference (no per-step copies)', () => {
    const f = frame(3);
    const t = withStep(emptyTrajectory(4, 1, W, W), 4, f, frame(4), 1);
    expect(t.xs[0]).toBe(f);
    expect(withStep(t, 3, frame(5), frame(6), 1).xs[0]).toBe(f);
  });

  it('rejects out-of-range steps and frames of the wrong size', () => {
    const t = emptyTrajectory(4, 1, W, W);
    expect(() => withStep(t, 0, frame(1), frame(1), 0)).toThrow(/outside 1..4/);
    expect(() => withStep(t, 5, frame(1), frame(1), 0)).toThrow(/outside 1..4/);
    expect(() => withStep(t, 2, makeFrame(new Uint8ClampedArray(3)), frame(1), 0)).toThrow(/bytes/);
  });
});

describe('branchFrom', () => {
  it('keeps x_T … x_{k+1} of the parent and leaves x_k onwards to the branch', () => {
    const parent = fullRun();
    const b = branchFrom(parent, 2);
    expect(b.ownFrom).toBe(2);
    expect(b.xs.map((f) => f?.rgba[0] ?? null)).toEqual([40, 30, null, null, null]);
    expect(b.preds.map((f) => f?.rgba[0] ?? null)).toEqual([41, 31, null, null, null]);
    expect(b.xs[0]).toBe(parent.xs[0]);
    const filled = withFinal(withStep(withStep(b, 2, frame(20), frame(99), 1), 1, frame(98), frame(97), 1), frame(97));
    expect(isComplete(filled)).toBe(true);
    expect(filled.xs[2]!.hash).toBe(parent.xs[2]!.hash);
    expect(filled.xs[4]!.hash).not.toBe(parent.xs[4]!.hash);
  });

  it('from T keeps nothing (x_T itself is re-sent by the branch), and rejects k outside 1..T', () => {
    const b = branchFrom(fullRun(), 4);
    expect(b.xs.every((f) => f === null)).toBe(true);
    expect(() => branchFrom(fullRun(), 0)).toThrow();
    expect(() => branchFrom(fullRun(), 5)).toThrow();
  });
});

describe('hashBytes', () => {
  it('is FNV-1a (32 bit)', () => {
    expect(hashBytes([])).toBe(0x811c9dc5);
    expect(hashBytes(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    expect(hashBytes(new TextEncoder().encode('foobar'))).toBe(0xbf9cf968);
  });
});
