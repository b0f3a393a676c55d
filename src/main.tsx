/**
 * Entry point of the UI thread: one engine worker, one store, one React root, and the glue
 * between the store and the page's URL and localStorage (the store itself never touches them).
 *
 * URL (src/ui/urlState.ts): `?model=…&batch=1|4|16|64&seed=…&backend=…&slow=1`; also
 * `?threads=1…8` for the wasm backend (src/worker/wasmThreads.ts). A link with a
 * seed reproduces its picture: the page generates once as soon as the model is ready.
 * The backend override is remembered in localStorage (not webgpu on a software adapter, which
 * is slow: engine.remember); a `?backend=` in the URL wins.
 * Nothing is put on `window`; tests drive the page through its controls and `data-testid`s.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { canGenerate, createAppStore } from './store/store';
import { parseUrlState, urlStateOf, writeUrlState } from './ui/urlState';
import { EngineClient } from './worker/client';
import { idbSessions } from './shared/idbSessions';
import { memorySessions } from './store/sessions';
import { isBackendRequest, type BackendRequest } from './worker/protocol';
import { ensureCrossOriginIsolation } from './worker/pageIsolation';
import { parseThreadsParam } from './worker/wasmThreads';
import './ui/app.css';

const BACKEND_KEY = 'ddgan-web.backend';

function storedBackend(): BackendRequest | undefined {
  try {
    const v = localStorage.getItem(BACKEND_KEY);
    return v !== null && isBackendRequest(v) ? v : undefined;
  } catch {
    return undefined; // storage disabled: no memory, no problem
  }
}

function rememberBackend(b: BackendRequest): void {
  try {
    if (b === 'auto') localStorage.removeItem(BACKEND_KEY);
    else localStorage.setItem(BACKEND_KEY, b);
  } catch {
    /* storage disabled */
  }
}

const { state: fromUrl, problems } = parseUrlState(location.search);
for (const p of problems) console.warn(`ignoring URL parameter ${p}`);

// Threads for the wasm backend need a cross-origin isolated page: on a static host without
// COOP/COEP this registers public/coi-sw.js and reloads once (before any model is fetched).
const isolation = await ensureCrossOriginIsolation();
const threadsParam = parseThreadsParam(location.search);
if (threadsParam.problem) console.warn(`ignoring URL parameter ${threadsParam.problem}`);

async function fetchJson(url: string): Promise<unknown> {
  const res = await fetch(url, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

const engine = new EngineClient(undefined, { wasm: { threads: threadsParam.threads, threadsProblem: threadsParam.problem, isolation } });
const store = createAppStore(
  {
    engine,
    indexUrl: new URL('models/index.json', document.baseURI).href,
    fetchJson,
    random: Math.random,
    // Saved training sessions live in IndexedDB (kept across reloads; the worker writes
    // them, this thread lists, loads and deletes); without it, in memory.
    sessions: typeof indexedDB !== 'undefined' ? idbSessions() : memorySessions(),
  },
  { backend: fromUrl.backend ?? storedBackend(), model: fromUrl.model, batch: fromUrl.batch, seed: fromUrl.seed, slowMotion: fromUrl.slow },
);

// Store → URL and localStorage. Only a backend the user picked is remembered; the URL keeps
// what reproduces the current picture (model, batch and seed of the last run: urlStateOf).
store.subscribe((s, prev) => {
  // A choice that runs this slowly (webgpu on a software adapter) is forgotten: next visit is auto.
  if (s.engine.requested !== prev.engine.requested || s.engine.remember !== prev.engine.remember) rememberBackend(s.engine.remember ? s.engine.requested : 'auto');
  const search = writeUrlState(location.search, urlStateOf(s));
  if (search !== location.search) history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`);
});

// A shared link with a seed: show its picture without a click, once.
if (fromUrl.seed !== undefined) {
  const unsubscribe = store.subscribe((s) => {
    if (canGenerate(s) && s.gen.status === 'idle') {
      unsubscribe();
      void s.actions.generate();
    }
  });
}

// Terminating the worker on unload frees its GPU device promptly instead of at GC time; a
// page kept in the back/forward cache (persisted) keeps its engine for when it comes back.
window.addEventListener('pagehide', (e) => {
  if (!e.persisted) engine.dispose();
});

const rootEl = document.getElementById('root');
if (!rootEl) throw new Error('index.html has no #root element');
createRoot(rootEl).render(
  <StrictMode>
    <App store={store} />
  </StrictMode>,
);

void store.getState().actions.boot();
