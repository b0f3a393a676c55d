/**
 * Browser section of `npm run bench`: the built app (dist/) in headless Chromium, driven
 * through its own controls as a user would (the e2e harness, tests/e2e/harness.ts and
 * appDriver.ts, which tests/e2e/measure.ts also uses), once per backend:
 *
 *  - cold start: empty caches, navigation → model downloaded and warmed up → first image;
 *    then a repeat visit in a new tab with the caches kept (what a second visit costs);
 *  - warm generation per batch size: the worker's time per step and per image (medians),
 *    the click-to-done time, and the latency from the worker posting a step to the first
 *    animation frame after the main canvas drew it;
 *  - the main thread while generating back to back and while fine-tuning (built-in MNIST
 *    digits, the default settings, autosave included) for a fixed duration: long tasks
 *    (> 50 ms; count and longest), frame rate and the longest gap between frames.
 *  - wasm threads: Generate and a few fine-tuning iterations with `?threads=1` and with every
 *    logical core, in two tabs of one run, alternating, so load on the machine hits both
 *    alike; reported as times and as ratios (src/worker/wasmThreads.ts).
 *
 * Instrumentation is injected by the bench, never shipped: an init script wraps `Worker`
 * (arrival time of each step event), `putImageData` (when the main canvas drew) and runs a
 * requestAnimationFrame counter; the worker's `postMessage` is wrapped (via the page's
 * worker handle) to stamp each step event with its send time on the shared epoch clock
 * (`performance.timeOrigin + performance.now()` agrees between a page and its workers).
 *
 * The numbers go into a `BenchSection` (rendered to BENCHMARKS.md / bench.json by
 * benchSuite.ts); `browserSection()` builds it from raw results and is tested on its own.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type BenchSection, type BenchTable } from './benchUtil';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export const BROWSER_BACKENDS = ['wasm', 'webgl', 'webgpu'] as const;
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];

export function isBrowserBackend(s: string): s is BrowserBackend {
  return (BROWSER_BACKENDS as readonly string[]).includes(s);
}

export interface BrowserBenchOptions {
  /** Backends measured, in this order (default all three). */
  readonly backends?: readonly BrowserBackend[];
  /** Batch sizes per backend for the warm runs (default: wasm 1, 16, 64; webgl 1, 16; webgpu 1). */
  readonly batches?: Partial<Record<BrowserBackend, readonly number[]>>;
  /** Timed warm runs per batch size (medians; default 5, webgpu 2). */
  readonly repeats?: number;
  /** Seconds of back-to-back generation and of fine-tuning watched per backend (default 30). */
  readonly durationS?: number;
  /**
   * wasm thread counts compared (default 1 and every logical core, at most 8; empty: skip).
   * Runs when wasm is among the backends.
   */
  readonly threadCounts?: readonly number[];
  /** Fine-tuning iterations timed per thread count (default 5, tiny 2). */
  readonly threadTrainIterations?: number;
  /** Tiny fixture model (16×16, random weights) and short windows: checks the code paths. */
  readonly tiny?: boolean;
  readonly log?: (line: string) => void;
}

/** Why the browser section cannot run here (no Chromium), or null when it can. */
export function browserUnavailable(): string | null {
  const p = process.env.CHROMIUM_PATH?.trim() || '/usr/bin/chromium';
  if (!existsSync(p)) return `no Chromium at ${p} (run \`node tests/e2e/ensure-chromium.mjs\`, which says what to install, or set CHROMIUM_PATH)`;
  return null;
}

// ─── results ────────────────────────────────────────────────────────────────────────────

export interface ColdStart {
  /** Navigation → model downloaded and warmed up (Generate enabled). */
  readonly readyMs: number;
  readonly downloadMs: number;
  readonly warmupMs: number;
  /** WebGPU shader compilation inside the warm-up (0 elsewhere), and the shaders compiled. */
  readonly compileMs: number;
  readonly shaders: number;
  /** Click → first image finished. */
  readonly firstImageMs: number;
  /** Navigation → first image finished. */
  readonly totalMs: number;
  /** Whether the weight shards were requested from the server in this visit. */
  readonly weightsFrom: 'network' | 'cache';
}

