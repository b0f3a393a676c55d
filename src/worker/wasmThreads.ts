/**
 * Threads for the wasm backend in the browser: how many, and why that many.
 *
 * tfjs-backend-wasm 4.22 runs XNNPACK on several threads only when four things hold, and a
 * 2-core machine used to get "wasm (SIMD, 1 thread)" because two of them did not:
 *
 *  1. The page (and so its worker) is cross-origin isolated, which is what gives it
 *     `SharedArrayBuffer`. `npm start` / `npm run dev` send COOP + COEP (vite.config.ts); a
 *     plain static host does not, so public/coi-sw.js, a service worker, adds them and the
 *     page reloads once (pageIsolation.ts; the decision is `planIsolation` below). Where that
 *     is impossible the engine says why and runs one thread.
 *  2. The threaded factory survives the production build: the minifier broke the text the
 *     pthread workers are started from (src/scripts/threadedWasmFactory.ts fixes the build).
 *  3. The thread count is set before the backend first initialises (`setThreadsCount`).
 *  4. The C++ side caps the pool at min(requested, cores / 2, 8), with `cores` read from
 *     `navigator.hardwareConcurrency` once, when the module is instantiated. So while the
 *     backend initialises the engine worker's navigator reports 2 × threads
 *     (`withReportedConcurrency`), and the count is then read back (`getThreadsCount`).
 *
 * The default is every logical core (at most 8, the package's pthread pool size);
 * `?threads=N` in the page's URL overrides it (1 runs the single-threaded SIMD build, as a
 * page without isolation does). WebGPU never comes here: on a hardware GPU nothing of this
 * runs, and nothing waits for it.
 *
 * Pure apart from `withReportedConcurrency`, which takes the navigator it patches: no tfjs
 * here, so the UI thread may import it (tests/ui/noTensorCode.test.ts).
 */

/** The most threads: tfjs-backend-wasm's pthread pool size and its C++ cap. */
export const MAX_WASM_THREADS = 8;

/** The URL parameter that overrides the thread count. */
export const THREADS_PARAM = 'threads';

/** Whether the page is cross-origin isolated and, when not, why (as the page found out). */
export type PageIsolation =
  | { readonly isolated: true; readonly via: 'headers' | 'service-worker' }
  | { readonly isolated: false; readonly reason: string };

/** What the page tells the engine about threads (part of the `init` command). */
export interface WasmThreadsParams {
  /** `?threads=N` from the page's URL, when given and valid. */
  readonly threads?: number;
  /** A `?threads=` value that could not be used, said as a sentence. */
  readonly threadsProblem?: string;
  readonly isolation?: PageIsolation;
}

/** What the engine reports about wasm after `init` (InitResult.wasm). */
export interface WasmInfo {
  readonly simd: boolean;
  /** Threads XNNPACK runs, read back from the backend. */
  readonly threads: number;
  /** Threads that were asked for (the default or `?threads=`). */
  readonly requestedThreads: number;
  /** The multithreaded (threaded-SIMD) build is the one running. */
  readonly threaded: boolean;
  /** The engine worker is cross-origin isolated (has SharedArrayBuffer). */
  readonly isolated: boolean;
  /** One sentence for the Engine panel: how many threads run and why. */
  readonly why: string;
}

// ─── ?threads= ──────────────────────────────────────────────────────────────────────────

export interface ThreadsParam {
  readonly threads?: number;
  readonly problem?: string;
}

/** Reads `?threads=N` (a whole number from 1 to 8) from a query string. */
export function parseThreadsParam(search: string): ThreadsParam {
  const raw = new URLSearchParams(search).get(THREADS_PARAM);
  if (raw === null) return {};
  const t = raw.trim();
  const n = /^\d{1,3}$/.test(t) ? Number(t) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= MAX_WASM_THREADS) return { threads: n };
  return { problem: `${THREADS_PARAM}=${raw}: expected a whole number from 1 to ${MAX_WASM_THREADS}` };
}

