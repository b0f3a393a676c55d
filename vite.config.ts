/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { modelIndexPlugin } from './src/scripts/modelIndex';
import { threadedWasmFactoryPlugin } from './src/scripts/threadedWasmFactory';

// Cross-origin isolation lets the wasm backend use SharedArrayBuffer threads (src/worker/
// wasmThreads.ts). `npm start` and `npm run dev` send these headers; a plain static host
// does not, and public/coi-sw.js (a service worker) adds them there.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const publicDir = fileURLToPath(new URL('./public/', import.meta.url));

export default defineConfig({
  // models/index.json: the generators that ship under public/models/, listed at build time.
  // The threaded wasm factory must survive minification: src/scripts/threadedWasmFactory.ts.
  plugins: [react(), modelIndexPlugin(publicDir), threadedWasmFactoryPlugin()],
  base: './',
  // One page, no client-side routes: a missing file must be a 404, not index.html with 200
  // (the SPA fallback would hand the model loader HTML instead of weights).
  appType: 'mpa',
  // The engine worker is its own bundle, with its own plugins: it is where tfjs lives.
  worker: { format: 'es', plugins: () => [threadedWasmFactoryPlugin()] },
  server: { headers: isolation },
  preview: { headers: isolation },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/e2e/**'],
          environment: 'node',
          testTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