export interface WarmRow {
  readonly batch: number;
  readonly runs: number;
  /** Medians of the worker's own timings (network call + read-back + encoding per step). */
  readonly stepMs: number;
  /** Steps per run (the model's T). */
  readonly stepsPerRun: number;
  readonly runMs: number;
  /** Click → done as the page saw it (median). */
  readonly clickToDoneMs: number;
  /** Worker posts a step → first animation frame after the main canvas drew it. */
  readonly latencyMedianMs: number;
  readonly latencyMaxMs: number;
  readonly frames: number;
}

export interface MainThreadWindow {
  readonly phase: 'generation' | 'fine-tuning';
  readonly batch: number;
  readonly seconds: number;
  readonly longTasks: number;
  readonly longestTaskMs: number;
  readonly framesPerSecond: number;
  readonly longestFrameGapMs: number;
  /** Images generated, or training iterations done, in the window. */
  readonly work: number;
  readonly workUnit: 'images' | 'iterations';
  /** Fine-tuning: Stop clicked → the run reported stopped (NaN: generation, or not in time). */
  readonly stopMs: number;
}

export interface BrowserBackendResult {
  readonly requested: BrowserBackend;
  /** What the app reports it runs on (differs when the backend could not start). */
  readonly backend: string;
  readonly adapter: string;
  readonly cold: ColdStart;
  readonly repeat: ColdStart;
  readonly warm: readonly WarmRow[];
  readonly mainThread: readonly MainThreadWindow[];
  /** Problems the page reported (console errors, failed requests), if any. */
  readonly problems: readonly string[];
}

/** One wasm thread count: what the engine ran and how long Generate and fine-tuning took. */
export interface ThreadRow {
  /** `?threads=` asked for. */
  readonly requested: number;
  /** Threads the engine reports (Engine panel), and its sentence why. */
  readonly threads: number;
  readonly why: string;
  readonly batch: number;
  readonly runs: number;
  /** Median Generate run (the worker's own time: T steps at `batch`). */
  readonly runMs: number;
  /** Fine-tuning: iterations timed and the mean time per iteration (NaN: not measured). */
  readonly trainIterations: number;
  readonly trainBatch: number;
  readonly trainMsPerIteration: number;
}

export interface WasmThreadsBench {
  readonly rows: readonly ThreadRow[];
  /** Why the comparison is missing or partial. */
  readonly failure?: string;
  /** Load average of the machine (1 minute) before and after: threads suffer most from it. */
  readonly loadAverage: readonly [number, number];
}

export interface BrowserBenchResult {
  readonly model: string;
  readonly browser: string;
  readonly durationS: number;
  readonly results: readonly BrowserBackendResult[];
  /** wasm at 1 thread against N threads (absent: not measured). */
  readonly threads?: WasmThreadsBench;
  /** Backends that failed, with the reason. */
  readonly failures: readonly { readonly backend: BrowserBackend; readonly message: string }[];
}

// ─── the report ─────────────────────────────────────────────────────────────────────────

const orDash = (x: number): number | string => (Number.isFinite(x) ? x : '–');