/** Checks the `wasm` field of an `init` command (a message is untrusted input). */
export function checkWasmThreadsParams(v: unknown): WasmThreadsParams {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null) throw new Error('wasm must be an object');
  const o = v as Record<string, unknown>;
  const out: { -readonly [K in keyof WasmThreadsParams]: WasmThreadsParams[K] } = {};
  if (o.threads !== undefined) {
    const n = o.threads;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
      throw new Error(`wasm.threads must be a whole number from 1 to ${MAX_WASM_THREADS}, got ${JSON.stringify(n)}`);
    }
    out.threads = n;
  }
  if (o.threadsProblem !== undefined) {
    if (typeof o.threadsProblem !== 'string') throw new Error('wasm.threadsProblem must be a string');
    out.threadsProblem = o.threadsProblem;
  }
  const iso = o.isolation;
  if (iso !== undefined) {
    const i = iso as Record<string, unknown>;
    if (typeof iso === 'object' && iso !== null && i.isolated === true && (i.via === 'headers' || i.via === 'service-worker')) {
      out.isolation = { isolated: true, via: i.via };
    } else if (typeof iso === 'object' && iso !== null && i.isolated === false && typeof i.reason === 'string') {
      out.isolation = { isolated: false, reason: i.reason };
    } else {
      throw new Error('wasm.isolation must be {isolated: true, via: "headers" | "service-worker"} or {isolated: false, reason}');
    }
  }
  return out;
}

// ─── how many threads ───────────────────────────────────────────────────────────────────

export interface ThreadChoice {
  readonly threads: number;
  /** Why that many, e.g. "all 2 logical cores" or "?threads=1". */
  readonly why: string;
}

/**
 * The thread count from the core count and an optional `?threads=`: every logical core,
 * at most 8; an explicit value wins (a bad one was already turned into a problem).
 */
export function chooseThreadCount(hardwareConcurrency: unknown, params: WasmThreadsParams = {}): ThreadChoice {
  const bad = params.threadsProblem ? ` (ignored ${params.threadsProblem})` : '';
  if (params.threads !== undefined) return { threads: params.threads, why: `?${THREADS_PARAM}=${params.threads}` };
  const hc = hardwareConcurrency;
  if (typeof hc !== 'number' || !Number.isInteger(hc) || hc < 1) {
    return { threads: 1, why: `the browser does not say how many cores it has${bad}` };
  }
  if (hc > MAX_WASM_THREADS) return { threads: MAX_WASM_THREADS, why: `${MAX_WASM_THREADS} of ${hc} logical cores, the most the wasm backend runs${bad}` };
  return { threads: hc, why: `${hc === 1 ? 'the one logical core' : `all ${hc} logical cores`}${bad}` };
}

/**
 * The core count the engine worker reports while the wasm module is instantiated, so that
 * the C++ cap min(requested, cores / 2, 8) lets `threads` through.
 */
export function reportedConcurrency(threads: number): number {
  return 2 * threads;
}

/**
 * Runs `fn` while `nav.hardwareConcurrency` reads `count` (an own property shadowing the
 * prototype's getter), then restores what was there. If the property cannot be redefined,
 * `fn` runs unchanged and the read-back thread count says what happened.
 */
export async function withReportedConcurrency<T>(nav: object, count: number, fn: () => Promise<T>): Promise<T> {
  const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
  let patched = false;
  try {
    Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, enumerable: true, get: () => count });
    patched = true;
  } catch {
    /* a frozen navigator: run as is */
  }
  try {
    return await fn();
  } finally {
    if (patched) {
      if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
      else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
    }
  }
}

// ─── why ────────────────────────────────────────────────────────────────────────────────

/** Why the engine runs one thread where isolation is missing, from what the page reported. */
export function notIsolatedReason(isolation: PageIsolation | undefined): string {
  if (isolation && !isolation.isolated) return isolation.reason;
  if (isolation?.isolated) return 'the page is isolated but its engine worker is not (its script came without COEP)';
  return 'the page is not cross-origin isolated (no COOP/COEP headers), so there is no SharedArrayBuffer';
}

