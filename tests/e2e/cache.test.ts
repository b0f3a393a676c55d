/**
 * Weights are downloaded once: after the first visit the engine worker keeps them in Cache
 * Storage, and a second visit loads the model with the weights unreachable (only model.json
 * goes to the network). The model panel states the download size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';
import { attr, generate, setSeed, waitModelReady } from './appDriver';
import { TINY_MODEL, buildTinyCheckpoint, ensureCpuBackend } from '../fixtures/tinyCheckpoint';

let h: Harness;
let weightBytes = 0;

beforeAll(async () => {
  await ensureCpuBackend();
  const tiny = await buildTinyCheckpoint();
  weightBytes = tiny.weights.byteLength;
  h = await startHarness({ fixtures: [{ name: TINY_MODEL, modelJson: tiny.modelJson, weights: tiny.weights }] });
});

afterAll(async () => {
  await h?.close();
});

describe('weights cache', () => {
  it('states the download size, and a second visit loads the model without downloading the weights', async () => {
    const url = `${h.baseUrl}/?backend=wasm&model=${TINY_MODEL}&batch=1`;
    const first = await h.newPage();
    const weightRequests: string[] = [];
    h.context.on('request', (r) => {
      if (r.url().endsWith(`/models/${TINY_MODEL}/weights.bin`)) weightRequests.push(r.url());
    });
    await first.page.goto(url);
    await waitModelReady(first);
    expect(Number(await attr(first.page, 'model-download-size', 'data-value'))).toBe(weightBytes);
    expect(await first.page.getByTestId('model-download-size').innerText()).toMatch(/kB|MB/);
    await setSeed(first.page, 3);
    await generate(first);
    const hash = await attr(first.page, 'main-canvas', 'data-frame-hash');
    expect(weightRequests).toHaveLength(1);
    // The cache write is not awaited by the load: give it a moment before leaving.
    await first.page.waitForTimeout(500);
    expect(first.problemLines()).toEqual([]);
    await first.page.close();

    // Second visit: the weights cannot be fetched at all, and the model loads anyway.
    const second = await h.newPage();
    await second.page.route(`**/models/${TINY_MODEL}/weights.bin`, (route) => route.abort('blockedbyclient'));
    await second.page.goto(url);
    await waitModelReady(second);
    await setSeed(second.page, 3);
    await generate(second);
    expect(await attr(second.page, 'main-canvas', 'data-frame-hash')).toBe(hash);
    expect(weightRequests).toHaveLength(1);
    expect(second.problemLines()).toEqual([]);
    await second.page.close();
  });
});
