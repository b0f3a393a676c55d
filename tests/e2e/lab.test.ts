/**
 * The mode-coverage lab in real Chromium (wasm backend, the tiny fixture model so the page
 * boots fast): a small run of Diffusion-GAN and DD-GAN T = 2 on 25 Gaussians trains in the
 * worker, scatter plots and metric numbers arrive, the T chart fills, the DD-GAN chain
 * slider shows x_T, the layout fits a phone-width viewport, and the console stays clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitForState, type Harness } from './harness';
import { attr, waitModelReady } from './appDriver';
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

const num = async (page: import('playwright-core').Page, testId: string, name = 'data-value'): Promise<number> => Number(await attr(page, testId, name));

describe('mode-coverage lab (wasm)', () => {
  it('trains two recipes side by side and shows their samples, metrics, T trace and chain', async () => {
    const t = await h.newPage({ viewport: { width: 1280, height: 800 } });
    const { page } = t;
    await page.goto(`${h.baseUrl}/?backend=wasm&model=${TINY_MODEL}&batch=1`);
    await waitModelReady(t);

    await page.getByTestId('lab-recipe-gan').uncheck();
    await page.getByTestId('lab-recipe-ddgan-t4').uncheck();
    await page.getByTestId('lab-recipe-ddgan-t2').check();
    expect(await page.getByTestId('lab-recipe-diffusion-gan').isChecked()).toBe(true);
    await page.getByTestId('lab-iterations').fill('60');
    await page.getByTestId('lab-reportEvery').fill('20');
    await page.locator('.lab-advanced > summary').click();
    await page.getByTestId('lab-batch').fill('32');
    await page.getByTestId('lab-hidden').fill('16');
    await page.getByTestId('lab-layers').fill('2');
    await page.getByTestId('lab-samples').fill('400');
    await page.getByTestId('lab-scatter').fill('300');

    // Started from the keyboard.
    await page.getByTestId('lab-start').focus();
    await page.keyboard.press('Enter');
    const end = await waitForState(page, 'lab-status', ['done', 'error', 'stopped'], 240_000);
    if (end !== 'done') throw new Error(`lab ended ${end}: ${await page.getByTestId('lab-error').innerText().catch(() => '')}\n${t.problemLines().join('\n')}`);

    for (const id of ['diffusion-gan', 'ddgan-t2']) {
      expect(await num(page, `lab-card-${id}`, 'data-iteration')).toBe(60);
      expect(await num(page, `lab-card-${id}`, 'data-reports')).toBe(4);
      expect(await num(page, `lab-plot-${id}`, 'data-points')).toBe(300);
      const modes = await num(page, `lab-modes-${id}`);
      expect(Number.isInteger(modes) && modes >= 0 && modes <= 25).toBe(true);
      expect(await num(page, `lab-modes-${id}`, 'data-of')).toBe(25);
      const hq = await num(page, `lab-hq-${id}`);
      expect(hq >= 0 && hq <= 1).toBe(true);
      expect(await attr(page, `lab-kl-${id}`, 'data-value')).toMatch(/^(NaN|\d+(\.\d+)?(e-?\d+)?)$/);
      const precision = await num(page, `lab-pr-${id}`, 'data-precision');
      expect(precision >= 0 && precision <= 1).toBe(true);
      const dReal = await num(page, `lab-d-${id}`, 'data-real');
      expect(dReal > 0 && dReal < 1).toBe(true);
    }
    // What this small budget reached, for the report (the benchmark command runs the full budget).
    for (const id of ['diffusion-gan', 'ddgan-t2']) {
      console.log(`lab ${id} after 60 iterations: ${await num(page, `lab-modes-${id}`)} of 25 modes, ${(100 * (await num(page, `lab-hq-${id}`))).toFixed(1)} % high quality`);
    }
    expect(await page.locator('[data-testid^="lab-card-"]').count()).toBe(2);
    expect(await num(page, 'lab-t-diffusion-gan')).toBeGreaterThanOrEqual(5);
    await page.waitForFunction(() => document.querySelector('[data-testid="lab-t-chart"]')?.getAttribute('data-points') === '60', undefined, { timeout: 10_000 });
    expect(await page.locator('[data-testid="lab-t-chart"] canvas').count()).toBeGreaterThan(0);

    // The plot really drew points (pixels of the recipe's colour beside the grey reals).
    const coloured = await page.evaluate(() => {
      const c = document.querySelector('[data-testid="lab-plot-ddgan-t2"]') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i + 1] > d[i] + 30 && d[i + 1] > d[i + 2]) n++;
      return n;
    });
    expect(coloured).toBeGreaterThan(50);

    // The chain slider: x_0 by default, x_2 (the noise) at the far left, different points.
    expect(await attr(page, 'lab-plot-ddgan-t2', 'data-step')).toBe('2');
    const x0 = await attr(page, 'lab-plot-ddgan-t2', 'data-hash');
    await page.getByTestId('lab-chain-ddgan-t2').focus();
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('[data-testid="lab-plot-ddgan-t2"]')?.getAttribute('data-step') === '0', undefined, { timeout: 5000 });
    expect(await page.getByTestId('lab-chain-label-ddgan-t2').innerText()).toBe('x₂');
    expect(await attr(page, 'lab-plot-ddgan-t2', 'data-hash')).not.toBe(x0);
    await h.screenshot(page, 'lab-done');

    // Phone width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      plot: (document.querySelector('[data-testid="lab-plot-diffusion-gan"]') as HTMLElement).getBoundingClientRect().width,
    }));
    expect(widths.page).toBeLessThanOrEqual(390);
    expect(widths.plot).toBeGreaterThan(200);
    await h.screenshot(page, 'lab-phone');

    expect(t.problemLines()).toEqual([]);
  });
});
