import { describe, expect, it, vi } from 'vitest';
import { CancelledError, JobRegistry, sleep, throwIfAborted } from '../../src/worker/jobs';
import { isCancellation, serialize } from '../../src/worker/errors';
import { SamplingAborted } from '../../src/core/diffusion/ddganSampler';

describe('JobRegistry', () => {
  it('a newer job aborts every older one, running or queued', () => {
    const jobs = new JobRegistry();
    const a = jobs.supersede(1);
    const b = jobs.supersede(2);
    expect(a.aborted).toBe(true);
    expect(b.aborted).toBe(false);
    const c = jobs.supersede(3);
    expect(b.aborted).toBe(true);
    expect(c.aborted).toBe(false);
    expect(jobs.size).toBe(1);
    expect(a.reason).toBeInstanceOf(CancelledError);
  });

  it('a finished job is forgotten and cannot be cancelled any more', () => {
    const jobs = new JobRegistry();
    const a = jobs.supersede('x');
    jobs.finish('x');
    expect(jobs.cancelAll()).toBe(0);
    expect(a.aborted).toBe(false);
  });

  it('cancelAll reports how many were live', () => {
    const jobs = new JobRegistry();
    jobs.supersede(1);
    expect(jobs.cancelAll('stop')).toBe(1);
    expect(jobs.size).toBe(0);
  });
});

describe('sleep and throwIfAborted', () => {
  it('sleep resolves after the delay, or at once for ms ≤ 0', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const p = sleep(100).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(99);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await p;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    await expect(sleep(-5)).resolves.toBeUndefined();
  });

  it('an abort cuts a sleep short with the cancellation reason', async () => {
    const ctrl = new AbortController();
    const p = sleep(60_000, ctrl.signal);
    ctrl.abort(new CancelledError('newer request'));
    await expect(p).rejects.toThrow('newer request');
    await expect(sleep(0, ctrl.signal)).rejects.toBeInstanceOf(CancelledError);
    expect(() => throwIfAborted(ctrl.signal)).toThrow(CancelledError);
    expect(() => throwIfAborted(undefined)).not.toThrow();
  });
});

describe('cancellation on the wire', () => {
  it("both the worker's and the core sampler's abort become code 'cancelled'", () => {
    expect(isCancellation(new CancelledError())).toBe(true);
    expect(isCancellation(new SamplingAborted())).toBe(true);
    expect(isCancellation(new Error('boom'))).toBe(false);
    expect(serialize(new SamplingAborted())).toMatchObject({ code: 'cancelled', name: 'CancelledError' });
    expect(serialize(new TypeError('x'))).toEqual({ name: 'TypeError', code: 'internal', message: 'x' });
  });
});
