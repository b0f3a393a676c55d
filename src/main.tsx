/**
 * Entry point of the UI thread: one engine worker, one store, one React root.
 *
 * `?backend=webgpu|wasm|webgl|cpu|auto` picks the initial backend (the override DESIGN §4
 * asks for: by default the adapter decides). Nothing is put on `window`; tests drive the
 * page through its controls and read `data-testid` elements.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { createAppStore } from './store/store';
import { EngineClient } from './worker/client';
import { isBackendRequest, type BackendRequest } from './worker/protocol';
import './ui/app.css';

function initialBackend(): BackendRequest {
  const asked = new URLSearchParams(location.search).get('backend');
  if (asked === null) return 'auto';
  if (isBackendRequest(asked)) return asked;
  console.warn(`ignoring ?backend=${asked}: expected auto, webgpu, wasm, webgl or cpu`);
  return 'auto';
}

const engine = new EngineClient();
const store = createAppStore(engine);
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

void store.getState().actions.initEngine(initialBackend());
