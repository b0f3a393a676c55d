/**
 * The Compare view in real Chromium (wasm backend, tiny random-weight fixtures served next
 * to the built index, so nothing depends on the checkpoints being trained in public/models/):
 * DD-GAN T = 4, DDIM-50 and DDPM-120 (the fixture ε-net has 120 steps) run side by side on
 * one seed; the DD-GAN row is done while the DDPM row still runs and the speed-up shows as
 * a lower bound, then as a measured ratio; stored metrics or "not evaluated" per row; Cancel
 * stops a run; the user picks the DDPM rows (DPM-Solver++ with its step count); the T ablation lists the fixture family and the T values without a model;
 * class control draws an unguided and a guided batch and tabulates the judge's accuracy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHarness, waitForState, type Harness } from './harness';
import { LAST_STEP_GUIDE_ITERATIONS } from '../../src/core/diffusion/guidance';
import { attr, waitModelReady } from './appDriver';
import { TINY_CONFIG, TINY_MODEL, buildTinyCheckpoint, ensureCpuBackend } from '../fixtures/tinyCheckpoint';
import { TINY_DDPM, TINY_DDPM_STEPS, TINY_GUIDE, TINY_JUDGE, buildTinyDdpm, buildTinyGuide, buildTinyJudge } from '../fixtures/tinyCompareModels';

let h: Harness;

beforeAll(async () => {
  await ensureCpuBackend();
  const [t4, t1, ddpm, judge, guide] = await Promise.all([
    buildTinyCheckpoint(),
    buildTinyCheckpoint('tiny-ddgan-t1', { ...TINY_CONFIG, T: 1 }),
    buildTinyDdpm(TINY_DDPM, 77, { ddim50: { frechetDistance: 12.5, precision: 0.5 } }),
    buildTinyJudge(),
    buildTinyGuide(),
  ]);
  h = await startHarness({
    fixtures: [
      { name: TINY_MODEL, modelJson: t4.modelJson, weights: t4.weights },
      { name: 'tiny-ddgan-t1', modelJson: t1.modelJson, weights: t1.weights },
      { name: TINY_DDPM, modelJson: ddpm.modelJson, weights: ddpm.weights },
      { name: TINY_JUDGE, modelJson: judge.modelJson, weights: judge.weights },
      { name: TINY_GUIDE, modelJson: guide.modelJson, weights: guide.weights },
    ],
  });
});

afterAll(async () => {
  await h?.close();
});

const rowAttr = (page: Page, id: string, name: string): Promise<string> => attr(page, `compare-row-${id}`, name);

/** Records, in the page, the DDPM row's step whenever the DD-GAN row's status or the speed-up kind changes. */
async function watchRows(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __cmp: { ddganDoneAtDdpmStep: number | null; speedups: string[] }; __cmpObs?: MutationObserver };
    w.__cmpObs?.disconnect();
    const rec = { ddganDoneAtDdpmStep: null as number | null, speedups: [] as string[] };
    w.__cmp = rec;
    const look = (): void => {
      const g = document.querySelector('[data-testid="compare-row-ddgan"]');
      const d = document.querySelector('[data-testid="compare-row-ddpm"]');
      if (rec.ddganDoneAtDdpmStep === null && g?.getAttribute('data-status') === 'done') rec.ddganDoneAtDdpmStep = Number(d?.getAttribute('data-step') ?? -1);
      const kind = document.querySelector('[data-testid="compare-speedup-ddpm"]')?.getAttribute('data-kind');
      if (kind && rec.speedups[rec.speedups.length - 1] !== kind) rec.speedups.push(kind);
    };
    w.__cmpObs = new MutationObserver(look);
    w.__cmpObs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status', 'data-kind'] });
    look();
  });
}

