/**
 * Errors on the worker side of the protocol: the class the worker throws on purpose, and
 * the one place that turns anything thrown into the wire shape `{ name, code, message }`.
 * No tfjs here, so tests can import it in Node without a backend.
 */
import type { ErrorCode, SerializedError } from './protocol';

export const ERROR_NAMES: Record<ErrorCode, string> = {
  'bad-request': 'BadRequestError',
  'invalid-config': 'InvalidConfigError',
  'backend-unavailable': 'BackendUnavailableError',
  'not-initialised': 'NotInitialisedError',
  'model-load-failed': 'ModelLoadError',
  'no-model': 'NoModelError',
  'no-history': 'NoHistoryError',
  cancelled: 'CancelledError',
  'worker-crashed': 'WorkerCrashedError',
  disposed: 'EngineDisposedError',
  'bad-data': 'BadDataError',
  'no-training': 'NoTrainingError',
  internal: 'InternalError',
};

/** An error the engine raises on purpose, with a code the UI can act on. */
export class EngineFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = ERROR_NAMES[code];
  }
}

/** Text of anything thrown; the wasm backend rejects with a plain `{ message }` object. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string') return e.message;
  return String(e);
}

/** True for the ways a cancelled sampling run ends: our CancelledError, core's SamplingAborted. */
export function isCancellation(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return code === 'cancelled' || code === 'aborted' || e.name === 'SamplingAborted' || e.name === 'CancelledError';
}

export function serialize(e: unknown): SerializedError {
  if (e instanceof EngineFailure) return { name: e.name, code: e.code, message: e.message };
  if (isCancellation(e)) return { name: ERROR_NAMES.cancelled, code: 'cancelled', message: messageOf(e) };
  // Keep the original name (TypeError, RangeError, …): it tells a bug from a bad input.
  const name = e instanceof Error ? e.name : 'InternalError';
  return { name, code: 'internal', message: messageOf(e) };
}
