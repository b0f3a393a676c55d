/**
 * Loading a checkpoint over fetch with a weight cache (the worker's is Cache Storage): the
 * second load takes the weights from the cache, a changed model.json downloads them again,
 * offline the cached model.json and weights still load, and a missing checkpoint (HTTP 404)
 * stays an error even when a copy is cached. A truncated download is never cached (once the
 * server's file is fixed the next load works), and a bad cached copy is dropped and fetched
 * again.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { disposeCheckpoint, serializeCheckpoint } from '../../src/core/models/checkpoint';
import { fetchCheckpoint, textFingerprint, type WeightCache } from '../../src/core/models/checkpointFetch';
import { Network } from '../../src/core/models/network';
import { TINY_CONFIG } from '../fixtures/tinyCheckpoint';
import { backend } from '../helpers';

const BASE = 'http://127.0.0.1:1/models/tiny/';

function memoryCache(): WeightCache & { shards: Map<string, ArrayBuffer> } {
  const texts = new Map<string, string>();
  const shards = new Map<string, ArrayBuffer>();
  return {
    shards,
    getText: async (url) => texts.get(url) ?? null,
    putText: async (url, text) => void texts.set(url, text),
    get: async (url, version) => shards.get(`${url}@${version}`)?.slice(0) ?? null,
    put: async (url, version, bytes) => {
      for (const k of [...shards.keys()]) if (k.startsWith(`${url}@`)) shards.delete(k);
      shards.set(`${url}@${version}`, bytes.slice(0));
    },
    remove: async (url, version) => void shards.delete(`${url}@${version}`),
  };
}

let files: { modelJson: string; weights: ArrayBuffer };

beforeAll(async () => {
  await backend('cpu');
  const net = Network.create(TINY_CONFIG, 5);
  const { modelJson, weightData } = await serializeCheckpoint({ name: 'tiny', createdAt: '2026-01-01T00:00:00.000Z', codeVersion: 'test' }, { generator: net });
  net.dispose();
  files = { modelJson: JSON.stringify(modelJson), weights: weightData };
});

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Serves the checkpoint files; records every URL asked for. `offline` throws like a dead network. */
function serve(state: { modelJson: string; offline?: boolean; missing?: boolean; truncated?: boolean }): string[] {
  const asked: string[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    asked.push(url);
    if (state.offline) throw new TypeError('Failed to fetch');
    if (state.missing) return new Response('not found', { status: 404, statusText: 'Not Found' });
    if (url.endsWith('model.json')) return new Response(state.modelJson);
    return new Response(files.weights.slice(0, state.truncated ? files.weights.byteLength - 100 : undefined));
  });
  return asked;
}

describe('fetchCheckpoint with a weight cache', () => {
  it('downloads the weights once, then loads them from the cache with the same values', async () => {
    const cache = memoryCache();
    const state = { modelJson: files.modelJson };
    const asked = serve(state);
    const progress: number[] = [];
    const first = await fetchCheckpoint(BASE, (loaded) => progress.push(loaded), cache);
    await new Promise((r) => setTimeout(r, 0));
    expect(asked.filter((u) => u.endsWith('.bin'))).toHaveLength(1);
    expect(cache.shards.size).toBe(1);
    asked.length = 0;
    progress.length = 0;
    const second = await fetchCheckpoint(BASE, (loaded) => progress.push(loaded), cache);
    expect(asked).toEqual([`${BASE}model.json`]);
    expect(progress.at(-1)).toBe(files.weights.byteLength);
    const values = async (ck: typeof first): Promise<number[]> => {
      const out: number[] = [];
      for (const v of ck.networks.generator.params.vars.values()) out.push(...(await v.data()));
      return out;
    };
    expect(await values(second)).toEqual(await values(first));
    disposeCheckpoint(first);
    disposeCheckpoint(second);
  });

  it('downloads again when model.json changed, loads offline from the cache, and keeps a 404 an error', async () => {
    const cache = memoryCache();
    const state: { modelJson: string; offline?: boolean; missing?: boolean } = { modelJson: files.modelJson };
    const asked = serve(state);
    disposeCheckpoint(await fetchCheckpoint(BASE, undefined, cache));
    // A retrained checkpoint: new model.json, so the cached weights are not used.
    state.modelJson = JSON.stringify({ ...JSON.parse(files.modelJson), createdAt: '2026-02-02T00:00:00.000Z' });
    asked.length = 0;
    disposeCheckpoint(await fetchCheckpoint(BASE, undefined, cache));
    expect(asked.filter((u) => u.endsWith('.bin'))).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.shards.size).toBe(1);

    state.offline = true;
    const offline = await fetchCheckpoint(BASE, undefined, cache);
    expect(offline.meta.createdAt).toBe('2026-02-02T00:00:00.000Z');
    disposeCheckpoint(offline);

    state.offline = false;
    state.missing = true;
    await expect(fetchCheckpoint(BASE, undefined, cache)).rejects.toThrow(/HTTP 404/);
  });

  it('never caches a truncated download: once the server file is fixed, the next load gets it', async () => {
    const cache = memoryCache();
    const state: { modelJson: string; truncated?: boolean } = { modelJson: files.modelJson, truncated: true };
    const asked = serve(state);
    await expect(fetchCheckpoint(BASE, undefined, cache)).rejects.toThrow(/truncated download/);
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.shards.size).toBe(0);
    // The server's file is fixed (same model.json): the weights are downloaded again and load.
    state.truncated = false;
    asked.length = 0;
    disposeCheckpoint(await fetchCheckpoint(BASE, undefined, cache));
    expect(asked.filter((u) => u.endsWith('.bin'))).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 0));
    expect([...cache.shards.values()].map((b) => b.byteLength)).toEqual([files.weights.byteLength]);
  });

  it('drops a cached shard that fails validation and downloads it again', async () => {
    const cache = memoryCache();
    const asked = serve({ modelJson: files.modelJson });
    // A bad copy of the current version, as an older build (which cached before validating) left it.
    await cache.put(`${BASE}weights.bin`, textFingerprint(files.modelJson), files.weights.slice(0, 64));
    const ck = await fetchCheckpoint(BASE, undefined, cache);
    disposeCheckpoint(ck);
    expect(asked.filter((u) => u.endsWith('.bin'))).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 0));
    expect([...cache.shards.values()].map((b) => b.byteLength)).toEqual([files.weights.byteLength]);
    // …and the next load is served from the (now good) cache.
    asked.length = 0;
    disposeCheckpoint(await fetchCheckpoint(BASE, undefined, cache));
    expect(asked).toEqual([`${BASE}model.json`]);
  });
});
