/** Shared test utilities (Node): backend set-up and numeric comparisons. */
import { useNodeBackend } from '../src/node/backend';
import type { BackendName } from '../src/core/backend';

/** Switches to `name`; wasm runs one thread unless asked (test files already run in parallel). */
export async function backend(name: BackendName = 'wasm', threads = 1): Promise<void> {
  await useNodeBackend(name, { threads });
}

/** max |a − b| / max |b|: the relative error used by the kernel tests. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-12);
}

export function meanVar(values: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  const mean = s / values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - mean) ** 2;
  return { mean, variance: v / (values.length - 1) };
}