/** The section for BENCHMARKS.md / bench.json from raw results (pure). */
export function browserSection(r: BrowserBenchResult): BenchSection {
  const label = (b: BrowserBackendResult): string => (b.backend === b.requested ? b.backend : `${b.requested} → ${b.backend}`);
  const coldRows = r.results.flatMap((b) =>
    [
      { visit: 'cold (empty cache)', c: b.cold },
      { visit: 'repeat visit', c: b.repeat },
    ].map(({ visit, c }) => ({
      backend: label(b),
      visit,
      readyMs: c.readyMs,
      weightsFrom: c.weightsFrom,
      downloadMs: c.downloadMs,
      warmupMs: c.warmupMs,
      compile: c.shaders > 0 ? `${Math.round(c.compileMs)} ms, ${c.shaders} shaders` : '–',
      firstImageMs: c.firstImageMs,
      totalMs: c.totalMs,
    })),
  );
  const warmRows = r.results.flatMap((b) =>
    b.warm.map((w) => ({
      backend: label(b),
      batch: w.batch,
      stepMs: w.stepMs,
      stepImageMs: w.stepMs / w.batch,
      runMs: w.runMs,
      imageMs: w.runMs / w.batch,
      imagesPerSecond: (1000 * w.batch) / w.runMs,
      clickToDoneMs: w.clickToDoneMs,
      // what the loop, transfers and drawing add on top of the steps themselves
      clickToDoneOverSteps: w.clickToDoneMs / (w.stepsPerRun * w.stepMs),
      latencyMedianMs: orDash(w.latencyMedianMs),
      latencyMaxMs: orDash(w.latencyMaxMs),
    })),
  );
  const mainRows = r.results.flatMap((b) =>
    b.mainThread.map((m) => ({
      backend: label(b),
      phase: m.phase === 'generation' ? `generation, batch ${m.batch}` : `fine-tuning, batch ${m.batch}`,
      seconds: m.seconds,
      longTasks: m.longTasks,
      longestTaskMs: orDash(m.longestTaskMs),
      framesPerSecond: m.framesPerSecond,
      longestFrameGapMs: m.longestFrameGapMs,
      work: `${m.work} ${m.work === 1 ? m.workUnit.slice(0, -1) : m.workUnit}`,
      stopMs: orDash(m.stopMs),
    })),
  );
  const tables: BenchTable[] = [];
  if (coldRows.length) {
    tables.push({
      caption: `Start-up of ${r.model}: a fresh tab with empty caches, then a repeat visit in a new tab with the caches kept.`,
      columns: [
        { key: 'backend', label: 'backend' },
        { key: 'visit', label: 'visit' },
        { key: 'readyMs', label: 'ms to ready (fetch + warm-up)' },
        { key: 'weightsFrom', label: 'weights from' },
        { key: 'downloadMs', label: 'ms download' },
        { key: 'warmupMs', label: 'ms warm-up' },
        { key: 'compile', label: 'shader compile' },
        { key: 'firstImageMs', label: 'ms first image (click → done)' },
        { key: 'totalMs', label: 'ms navigation → first image' },
      ],
      rows: coldRows,
    });
  }
  if (warmRows.length) {
    tables.push({
      caption: 'Warm generation (medians of the timed runs; step and run times are the worker’s own).',
      columns: [
        { key: 'backend', label: 'backend' },
        { key: 'batch', label: 'batch' },
        { key: 'stepMs', label: 'ms / step' },
        { key: 'stepImageMs', label: 'ms / step / image' },
        { key: 'runMs', label: 'ms / run' },
        { key: 'imageMs', label: 'ms / image' },
        { key: 'imagesPerSecond', label: 'images/s' },
        { key: 'clickToDoneMs', label: 'ms click → done' },
        { key: 'clickToDoneOverSteps', label: 'click → done ÷ (T × step)' },
        { key: 'latencyMedianMs', label: 'ms worker → canvas (median)' },
        { key: 'latencyMaxMs', label: 'ms worker → canvas (max)' },
      ],
      rows: warmRows,
    });
  }
  if (mainRows.length) {
    tables.push({
      caption: `The main thread over ${r.durationS} s of back-to-back generation and of fine-tuning (long task: > 50 ms, PerformanceObserver 'longtask').`,
      columns: [
        { key: 'backend', label: 'backend' },
        { key: 'phase', label: 'phase' },
        { key: 'seconds', label: 's watched' },
        { key: 'longTasks', label: 'long tasks' },
        { key: 'longestTaskMs', label: 'longest long task (ms)' },
        { key: 'framesPerSecond', label: 'frames/s' },
        { key: 'longestFrameGapMs', label: 'longest frame gap (ms)' },
        { key: 'work', label: 'work done' },
        { key: 'stopMs', label: 'ms Stop → stopped' },
      ],
      rows: mainRows,
    });
  }
  const threadRows = r.threads?.rows ?? [];
  const base = threadRows[0];
  if (base) {
    tables.push({
      caption: `wasm threads: Generate at batch ${base.batch} and fine-tuning (batch ${base.trainBatch}, ${base.trainIterations} iterations) in two tabs of one run, alternating; ratios against ${base.threads} thread${base.threads === 1 ? '' : 's'}.`,
      columns: [
        { key: 'threads', label: 'threads' },
        { key: 'runMs', label: 'ms / Generate run (median)' },
        { key: 'generateSpeedup', label: 'Generate speed-up' },
        { key: 'trainMs', label: 'ms / fine-tuning iteration' },
        { key: 'trainSpeedup', label: 'fine-tuning speed-up' },
        { key: 'why', label: 'engine says' },
      ],
      rows: threadRows.map((t) => ({
        threads: t.threads === t.requested ? String(t.threads) : `${t.threads} (asked ${t.requested})`,
        runMs: t.runMs,
        generateSpeedup: base.runMs / t.runMs,
        trainMs: orDash(t.trainMsPerIteration),
        trainSpeedup: orDash(base.trainMsPerIteration / t.trainMsPerIteration),
        why: t.why,
      })),
    });
  }
  const adapters = [...new Set(r.results.filter((b) => b.backend === 'webgpu').map((b) => b.adapter))];
  const notes = [
    `Headless Chromium (${r.browser}) with the flags of tests/e2e/harness.ts, serving dist/ with \`vite preview\` on 127.0.0.1; ${r.model}.`,
    ...(adapters.length ? [`WebGPU adapter: ${adapters.join('; ')} (a software adapter runs on the CPU: expect it to be far slower than wasm here).`] : []),
    'Cold start: caches and site storage cleared, navigation to the app with the backend and batch 1 in the URL, the app’s own download and warm-up times, then one Generate. The repeat visit opens a new tab with the caches kept; "weights from" says whether the weight file was requested from the server (the engine keeps it in Cache Storage after the first download; model.json is always revalidated).',
    'Worker → canvas: the worker’s postMessage of a step event (stamped on the epoch clock shared with the page) to the first animation frame after the main canvas’s putImageData; it includes the wait in the main thread’s queue, the React commit and the draw.',
    'Main thread: the window starts at the click; generation runs Generate back to back at the largest batch measured for the backend (the last run may end after the window); fine-tuning (in the repeat-visit tab) trains the loaded model on built-in MNIST digits with the app’s default settings (previews and autosave included) and is stopped at the end of the window; a stop takes effect between iterations.',
    ...(r.threads
      ? [
          `wasm threads: \`?threads=N\` per tab on the same server; one Generate per tab in turn, ${base?.runs ?? 0} each after a warm-up run, then the fine-tuning iterations (built-in MNIST digits, default settings) in each tab in turn; load average ${r.threads.loadAverage.map((x) => x.toFixed(2)).join(' → ')} (threads only help where cores are free: under load a pool waits for its slowest thread).`,
          ...(r.threads.failure ? [`wasm threads: ${r.threads.failure}`] : []),
        ]
      : []),
    ...r.failures.map((f) => `${f.backend}: not measured: ${f.message}`),
    ...r.results.filter((b) => b.problems.length).map((b) => `${b.requested}: the page reported ${b.problems.length} problem(s): ${b.problems.slice(0, 3).join(' · ')}`),
  ];
  return { id: 'browser', title: 'In the browser (headless Chromium)', tables, notes, data: { ...r } };
}

