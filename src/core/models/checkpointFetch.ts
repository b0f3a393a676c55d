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
  /** Drops the stored shard of `version` (it failed validation). */
  remove(url: string, version: string): Promise<void>;
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

/** One weight shard from the network, reporting its bytes as they arrive. */
async function downloadShard(url: string, onBytes: (n: number) => void): Promise<ArrayBuffer> {
  const res = await fetchOk(url);
  if (!res.body) {
    const buf = await res.arrayBuffer();
    onBytes(buf.byteLength);
    return buf;
  }
  const reader = res.body.getReader();
  const parts: ArrayBuffer[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value.slice().buffer as ArrayBuffer);
    onBytes(value.byteLength);
  }
  return concatShards(parts);
}

/**
 * `baseUrl` is the checkpoint folder (with or without a trailing slash). With a `cache`,
 * model.json is still asked of the network (small; it says whether the cached weights are
 * current) and each weight shard comes from the cache when it holds this version.
 *
 * Nothing is cached before it is validated: the shards are checked together against
 * model.json (`parseCheckpoint`: byte count, finite values, names and shapes), and only a
 * checkpoint that passes has its downloaded shards stored (without waiting for the write).
 * A truncated download is therefore never kept, and once the file on the server is fixed
 * the next load gets it. Cached shards that fail the check (stored by an older version of
 * this code, or damaged) are dropped and downloaded again, once.
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
  const urls = meta.weightsManifest.flatMap((group) => group.paths.map((p) => base + p));

  const load = async (useCache: boolean): Promise<{ ck: LoadedCheckpoint | null; error: unknown; cached: string[]; downloaded: Map<string, ArrayBuffer> }> => {
    let loaded = 0;
    onProgress?.(0, total);
    const cached: string[] = [];
    const downloaded = new Map<string, ArrayBuffer>();
    const shards: ArrayBuffer[] = [];
    for (const url of urls) {
      const kept = useCache ? await cache?.get(url, version) : null;
      if (kept) {
        cached.push(url);
        shards.push(kept);
        loaded += kept.byteLength;
        onProgress?.(loaded, total);
        continue;
      }
      const buf = await downloadShard(url, (n) => {
        loaded += n;
        onProgress?.(loaded, total);
      });
      downloaded.set(url, buf);
      shards.push(buf);
    }
    try {
      return { ck: parseCheckpoint(meta, concatShards(shards)), error: null, cached, downloaded };
    } catch (error) {
      return { ck: null, error, cached, downloaded };
    }
  };

  let attempt = await load(cache !== undefined);
  if (!attempt.ck && attempt.cached.length > 0) {
    // Bad cached copies: forget them and ask the network for every shard.
    await Promise.all(attempt.cached.map((url) => cache?.remove(url, version)));
    attempt = await load(false);
  }
  if (!attempt.ck) throw attempt.error;
  for (const [url, buf] of attempt.downloaded) void cache?.put(url, version, buf);
  return attempt.ck;
}