export interface ThreadOutcome {
  readonly choice: ThreadChoice;
  /** Threads the backend reports. */
  readonly threads: number;
  readonly threaded: boolean;
  readonly isolated: boolean;
  readonly isolation?: PageIsolation;
}

/** The Engine panel's sentence: how many threads run and why. */
export function describeThreads(o: ThreadOutcome): string {
  const n = (k: number): string => `${k} ${k === 1 ? 'thread' : 'threads'}`;
  if (!o.isolated) return `${n(o.threads)}: not cross-origin isolated: ${notIsolatedReason(o.isolation)}`;
  const via = o.isolation?.isolated && o.isolation.via === 'service-worker' ? 'COOP/COEP added by the service worker' : 'COOP/COEP from the server';
  if (o.choice.threads === 1) return `${n(o.threads)} (${o.choice.why}; the single-threaded build); cross-origin isolated (${via})`;
  if (!o.threaded) return `${n(o.threads)}: cross-origin isolated, but this browser cannot run the threaded wasm build (no wasm threads or no SIMD)`;
  if (o.threads !== o.choice.threads) return `${n(o.threads)} of the ${o.choice.threads} asked for (${o.choice.why}; the wasm backend capped them); cross-origin isolated (${via})`;
  return `${n(o.threads)} (${o.choice.why}); cross-origin isolated (${via})`;
}

// ─── isolating a page on a static host ──────────────────────────────────────────────────

/** The service worker's file, in public/ (served next to index.html). */
export const ISOLATION_SW = 'coi-sw.js';

/** What the page knows about itself before deciding (pageIsolation.ts gathers it). */
export interface PageFacts {
  readonly crossOriginIsolated: boolean;
  readonly isSecureContext: boolean;
  /** `navigator.serviceWorker` exists. */
  readonly serviceWorker: boolean;
  /** The page is controlled by coi-sw.js. */
  readonly controlledByIsolationSw: boolean;
  /** The page already reloaded itself once in this tab to get isolated. */
  readonly reloadedOnce: boolean;
  /** sessionStorage works (it remembers the reload, so the page never loops). */
  readonly sessionStorage: boolean;
}

export type IsolationStep =
  | { readonly kind: 'done'; readonly isolation: PageIsolation }
  /** Register coi-sw.js, wait until it is active, remember the reload, reload. */
  | { readonly kind: 'register-and-reload' };

const HEADERS_HINT = 'the server must send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (npm start does)';

/** What to do about isolation on this page load. */
export function planIsolation(f: PageFacts): IsolationStep {
  if (f.crossOriginIsolated) return { kind: 'done', isolation: { isolated: true, via: f.controlledByIsolationSw ? 'service-worker' : 'headers' } };
  const no = (reason: string): IsolationStep => ({ kind: 'done', isolation: { isolated: false, reason } });
  if (!f.isSecureContext) {
    return no(`the page is not a secure context (plain http:// on a host other than localhost), where browsers allow neither SharedArrayBuffer nor service workers: serve it over https or from localhost, and ${HEADERS_HINT}`);
  }
  if (!f.serviceWorker) {
    return no(`this browser offers no service worker here (a private window, or turned off), so the page cannot add COOP/COEP itself: ${HEADERS_HINT}`);
  }
  if (f.reloadedOnce) {
    return no(
      f.controlledByIsolationSw
        ? 'the service worker serves this page with COOP/COEP, but the browser still does not isolate it (an embedding page or a browser policy can prevent it)'
        : 'the page reloaded once for the service worker that adds COOP/COEP, but it is not under its control (a hard reload bypasses service workers: reload normally)',
    );
  }
  if (!f.sessionStorage) return no(`session storage is unavailable, so the page cannot safely reload itself once for the service worker that adds COOP/COEP: ${HEADERS_HINT}`);
  return { kind: 'register-and-reload' };
}