// ─── the measurement ────────────────────────────────────────────────────────────────────

/** Whether dist/ is missing or older than the sources (then it is rebuilt first). */
function distIsStale(): boolean {
  const index = path.join(REPO, 'dist', 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return t;
  };
  return Math.max(newest(path.join(REPO, 'src')), statSync(path.join(REPO, 'index.html')).mtimeMs) > built;
}

/**
 * Injected before any page script: timing hooks the app does not ship. Plain JavaScript
 * text, not a function: the TypeScript runner adds helpers to compiled functions that do
 * not exist in the page.
 */
const PAGE_INSTRUMENTATION = `(() => {
  const rec = { steps: [], draws: [], frames: [] };
  window.__bench = rec;
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(url, opts) {
      super(url, opts);
      // Registered before the app's own listener, so 'arrived' is the dispatch time.
      this.addEventListener('message', (e) => {
        const d = e.data;
        if (d && d.kind === 'progress' && d.progress && d.progress.status === 'step' && typeof d.__sentAt === 'number') {
          rec.steps.push({ sent: d.__sentAt - performance.timeOrigin, arrived: performance.now() });
        }
      });
    }
  };
  const put = CanvasRenderingContext2D.prototype.putImageData;
  CanvasRenderingContext2D.prototype.putImageData = function (...args) {
    put.apply(this, args);
    if (this.canvas.getAttribute('data-testid') === 'main-canvas') rec.draws.push(performance.now());
  };
  const tick = () => {
    rec.frames.push(performance.now());
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`;

