/**
 * Fine-tuning in real Chromium, on the wasm backend (the fast one on this machine's
 * software adapter), with the tiny 16×16 fixture model: uploads are decoded in the worker
 * (good files load, bad ones get a message each), a few iterations update the losses, the
 * chart and the fixed-noise previews, pause / step / stop act between iterations, and the
 * main thread has no long task while it trains, and each preview sample is shown beside its
 * nearest upload; the Diffusion-GAN recipe shows its adaptive
 * T_dg; autosave to IndexedDB and resume after a reload; export → import gives the same
 * samples for the same seed; built-in data sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitForState, type Harness, type TrackedPage } from './harness';
import { readFile } from 'node:fs/promises';
import { attr, generate, longTasksSince, observeLongTasks, pageNow, readCanvas, setSeed, waitModelReady } from './appDriver';
import { TINY_MODEL, buildTinyCheckpoint, ensureCpuBackend } from '../fixtures/tinyCheckpoint';
import { gradientPng } from './uploads';

let h: Harness;

beforeAll(async () => {
  await ensureCpuBackend();
  const tiny = await buildTinyCheckpoint();
  h = await startHarness({ fixtures: [{ name: TINY_MODEL, modelJson: tiny.modelJson, weights: tiny.weights }] });
});

afterAll(async () => {
  await h?.close();
});

async function open(): Promise<TrackedPage> {
  const t = await h.newPage({ viewport: { width: 1280, height: 900 } });
  await observeLongTasks(t.page);
  await t.page.goto(`${h.baseUrl}/?backend=wasm&model=${TINY_MODEL}&batch=1`);
  await waitModelReady(t);
  return t;
}

async function upload(t: TrackedPage): Promise<void> {
  const good = gradientPng(40, 24, [255, 0, 0]);
  const corrupt = Buffer.concat([good.subarray(0, 60), Buffer.alloc(200, 7)]);
  // A PNG whose header says 8000×8000: refused from the header, before any decoding.
  const huge = Buffer.from(good);
  huge.writeUInt32BE(8000, 16);
  huge.writeUInt32BE(8000, 20);
  await t.page.getByTestId('upload-input').setInputFiles([
    { name: 'red.png', mimeType: 'image/png', buffer: good },
    { name: 'green.png', mimeType: 'image/png', buffer: gradientPng(30, 30, [0, 255, 0]) },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image, just some text\n') },
    { name: 'broken.png', mimeType: 'image/png', buffer: corrupt },
    { name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) },
    { name: 'huge.png', mimeType: 'image/png', buffer: huge },
    { name: 'blue.png', mimeType: 'image/png', buffer: gradientPng(12, 50, [0, 0, 255]) },
  ]);
  await t.page.waitForFunction(() => document.querySelector('[data-testid="upload-count"]')?.getAttribute('data-count') === '3' && !document.querySelector('[data-testid="decode-progress"]'), undefined, {
    timeout: 60_000,
  });
}

async function setSetting(t: TrackedPage, key: string, value: number): Promise<void> {
  await t.page.getByTestId(`train-${key}`).fill(String(value));
}

describe('fine-tune in the tab (wasm)', () => {
  it('loads the good uploads, reports each bad file, and fine-tunes with live losses and previews', async () => {
    const t = await open();
    const { page } = t;
    await upload(t);
    expect(await attr(page, 'upload-problem-count', 'data-count')).toBe('4');
    const problems = await page.$$eval('[data-testid="upload-problems"] li', (lis) => lis.map((li) => `${li.getAttribute('data-name')}: ${li.textContent}`));
    expect(problems.find((p) => p.startsWith('notes.txt'))).toMatch(/not a PNG, JPEG, WebP or GIF/);
    expect(problems.find((p) => p.startsWith('broken.png'))).toMatch(/could not decode this PNG/);
    expect(problems.find((p) => p.startsWith('empty.png'))).toMatch(/empty/);
    expect(problems.find((p) => p.startsWith('huge.png'))).toMatch(/8000×8000 is 64 megapixels/);
    expect(await page.locator('[data-testid="upload-thumbs"] canvas').count()).toBe(3);

    await setSetting(t, 'iterations', 6);
    await setSetting(t, 'batch', 2);
    await setSetting(t, 'previewEvery', 2);
    // The window measured is the run itself: let the upload's last render settle first (on
    // this loaded 2-core machine its tail could otherwise straddle the click).
    await page.waitForTimeout(300);
    const t0 = await pageNow(page);
    await page.getByTestId('train-start').click();
    // Generate waits while training holds the worker.
    await waitForState(page, 'train-status', ['running', 'done', 'error'], 60_000);
    expect(await page.getByTestId('generate-button').isDisabled()).toBe(true);
    const end = await waitForState(page, 'train-status', ['done', 'error', 'stopped'], 180_000);
    if (end !== 'done') throw new Error(`training ended ${end}: ${await page.getByTestId('train-error').innerText().catch(() => '')}\n${t.problemLines().join('\n')}`);
    const t1 = await pageNow(page);

    expect(await attr(page, 'train-iteration', 'data-value')).toBe('6');
    expect(Number.isFinite(Number(await attr(page, 'train-losses', 'data-loss-d')))).toBe(true);
    expect(await page.getByTestId('train-note').innerText()).toMatch(/D starts fresh/);
    await page.waitForFunction(() => document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points') === '6', undefined, { timeout: 10_000 });
    expect(await page.locator('[data-testid="loss-chart"] canvas').count()).toBeGreaterThan(0);
    // Previews at 0 (before), 2, 4, 6; the strip scrubs back to the first one.
    expect(await attr(page, 'preview-grid', 'data-previews')).toBe('4');
    expect(await attr(page, 'preview-grid', 'data-iteration')).toBe('6');
    // Each of the 16 fixed-noise samples beside its nearest upload, by the worker's pairing.
    expect(await attr(page, 'preview-pairs', 'data-pairs')).toBe('16');
    expect(await attr(page, 'preview-pairs', 'data-iteration')).toBe('6');
    const nearest = await page.$$eval('[data-testid="preview-pair"]', (els) => els.map((e) => Number(e.getAttribute('data-nearest'))));
    expect(nearest).toHaveLength(16);
    for (const i of nearest) expect([0, 1, 2]).toContain(i);
    expect(await page.locator('[data-testid="preview-pairs"] canvas').count()).toBe(1);
    await page.getByTestId('preview-slider').fill('0');
    expect(await attr(page, 'preview-grid', 'data-iteration')).toBe('0');
    expect(await page.getByTestId('generate-button').isDisabled()).toBe(false);

    const imagesPerSecond = Number(await attr(page, 'train-speed', 'data-images'));
    const memoryBytes = Number(await attr(page, 'train-memory', 'data-bytes'));
    const long = (await longTasksSince(page, t0)).filter((e) => e.start <= t1);
    console.log(`train (wasm, tiny 16×16, batch 2): ${imagesPerSecond} images/s, worker memory ${memoryBytes} B, long tasks ${JSON.stringify(long)}`);
    expect(imagesPerSecond).toBeGreaterThan(0);
    expect(long.filter((e) => e.duration > 50)).toEqual([]);
    await h.screenshot(page, 'train-done');
    expect(t.problemLines()).toEqual([]);
  });

  it('trains with the Diffusion-GAN recipe: T_dg and r_d readout, a T_dg trace, and new previews', async () => {
    const t = await open();
    const { page } = t;
    await upload(t);
    await page.getByTestId('recipe-diffusion-gan').check();
    expect(await attr(page, 'recipe-note', 'data-recipe')).toBe('diffusion-gan');
    await setSetting(t, 'iterations', 4);
    await setSetting(t, 'batch', 2);
    await setSetting(t, 'previewEvery', 2);
    await page.getByTestId('train-start').click();
    const end = await waitForState(page, 'train-status', ['done', 'error', 'stopped'], 240_000);
    if (end !== 'done') throw new Error(`training ended ${end}: ${await page.getByTestId('train-error').innerText().catch(() => '')}\n${t.problemLines().join('\n')}`);
    expect(await attr(page, 'train-iteration', 'data-value')).toBe('4');
    expect(await page.getByTestId('train-note').innerText()).toMatch(/Diffusion-GAN/);
    // T_dg starts at T_min = 10; the update after iteration 4 moves p by at most 0.01 (T_dg 20).
    expect(['10', '20']).toContain(await attr(page, 'train-diffusion-t', 'data-t'));
    const rd = Number(await attr(page, 'train-diffusion-t', 'data-rd'));
    expect(rd >= -1 && rd <= 1).toBe(true);
    await page.waitForFunction(() => document.querySelector('[data-testid="train-t-chart"]')?.getAttribute('data-points') === '4', undefined, { timeout: 10_000 });
    expect(await page.locator('[data-testid="train-t-chart"] canvas').count()).toBeGreaterThan(0);
    // Previews at 0, 2 and 4: the generator moved.
    expect(await attr(page, 'preview-grid', 'data-previews')).toBe('3');
    expect(await attr(page, 'preview-grid', 'data-iteration')).toBe('4');
    expect((await readCanvas(page, 'preview-grid')).pixels).not.toBe((await readCanvas(page, 'preview-before')).pixels);
    await h.screenshot(page, 'train-diffusion-gan');
    expect(t.problemLines()).toEqual([]);
  });

  it('pauses, steps one iteration, says when the tab is hidden, and stops', async () => {
    const t = await open();
    const { page } = t;
    await upload(t);
    await setSetting(t, 'iterations', 500);
    await setSetting(t, 'batch', 2);
    await page.getByTestId('train-start').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-iteration"]')?.getAttribute('data-value') ?? 0) >= 1, undefined, { timeout: 120_000 });
    await page.getByTestId('train-pause').click();
    await waitForState(page, 'train-status', ['paused'], 30_000);
    const at = Number(await attr(page, 'train-iteration', 'data-value'));
    await page.getByTestId('train-step').click();
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="train-iteration"]')?.getAttribute('data-value')) === n + 1, at, { timeout: 60_000 });
    // Still paused after the step: no further iterations.
    await page.waitForTimeout(1500);
    expect(Number(await attr(page, 'train-iteration', 'data-value'))).toBe(at + 1);
    expect(await attr(page, 'train-status', 'data-state')).toBe('paused');
    // A background tab says so while a run is active (visibility is simulated here).
    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.getByTestId('train-hidden').waitFor({ timeout: 5000 });
    await page.getByTestId('train-stop').click();
    await waitForState(page, 'train-status', ['stopped'], 30_000);
    expect(t.problemLines()).toEqual([]);
  });

  it('autosaves to IndexedDB and, after a reload, resumes at the same iteration with its data, curves and previews', async () => {
    const t = await open();
    const { page } = t;
    await upload(t);
    await setSetting(t, 'iterations', 4);
    await setSetting(t, 'batch', 2);
    await setSetting(t, 'previewEvery', 2);
    await page.getByTestId('train-start').click();
    await waitForState(page, 'train-status', ['done'], 180_000);
    await waitForState(page, 'autosave-status', ['saved'], 30_000);
    expect(await attr(page, 'autosave-status', 'data-iteration')).toBe('4');

    await page.reload();
    await waitModelReady(t);
    const first = page.locator('[data-testid="saved-sessions"] li').first();
    await first.waitFor({ timeout: 30_000 });
    expect(await first.getAttribute('data-iteration')).toBe('4');
    await setSetting(t, 'iterations', 6);
    await first.getByTestId('session-resume').click();
    await waitForState(page, 'train-status', ['done', 'error'], 180_000);
    expect(await attr(page, 'train-status', 'data-state')).toBe('done');
    expect(await attr(page, 'train-iteration', 'data-start')).toBe('4');
    expect(await attr(page, 'train-iteration', 'data-value')).toBe('6');
    // The saved uploads came back, the curves continue (4 saved rows + 2 new), and the
    // previews too (0, 2, 4 saved; 4 redrawn at the resume; 6).
    expect(await attr(page, 'upload-count', 'data-count')).toBe('3');
    await page.waitForFunction(() => document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points') === '6', undefined, { timeout: 10_000 });
    expect(await attr(page, 'preview-grid', 'data-previews')).toBe('4');
    expect(await page.getByTestId('train-note').innerText()).toMatch(/Resumed at iteration 4/);
    expect(t.problemLines()).toEqual([]);
  });

  it('exports the fine-tuned model as one file, rejects a bad import, and imports it to draw the same samples for the same seed', async () => {
    const t = await open();
    const { page } = t;
    await upload(t);
    await setSetting(t, 'iterations', 4);
    await setSetting(t, 'batch', 2);
    await setSetting(t, 'previewEvery', 2);
    await setSetting(t, 'seed', 5);
    await page.getByTestId('train-start').click();
    await waitForState(page, 'train-status', ['done'], 180_000);
    expect(await attr(page, 'preview-grid', 'data-iteration')).toBe('4');
    const preview = await readCanvas(page, 'preview-grid');
    const before = await readCanvas(page, 'preview-before');
    expect(before.pixels).not.toBe(preview.pixels);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('train-export').click()]);
    expect(download.suggestedFilename()).toMatch(/-ft4\.ddgan\.json$/);
    const file = await readFile((await download.path())!);
    const parsed = JSON.parse(file.toString('utf8'));
    expect(parsed.format).toBe('ddgan-web-model-file/1');
    expect(Object.keys(parsed.modelJson.networks)).toEqual(['generator']);

    // A wrong file is refused with a message that says what it is not, and the model in use
    // stays loaded and ready.
    await page.getByTestId('model-import').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
    await page.getByTestId('model-error').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('model-error').innerText()).toMatch(/format null; this app reads "ddgan-web-model-file\/1"/);
    expect(await attr(page, 'model-status', 'data-state')).toBe('ready');

    await page.getByTestId('model-import').setInputFiles({ name: download.suggestedFilename(), mimeType: 'application/json', buffer: file });
    await waitModelReady(t);
    expect(await attr(page, 'model-imported', 'data-name')).toBe(download.suggestedFilename());
    // The training preview is the EMA generator on seed (seed ^ 0x51ed) at batch 16: the
    // imported model must draw exactly those pixels for that seed.
    await page.getByTestId('batch-16').click();
    await waitModelReady(t);
    await setSeed(page, 5 ^ 0x51ed);
    await generate(t);
    expect((await readCanvas(page, 'main-canvas')).pixels).toBe(preview.pixels);
    expect(t.problemLines().filter((l) => !/model-load-failed|ModelLoadError/.test(l))).toEqual([]);
  });

  it('trains on built-in data: an MNIST digit subset resized to the model, and says when an emoji search matches nothing', async () => {
    const t = await open();
    const { page } = t;
    await page.getByTestId('source-emoji').check();
    await page.getByTestId('emoji-search').fill('no-such-emoji-zz');
    await page.getByTestId('train-start').click();
    await waitForState(page, 'train-status', ['error'], 60_000);
    expect(await page.getByTestId('train-error').innerText()).toMatch(/no emoji images match that choice/);
    // Three drawings of each emoji: counted within the icons training split, with its credits.
    await page.getByTestId('emoji-search').fill('');
    await page.getByTestId('emoji-set').selectOption('icons');
    const iconsCount = String(JSON.parse(await readFile('public/data/icons-train.json', 'utf8')).count);
    await page.waitForFunction((n) => document.querySelector('[data-testid="selection-count"]')?.getAttribute('data-total') === n, iconsCount, { timeout: 30_000 });
    expect(await page.getByTestId('emoji-credit').innerText()).toMatch(/Noto Emoji © Google, Apache 2\.0; Fluent Emoji © Microsoft, MIT/);

    await page.getByTestId('source-mnist').check();
    // All ten digits to start with; a subset is chosen from none.
    await page.waitForFunction(() => document.querySelector('[data-testid="selection-count"]')?.getAttribute('data-count') === '9000', undefined, { timeout: 30_000 });
    await page.getByTestId('digits-none').click();
    await page.getByTestId('digit-7').check();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="selection-count"]')?.getAttribute('data-count')) > 0, undefined, { timeout: 30_000 });
    expect(Number(await attr(page, 'selection-count', 'data-count'))).toBeLessThan(2000);
    await setSetting(t, 'iterations', 2);
    await setSetting(t, 'batch', 2);
    await page.getByTestId('train-start').click();
    await waitForState(page, 'train-status', ['done', 'error'], 180_000);
    if ((await attr(page, 'train-status', 'data-state')) !== 'done') throw new Error(await page.getByTestId('train-error').innerText());
    expect(await attr(page, 'train-iteration', 'data-value')).toBe('2');
    expect(t.problemLines()).toEqual([]);
  });

  it('adds a ready-made few-shot set as uploads, with its credit', async () => {
    const t = await open();
    const { page } = t;
    const index = JSON.parse(await readFile('public/data/fewshot/index.json', 'utf8')) as { sets: { name: string; files: string[] }[] };
    const set = index.sets[1];
    await page.getByTestId('sample-set').selectOption(set.name);
    await page.getByTestId('sample-set-add').click();
    await page.waitForFunction((n) => document.querySelector('[data-testid="upload-count"]')?.getAttribute('data-count') === n && !document.querySelector('[data-testid="decode-progress"]'), String(set.files.length), {
      timeout: 60_000,
    });
    expect(await page.getByTestId('sample-set-credit').innerText()).toMatch(/CC BY 4\.0|Apache|MIT/);
    expect(await page.getByTestId('upload-problem-count').count()).toBe(0);
    expect(t.problemLines()).toEqual([]);
  });
});
