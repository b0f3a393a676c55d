/**
 * The worker's built-in training data (src/worker/trainingData.ts), read from the built data
 * sets in public/data through a fetch that serves that folder as the app's origin would:
 * Twemoji alone or the three-style icons set, filtered by category and search, and a set name
 * it does not know refused with the reason.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadTrainingData } from '../../src/worker/trainingData';
import type { TrainingData } from '../../src/worker/protocol';

const ORIGIN = 'http://app.test';
const dataDir = path.resolve(import.meta.dirname, '../../public/data');

beforeAll(() => {
  vi.stubGlobal('fetch', async (input: string | URL) => {
    const url = new URL(String(input));
    if (url.origin !== ORIGIN || !url.pathname.startsWith('/data/')) return new Response('not found', { status: 404 });
    const bytes = await readFile(path.join(dataDir, url.pathname.slice('/data/'.length)));
    return new Response(bytes, { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
  });
});
afterAll(() => vi.unstubAllGlobals());

const emoji = (extra: Partial<Extract<TrainingData, { kind: 'emoji' }>>): TrainingData =>
  ({ kind: 'emoji', dataUrl: `${ORIGIN}/data`, category: 2, search: 'cat', ...extra }) as TrainingData;

async function manifest(name: string): Promise<{ count: number; itemNames: string[]; styles?: unknown[] }> {
  return JSON.parse(await readFile(path.join(dataDir, `${name}.json`), 'utf8'));
}

describe('built-in training data', () => {
  it('loads Twemoji alone by default and three drawings of each emoji with set "icons"', async () => {
    const twemoji = await loadTrainingData(emoji({}), 32, 3, ORIGIN);
    const icons = await loadTrainingData(emoji({ set: 'icons' }), 32, 3, ORIGIN);
    expect(twemoji.count).toBeGreaterThan(0);
    // The icons set holds the training split of the same emoji in up to three styles.
    expect(icons.count).toBeGreaterThan(twemoji.count);
    expect(icons.count).toBeLessThanOrEqual(3 * twemoji.count);
    expect(icons.name).toMatch(/^icons-train 2 “cat”/);
    expect(twemoji.name).toMatch(/^emoji 2 “cat”/);
    const all = await loadTrainingData(emoji({ set: 'icons', category: null, search: '' }), 32, 3, ORIGIN);
    expect(all.count).toBe((await manifest('icons-train')).count);
    expect(all.pixels.byteLength).toBe(all.count * 32 * 32 * 3);
  });

  it('refuses an emoji set it does not know, naming the ones it does', async () => {
    await expect(loadTrainingData(emoji({ set: 'fonts' as never }), 32, 3, ORIGIN)).rejects.toThrow(/emoji set must be one of emoji, icons, got "fonts"/);
  });
});
