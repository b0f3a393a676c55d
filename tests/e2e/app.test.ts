/**
 * The app in real Chromium: real worker, real WebGPU adapter (SwiftShader here), the built
 * app served on 127.0.0.1 (DESIGN §7). A tiny random-weight checkpoint (tests/fixtures)
 * is served next to the shipped models, so the checks do not depend on how far the model in
 * public/models/ has trained; a second fixture lacks its weights.bin.
 *
 * Covered: T frames per image, streamed in order; scrubbing shows the stored frames (pixels
 * read back from the canvas); the same seed twice gives identical pixels; re-roll keeps the
 * early steps and changes the late ones; slow motion; enlarge + PNG downloads; keyboard
 * scrubbing; no long task on the main thread while generating; no tensor leak over 50
 * generations; the backend override (and that it is remembered); a missing model file
 * gives the error UI; phone-sized layout. Screenshots land in test-results/.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULTS_DIR, startHarness, waitForState, type Harness, type TrackedPage } from './harness';
import {
  attr,
  genCount,
  generate,
  longTasksSince,
  observeLongTasks,
  pageNow,
  readCanvas,
  scrubTo,
  setSeed,
  startRecording,
  stepLog,
  takeRecording,
  waitModelReady,
} from './appDriver';
import { TINY_CONFIG, TINY_MODEL, buildTinyCheckpoint, ensureCpuBackend } from '../fixtures/tinyCheckpoint';

const T = TINY_CONFIG.T;
const BROKEN = 'broken-missing-weights';
let h: Harness;

beforeAll(async () => {
  await ensureCpuBackend();
  const tiny = await buildTinyCheckpoint();
  const broken = await buildTinyCheckpoint(BROKEN);
  h = await startHarness({
    fixtures: [
      { name: TINY_MODEL, modelJson: tiny.modelJson, weights: tiny.weights },
      { name: BROKEN, modelJson: broken.modelJson },
    ],
  });
});

afterAll(async () => {
  await h?.close();
});

async function open(url: string, opts: { viewport?: { width: number; height: number }; longTasks?: boolean } = {}): Promise<TrackedPage> {
  const t = await h.newPage({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
  if (opts.longTasks) await observeLongTasks(t.page);
  await t.page.goto(`${h.baseUrl}${url}`);
  return t;
}

function finish(t: TrackedPage, allowed: RegExp[] = []): void {
  const problems = t.problemLines().filter((l) => !allowed.some((re) => re.test(l)));
  expect(problems).toEqual([]);
}

describe('generate, stream and scrub on WebGPU', () => {
  it('streams T frames in order, scrubs to the stored frames, and repeats a seed exactly', async () => {
    const t = await open(`/?backend=webgpu&model=${TINY_MODEL}&batch=1`);
    const { page } = t;
    await waitModelReady(t);
    expect(await attr(page, 'backend', 'data-value')).toBe('webgpu');
    const arch = await attr(page, 'adapter', 'data-architecture');
    const fallback = await attr(page, 'adapter', 'data-fallback');
    expect(/swiftshader/i.test(arch) || fallback === 'true').toBe(true);
    // Download progress reached the full byte count; the warm-up compiled shaders first.
    expect(Number(await attr(page, 'load-progress', 'data-value'))).toBe(Number(await attr(page, 'load-progress', 'data-max')));
    expect(Number(await attr(page, 'model-timings', 'data-shaders'))).toBeGreaterThan(0);

    await setSeed(page, 4242);
    await startRecording(page);
    const wall = await generate(t);
    const rec = await takeRecording(page);
    // Every step was on screen on its own: the counter went 0 (or 1), …, T, and the canvas
    // changed frame at least once per step.
    const steps = rec.steps.filter((s) => s > 0);
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(rec.frames.length).toBeGreaterThanOrEqual(T + 1);

    const log = await stepLog(page);
    expect(log.map((e) => e.k)).toEqual([4, 3, 2, 1]);
    for (const e of log) expect(e.ms).toBeGreaterThan(0);
    expect(new Set(log.map((e) => e.xk)).size).toBe(T);

    // Scrubbing: the canvas holds exactly the stored frame (batch 1: canvas = frame bytes).
    const finalRead = await readCanvas(page, 'main-canvas');
    expect(finalRead.pixels).toBe(Number(finalRead.frame));
    for (let p = 0; p < T; p++) {
      await scrubTo(page, p);
      await expect.poll(async () => (await readCanvas(page, 'main-canvas')).frame).toBe(String(log[p].xk));
      expect((await readCanvas(page, 'main-canvas')).pixels).toBe(log[p].xk);
    }
    await page.getByTestId('view-x0').check();
    for (let p = 0; p < T; p++) {
      await scrubTo(page, p);
      await expect.poll(async () => (await readCanvas(page, 'main-canvas')).pixels).toBe(log[p].x0);
    }
    // At x_0 the prediction view is x_0 itself (no noise at the last step).
    await scrubTo(page, T);
    await expect.poll(async () => (await readCanvas(page, 'main-canvas')).pixels).toBe(finalRead.pixels);
    await page.getByTestId('view-xk').check();
    await h.screenshot(page, 'app-webgpu-scrubbed');

    // The same seed again: identical pixels at every step.
    await generate(t);
    const again = await stepLog(page);
    expect(again.map((e) => [e.xk, e.x0])).toEqual(log.map((e) => [e.xk, e.x0]));
    await expect.poll(async () => (await readCanvas(page, 'main-canvas')).pixels).toBe(finalRead.pixels);
    // And the seed is in the URL, so a link reproduces the picture.
    expect(new URL(page.url()).searchParams.get('seed')).toBe('4242');

    console.log(`webgpu tiny batch 1: click→done ${wall} ms; steps ${log.map((e) => e.ms.toFixed(0)).join('/')} ms; warm-up ${await attr(page, 'model-timings', 'data-warmup-ms')} ms`);
    finish(t);
    await page.close();
  });
});

describe('the app on auto (wasm on a software adapter)', () => {
  let t: TrackedPage;

  beforeAll(async () => {
    t = await open(`/?model=${TINY_MODEL}&batch=4`, { longTasks: true });
    await waitModelReady(t);
  });

  afterAll(async () => {
    await t?.page.close();
  });

  // A long task is a timing: one stray 50 ms task on a busy CI machine is retried once; a
  // main thread that really blocks fails both tries.
  it('picks wasm for the software adapter and keeps the main thread free of long tasks while generating', { retry: 1 }, async () => {
    const { page } = t;
    expect(await attr(page, 'backend', 'data-value')).toBe('wasm');
    expect(await attr(page, 'backend-reason', 'data-value')).toMatch(/^auto: .*software/);
    await setSeed(page, 7);
    // Page load and warm-up may have had long tasks; only generation is measured.
    const since = await pageNow(page);
    for (const batch of [4, 16]) {
      await page.getByTestId(`batch-${batch}`).check();
      await waitForState(page, 'model-status', ['ready'], 60_000);
      await generate(t);
    }
    const long = await longTasksSince(page, since);
    expect(long, `long tasks: ${JSON.stringify(long)}`).toEqual([]);
    await page.getByTestId('batch-4').check();
    await generate(t);
    await h.screenshot(page, 'app-wasm-batch4');
  });

  it('scrubs with the arrow keys', async () => {
    const { page } = t;
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Home');
    await expect.poll(() => page.getByTestId('scrub-slider').inputValue()).toBe('0');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId('scrub-slider').inputValue()).toBe('2');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByTestId('scrub-slider').inputValue()).toBe('1');
    // The slider itself is focusable and keyboard-driven too.
    await page.getByTestId('scrub-slider').focus();
    await page.keyboard.press('End');
    await expect.poll(() => page.getByTestId('scrub-slider').inputValue()).toBe(String(T));
  });

  it('re-roll from k keeps x_T … x_k identical and changes the later steps', async () => {
    const { page } = t;
    const k = 2;
    await scrubTo(page, T - k);
    await page.getByTestId('branch-count').selectOption('2');
    await page.getByTestId('reroll-button').click();
    expect(await waitForState(page, 'reroll-status', ['done', 'error'], 60_000)).toBe('done');

    for (let p = 0; p <= T; p++) {
      await scrubTo(page, p);
      const original = await readCanvas(page, 'branch-canvas-original');
      const b0 = await readCanvas(page, 'branch-canvas-0');
      const b1 = await readCanvas(page, 'branch-canvas-1');
      if (p <= T - k) {
        // x_T … x_k: the same frames (x_k itself was re-sent by the worker from its history).
        expect([b0.frame, b1.frame]).toEqual([original.frame, original.frame]);
        expect([b0.pixels, b1.pixels]).toEqual([original.pixels, original.pixels]);
      } else {
        expect(b0.pixels).not.toBe(original.pixels);
        expect(b1.pixels).not.toBe(original.pixels);
        expect(b0.pixels).not.toBe(b1.pixels);
      }
    }
    await h.screenshot(page, 'app-reroll-branches');
  });

  it('enlarges a sample with its filmstrip and downloads sample, filmstrip and grid as PNG', async () => {
    const { page } = t;
    await page.getByTestId('sample-1').click();
    const dialog = page.getByTestId('sample-dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const strip = await page.getByTestId('filmstrip-canvas').evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
    expect(strip).toEqual([(T + 1) * TINY_CONFIG.imageSize + T * 2, 2 * TINY_CONFIG.imageSize + 2]);
    await h.screenshot(page, 'app-sample-dialog');

    for (const id of ['download-sample', 'download-filmstrip']) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(id).click()]);
      expect(dl.suggestedFilename()).toMatch(/\.png$/);
      const file = path.join(RESULTS_DIR, `download-${dl.suggestedFilename()}`);
      await dl.saveAs(file);
      const bytes = await readFile(file);
      expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);

    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-grid').click()]);
    expect(dl.suggestedFilename()).toMatch(/^ddgan-grid-7-.*\.png$/);
  });

  it('slow motion keeps every step on screen for a while', async () => {
    const { page } = t;
    await page.getByTestId('batch-1').check();
    await waitForState(page, 'model-status', ['ready'], 60_000);
    await page.getByTestId('slow-motion').check();
    await startRecording(page);
    await generate(t);
    const rec = await takeRecording(page);
    await page.getByTestId('slow-motion').uncheck();
    const times = rec.stepTimes.slice(rec.steps.indexOf(1));
    expect(rec.steps.slice(rec.steps.indexOf(1))).toEqual([1, 2, 3, 4]);
    const gaps = times.slice(1).map((x, i) => x - times[i]);
    for (const g of gaps) expect(g).toBeGreaterThan(500);
  });

  it('a newer Generate cancels the running one cleanly, and Stop stops', async () => {
    const { page } = t;
    await page.getByTestId('batch-1').check();
    await page.getByTestId('slow-motion').check();
    const before = await genCount(page);
    await setSeed(page, 100);
    await page.getByTestId('generate-button').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-counter"]')?.getAttribute('data-steps')) >= 1, undefined, { timeout: 30_000 });
    await setSeed(page, 101);
    await page.getByTestId('generate-button').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="gen-status"]')?.getAttribute('data-state') === 'done', undefined, { timeout: 60_000 });
    expect(await attr(page, 'run-stats', 'data-seed')).toBe('101');
    expect(await genCount(page)).toBe(before + 1);
    expect((await stepLog(page)).map((e) => e.k)).toEqual([4, 3, 2, 1]);

    await page.getByTestId('generate-button').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-counter"]')?.getAttribute('data-steps')) >= 1, undefined, { timeout: 30_000 });
    await page.getByTestId('stop-button').click();
    expect(await waitForState(page, 'gen-status', ['cancelled', 'done', 'error'], 30_000)).toBe('cancelled');
    expect(await genCount(page)).toBe(before + 1);
    await page.getByTestId('slow-motion').uncheck();
  });

  it('leaks no tensors in the worker over 50 generations', async () => {
    const { page } = t;
    await page.getByTestId('batch-1').check();
    const counts: number[] = [];
    const start = await genCount(page);
    for (let i = 0; i < 50; i++) {
      await generate(t);
      counts.push(Number(await attr(page, 'worker-tensors', 'data-value')));
    }
    expect(await genCount(page)).toBe(start + 50);
    expect(new Set(counts), `numTensors after each generation: ${counts.join(',')}`).toEqual(new Set([counts[0]]));
    console.log(`50 generations: worker numTensors stayed at ${counts[0]}`);
    finish(t);
  });
});

describe('backend override, errors, small screens', () => {
  it('switches backend from the UI and remembers the choice across reloads', async () => {
    const t = await open(`/?model=${TINY_MODEL}&batch=1`);
    const { page } = t;
    await waitModelReady(t);
    expect(await attr(page, 'backend', 'data-value')).toBe('wasm');
    await page.getByTestId('backend-select').selectOption('cpu');
    await waitModelReady(t);
    expect(await attr(page, 'backend', 'data-value')).toBe('cpu');
    expect(await attr(page, 'backend-reason', 'data-value')).toMatch(/requested explicitly/);
    await generate(t);
    expect(await attr(page, 'run-stats', 'data-backend')).toBe('cpu');

    // A fresh visit without ?backend= comes back on the remembered choice.
    await page.goto(`${h.baseUrl}/?model=${TINY_MODEL}&batch=1`);
    await waitModelReady(t);
    expect(await attr(page, 'backend', 'data-value')).toBe('cpu');
    expect(await page.getByTestId('backend-select').inputValue()).toBe('cpu');
    // Back to auto, which forgets the override.
    await page.getByTestId('backend-select').selectOption('auto');
    await waitModelReady(t);
    expect(await attr(page, 'backend', 'data-value')).toBe('wasm');
    expect(await page.evaluate(() => localStorage.getItem('ddgan-web.backend'))).toBeNull();
    finish(t);
    await page.close();
  });

  it('shows what failed and a retry when a model file is missing, not a blank page', async () => {
    const t = await open(`/?model=${BROKEN}&batch=1`);
    const { page } = t;
    expect(await waitForState(page, 'model-status', ['ready', 'error'], 120_000)).toBe('error');
    expect(await attr(page, 'model-error', 'data-code')).toBe('model-load-failed');
    const text = await page.getByTestId('model-error').innerText();
    expect(text).toContain('weights.bin');
    expect(text).toContain('404');
    expect(await page.getByTestId('generate-button').isDisabled()).toBe(true);
    expect(await page.getByTestId('title').innerText()).toBe('ddgan-web');
    await h.screenshot(page, 'app-missing-weights');
    // Retry tries again (and fails again the same way).
    await page.getByTestId('model-retry').click();
    expect(await waitForState(page, 'model-status', ['ready', 'error'], 120_000)).toBe('error');
    // The two 404s of weights.bin are the point of this test; anything else is a failure.
    finish(t, [/404.*broken-missing-weights\/weights\.bin/, /Failed to load resource: the server responded with a status of 404/]);
    await page.close();
  });

  it('works on a phone-sized viewport', async () => {
    const t = await open(`/?model=${TINY_MODEL}&batch=4&seed=11`, { viewport: { width: 390, height: 844 } });
    const { page } = t;
    await waitModelReady(t);
    // A seed in the link generates without a click.
    await waitForState(page, 'gen-status', ['done'], 60_000);
    expect(await attr(page, 'run-stats', 'data-seed')).toBe('11');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await page.getByTestId('main-canvas').boundingBox();
    expect(box!.width).toBeGreaterThan(250);
    await h.screenshot(page, 'app-phone');
    finish(t);
    await page.close();
  });
});
