/**
 * The tfjs backend names, as plain data: the worker, the protocol, the UI and the CLIs
 * name backends with these, and core/backend.ts starts them. No tfjs here.
 */

/** In the order of the software fallback chain. */
export const BACKENDS = ['webgpu', 'wasm', 'webgl', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function isBackendName(s: string): s is BackendName {
  return (BACKENDS as readonly string[]).includes(s);
}
