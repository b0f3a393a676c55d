/**
 * Measurements for the report, not a regression test (runs only with TRAIN_MEASURE=1):
 * a 64-image fine-tune of the shipped MNIST model on wasm (images/s, worker tensor memory,
 * long tasks), and a few iterations of the tiny fixture on WebGPU (SwiftShader here), to
 * show the same path trains there.
 */
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitForState, type Harness } from './harness';
import { attr, longTasksSince, observeLongTasks, pageNow, waitModelReady } from './appDriver';
import { TINY_MODEL, buildTinyCheckpoint, ensureCpuBackend } from '../fixtures/tinyCheckpoint';

let h: Harness;

beforeAll(async () => {
  if (!process.env.TRAIN_MEASURE) return;
  await ensureCpuBackend();
  const tiny = await buildTinyCheckpoint();
  h = await startHarness({ fixtures: [{ name: TINY_MODEL, modelJson: tiny.modelJson, weights: tiny.weights }] });
});

afterAll(async () => {
  await h?.close();
});

/** A 40×40 grey PNG with a random bright stroke (digit-like enough for a timing run). */
function strokePng(seed: number): Buffer {
  const p = new PNG({ width: 40, height: 40 });
  let x = 10 + (seed % 20);
  let y = 8;
  p.data.fill(0);
  for (let i = 3; i < p.data.length; i += 4) p.data[i] = 255;
  for (let s = 0; s < 60; s++) {
    x = Math.max(3, Math.min(36, x + (((seed * 31 + s * 7) % 5) - 2)));
    y = Math.max(3, Math.min(36, y + ((seed + s) % 3 === 0 ? 0 : 1)));
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) p.data.fill(255, ((y + dy) * 40 + x + dx) * 4, ((y + dy) * 40 + x + dx) * 4 + 3);
  }
  return PNG.sync.write(p);
}

async function run(url: string, images: number, settings: Record<string, number>, label: string): Promise<void> {
  const t = await h.newPage({ viewport: { width: 1280, height: 900 } });
  await observeLongTasks(t.page);
  await t.page.goto(`${h.baseUrl}${url}`);
  await waitModelReady(t, 600_000);
  const { page } = t;
  await page.getByTestId('upload-input').setInputFiles(Array.from({ length: images }, (_, i) => ({ name: `s${i}.png`, mimeType: 'image/png', buffer: strokePng(i) })));
  await page.waitForFunction((n) => document.querySelector('[data-testid="upload-count"]')?.getAttribute('data-count') === String(n), images, { timeout: 120_000 });
  for (const [k, v] of Object.entries(settings)) await page.getByTestId(`train-${k}`).fill(String(v));
  const estimate = Number(await attr(page, 'memory-estimate', 'data-bytes'));
  const t0 = await pageNow(page);
  await page.getByTestId('train-start').click();
  const end = await waitForState(page, 'train-status', ['done', 'error', 'stopped'], 590_000);
  const t1 = await pageNow(page);
  expect(end).toBe('done');
  const long = (await longTasksSince(page, t0)).filter((e) => e.start <= t1 && e.duration > 50);
  console.log(
    `${label}: ${await attr(page, 'train-speed', 'data-images')} images/s (${await attr(page, 'train-speed', 'data-its')} it/s), ` +
      `elapsed ${await attr(page, 'train-elapsed', 'data-ms')} ms, worker tensors ${await attr(page, 'train-memory', 'data-bytes')} B, estimate ${estimate} B, ` +
      `long tasks > 50 ms: ${JSON.stringify(long)}`,
  );
  await page.close();
}

describe.runIf(process.env.TRAIN_MEASURE)('training measurements', () => {
  it('64-image fine-tune of the shipped MNIST model on wasm', async () => {
    await run('/?backend=wasm&model=mnist-ddgan-t4&batch=1', 64, { iterations: 8, batch: 8, previewEvery: 4 }, 'wasm mnist-ddgan-t4 32×32, 64 images, batch 8');
  });
  it('tiny fixture on webgpu', async () => {
    await run(`/?backend=webgpu&model=${TINY_MODEL}&batch=1`, 8, { iterations: 3, batch: 2, previewEvery: 3 }, 'webgpu (SwiftShader) tiny 16×16, batch 2');
  });
});
