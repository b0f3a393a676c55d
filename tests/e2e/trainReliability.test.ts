/**
 * The fine-tune panel's reliability in real Chromium (wasm, the tiny 16×16 fixture model),
 * each check against what a user saw go wrong:
 *  - the selected data source, start and recipe look selected; MNIST starts with all ten
 *    digits and says how many images that is; a batch of 2.5 is refused at the field, with
 *    the reason, and Train waits until it is fixed;
 *  - a run interrupted by a reload comes back by itself with its data, curves and previews,
 *    and a second tab can neither resume nor delete it while it trains;
 *  - a model file chosen during a run is refused and the run goes on; a 64×64 model file is
 *    refused and the loaded model stays in use;
 *  - lr 0.1 without R1 stops as diverged, with nothing of the diverged run saved.
 * Screenshots of each go to /tmp/ddgan-shots/ (and test-results/).
 */
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModelFile } from '../../src/core/io/modelFile';
import { TINY_CONFIG, TINY_MODEL, buildTinyCheckpoint, ensureCpuBackend } from '../fixtures/tinyCheckpoint';
import { attr, generate, waitModelReady } from './appDriver';
import { startHarness, waitForState, type Harness, type TrackedPage } from './harness';
import { gradientPng } from './uploads';

const SHOTS = '/tmp/ddgan-shots';
let h: Harness;
let big64: Uint8Array;

beforeAll(async () => {
  await ensureCpuBackend();
  const tiny = await buildTinyCheckpoint();
  const big = await buildTinyCheckpoint('big-64', { ...TINY_CONFIG, imageSize: 64 });
  big64 = encodeModelFile(big.modelJson, big.weights);
  await mkdir(SHOTS, { recursive: true });
  h = await startHarness({ fixtures: [{ name: TINY_MODEL, modelJson: tiny.modelJson, weights: tiny.weights }] });
});

