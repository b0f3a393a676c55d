/**
 * Cross-origin isolation on any static host (the page side; the decision is
 * `planIsolation` in wasmThreads.ts, the service worker is public/coi-sw.js).
 *
 * A page served with COOP + COEP (`npm start`, `npm run dev`) is isolated already and
 * nothing happens here. Elsewhere (a plain static host, `python3 -m http.server` in dist/)
 * the page registers coi-sw.js, which re-serves the page and its worker scripts with those
 * headers, waits until it is active and reloads once: the reloaded page is isolated, and its
 * engine worker can run wasm on every core. This runs before the engine worker is created,
 * so the reload costs no model download. Where it cannot work (no secure context, no
 * service worker, a reload that did not help) it resolves with the reason, which the Engine
 * panel shows next to its single thread.
 */
import { ISOLATION_SW, planIsolation, type PageIsolation } from './wasmThreads';

const RELOAD_KEY = 'ddgan-web.isolation-reload';
// A service worker this small is active within a second; a blocked one never is, and the
// app should not wait long for it before starting on one thread.
const ACTIVATE_TIMEOUT_MS = 4_000;

function sessionFlag(): { usable: boolean; set: boolean } {
  try {
    return { usable: true, set: sessionStorage.getItem(RELOAD_KEY) === '1' };
  } catch {
    return { usable: false, set: false };
  }
}

function controlledByIsolationSw(): boolean {
  const url = 'serviceWorker' in navigator ? navigator.serviceWorker.controller?.scriptURL : undefined;
  return url !== undefined && new URL(url).pathname.endsWith(`/${ISOLATION_SW}`);
}

/**
 * Resolves with the page's isolation, or reloads the page (and never resolves) when the
 * service worker can make it isolated.
 */
export async function ensureCrossOriginIsolation(): Promise<PageIsolation> {
  const flag = sessionFlag();
  const step = planIsolation({
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    isSecureContext: globalThis.isSecureContext === true,
    serviceWorker: 'serviceWorker' in navigator,
    controlledByIsolationSw: controlledByIsolationSw(),
    reloadedOnce: flag.set,
    sessionStorage: flag.usable,
  });
  if (step.kind === 'done') {
    if (step.isolation.isolated && flag.set) sessionStorage.removeItem(RELOAD_KEY);
    return step.isolation;
  }
  try {
    // Next to index.html, scoped to its folder: works under any base path (base: './').
    await navigator.serviceWorker.register(new URL(ISOLATION_SW, document.baseURI), { scope: './' });
    const active = await Promise.race([navigator.serviceWorker.ready.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), ACTIVATE_TIMEOUT_MS))]);
    if (!active) return { isolated: false, reason: `the service worker that adds COOP/COEP did not become active within ${ACTIVATE_TIMEOUT_MS / 1000} s` };
  } catch (e) {
    return { isolated: false, reason: `the service worker that adds COOP/COEP could not be registered (${e instanceof Error ? e.message : String(e)})` };
  }
  sessionStorage.setItem(RELOAD_KEY, '1');
  location.reload();
  return new Promise<never>(() => undefined);
}
