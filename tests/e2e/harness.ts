/**
 * Browser-test harness: serves the built app with `vite preview` and drives Debian's
 * Chromium through playwright-core (DESIGN §4, §7).
 *
 *  - the server is the project's own preview config (same COOP/COEP headers as `npm start`)
 *    on 127.0.0.1 and a free port: WebGPU needs a secure context, and 127.0.0.1 is one; or,
 *    with `staticHost`, a plain static server without those headers (staticServer.ts);
 *  - Chromium runs with the launch flags measured to give WebGPU (SwiftShader) in a worker,
 *    in a fresh profile that is deleted afterwards;
 *  - each page records everything that should fail a test: console errors (page and worker),
 *    uncaught page errors, HTTP errors, crashes, and any request that would leave the machine
 *    (those are also blocked: the app must not fetch from the internet at run time);
 *  - screenshots go to test-results/;
 *  - optional fixture models are served under /models/<name>/ and merged into the built
 *    models/index.json (generators and auxiliary networks alike), so tests can use a tiny
 *    random-weight checkpoint (or a broken one)
 *    without touching public/models/, which a trainer may be rewriting.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { preview, type Plugin, type PreviewServer } from 'vite';
import { startStaticServer, type StaticServer } from './staticServer';
import { MODEL_INDEX_FORMAT, auxiliaryEntry, catalogEntry, parseModelIndex, type AuxiliaryEntry, type ModelIndexEntry } from '../../src/store/modelCatalog';

export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
const DIST_INDEX = path.join(REPO_ROOT, 'dist', 'index.html');

/** DESIGN §4: the flags that give headless Chromium a WebGPU adapter (SwiftShader) here. */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH?.trim() || '/usr/bin/chromium';
  if (!existsSync(p)) {
    throw new Error(`no Chromium at ${p}: run \`node tests/e2e/ensure-chromium.mjs\` (it says what to install) or set CHROMIUM_PATH`);
  }
  return p;
}

/** Everything a page did that a passing test must not have. */
export interface PageProblems {
  readonly consoleErrors: string[];
  readonly pageErrors: string[];
  readonly httpErrors: string[];
  readonly externalRequests: string[];
  readonly crashes: string[];
}

export interface TrackedPage {
  readonly page: Page;
  readonly problems: PageProblems;
  /** Every console message (page and workers), for diagnostics in failure messages. */
  readonly log: string[];
  /** All problems as lines; empty when the page behaved. */
  problemLines(): string[];
}

/** A checkpoint served by the harness at /models/<name>/; no weights → weights.bin is a 404. */
export interface FixtureModel {
  readonly name: string;
  readonly modelJson: unknown;
  readonly weights?: ArrayBuffer;
}

export interface HarnessOptions {
  readonly fixtures?: readonly FixtureModel[];
  /**
   * Serve dist/ from a plain static server (staticServer.ts: no COOP/COEP headers) instead
   * of `vite preview`; fixtures are not served then.
   */
  readonly staticHost?: boolean;
  /** Block service worker registration (a browser where the page cannot isolate itself). */
  readonly blockServiceWorkers?: boolean;
}

/**
 * Serves fixture models and a models/index.json that lists them first, then the built ones.
 * Registered before Vite's static middleware, so it wins for these paths only.
 */
function fixturePlugin(fixtures: readonly FixtureModel[]): Plugin {
  const byName = new Map(fixtures.map((f) => [f.name, f]));
  return {
    name: 'test-fixture-models',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        if (url === '/models/index.json') {
          void (async () => {
            const built = parseModelIndex(JSON.parse(await readFile(path.join(REPO_ROOT, 'dist', 'models', 'index.json'), 'utf8')));
            const extra: ModelIndexEntry[] = [];
            const extraAux: AuxiliaryEntry[] = [];
            for (const f of fixtures) {
              const r = catalogEntry(f.name, f.modelJson);
              const aux = 'entry' in r ? null : auxiliaryEntry(f.name, f.modelJson);
              if ('entry' in r) extra.push(r.entry);
              else if (aux && 'entry' in aux) extraAux.push(aux.entry);
            }
            res.setHeader('Content-Type', 'application/json');
            res.end(
              JSON.stringify({
                format: MODEL_INDEX_FORMAT,
                models: [...extra, ...built.models.filter((m) => !byName.has(m.name))],
                auxiliary: [...extraAux, ...built.auxiliary.filter((m) => !byName.has(m.name))],
                skipped: built.skipped,
              }),
            );
          })().catch(next);
          return;
        }
        const m = /^\/models\/([^/]+)\/(model\.json|weights\.bin)$/.exec(url);
        const f = m ? byName.get(m[1]) : undefined;
        if (!m || !f) return next();
        if (m[2] === 'model.json') {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(f.modelJson));
        } else if (f.weights) {
          res.setHeader('Content-Type', 'application/octet-stream');
          res.end(Buffer.from(f.weights));
        } else {
          res.statusCode = 404;
          res.end('not found');
        }
      });
    },
  };
}

