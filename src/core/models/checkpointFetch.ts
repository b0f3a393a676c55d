/**
 * Loading a checkpoint folder from a URL (browser, worker), with byte-level progress, and
 * optionally through a `WeightCache` that keeps the weights after the first download.
 */
import { CheckpointError, concatShards, expectedWeightBytes, parseCheckpoint, parseModelJson, type LoadedCheckpoint } from './checkpoint';

export type LoadProgress = (loadedBytes: number, totalBytes: number) => void;

/**
 * Where downloaded checkpoint files are kept (the worker's is Cache Storage). Weight shards
 * are stored per `version`, a fingerprint of the model.json they belong to, so a changed
 * checkpoint is never served stale weights. Implementations swallow their own failures
 * (a miss, a write that did not happen): a cache never breaks a load.
 */
export interface WeightCache {
  /** The last model.json text seen for this URL (used when the network fails). */
  getText(url: string): Promise<string | null>;
  putText(url: string, text: string): Promise<void>;
  get(url: string, version: string): Promise<ArrayBuffer | null>;
  /** Stores a shard for `version` and drops the copies of other versions. */
  put(url: string, version: string, bytes: ArrayBuffer): Promise<void>;
}

/** FNV-1a of a string as 8 hex digits: the version of a model.json text. */
export function textFingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

async function fetchOk(url: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new CheckpointError(`could not fetch ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new CheckpointError(`could not fetch ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  return res;
}

/** model.json from the network, or the cached copy when the network cannot be reached. */
async function modelJsonText(url: string, cache: WeightCache | undefined): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    // Offline (not an HTTP error: a 404 means the checkpoint is gone, and stays an error).
    const kept = await cache?.getText(url);
    if (kept) return kept;
    throw new CheckpointError(`could not fetch ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new CheckpointError(`could not fetch ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  const text = await res.text();
  void cache?.putText(url, text);
  return text;
}

/**
 * `baseUrl` is the checkpoint folder (with or without a trailing slash). With a `cache`,
 * model.json is still asked of the network (small; it says whether the cached weights are
 * current) and each weight shard comes from the cache when it holds this version; a shard
 * that was downloaded is stored without waiting for the write.
 */
export async function fetchCheckpoint(baseUrl: string, onProgress?: LoadProgress, cache?: WeightCache): Promise<LoadedCheckpoint> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const text = await modelJsonText(base + 'model.json', cache);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CheckpointError(`${base}model.json is not valid JSON`);
  }
  const meta = parseModelJson(json);
  const version = textFingerprint(text);
  const total = expectedWeightBytes(meta);
  let loaded = 0;
  onProgress?.(0, total);
  const shards: ArrayBuffer[] = [];
  for (const group of meta.weightsManifest) {
    for (const p of group.paths) {
      const kept = await cache?.get(base + p, version);
      if (kept) {
        loaded += kept.byteLength;
        onProgress?.(loaded, total);
        shards.push(kept);
        continue;
      }
      const res = await fetchOk(base + p);
      if (!res.body) {
        const buf = await res.arrayBuffer();
        loaded += buf.byteLength;
        onProgress?.(loaded, total);
        shards.push(buf);
        void cache?.put(base + p, version, buf);
        continue;
      }
      const reader = res.body.getReader();
      const parts: ArrayBuffer[] = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value.slice().buffer as ArrayBuffer);
        loaded += value.byteLength;
        onProgress?.(loaded, total);
      }
      const buf = concatShards(parts);
      shards.push(buf);
      void cache?.put(base + p, version, buf);
    }
  }
  return parseCheckpoint(meta, concatShards(shards));
}