afterAll(async () => {
  await h?.close();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.locator('section.train').screenshot({ path: `${SHOTS}/${name}.png` });
  await h.screenshot(page, name);
}

async function open(): Promise<TrackedPage> {
  const t = await h.newPage({ viewport: { width: 1280, height: 900 } });
  await t.page.goto(`${h.baseUrl}/?backend=wasm&model=${TINY_MODEL}&batch=1`);
  await waitModelReady(t);
  return t;
}

async function upload(t: TrackedPage): Promise<void> {
  await t.page.getByTestId('upload-input').setInputFiles([
    { name: 'red.png', mimeType: 'image/png', buffer: gradientPng(40, 24, [255, 0, 0]) },
    { name: 'green.png', mimeType: 'image/png', buffer: gradientPng(30, 30, [0, 255, 0]) },
    { name: 'blue.png', mimeType: 'image/png', buffer: gradientPng(12, 50, [0, 0, 255]) },
  ]);
  await t.page.waitForFunction(() => document.querySelector('[data-testid="upload-count"]')?.getAttribute('data-count') === '3' && !document.querySelector('[data-testid="decode-progress"]'), undefined, {
    timeout: 60_000,
  });
}

const set = (t: TrackedPage, key: string, value: string | number) => t.page.getByTestId(`train-${key}`).fill(String(value));
const classOf = (page: Page, testId: string) => page.getByTestId(testId).getAttribute('class');
const background = (page: Page, testId: string) => page.getByTestId(testId).evaluate((el) => getComputedStyle(el).backgroundColor);
const iteration = async (page: Page) => Number(await attr(page, 'train-iteration', 'data-value'));

describe('fine-tune reliability (wasm)', () => {
  it('shows the selected options as selected, starts MNIST with all ten digits and a count, and refuses batch 2.5 at the field', async () => {
    const t = await open();
    const { page } = t;
    // The selected option of each choice gets the `.on` look; the others do not.
    expect(await classOf(page, 'source-label-uploads')).toBe('on');
    expect(await classOf(page, 'source-label-mnist')).toBeNull();
    expect(await background(page, 'source-label-uploads')).not.toBe(await background(page, 'source-label-mnist'));
    expect(await classOf(page, 'init-label-finetune')).toBe('on');
    expect(await classOf(page, 'recipe-label-ddgan')).toBe('on');
    await page.getByTestId('source-mnist').check();
    await page.getByTestId('init-scratch').check();
    await page.getByTestId('recipe-diffusion-gan').check();
    expect(await classOf(page, 'source-label-mnist')).toBe('on');
    expect(await classOf(page, 'source-label-uploads')).toBeNull();
    expect(await classOf(page, 'init-label-scratch')).toBe('on');
    expect(await classOf(page, 'init-label-finetune')).toBeNull();
    expect(await classOf(page, 'recipe-label-diffusion-gan')).toBe('on');
    // Augmentation: off by default (the measured recipe), each choice shown as chosen.
    expect(await page.getByTestId('augment').getAttribute('data-value')).toBe('none');
    await page.getByTestId('augment-cutout').check();
    await page.getByTestId('augment-color').check();
    expect(await classOf(page, 'augment-label-cutout')).toBe('on');
    expect(await classOf(page, 'augment-label-translation')).toBeNull();
    expect(await page.getByTestId('augment').getAttribute('data-value')).toBe('color,cutout');
    await page.getByTestId('augment-color').uncheck();
    await page.getByTestId('augment-cutout').uncheck();
    expect(await page.getByTestId('augment').getAttribute('data-value')).toBe('none');
    // MNIST: all ten digits, and how many images that is.
    for (let d = 0; d < 10; d++) expect(await page.getByTestId(`digit-${d}`).isChecked()).toBe(true);
    await page.waitForFunction(() => document.querySelector('[data-testid="selection-count"]')?.getAttribute('data-count') === '9000', undefined, { timeout: 30_000 });
    expect(await page.getByTestId('selection-count').innerText()).toMatch(/9,000 of 9,000 digit images selected/);

    // Batch 2.5: refused with the reason at the field, the typed text stays, Train waits.
    await set(t, 'batch', '2.5');
    const why = page.getByTestId('train-batch-error');
    await why.waitFor({ timeout: 5000 });
    expect(await why.innerText()).toMatch(/batch must be a whole number from 1 to 64, not 2\.5; Batch stays 8/);
    expect(await page.getByTestId('train-batch').inputValue()).toBe('2.5');
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
    await page.getByTestId('recipe-ddgan').check();
    await page.getByTestId('source-uploads').check();
    await shot(page, 'panel-selected-and-invalid-batch');
    await page.getByTestId('source-mnist').check();
    await set(t, 'batch', 2);
    expect(await why.count()).toBe(0);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(false);
    await shot(page, 'panel-mnist-count');
    expect(t.problemLines()).toEqual([]);
  });

  it('brings an interrupted run back by itself after a reload; a second tab can neither resume nor delete it meanwhile', async () => {
    const t = await open();
    const { page } = t;
    await upload(t);
    await set(t, 'iterations', 2000);
    await set(t, 'batch', 2);
    await set(t, 'previewEvery', 5);
    await page.getByTestId('train-start').click();
    await waitForState(page, 'train-status', ['running'], 60_000);
    // Saves come every few seconds whatever checkpointEvery (25) says: wait for one past 0
    // that is not a multiple of 25.
    await page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid="autosave-status"]');
        // The newest written iteration: under load one write follows the next, so the
        // status itself may say 'saving' nearly all the time.
        const it = Number(el?.getAttribute('data-saved-iteration') || 0);
        return it > 0 && it % 25 !== 0;
      },
      undefined,
      { timeout: 120_000, polling: 100 },
    );
    const saved = Number(await attr(page, 'autosave-status', 'data-saved-iteration'));
    await page.waitForFunction(() => document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points') !== '0', undefined, { timeout: 10_000 });
    await shot(page, 'run-before-reload');
    const before = await iteration(page);

    await page.reload();
    // Not waitModelReady: Generate stays disabled while the restored run holds the worker.
    await waitForState(page, 'engine-status', ['ready'], 120_000);
    const restored = page.getByTestId('train-restored');
    await restored.waitFor({ timeout: 60_000 });
    expect(await restored.innerText()).toMatch(/Brought back the run that was interrupted/);
    await waitForState(page, 'train-status', ['running'], 60_000);
    const start = Number(await attr(page, 'train-iteration', 'data-start'));
    expect(start).toBeGreaterThanOrEqual(saved);
    expect(start).toBeLessThanOrEqual(before + 50);
    // Its data, curves and previews came back with it.
    expect(await attr(page, 'upload-count', 'data-count')).toBe('3');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= n, start, { timeout: 10_000 });
    expect(Number(await attr(page, 'preview-grid', 'data-previews'))).toBeGreaterThan(1);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="train-iteration"]')?.getAttribute('data-value')) > n, start, { timeout: 60_000 });
    await shot(page, 'run-restored-after-reload');
    console.log(`restore: saved at ${saved}, reloaded at ${before}, resumed from ${start}`);

    // A second tab on the same session: resume and delete are refused while tab 1 trains.
    const t2 = await open();
    const p2 = t2.page;
    const row = p2.locator('[data-testid="saved-sessions"] li').first();
    await row.waitFor({ timeout: 30_000 });
    await row.getByTestId('session-resume').click();
    const err = p2.getByTestId('train-error');
    await err.waitFor({ timeout: 10_000 });
    expect(await err.innerText()).toMatch(/being trained in another tab/);
    expect(await attr(p2, 'train-status', 'data-state')).not.toBe('running');
    await row.getByTestId('session-delete').click();
    await p2.waitForFunction(() => /stop that run before deleting it/.test(document.querySelector('[data-testid="train-error"]')?.textContent ?? ''), undefined, { timeout: 10_000 });
    expect(await p2.locator('[data-testid="saved-sessions"] li').count()).toBe(1);
    await shot(p2, 'second-tab-refused');
    expect(await attr(page, 'train-status', 'data-state')).toBe('running');

    await page.getByTestId('train-stop').click();
    await waitForState(page, 'train-status', ['stopped'], 60_000);
    expect(t.problemLines()).toEqual([]);
    expect(t2.problemLines()).toEqual([]);
    await p2.close();
  });

  it('refuses a model file during a run (the run goes on) and a 64×64 model file (the model stays in use)', async () => {
    const t = await open();
    const { page } = t;
    await upload(t);
    await set(t, 'iterations', 2000);
    await set(t, 'batch', 2);
    await page.getByTestId('train-start').click();
    await waitForState(page, 'train-status', ['running'], 60_000);
    // The panel disables the model file control while a run trains (the store refuses one too).
    expect(await page.getByTestId('model-import').isDisabled()).toBe(true);
    const at = await iteration(page);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="train-iteration"]')?.getAttribute('data-value')) > n + 2, at, { timeout: 60_000 });
    expect(await attr(page, 'train-status', 'data-state')).toBe('running');
    await shot(page, 'import-during-run-refused');
    await page.getByTestId('train-stop').click();
    await waitForState(page, 'train-status', ['stopped'], 60_000);

    // After the run: the 64×64 file is refused with the reason, and the tiny model stays.
    await page.getByTestId('model-import').setInputFiles({ name: 'big-64.ddgan.json', mimeType: 'application/json', buffer: Buffer.from(big64) });
    const modelErr = page.getByTestId('model-error');
    await modelErr.waitFor({ timeout: 60_000 });
    expect(await modelErr.innerText()).toMatch(/big-64\.ddgan\.json cannot be used: its generator makes 64×64 images, and this app runs models of 8×8 to 32×32 pixels/);
    expect(await attr(page, 'model-status', 'data-state')).toBe('ready');
    expect(await page.getByTestId('model-imported').count()).toBe(0);
    await generate(t);
    await page.screenshot({ path: `${SHOTS}/import-64-refused.png`, fullPage: false });
    expect(t.problemLines().filter((l) => !/model-load-failed|ModelLoadError|NoTrainingError/.test(l))).toEqual([]);
  });

  it('stops lr 0.1 without R1 as diverged, saving nothing of the diverged run', async () => {
    const t = await open();
    const { page } = t;
    await upload(t);
    await set(t, 'iterations', 60);
    await set(t, 'batch', 2);
    await set(t, 'previewEvery', 2);
    await set(t, 'lrG', 0.1);
    await set(t, 'lrD', 0.1);
    await set(t, 'r1Gamma', 0);
    await page.getByTestId('train-start').click();
    const end = await waitForState(page, 'train-status', ['diverged', 'done', 'error'], 180_000);
    expect(end).toBe('diverged');
    const message = await page.getByTestId('train-diverged').innerText();
    expect(message).toMatch(/training diverged at iteration (\d+)/);
    const at = Number(/iteration (\d+)/.exec(message)![1]);
    expect(at).toBeLessThan(20);
    const lastGood = Number(/Roll back to iteration (\d+)/.exec(message)?.[1] ?? (await page.getByTestId('train-rollback').innerText()).replace(/\D+/g, ''));
    expect(lastGood).toBeLessThan(at);
    await shot(page, 'diverged');
    await page.getByTestId('train-stop').click();
    await waitForState(page, 'train-status', ['stopped'], 60_000);
    // The saved session holds the last good iteration, never the diverged one, and says the
    // run was stopped (so it is not brought back as an interrupted run).
    await page.waitForFunction(() => document.querySelector('[data-testid="saved-sessions"] li')?.getAttribute('data-state') === 'stopped', undefined, { timeout: 30_000 });
    const savedAt = Number(await page.locator('[data-testid="saved-sessions"] li').first().getAttribute('data-iteration'));
    expect(savedAt).toBe(lastGood);
    expect(await page.locator('[data-testid="saved-sessions"] li').first().getAttribute('data-state')).toBe('stopped');
    expect(t.problemLines()).toEqual([]);
  });
});