describe('compare view (wasm)', () => {
  it('runs DD-GAN, DDIM and DDPM side by side, then the T ablation and class control', async () => {
    const t = await h.newPage({ viewport: { width: 1280, height: 900 } });
    const { page } = t;
    await page.goto(`${h.baseUrl}/?backend=wasm&model=${TINY_MODEL}&batch=1`);
    await waitModelReady(t);

    await page.getByTestId('compare-ddgan').selectOption(TINY_MODEL);
    await page.getByTestId('compare-ddpm').selectOption(TINY_DDPM);
    await page.getByTestId('compare-batch').fill('2');
    await page.getByTestId('compare-seed').fill('7');
    await page.getByTestId('compare-order-interleaved').check();
    await watchRows(page);
    await page.getByTestId('compare-run').click();
    const end = await waitForState(page, 'compare-status', ['done', 'error', 'cancelled'], 120_000);
    if (end !== 'done') throw new Error(`compare ended ${end}\n${t.problemLines().join('\n')}`);

    for (const [id, steps] of [['ddgan', 4], ['ddim', 50], ['ddpm', TINY_DDPM_STEPS]] as const) {
      expect(await rowAttr(page, id, 'data-status')).toBe('done');
      expect(Number(await rowAttr(page, id, 'data-steps'))).toBe(steps);
      expect(Number(await rowAttr(page, id, 'data-step'))).toBe(steps);
      expect(Number(await rowAttr(page, id, 'data-elapsed-ms'))).toBeGreaterThan(0);
      expect(Number(await rowAttr(page, id, 'data-ips'))).toBeGreaterThan(0);
      expect(await attr(page, `compare-row-${id}-frame`, 'data-final')).toBe('true');
      // The grid: 2 tiles of 16 px with a 2 px gap, drawn (not all gap-grey).
      const drawn = await page.evaluate((cid) => {
        const c = document.querySelector(`[data-testid="${cid}"]`) as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let other = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] !== 128) other++;
        return { w: c.width, h: c.height, other };
      }, `compare-row-${id}-canvas`);
      expect(drawn).toMatchObject({ w: 34, h: 16 });
      expect(drawn.other).toBeGreaterThan(50);
      expect(Number(await attr(page, `compare-row-${id}-judge`, 'data-classes'))).toBeGreaterThanOrEqual(1);
    }
    // DD-GAN was done while DDPM was still sampling; the speed-up went from a bound to a measurement.
    const rec = await page.evaluate(() => (window as unknown as { __cmp: { ddganDoneAtDdpmStep: number; speedups: string[] } }).__cmp);
    expect(rec.ddganDoneAtDdpmStep).toBeLessThan(TINY_DDPM_STEPS);
    expect(rec.speedups[rec.speedups.length - 1]).toBe('measured');
    expect(rec.speedups).toContain('lower-bound');
    const ratio = Number(await attr(page, 'compare-speedup-ddpm', 'data-ratio'));
    console.log(`compare: DD-GAN T=4 vs DDPM-${TINY_DDPM_STEPS} (tiny fixtures, batch 2, wasm): ${ratio.toFixed(1)}× faster`);
    expect(ratio).toBeGreaterThan(2);
    // Stored metrics: the DDIM row has them (from the fixture's model.json), the others are not evaluated.
    expect(await attr(page, 'compare-row-ddim-metrics', 'data-evaluated')).toBe('true');
    expect(await attr(page, 'compare-row-ddim-metrics-frechetDistance', 'data-value')).toBe('12.5');
    expect(await attr(page, 'compare-row-ddgan-metrics', 'data-evaluated')).toBe('false');
    expect(await attr(page, 'compare-row-ddpm-metrics', 'data-evaluated')).toBe('false');
    await h.screenshot(page, 'compare-done');

    // Cancel mid-run: one row after another, stopped while DDPM samples.
    await page.getByTestId('compare-order-sequential').check();
    await page.getByTestId('compare-run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="compare-row-ddpm"]')?.getAttribute('data-status') === 'running', undefined, { timeout: 60_000, polling: 50 });
    await page.getByTestId('compare-cancel').click();
    expect(await waitForState(page, 'compare-status', ['cancelled', 'done', 'error'], 30_000)).toBe('cancelled');
    expect(await rowAttr(page, 'ddgan', 'data-status')).toBe('done');
    expect(await rowAttr(page, 'ddpm', 'data-status')).toBe('cancelled');

    // Pick the rows: DPM-Solver++ with 12 steps joins, ancestral DDPM leaves.
    await page.getByTestId('compare-pick-dpm-solver').check();
    await page.getByTestId('compare-steps-dpm-solver').fill('12');
    await page.getByTestId('compare-pick-ddpm').uncheck();
    await page.getByTestId('compare-run').click();
    expect(await waitForState(page, 'compare-status', ['done', 'error', 'cancelled'], 60_000)).toBe('done');
    expect(await page.locator('figure[data-testid^="compare-row-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual([
      'compare-row-ddgan',
      'compare-row-ddim',
      'compare-row-dpm-solver',
    ]);
    expect(await rowAttr(page, 'dpm-solver', 'data-status')).toBe('done');
    expect(Number(await rowAttr(page, 'dpm-solver', 'data-steps'))).toBe(12);
    expect(Number(await attr(page, 'compare-speedup-dpm-solver', 'data-ratio'))).toBeGreaterThan(0);
    await page.getByTestId('compare-pick-ddpm').check();

    // T ablation: the fixture family has T = 1 and 4; T = 2 and 8 have no model.
    expect(await attr(page, 'ablation-missing', 'data-value')).toBe('2,8');
    expect(await attr(page, 'ablation-t-2', 'data-missing')).toBe('true');
    expect(await attr(page, 'ablation-t-1', 'data-model')).toBe('tiny-ddgan-t1');
    await page.getByTestId('ablation-run').click();
    expect(await waitForState(page, 'ablation-status', ['done', 'error', 'cancelled'], 60_000)).toBe('done');
    expect(await attr(page, 'ablation-row-t1-tiny-ddgan-t1', 'data-steps')).toBe('1');
    expect(await attr(page, `ablation-row-t4-${TINY_MODEL}`, 'data-steps')).toBe('4');

    // Class control: unguided (s = 0), then guided toward 3 with the noise-aware fixture.
    await page.getByTestId('guided-digit').selectOption('3');
    await page.getByTestId('guided-scale').fill('0');
    await page.getByTestId('guided-run').click();
    expect(await waitForState(page, 'guided-status', ['done', 'error', 'cancelled'], 60_000)).toBe('done');
    await page.getByTestId('guided-scale').fill('2');
    await page.getByTestId('guided-run').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="guided-history"] tbody tr').length === 2, undefined, { timeout: 60_000, polling: 100 });
    expect(await waitForState(page, 'guided-status', ['done', 'error', 'cancelled'], 5_000)).toBe('done');
    const history = await page.$$eval('[data-testid="guided-history"] tbody tr', (trs) => trs.map((tr) => ({ s: tr.getAttribute('data-scale'), acc: Number(tr.getAttribute('data-accuracy')) })));
    expect(history.map((r) => r.s)).toEqual(['0', '2']);
    for (const r of history) expect(r.acc >= 0 && r.acc <= 1).toBe(true);
    expect(await attr(page, 'guided-row-guided', 'data-status')).toBe('done');
    // T = 4 steps, then the last-step guide's passes through the generator (forward and back)
    expect(await attr(page, 'guided-row-guided-nfe', 'data-value')).toBe(String(TINY_CONFIG.T + LAST_STEP_GUIDE_ITERATIONS));

    await h.screenshot(page, 'compare-guided');

    // Phone width: the rows and tables fit the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // The Generate view still works and its picker lists generators only.
    const options = await page.getByTestId('model-select').locator('option').allTextContents();
    expect(options.some((o) => o.includes(TINY_DDPM) || o.includes(TINY_JUDGE))).toBe(false);
    expect(t.problemLines()).toEqual([]);
  });
});
