/**
 * Threaded wasm in the browser (src/worker/wasmThreads.ts): the page is cross-origin
 * isolated and the engine runs one wasm thread per logical core.
 *
 *  - served by the project's preview server (`npm start`'s COOP/COEP headers): the page and
 *    its engine worker are isolated, `?backend=wasm` runs min(8, cores) threads (2 on the
 *    2-core test machine) and `?threads=1` runs one; Generate works on the thread pool;
 *  - served by a plain static server (no headers at all): the service worker (public/
 *    coi-sw.js) makes the page isolated after one reload, and the engine runs > 1 thread;
 *  - the same host in a browser that refuses service workers: the page stays unisolated,
 *    the Engine panel says why, and the app still works on one thread.
 *
 * Every page must load every asset (worker, wasm, model, data) under COEP with a clean
 * console. The wasm backend is asked for explicitly (WebGPU on SwiftShader is slow here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TrackedPage } from './harness';
import { attr, generate, waitModelReady } from './appDriver';

const TIMEOUT = 120_000;

/** Threads the engine should run by default: every logical core, at most 8. */
async function expectedThreads(t: TrackedPage): Promise<number> {
  return Math.min(8, await t.page.evaluate(() => navigator.hardwareConcurrency));
}

async function isolation(t: TrackedPage): Promise<{ page: boolean; engine: boolean }> {
  const page = await t.page.evaluate(() => crossOriginIsolated);
  const worker = t.page.workers().find((w) => /engine\.worker/.test(w.url()));
  if (!worker) throw new Error('no engine worker');
  const engine = await worker.evaluate(() => (self as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated);
  return { page, engine };
}

/** Loads the app with `query`, waits for the model, generates once; returns the load events. */
async function openAndGenerate(h: Harness, query: string): Promise<{ t: TrackedPage; loads: number }> {
  const t = await h.newPage();
  let loads = 0;
  t.page.on('load', () => loads++);
  await t.page.goto(`${h.baseUrl}/${query}`);
  await waitModelReady(t, TIMEOUT);
  await generate(t, TIMEOUT);
  return { t, loads };
}

function expectCleanConsole(t: TrackedPage): void {
  expect(t.problemLines()).toEqual([]);
  // COEP blocks show up as errors above; nothing about isolation may even warn.
  expect(t.log.filter((l) => /Cross-Origin|COEP|COOP|SharedArrayBuffer|blocked/i.test(l))).toEqual([]);
}

describe('wasm threads, served by the preview server (COOP/COEP headers)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is cross-origin isolated and runs one thread per core', async () => {
    const { t, loads } = await openAndGenerate(h, '?backend=wasm&batch=1');
    expect(loads).toBe(1);
    expect(await isolation(t)).toEqual({ page: true, engine: true });
    const n = await expectedThreads(t);
    expect(await attr(t.page, 'backend', 'data-value')).toBe('wasm');
    expect(await attr(t.page, 'wasm-threads', 'data-value')).toBe(String(n));
    expect(await attr(t.page, 'wasm-threads', 'data-threaded')).toBe(String(n > 1));
    expect(await attr(t.page, 'wasm-threads', 'data-isolated')).toBe('true');
    const why = await t.page.getByTestId('wasm-threads').innerText();
    expect(why).toMatch(/COOP\/COEP from the server/);
    console.log(`preview: ${await t.page.getByTestId('backend').innerText()}; ${why}`);
    expect(n).toBeGreaterThan(1); // the test machine has 2 cores
    expectCleanConsole(t);
    await t.page.close();
  });

  it('runs one thread with ?threads=1', async () => {
    const { t } = await openAndGenerate(h, '?backend=wasm&batch=1&threads=1');
    expect(await attr(t.page, 'wasm-threads', 'data-value')).toBe('1');
    expect(await attr(t.page, 'wasm-threads', 'data-requested')).toBe('1');
    expect(await t.page.getByTestId('wasm-threads').innerText()).toMatch(/\?threads=1/);
    expectCleanConsole(t);
    await t.page.close();
  });
});

describe('wasm threads on a plain static host (no headers)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ staticHost: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('becomes isolated after the service worker’s one reload and runs > 1 thread', async () => {
    const first = await openAndGenerate(h, '?backend=wasm&batch=1');
    expect(first.loads).toBe(2); // the first load registers coi-sw.js and reloads once
    expect(await isolation(first.t)).toEqual({ page: true, engine: true });
    const n = await expectedThreads(first.t);
    expect(n).toBeGreaterThan(1);
    expect(await attr(first.t.page, 'wasm-threads', 'data-value')).toBe(String(n));
    const why = await first.t.page.getByTestId('wasm-threads').innerText();
    expect(why).toMatch(/added by the service worker/);
    console.log(`static host: ${why}`);
    expectCleanConsole(first.t);
    await first.t.page.close();

    // A later visit is under the service worker from the start: no reload.
    const again = await openAndGenerate(h, '?backend=wasm&batch=1');
    expect(again.loads).toBe(1);
    expect((await isolation(again.t)).page).toBe(true);
    expectCleanConsole(again.t);
    await again.t.page.close();
  });
});

describe('wasm threads where the page cannot be isolated', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ staticHost: true, blockServiceWorkers: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('says why in the Engine panel and works on one thread', async () => {
    const { t, loads } = await openAndGenerate(h, '?backend=wasm&batch=1');
    expect(loads).toBe(1);
    expect(await isolation(t)).toEqual({ page: false, engine: false });
    expect(await attr(t.page, 'wasm-threads', 'data-value')).toBe('1');
    expect(await attr(t.page, 'wasm-threads', 'data-isolated')).toBe('false');
    const why = await t.page.getByTestId('wasm-threads').innerText();
    expect(why).toMatch(/not cross-origin isolated: the service worker that adds COOP\/COEP/);
    console.log(`no service worker: ${why}`);
    expect(t.problemLines()).toEqual([]);
    await t.page.close();
  });
});
