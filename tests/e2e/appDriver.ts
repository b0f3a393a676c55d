/**
 * Page helpers for driving the app in the browser tests and the measurement script: they
 * only use the app's controls and its `data-testid` / `data-*` attributes.
 */
import type { Page } from 'playwright-core';
import { waitForState, type TrackedPage } from './harness';

export const MODEL_TIMEOUT = 240_000;
export const RUN_TIMEOUT = 240_000;

/** Reads a `data-*` attribute of a `data-testid` element. */
export async function attr(page: Page, testId: string, name: string): Promise<string> {
  const v = await page.getByTestId(testId).getAttribute(name);
  if (v === null) throw new Error(`[data-testid=${testId}] has no ${name}`);
  return v;
}

/** Waits until the model is loaded and warm; on failure reports the UI's own error text. */
export async function waitModelReady(t: TrackedPage, timeoutMs = MODEL_TIMEOUT): Promise<void> {
  const engine = await waitForState(t.page, 'engine-status', ['ready', 'error'], timeoutMs);
  if (engine !== 'ready') throw new Error(`engine init failed: ${await t.page.getByTestId('engine-error').innerText()}\n${t.problemLines().join('\n')}`);
  const state = await waitForState(t.page, 'model-status', ['ready', 'error'], timeoutMs);
  if (state !== 'ready') throw new Error(`model load failed: ${await t.page.getByTestId('model-error').innerText()}\n${t.problemLines().join('\n')}`);
  await t.page.waitForFunction(() => !(document.querySelector('[data-testid="generate-button"]') as HTMLButtonElement | null)?.disabled, undefined, {
    timeout: timeoutMs,
    polling: 100,
  });
}

/** Number of finished generations so far (the store's counter, on the step counter). */
export async function genCount(page: Page): Promise<number> {
  const v = await page.getByTestId('step-counter').getAttribute('data-count');
  return v === null ? 0 : Number(v);
}

/** Clicks Generate and waits for this run to finish; returns the click-to-done wall time. */
export async function generate(t: TrackedPage, timeoutMs = RUN_TIMEOUT): Promise<number> {
  const { page } = t;
  const before = await genCount(page).catch(() => 0);
  const t0 = Date.now();
  await page.getByTestId('generate-button').click();
  try {
    await page.waitForFunction(
      ({ n }) => {
        const status = document.querySelector('[data-testid="gen-status"]')?.getAttribute('data-state');
        const count = Number(document.querySelector('[data-testid="step-counter"]')?.getAttribute('data-count') ?? 0);
        return status === 'error' || (status === 'done' && count > n);
      },
      { n: before },
      { timeout: timeoutMs, polling: 50 },
    );
  } catch (e) {
    throw new Error(`generate did not finish: ${(e as Error).message}\n${t.problemLines().join('\n')}`);
  }
  const status = await attr(page, 'gen-status', 'data-state');
  if (status !== 'done') throw new Error(`generate failed: ${await page.getByTestId('gen-error').innerText()}`);
  return Date.now() - t0;
}

/** Types a fixed seed (turning "new seed each time" off). */
export async function setSeed(page: Page, seed: number): Promise<void> {
  await page.getByTestId('seed-input').fill(String(seed));
  if (await page.getByTestId('seed-random').isChecked()) await page.getByTestId('seed-random').uncheck();
}

export interface CanvasRead {
  /** FNV-1a of the canvas's actual pixels (getImageData). */
  readonly pixels: number;
  /** The hash of the stored frame the app says it drew. */
  readonly frame: string;
}

/** Reads back a canvas's pixels and hashes them in the page (FNV-1a, as src/store/history.ts). */
export async function readCanvas(page: Page, testId: string): Promise<CanvasRead> {
  return page.evaluate((id) => {
    const c = document.querySelector(`[data-testid="${id}"]`) as HTMLCanvasElement | null;
    if (!c) throw new Error(`no canvas ${id}`);
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 0x811c9dc5;
    for (let i = 0; i < d.length; i++) {
      h ^= d[i];
      h = Math.imul(h, 0x01000193);
    }
    return { pixels: h >>> 0, frame: c.getAttribute('data-frame-hash') ?? '' };
  }, testId);
}

/** Moves the slider to `position` and waits until the canvas shows that position's frame. */
export async function scrubTo(page: Page, position: number): Promise<void> {
  await page.getByTestId('scrub-slider').fill(String(position));
  await page.waitForFunction((p) => (document.querySelector('[data-testid="scrub-slider"]') as HTMLInputElement).valueAsNumber === p, position, { timeout: 5000 });
}

/** The step log: one entry per step, in document order. */
export async function stepLog(page: Page): Promise<{ k: number; ms: number; xk: number; x0: number }[]> {
  return page.$$eval('[data-testid="step-log"] li', (lis) =>
    lis.map((li) => ({ k: Number(li.getAttribute('data-k')), ms: Number(li.getAttribute('data-ms')), xk: Number(li.getAttribute('data-xk-hash')), x0: Number(li.getAttribute('data-x0-hash')) })),
  );
}

/**
 * Records, in the page, every change of the step counter and of the main canvas's frame
 * (with performance.now() times) until `takeRecording` is called.
 */
export async function startRecording(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __rec?: { steps: number[]; stepTimes: number[]; frames: string[] }; __recObs?: MutationObserver };
    w.__recObs?.disconnect();
    const rec = { steps: [] as number[], stepTimes: [] as number[], frames: [] as string[] };
    w.__rec = rec;
    const look = (): void => {
      const s = Number(document.querySelector('[data-testid="step-counter"]')?.getAttribute('data-steps') ?? -1);
      if (rec.steps[rec.steps.length - 1] !== s) {
        rec.steps.push(s);
        rec.stepTimes.push(performance.now());
      }
      const f = document.querySelector('[data-testid="main-canvas"]')?.getAttribute('data-frame-hash') ?? '';
      if (f && rec.frames[rec.frames.length - 1] !== f) rec.frames.push(f);
    };
    w.__recObs = new MutationObserver(look);
    w.__recObs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-steps', 'data-frame-hash'] });
    look();
  });
}

export async function takeRecording(page: Page): Promise<{ steps: number[]; stepTimes: number[]; frames: string[] }> {
  return page.evaluate(() => {
    const w = window as unknown as { __rec: { steps: number[]; stepTimes: number[]; frames: string[] }; __recObs?: MutationObserver };
    w.__recObs?.disconnect();
    return w.__rec;
  });
}

/** Installs (before navigation) a PerformanceObserver that keeps every long task. */
export async function observeLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number; name: string }[] };
    w.__longTasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration, name: e.name });
      }).observe({ type: 'longtask', buffered: true });
    } catch {
      /* no longtask support: the test will see an empty list and say so */
    }
  });
}

export async function longTasksSince(page: Page, since: number): Promise<{ start: number; duration: number; name: string }[]> {
  return page.evaluate((t0) => (window as unknown as { __longTasks: { start: number; duration: number; name: string }[] }).__longTasks.filter((e) => e.start + e.duration >= t0), since);
}

export async function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}
