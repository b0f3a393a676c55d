/**
 * Cancellation bookkeeping for the worker's sampling jobs (pure: no tfjs).
 *
 * Rule: a newer sampling request supersedes every older one. The worker calls `supersede(id)`
 * the moment a generate/re-roll/load message *arrives* (not when the serial queue reaches
 * it), which aborts the running job and any still queued behind it; each of those answers
 * with a 'cancelled' error at its next step boundary, and the newest job runs next. The
 * sampler awaits between steps (core `sampleDdgan`), so an abort lands within one step.
 */

export class JobRegistry {
  private readonly live = new Map<string, AbortController>();

  /** Aborts every registered job, then registers `id` and returns its signal. */
  supersede(id: string | number, reason = 'superseded by a newer request'): AbortSignal {
    this.cancelAll(reason);
    const ctrl = new AbortController();
    this.live.set(String(id), ctrl);
    return ctrl.signal;
  }

  /** Aborts every registered job; returns how many were still live. */
  cancelAll(reason = 'cancelled'): number {
    const n = this.live.size;
    for (const ctrl of this.live.values()) ctrl.abort(new CancelledError(reason));
    this.live.clear();
    return n;
  }

  /** Forgets a finished job (it can no longer be cancelled). */
  finish(id: string | number): void {
    this.live.delete(String(id));
  }

  get size(): number {
    return this.live.size;
  }
}

/** The reason of a job stopped by the user (a `cancel` command), not by a newer request. */
export const CANCELLED_BY_REQUEST = 'cancelled by request';

/**
 * True when `signal` was aborted by a `cancel` command: such a job may still report the
 * step it stopped at (a superseded one goes quiet, the newer request owns the view).
 */
export function stoppedByRequest(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof CancelledError && signal.reason.message === CANCELLED_BY_REQUEST;
}

/** What an aborted job throws; the worker maps it to the protocol's 'cancelled' code. */
export class CancelledError extends Error {
  readonly code = 'cancelled';
  constructor(reason = 'cancelled') {
    super(reason);
    this.name = 'CancelledError';
  }
}

/** Throws the signal's reason (a CancelledError) if it has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new CancelledError();
}

/** Waits `ms` (≤ 0: not at all), rejecting early with the abort reason if `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) {
    try {
      throwIfAborted(signal);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new CancelledError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason instanceof Error ? signal!.reason : new CancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
