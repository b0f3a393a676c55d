/**
 * Timing of the built app in Chromium with a shipped model (not a test: numbers for the
 * README and for comparing backends). Run after `npx vite build`:
 *
 *   npx tsx tests/e2e/measure.ts [model] [backend:batch …]
 *   npx tsx tests/e2e/measure.ts mnist-ddgan-t4 wasm:1 wasm:16 webgpu:1 webgpu:16
 *
 * Per configuration, in a fresh tab (a fresh worker): cold = navigation → model downloaded
 * and warmed up → first image finished; warm = the median of the next runs. Step times are
 * the worker's own (network call + read-back + encoding); per image = run total / batch.
 * Writes test-results/measure.json and prints a table.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RESULTS_DIR, startHarness } from './harness';
import { attr, generate, setSeed, waitModelReady } from './appDriver';

const [model = 'mnist-ddgan-t4', ...specs] = process.argv.slice(2);
const configs = (specs.length ? specs : ['wasm:1', 'wasm:16', 'webgpu:1', 'webgpu:16']).map((s) => {
  const [backend, batch] = s.split(':');
  return { backend, batch: Number(batch) };
});
const WARM_RUNS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Row {
  backend: string;
  batch: number;
  readyMs: number;
  downloadMs: number;
  warmupMs: number;
  compileMs: number;
  shaders: number;
  firstImageMs: number;
  coldMs: number;
  coldStepMs: number[];
  warmStepMs: number;
  warmRunMs: number;
  warmPerImageMs: number;
}

const h = await startHarness();
const rows: Row[] = [];
try {
  for (const { backend, batch } of configs) {
    const t = await h.newPage({ viewport: { width: 1280, height: 800 } });
    const { page } = t;
    const t0 = Date.now();
    await page.goto(`${h.baseUrl}/?backend=${backend}&model=${model}&batch=${batch}`);
    await waitModelReady(t, 600_000);
    const readyMs = Date.now() - t0;
    await setSeed(page, 1);
    const firstImageMs = await generate(t, 600_000);
    const coldMs = Date.now() - t0;
    const coldStepMs = (await attr(page, 'run-stats', 'data-step-ms')).split(',').map(Number);
    const steps: number[] = [];
    const totals: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      await generate(t, 600_000);
      steps.push(...(await attr(page, 'run-stats', 'data-step-ms')).split(',').map(Number));
      totals.push(Number(await attr(page, 'run-stats', 'data-total-ms')));
    }
    const row: Row = {
      backend: await attr(page, 'backend', 'data-value'),
      batch,
      readyMs,
      downloadMs: Number(await attr(page, 'model-timings', 'data-download-ms')),
      warmupMs: Number(await attr(page, 'model-timings', 'data-warmup-ms')),
      compileMs: Number(await attr(page, 'model-timings', 'data-compile-ms')),
      shaders: Number(await attr(page, 'model-timings', 'data-shaders')),
      firstImageMs,
      coldMs,
      coldStepMs,
      warmStepMs: median(steps),
      warmRunMs: median(totals),
      warmPerImageMs: median(totals) / batch,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
    if (t.problemLines().length) console.log(`problems: ${t.problemLines().join('\n')}`);
    await page.close();
  }
} finally {
  await h.close();
}
await writeFile(path.join(RESULTS_DIR, 'measure.json'), JSON.stringify({ model, rows }, null, 2));
const f = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
console.log(`\n| backend | batch | ready (load+warm-up) | warm-up (compile) | first image | cold total | warm step | warm run | warm per image |`);
console.log(`|---|---|---|---|---|---|---|---|---|`);
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${r.batch} | ${f(r.readyMs)} | ${f(r.warmupMs)}${r.shaders ? ` (${r.shaders} shaders, ${f(r.compileMs)})` : ''} | ${f(r.firstImageMs)} | ${f(r.coldMs)} | ${f(r.warmStepMs)} | ${f(r.warmRunMs)} | ${f(r.warmPerImageMs)} |`,
  );
}
