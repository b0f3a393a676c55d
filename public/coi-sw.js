/*
 * Cross-origin isolation for static hosts (registered by src/worker/pageIsolation.ts).
 *
 * The wasm backend runs on several threads only in a cross-origin isolated page, and a page
 * is isolated only when its document (and its worker scripts) arrive with
 *   Cross-Origin-Opener-Policy: same-origin
 *   Cross-Origin-Embedder-Policy: require-corp
 * `npm start` sends them; a plain static host does not. This service worker re-serves the
 * same-origin documents and worker scripts it sees with those two headers added, and leaves
 * every other request alone (the app loads nothing cross-origin, and same-origin
 * subresources need no header under require-corp). The page reloads once after
 * registering it; from then on it is isolated.
 */
'use strict';

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

/** Requests whose responses decide isolation: documents and worker scripts. */
function decidesIsolation(request) {
  return request.mode === 'navigate' || request.destination === 'worker' || request.destination === 'sharedworker';
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || !decidesIsolation(request)) return;
  if (new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(withIsolationHeaders(request));
});

async function withIsolationHeaders(request) {
  const response = await fetch(request);
  // Redirects (opaqueredirect) and opaque responses pass through untouched.
  if (response.status === 0 || response.type === 'opaque' || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
