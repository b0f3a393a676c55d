/**
 * The part of the app's state that lives in the URL, so a link reproduces a picture:
 *
 *   ?model=mnist-ddgan-t4&batch=16&seed=1234&backend=wasm&slow=1
 *
 * Pure: parses and writes query strings, never touches `location`. Unknown parameters are
 * kept untouched when writing; malformed values are reported (not thrown) so the caller
 * can warn once and fall back to defaults.
 */
import { BATCH_SIZES, MAX_SEED, isBatchSize, randomSeed, type BatchSize } from '../store/settings';
import { isBackendRequest, type BackendRequest } from '../worker/protocol';
import type { AppState } from '../store/types';

export { BATCH_SIZES, MAX_SEED, isBatchSize, randomSeed, type BatchSize };

export interface UrlState {
  readonly model?: string;
  readonly batch?: BatchSize;
  readonly seed?: number;
  readonly backend?: BackendRequest;
  readonly slow?: boolean;
}

export interface ParsedUrlState {
  readonly state: UrlState;
  /** One line per parameter that was present but unusable. */
  readonly problems: readonly string[];
}

/** Model folder names: what the build's index emits (letters, digits, '-', '_', '.'). */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function parseSeed(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t)) return null;
  const n = Number(t);
  return n <= MAX_SEED ? n : null;
}

export function parseUrlState(search: string): ParsedUrlState {
  const q = new URLSearchParams(search);
  const state: { -readonly [K in keyof UrlState]: UrlState[K] } = {};
  const problems: string[] = [];

  const model = q.get('model');
  if (model !== null) {
    if (MODEL_NAME.test(model)) state.model = model;
    else problems.push(`model=${model}: not a model folder name`);
  }
  const batch = q.get('batch');
  if (batch !== null) {
    const n = Number(batch);
    if (isBatchSize(n)) state.batch = n;
    else problems.push(`batch=${batch}: expected one of ${BATCH_SIZES.join(', ')}`);
  }
  const seed = q.get('seed');
  if (seed !== null) {
    const n = parseSeed(seed);
    if (n !== null) state.seed = n;
    else problems.push(`seed=${seed}: expected a whole number from 0 to ${MAX_SEED}`);
  }
  const backend = q.get('backend');
  if (backend !== null) {
    if (isBackendRequest(backend)) state.backend = backend;
    else problems.push(`backend=${backend}: expected auto, webgpu, wasm, webgl or cpu`);
  }
  const slow = q.get('slow');
  if (slow !== null) {
    if (slow === '1' || slow === 'true') state.slow = true;
    else if (slow === '0' || slow === 'false') state.slow = false;
    else problems.push(`slow=${slow}: expected 1 or 0`);
  }
  return { state, problems };
}

/**
 * Writes `patch` into the query string `search` (with or without its '?'); a key set to
 * undefined is removed, others are kept in their order. Returns the new search ('' or '?…').
 */
export function writeUrlState(search: string, patch: { readonly [K in keyof UrlState]?: UrlState[K] | undefined }): string {
  const q = new URLSearchParams(search);
  for (const [key, value] of Object.entries(patch) as [keyof UrlState, UrlState[keyof UrlState]][]) {
    if (value === undefined) q.delete(key);
    else if (typeof value === 'boolean') q.set(key, value ? '1' : '0');
    else q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * What the URL should hold for the app's state: after a run, the model, batch and seed of
 * that run (the picture on screen), even if the batch field has changed since; before any,
 * the chosen model and batch, and the seed only when the user fixed one. A run of an
 * imported model file cannot be reproduced from a link, so it leaves the seed out.
 */
export function urlStateOf(s: Pick<AppState, 'gen' | 'models' | 'engine'>): { [K in keyof UrlState]: UrlState[K] | undefined } {
  const run = s.gen.stats;
  const runBatch = run && isBatchSize(run.batch) ? run.batch : undefined;
  const reproducible = run !== null && run.model !== null;
  return {
    model: (reproducible ? run.model : s.models.selected) ?? undefined,
    batch: reproducible ? (runBatch ?? s.gen.batch) : s.gen.batch,
    seed: reproducible ? run.seed : run === null && !s.gen.randomSeed ? s.gen.seed : undefined,
    slow: s.gen.slowMotion ? true : undefined,
    backend: s.engine.requested === 'auto' ? undefined : s.engine.requested,
  };
}
