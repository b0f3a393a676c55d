/** Loading a checkpoint folder from a URL (browser, worker), with byte-level progress. */
import { CheckpointError, concatShards, expectedWeightBytes, parseCheckpoint, parseModelJson, type LoadedCheckpoint } from './checkpoint';

export type LoadProgress = (loadedBytes: number, totalBytes: number) => void;

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

/** `baseUrl` is the checkpoint folder (with or without a trailing slash). */
export async function fetchCheckpoint(baseUrl: string, onProgress?: LoadProgress): Promise<LoadedCheckpoint> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const jsonRes = await fetchOk(base + 'model.json');
  let json: unknown;
  try {
    json = await jsonRes.json();
  } catch {
    throw new CheckpointError(`${base}model.json is not valid JSON`);
  }
  const meta = parseModelJson(json);
  const total = expectedWeightBytes(meta);
  let loaded = 0;
  onProgress?.(0, total);
  const shards: ArrayBuffer[] = [];
  for (const group of meta.weightsManifest) {
    for (const p of group.paths) {
      const res = await fetchOk(base + p);
      if (!res.body) {
        const buf = await res.arrayBuffer();
        loaded += buf.byteLength;
        onProgress?.(loaded, total);
        shards.push(buf);
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
      shards.push(concatShards(parts));
    }
  }
  return parseCheckpoint(meta, concatShards(shards));
}