/** Run inside the engine worker: stamps step events with their send time (epoch ms). */
const WORKER_INSTRUMENTATION = `(() => {
  if (self.__benchPatched) return;
  self.__benchPatched = true;
  const post = self.postMessage.bind(self);
  self.postMessage = (m, t) => {
    if (m && m.kind === 'progress' && m.progress && m.progress.status === 'step') m.__sentAt = performance.timeOrigin + performance.now();
    post(m, t);
  };
})()`;

interface PageRecord {
  steps: { sent: number; arrived: number }[];
  draws: number[];
  frames: number[];
}

/** Worker → first frame after the main canvas drew, per step event since `since` (page ms). */
export function stepLatencies(rec: PageRecord, since: number): number[] {
  const out: number[] = [];
  for (const s of rec.steps) {
    if (s.arrived < since) continue;
    const draw = rec.draws.find((d) => d >= s.arrived);
    if (draw === undefined) continue;
    const frame = rec.frames.find((f) => f >= draw);
    if (frame === undefined) continue;
    out.push(frame - s.sent);
  }
  return out;
}

/** Frames per second and the longest gap between frames, over [from, to] (page ms). */
export function frameStats(frames: readonly number[], from: number, to: number): { fps: number; longestGapMs: number } {
  const inside = frames.filter((f) => f >= from && f <= to);
  let gap = 0;
  let prev = from;
  for (const f of inside) {
    gap = Math.max(gap, f - prev);
    prev = f;
  }
  gap = Math.max(gap, to - prev);
  return { fps: (1000 * inside.length) / Math.max(1, to - from), longestGapMs: gap };
}

export async function benchBrowser(opts: BrowserBenchOptions = {}): Promise<BenchSection> {
  return browserSection(await measureBrowser(opts));
}

