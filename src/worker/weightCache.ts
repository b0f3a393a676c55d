/**
 * Checkpoint files kept in Cache Storage (the `WeightCache` of core/models/checkpointFetch.ts):
 * after the first download a model loads on later visits without downloading its weights
 * again, and offline with the model.json seen last. Shards are stored under their URL with
 * the model.json fingerprint as a `v` query parameter, so a retrained checkpoint is fetched
 * afresh and the copies of older versions are deleted when the new one is stored. Only
 * validated shards are stored (fetchCheckpoint checks them first), and a stored shard that
 * fails validation is removed.
 *
 * Every failure (no Cache Storage in this context, storage disabled or full) is a cache miss
 * or a skipped write: the load then simply goes to the network.
 */
import type { WeightCache } from '../core/models/checkpointFetch';

export const WEIGHT_CACHE_NAME = 'ddgan-web-checkpoints-v1';

const keyOf = (url: string, version: string): string => {
  const u = new URL(url);
  u.searchParams.set('v', version);
  return u.href;
};

/** The Cache Storage cache, or null where this context has none. */
export function cacheStorageWeights(name = WEIGHT_CACHE_NAME): WeightCache | null {
  if (typeof caches === 'undefined') return null;
  // Opened at once, so the first load does not wait for it after model.json.
  const opened = caches.open(name);
  opened.catch(() => undefined);
  const cache = (): Promise<Cache> => opened;
  const quiet = async <T>(fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch {
      return fallback;
    }
  };
  return {
    getText: (url) =>
      quiet(async () => {
        const r = await (await cache()).match(url);
        return r ? await r.text() : null;
      }, null),
    putText: (url, text) => quiet(async () => (await cache()).put(url, new Response(text, { headers: { 'Content-Type': 'application/json' } })), undefined),
    get: (url, version) =>
      quiet(async () => {
        const r = await (await cache()).match(keyOf(url, version));
        return r ? await r.arrayBuffer() : null;
      }, null),
    put: (url, version, bytes) =>
      quiet(async () => {
        const c = await cache();
        const key = keyOf(url, version);
        await c.put(key, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } }));
        const base = new URL(url);
        for (const req of await c.keys()) {
          const u = new URL(req.url);
          if (u.origin === base.origin && u.pathname === base.pathname && u.searchParams.has('v') && u.href !== key) await c.delete(req);
        }
      }, undefined),
    remove: (url, version) => quiet(async () => void (await (await cache()).delete(keyOf(url, version))), undefined),
  };
}