export interface Harness {
  readonly baseUrl: string;
  readonly context: BrowserContext;
  /** Opens a new tab with problem tracking attached (before any navigation). */
  newPage(opts?: { viewport?: { width: number; height: number } }): Promise<TrackedPage>;
  /** Saves a full-page screenshot as test-results/<name>.png and returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

function formatConsole(msg: ConsoleMessage, source: string): string {
  const loc = msg.location();
  const where = loc.url ? ` (${path.basename(loc.url)}:${loc.lineNumber})` : '';
  return `[${source} ${msg.type()}] ${msg.text()}${where}`;
}

/** Warns when dist/ is older than the sources: the tests would exercise a stale build. */
async function warnIfStale(): Promise<void> {
  const built = statSync(DIST_INDEX).mtimeMs;
  const newest = async (dir: string): Promise<number> => {
    let t = 0;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? await newest(p) : statSync(p).mtimeMs);
    }
    return t;
  };
  const src = Math.max(await newest(path.join(REPO_ROOT, 'src')), statSync(path.join(REPO_ROOT, 'index.html')).mtimeMs);
  if (src > built) console.warn('harness: src/ changed after the last `vite build`; these tests run the older dist/ (npm run test:e2e rebuilds)');
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  if (!existsSync(DIST_INDEX)) throw new Error('dist/ is missing: run `npx vite build` first (npm run test:e2e does)');
  await warnIfStale();
  const executablePath = chromiumPath();
  await mkdir(RESULTS_DIR, { recursive: true });

  let server: PreviewServer | StaticServer | undefined;
  let context: BrowserContext | undefined;
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'ddgan-chromium-'));
  try {
    let baseUrl: string;
    if (options.staticHost) {
      server = await startStaticServer(path.dirname(DIST_INDEX));
      baseUrl = server.baseUrl;
    } else {
      // Port 0: the OS picks a free port, so parallel runs and a running `npm start` never clash.
      server = await preview({
        root: REPO_ROOT,
        logLevel: 'warn',
        plugins: options.fixtures?.length ? [fixturePlugin(options.fixtures)] : [],
        preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
      });
      const address = server.httpServer.address() as AddressInfo | string | null;
      if (address === null || typeof address === 'string') throw new Error(`vite preview is not listening on a TCP port (${String(address)})`);
      baseUrl = `http://127.0.0.1:${address.port}`;
    }

    // A persistent context is how playwright takes a profile directory (it refuses
    // --user-data-dir in args); a fresh temp dir per run keeps runs independent.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      viewport: { width: 1200, height: 860 },
      serviceWorkers: options.blockServiceWorkers ? 'block' : 'allow',
    });
    const ctx = context;
    const srv = server;

    const origin = new URL(baseUrl).origin;
    const externalRequests: string[] = [];
    await ctx.route(
      (url) => url.origin !== origin && url.protocol !== 'data:' && url.protocol !== 'blob:',
      (route) => {
        externalRequests.push(route.request().url());
        return route.abort('blockedbyclient');
      },
    );

    return {
      baseUrl,
      context: ctx,

      async newPage(opts = {}) {
        const page = await ctx.newPage();
        if (opts.viewport) await page.setViewportSize(opts.viewport);
        // externalRequests is shared: routes are per context, so it lists every page's.
        const problems: PageProblems = { consoleErrors: [], pageErrors: [], httpErrors: [], externalRequests, crashes: [] };
        const log: string[] = [];
        const seen = new WeakSet<ConsoleMessage>();
        const onConsole = (source: string) => (msg: ConsoleMessage) => {
          if (seen.has(msg)) return;
          seen.add(msg);
          const line = formatConsole(msg, source);
          log.push(line);
          if (msg.type() === 'error') problems.consoleErrors.push(line);
        };
        page.on('console', onConsole('page'));
        // Worker console messages are also delivered per worker; listening to both (deduped
        // above) makes sure an error in the engine worker is never missed.
        page.on('worker', (w) => w.on('console', onConsole(`worker ${path.basename(w.url())}`)));
        page.on('pageerror', (err) => problems.pageErrors.push(`${err.name}: ${err.message}`));
        page.on('crash', () => problems.crashes.push('the page crashed'));
        page.on('response', (res) => {
          if (res.status() >= 400) problems.httpErrors.push(`${res.status()} ${res.url()}`);
        });
        return {
          page,
          problems,
          log,
          problemLines: () => [
            ...problems.consoleErrors,
            ...problems.pageErrors.map((e) => `[pageerror] ${e}`),
            ...problems.httpErrors.map((e) => `[http] ${e}`),
            ...problems.externalRequests.map((u) => `[external request blocked] ${u}`),
            ...problems.crashes,
          ],
        };
      },

      async screenshot(page, name) {
        const file = path.join(RESULTS_DIR, `${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        return file;
      },

      async close() {
        await ctx.close().catch(() => undefined);
        await srv.close();
        await rm(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    // Startup failed half-way: undo what was started so the process can exit.
    await context?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await rm(userDataDir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Waits until `[data-testid=testId]` has one of `states` in its data-state attribute and
 * returns that state. Times out with the last state seen, which beats a bare timeout.
 */
export async function waitForState(page: Page, testId: string, states: readonly string[], timeoutMs: number): Promise<string> {
  const loc = page.getByTestId(testId);
  try {
    await page.waitForFunction(
      ({ id, wanted }) => {
        const el = document.querySelector(`[data-testid="${id}"]`);
        return el !== null && wanted.includes(el.getAttribute('data-state') ?? '');
      },
      { id: testId, wanted: [...states] },
      { timeout: timeoutMs, polling: 250 },
    );
  } catch (e) {
    const last = await loc.getAttribute('data-state').catch(() => null);
    throw new Error(`${testId} did not reach ${states.join('|')} within ${timeoutMs} ms (last state: ${last}): ${(e as Error).message}`);
  }
  return (await loc.getAttribute('data-state')) ?? '';
}