export async function measureBrowser(opts: BrowserBenchOptions = {}): Promise<BrowserBenchResult> {
  const log = opts.log ?? (() => undefined);
  const why = browserUnavailable();
  if (why) throw new Error(`the browser section cannot run: ${why}`);
  const tiny = !!opts.tiny;
  const backends = opts.backends?.length ? opts.backends : BROWSER_BACKENDS;
  const durationS = opts.durationS ?? (tiny ? 3 : 30);
  const defaultBatches: Record<BrowserBackend, readonly number[]> = tiny ? { wasm: [1, 4], webgl: [1, 4], webgpu: [1] } : { wasm: [1, 16, 64], webgl: [1, 16], webgpu: [1] };
  const batchesOf = (b: BrowserBackend): readonly number[] => opts.batches?.[b] ?? defaultBatches[b];
  const repeatsOf = (b: BrowserBackend): number => opts.repeats ?? (tiny ? 1 : b === 'webgpu' ? 2 : 5);

  if (distIsStale()) {
    log('browser: dist/ is missing or older than src/: building it (vite build) …');
    const { build } = await import('vite');
    await build({ root: REPO, logLevel: 'warn' });
  }
  // The e2e harness and page helpers: the same code the browser tests drive the app with.
  const { startHarness, waitForState } = await import('../../tests/e2e/harness');
  const { attr, generate, longTasksSince, observeLongTasks, pageNow, setSeed, waitModelReady } = await import('../../tests/e2e/appDriver');
  let model = 'mnist-ddgan-t4';
  const fixtures = [];
  if (tiny) {
    const { TINY_MODEL, buildTinyCheckpoint } = await import('../../tests/fixtures/tinyCheckpoint');
    const ck = await buildTinyCheckpoint();
    fixtures.push({ name: TINY_MODEL, modelJson: ck.modelJson, weights: ck.weights });
    model = TINY_MODEL;
  }
  const h = await startHarness({ fixtures });
  const results: BrowserBackendResult[] = [];
  const failures: { backend: BrowserBackend; message: string }[] = [];
  let threads: WasmThreadsBench | undefined;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const threadCounts = opts.threadCounts ?? [...new Set([1, Math.min(8, cores)])];
  let browser = 'Chromium';
  const TIMEOUT = tiny ? 300_000 : 900_000;

  // Weight shards requested from the server (the page's and its worker's requests).
  let weightFetches = 0;
  h.context.on('request', (req) => {
    if (/\/models\/[^/]+\/[^/]+\.bin$/.test(new URL(req.url()).pathname)) weightFetches++;
  });

  type Tracked = Awaited<ReturnType<typeof h.newPage>>;
  const open = async (): Promise<Tracked> => {
    const t = await h.newPage({ viewport: { width: 1280, height: 900 } });
    await observeLongTasks(t.page);
    await t.page.addInitScript({ content: PAGE_INSTRUMENTATION });
    t.page.on('worker', (wk) => void wk.evaluate(WORKER_INSTRUMENTATION).catch(() => undefined));
    return t;
  };
  const record = (t: Tracked): Promise<PageRecord> => t.page.evaluate(() => (window as unknown as { __bench: PageRecord }).__bench);
  const coldStart = async (t: Tracked, url: string): Promise<ColdStart> => {
    const fetchesBefore = weightFetches;
    const t0 = Date.now();
    await t.page.goto(url);
    await waitModelReady(t, TIMEOUT);
    const readyMs = Date.now() - t0;
    await setSeed(t.page, 1);
    const firstImageMs = await generate(t, TIMEOUT);
    const num = async (name: string): Promise<number> => Number(await attr(t.page, 'model-timings', name));
    return {
      readyMs,
      downloadMs: await num('data-download-ms'),
      warmupMs: await num('data-warmup-ms'),
      compileMs: await num('data-compile-ms'),
      shaders: await num('data-shaders'),
      firstImageMs,
      totalMs: Date.now() - t0,
      weightsFrom: weightFetches > fetchesBefore ? 'network' : 'cache',
    };
  };

  try {
    for (const requested of backends) {
      const batches = batchesOf(requested);
      const url = `${h.baseUrl}/?backend=${requested}&model=${model}&batch=${batches[0]}`;
      let t: Tracked | null = null;
      try {
        log(`browser: ${requested}: cold start …`);
        // Empty caches, as on a first visit (HTTP cache, Cache Storage, IndexedDB).
        const blank = await h.context.newPage();
        const cdp = await h.context.newCDPSession(blank);
        await cdp.send('Network.clearBrowserCache');
        await cdp.send('Storage.clearDataForOrigin', { origin: new URL(h.baseUrl).origin, storageTypes: 'all' });
        await blank.close();

        t = await open();
        const { page } = t;
        const cold = await coldStart(t, url);
        browser = (await page.evaluate(() => navigator.userAgent)).match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? browser;
        const backend = await attr(page, 'backend', 'data-value');
        const adapter = await attr(page, 'adapter', 'data-value').catch(() => '');

        const warm: WarmRow[] = [];
        for (const batch of batches) {
          log(`browser: ${requested}: warm runs at batch ${batch} …`);
          if (batch !== batches[0]) {
            await page.getByTestId(`batch-${batch}`).click();
            await waitModelReady(t, TIMEOUT);
          }
          const since = await pageNow(page);
          const steps: number[] = [];
          const runs: number[] = [];
          const clicks: number[] = [];
          for (let i = 0; i < repeatsOf(requested); i++) {
            clicks.push(await generate(t, TIMEOUT));
            steps.push(...(await attr(page, 'run-stats', 'data-step-ms')).split(',').map(Number));
            runs.push(Number(await attr(page, 'run-stats', 'data-total-ms')));
          }
          await page.waitForTimeout(100);
          const lat = stepLatencies(await record(t), since);
          warm.push({
            batch,
            runs: runs.length,
            stepMs: median(steps),
            stepsPerRun: steps.length / Math.max(1, runs.length),
            runMs: median(runs),
            clickToDoneMs: median(clicks),
            latencyMedianMs: lat.length ? median(lat) : NaN,
            latencyMaxMs: lat.length ? Math.max(...lat) : NaN,
            frames: lat.length,
          });
        }

        const mainThread: MainThreadWindow[] = [];
        const genBatch = batches[batches.length - 1];
        log(`browser: ${requested}: main thread over ${durationS} s of generation (batch ${genBatch}) …`);
        {
          const from = await pageNow(page);
          let images = 0;
          const until = Date.now() + durationS * 1000;
          while (Date.now() < until) {
            await generate(t, TIMEOUT);
            images += genBatch;
          }
          const to = await pageNow(page);
          const long = (await longTasksSince(page, from)).filter((e) => e.start <= to);
          const f = frameStats((await record(t)).frames, from, to);
          mainThread.push({
            phase: 'generation',
            batch: genBatch,
            seconds: (to - from) / 1000,
            longTasks: long.filter((e) => e.duration > 50).length,
            longestTaskMs: long.length ? Math.max(...long.map((e) => e.duration)) : NaN,
            framesPerSecond: f.fps,
            longestFrameGapMs: f.longestGapMs,
            work: images,
            workUnit: 'images',
            stopMs: NaN,
          });
        }

        const problems = t.problemLines();
        await page.close();
        t = null;

        // The repeat visit, then fine-tuning in that tab: a run's GPU work outlives its tab
        // on a software adapter, so the run is stopped (and waited for) last of all.
        log(`browser: ${requested}: repeat visit …`);
        t = await open();
        const repeat = await coldStart(t, url);
        log(`browser: ${requested}: main thread over ${durationS} s of fine-tuning …`);
        {
          const tab = t.page;
          await tab.getByTestId('source-mnist').check();
          await tab.getByTestId('train-iterations').fill('100000');
          const settingsBatch = Number(await tab.getByTestId('train-batch').inputValue());
          const from = await pageNow(tab);
          await tab.getByTestId('train-start').click();
          await tab.waitForTimeout(durationS * 1000);
          const to = await pageNow(tab);
          const state = await attr(tab, 'train-status', 'data-state');
          if (state === 'error') throw new Error(`fine-tuning failed: ${await tab.getByTestId('train-error').innerText()}`);
          const iterationText = await tab.getByTestId('train-iteration').getAttribute('data-value').catch(() => null);
          const startText = await tab.getByTestId('train-iteration').getAttribute('data-start').catch(() => null);
          // A stop takes effect between iterations: on a software adapter that can be minutes.
          const stopAt = Date.now();
          await tab.getByTestId('train-stop').click().catch(() => undefined);
          const stopped = await waitForState(tab, 'train-status', ['stopped', 'done', 'error'], TIMEOUT).then(
            () => true,
            () => false,
          );
          const long = (await longTasksSince(tab, from)).filter((e) => e.start <= to);
          const f = frameStats((await record(t)).frames, from, to);
          mainThread.push({
            phase: 'fine-tuning',
            batch: settingsBatch,
            seconds: (to - from) / 1000,
            longTasks: long.filter((e) => e.duration > 50).length,
            longestTaskMs: long.length ? Math.max(...long.map((e) => e.duration)) : NaN,
            framesPerSecond: f.fps,
            longestFrameGapMs: f.longestGapMs,
            work: Math.max(0, Number(iterationText ?? 0) - Number(startText || 0)),
            workUnit: 'iterations',
            stopMs: stopped ? Date.now() - stopAt : NaN,
          });
        }
        problems.push(...t.problemLines());
        await t.page.close();
        t = null;
        results.push({ requested, backend, adapter, cold, repeat, warm, mainThread, problems });
      } catch (e) {
        const message = (e as Error).message.split('\n')[0];
        log(`browser: ${requested}: failed: ${message}`);
        failures.push({ backend: requested, message });
        await t?.page.close().catch(() => undefined);
      }
    }

    if (backends.includes('wasm') && threadCounts.length > 0) {
      log(`browser: wasm threads ${threadCounts.join(' vs ')} …`);
      threads = await measureThreads(threadCounts);
    }
  } finally {
    await h.close();
  }
  return { model, browser, durationS, results, failures, ...(threads ? { threads } : {}) };

  /**
   * One tab per thread count, Generate alternating between them (so a change in the
   * machine's load hits every count alike), then a few fine-tuning iterations in each.
   */
  async function measureThreads(counts: readonly number[]): Promise<WasmThreadsBench> {
    const loadBefore = os.loadavg()[0];
    const batch = batchesOf('wasm')[batchesOf('wasm').length - 1];
    const repeats = repeatsOf('wasm');
    const iterations = opts.threadTrainIterations ?? (tiny ? 2 : 5);
    const tabs: { requested: number; t: Tracked; runs: number[] }[] = [];
    const rows: ThreadRow[] = [];
    let failure: string | undefined;
    try {
      for (const requested of counts) {
        const t = await h.newPage({ viewport: { width: 1280, height: 900 } });
        tabs.push({ requested, t, runs: [] });
        await t.page.goto(`${h.baseUrl}/?backend=wasm&model=${model}&batch=${batch}&threads=${requested}`);
        await waitModelReady(t, TIMEOUT);
        await setSeed(t.page, 1);
        await generate(t, TIMEOUT); // warm-up
      }
      for (let i = 0; i < repeats; i++) {
        for (const tab of tabs) {
          await generate(tab.t, TIMEOUT);
          tab.runs.push(Number(await attr(tab.t.page, 'run-stats', 'data-total-ms')));
        }
      }
      const train = new Map<number, { ms: number; batch: number; iterations: number }>();
      for (const tab of tabs) {
        const page = tab.t.page;
        try {
          await page.getByTestId('source-mnist').check();
          await page.getByTestId('train-iterations').fill(String(iterations));
          const trainBatch = Number(await page.getByTestId('train-batch').inputValue());
          await page.getByTestId('train-start').click();
          const end = await waitForState(page, 'train-status', ['done', 'stopped', 'error'], TIMEOUT);
          if (end !== 'done') throw new Error(`fine-tuning ended ${end}`);
          const done = Number(await attr(page, 'train-iteration', 'data-value')) - Number((await page.getByTestId('train-iteration').getAttribute('data-start')) || 0);
          const ms = Number(await attr(page, 'train-elapsed', 'data-ms'));
          train.set(tab.requested, { ms: ms / Math.max(1, done), batch: trainBatch, iterations: done });
        } catch (e) {
          failure ??= `fine-tuning not measured: ${(e as Error).message.split('\n')[0]}`;
        }
      }
      for (const tab of tabs) {
        const tr = train.get(tab.requested);
        rows.push({
          requested: tab.requested,
          threads: Number(await attr(tab.t.page, 'wasm-threads', 'data-value')),
          why: await tab.t.page.getByTestId('wasm-threads').innerText(),
          batch,
          runs: tab.runs.length,
          runMs: median(tab.runs),
          trainIterations: tr?.iterations ?? 0,
          trainBatch: tr?.batch ?? 0,
          trainMsPerIteration: tr?.ms ?? NaN,
        });
      }
    } catch (e) {
      failure = `not measured: ${(e as Error).message.split('\n')[0]}`;
      log(`browser: wasm threads: ${failure}`);
    } finally {
      for (const tab of tabs) await tab.t.page.close().catch(() => undefined);
    }
    return { rows, ...(failure ? { failure } : {}), loadAverage: [loadBefore, os.loadavg()[0]] };
  }
}
