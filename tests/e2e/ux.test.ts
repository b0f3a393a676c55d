/**
 * UX checks in real Chromium (wasm unless a test says otherwise; a tiny random-weight
 * generator served next to the shipped models, which the Compare checks use as they ship):
 *
 *  - the seed on screen on a first visit is the seed that runs, and the URL after a run
 *    reproduces the picture in a fresh tab;
 *  - the step heading follows the slider and Play;
 *  - asking for webgpu on the software adapter (SwiftShader) warns first; switching anyway
 *    shows warm-up progress at once, is not remembered, and "Back to auto" undoes it;
 *  - Compare with the shipped models: DDPMs offered only for the DD-GAN's data, model names
 *    shown whole, a cancelled DDPM row's counter and picture agree, the Model panel's
 *    readable metrics, class control's own batch with the judge's verdict under each sample.
 *
 * Screenshots land in test-results/ux-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import path from 'node:path';
import { RESULTS_DIR, startHarness, waitForState, type Harness, type TrackedPage } from './harness';
import { attr, generate, waitModelReady } from './appDriver';
import { TINY_MODEL, buildTinyCheckpoint, ensureCpuBackend } from '../fixtures/tinyCheckpoint';

let h: Harness;

beforeAll(async () => {
  await ensureCpuBackend();
  const tiny = await buildTinyCheckpoint();
  h = await startHarness({ fixtures: [{ name: TINY_MODEL, modelJson: tiny.modelJson, weights: tiny.weights }] });
});

afterAll(async () => {
  await h?.close();
});

async function open(url: string, viewport = { width: 1280, height: 900 }): Promise<TrackedPage> {
  const t = await h.newPage({ viewport });
  await t.page.goto(`${h.baseUrl}${url}`);
  return t;
}

const text = (page: Page, testId: string): Promise<string> => page.getByTestId(testId).innerText();
const stepShown = async (page: Page): Promise<number> => Number(await attr(page, 'step-counter', 'data-step'));

describe('seed, link and step heading', () => {
  it('runs the seed it shows, a link copied after the run reproduces it, and the heading follows scrub and Play', async () => {
    const t = await open(`/?backend=wasm&model=${TINY_MODEL}&batch=1`);
    const { page } = t;
    await waitModelReady(t);
    expect(await page.getByTestId('seed-random').isChecked()).toBe(true);
    const shown = await page.getByTestId('seed-input').inputValue();
    expect(await text(page, 'seed-note')).toBe('Generate uses this seed');
    await generate(t);
    expect(await attr(page, 'run-stats', 'data-seed')).toBe(shown);
    expect(await page.getByTestId('seed-input').inputValue()).toBe(shown);
    const picture = await attr(page, 'main-canvas', 'data-frame-hash');

    // The heading follows the slider, not the run: at x₄ it is step 1, and not "done".
    expect(await text(page, 'step-counter')).toBe('Step 4 of 4 · x₀, done');
    await page.getByTestId('scrub-slider').fill('0');
    await expect.poll(() => stepShown(page)).toBe(1);
    expect(await text(page, 'step-counter')).toBe('Step 1 of 4 · x₄ → x₃');
    await page.getByTestId('play-button').click();
    await expect.poll(() => stepShown(page), { timeout: 5000 }).toBe(2);
    await expect.poll(() => text(page, 'step-counter'), { timeout: 10_000 }).toBe('Step 4 of 4 · x₀, done');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'ux-seed-step.png') });

    // The link reproduces the picture in a fresh tab (it generates once, by itself).
    const link = new URL(page.url());
    expect(link.searchParams.get('seed')).toBe(shown);
    const t2 = await open(`${link.pathname}${link.search}`);
    await waitForState(t2.page, 'gen-status', ['done'], 120_000);
    expect(await attr(t2.page, 'run-stats', 'data-seed')).toBe(shown);
    expect(await attr(t2.page, 'main-canvas', 'data-frame-hash')).toBe(picture);
    expect(await t2.page.getByTestId('seed-input').inputValue()).toBe(shown);

    // "new seed each time": the next Generate draws one, shows it, and the link follows.
    expect(await text(page, 'seed-note')).toBe('Generate draws a new seed and shows it here');
    await generate(t);
    const next = await page.getByTestId('seed-input').inputValue();
    expect(next).not.toBe(shown);
    expect(await attr(page, 'run-stats', 'data-seed')).toBe(next);
    expect(new URL(page.url()).searchParams.get('seed')).toBe(next);
    expect([...t.problemLines(), ...t2.problemLines()]).toEqual([]);
    await t2.page.close();
    await page.close();
  });
});

describe('webgpu on the software adapter', () => {
  it('warns before switching, shows warm-up progress at once, does not remember it, and offers the way back', async () => {
    const t = await open(`/?backend=wasm&model=${TINY_MODEL}&batch=1`);
    const { page } = t;
    await waitModelReady(t);
    expect(await attr(page, 'adapter', 'data-fallback')).toBe('true');
    // An earlier choice on this device, to see that the slow one does not replace it by webgpu.
    await page.evaluate(() => localStorage.setItem('ddgan-web.backend', 'wasm'));

    await page.getByTestId('backend-select').selectOption('webgpu');
    await expect.poll(() => page.getByTestId('backend-dialog').evaluate((d) => (d as HTMLDialogElement).open)).toBe(true);
    expect(await text(page, 'backend-dialog')).toMatch(/software adapter[\s\S]*40 times slower than wasm[\s\S]*this visit only/);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'ux-backend-warning.png') });
    // Staying is the default: nothing changed.
    await page.getByTestId('backend-dialog-keep').click();
    await expect.poll(() => page.getByTestId('backend-dialog').evaluate((d) => (d as HTMLDialogElement).open)).toBe(false);
    expect(await attr(page, 'backend', 'data-value')).toBe('wasm');
    expect(await page.getByTestId('backend-select').inputValue()).toBe('wasm');

    // Switching anyway: the warm-up says what it does from the start (the batch-limit
    // measurement first, which compiles most shaders), never a silent "100 %" download.
    await page.evaluate(() => {
      const w = window as unknown as { __phases: string[] };
      w.__phases = [];
      new MutationObserver(() => {
        const phase = document.querySelector('[data-testid="warmup-progress"]')?.getAttribute('data-phase') ?? '';
        const button = document.querySelector('[data-testid="generate-button"]')?.textContent ?? '';
        const entry = `${phase}|${button}`;
        if (w.__phases[w.__phases.length - 1] !== entry) w.__phases.push(entry);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.getByTestId('backend-select').selectOption('webgpu');
    await page.getByTestId('backend-dialog-switch').click();
    await expect.poll(() => page.getByTestId('slow-backend').isVisible()).toBe(true);
    await waitModelReady(t, 240_000);
    expect(await attr(page, 'backend', 'data-value')).toBe('webgpu');
    const phases = await page.evaluate(() => (window as unknown as { __phases: string[] }).__phases);
    const firstWarm = phases.findIndex((p) => p.startsWith('measure|'));
    expect(firstWarm, phases.join('\n')).toBeGreaterThanOrEqual(0);
    expect(phases.slice(firstWarm).some((p) => p.startsWith('run|'))).toBe(true);
    expect(await text(page, 'slow-backend')).toMatch(/software adapter[\s\S]*not remembered: the next visit starts on auto/);
    expect(await page.evaluate(() => localStorage.getItem('ddgan-web.backend'))).toBeNull();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'ux-backend-slow.png') });

    await page.getByTestId('slow-backend-auto').click();
    await waitModelReady(t);
    expect(await attr(page, 'backend', 'data-value')).toBe('wasm');
    expect(await page.getByTestId('slow-backend').count()).toBe(0);
    expect(t.problemLines()).toEqual([]);
    await page.close();
  });
});

describe('compare with the shipped models', () => {
  it('fair pairs only, whole model names, a cancelled row that agrees with itself, readable metrics, judge verdicts per sample', async () => {
    const t = await open('/?backend=wasm&model=mnist-ddgan-t4&batch=4');
    const { page } = t;
    await waitModelReady(t);

    // Model panel: readable names with explanations, never raw field names.
    const model = await page.getByTestId('model-metrics').innerText();
    expect(model).toMatch(/Fréchet distance[\s\S]*Floor[\s\S]*two sets of real images/);
    expect(model).not.toMatch(/frechetDistance|classKlToUniform|confidentShare/);
    await page.getByTestId('model-metrics').screenshot({ path: path.join(RESULTS_DIR, 'ux-model-metrics.png') });

    // An emoji generator has no DDPM trained on its data: none is offered.
    await page.getByTestId('compare-ddgan').selectOption('emoji-ddgan-t4');
    expect(await page.getByTestId('compare-ddpm').locator('option').allTextContents()).toEqual(['none trained on emoji']);
    expect(await text(page, 'compare-missing')).toMatch(/No DDPM trained on emoji ships with the app/);
    await page.getByTestId('compare-ddgan').selectOption('mnist-ddgan-t4');
    expect(await page.getByTestId('compare-ddpm').inputValue()).toBe('mnist-ddpm');

    // DD-GAN vs DDIM vs DDPM-1000 at batch 1, cancelled while DDPM samples.
    await page.getByTestId('compare-batch').fill('1');
    await page.getByTestId('compare-run').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="compare-row-ddpm"]')?.getAttribute('data-step') ?? 0) >= 60, undefined, { timeout: 120_000, polling: 50 });
    await page.getByTestId('compare-cancel').click();
    expect(await waitForState(page, 'compare-status', ['cancelled', 'done', 'error'], 30_000)).toBe('cancelled');
    const step = await attr(page, 'compare-row-ddpm', 'data-step');
    expect(await attr(page, 'compare-row-ddpm-frame', 'data-step')).toBe(step);
    expect(await text(page, 'compare-row-ddpm-frame')).toBe(`cancelled after step ${step} of 1000: the picture at that step`);
    expect(await text(page, 'compare-row-ddpm-nfe')).toBe(`${step} / 1000 · cancelled`);

    // Every row names its model in full.
    const names = await page.$$eval('[data-testid^="compare-row-"][data-testid$="-model"]', (els) =>
      els.map((e) => ({ text: e.textContent, cut: e.scrollWidth > e.clientWidth + 1 || getComputedStyle(e).textOverflow === 'ellipsis' })),
    );
    expect(names).toEqual([
      { text: 'mnist-ddgan-t4', cut: false },
      { text: 'mnist-ddpm', cut: false },
      { text: 'mnist-ddpm', cut: false },
    ]);
    await page.getByTestId('compare-panel').screenshot({ path: path.join(RESULTS_DIR, 'ux-compare-cancelled.png') });

    // Class control with its own batch: the judge's verdict and confidence under each sample.
    await page.getByTestId('guided-batch').fill('8');
    await page.getByTestId('guided-seed').fill('3');
    await page.getByTestId('guided-run').click();
    expect(await waitForState(page, 'guided-status', ['done', 'error', 'cancelled'], 120_000)).toBe('done');
    const verdicts = await page.$$eval('[data-testid="guided-row-guided-verdicts"] li', (lis) => lis.map((li) => ({ c: Number(li.getAttribute('data-class')), p: Number(li.getAttribute('data-confidence')) })));
    expect(verdicts).toHaveLength(8);
    for (const v of verdicts) expect(v.p > 0 && v.p <= 1).toBe(true);
    expect(await page.getByTestId('compare-batch').inputValue()).toBe('1');
    await page.getByTestId('class-control').screenshot({ path: path.join(RESULTS_DIR, 'ux-class-control.png') });
    expect(t.problemLines()).toEqual([]);
    await page.close();
  });
});
