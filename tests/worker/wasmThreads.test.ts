import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  MAX_WASM_THREADS,
  checkWasmThreadsParams,
  chooseThreadCount,
  describeThreads,
  notIsolatedReason,
  parseThreadsParam,
  planIsolation,
  reportedConcurrency,
  withReportedConcurrency,
  type PageFacts,
} from '../../src/worker/wasmThreads';
import { wrapThreadedFactory } from '../../src/scripts/threadedWasmFactory';

describe('?threads=', () => {
  it('reads a whole number from 1 to 8', () => {
    expect(parseThreadsParam('')).toEqual({});
    expect(parseThreadsParam('?backend=wasm')).toEqual({});
    expect(parseThreadsParam('?threads=1')).toEqual({ threads: 1 });
    expect(parseThreadsParam('?backend=wasm&threads=8')).toEqual({ threads: 8 });
    expect(parseThreadsParam('?threads=%202%20')).toEqual({ threads: 2 });
  });

  it('turns anything else into a problem, not a number', () => {
    for (const bad of ['0', '9', '-1', '1.5', 'two', '', '1e1', '0x2']) {
      const r = parseThreadsParam(`?threads=${bad}`);
      expect(r.threads, bad).toBeUndefined();
      expect(r.problem, bad).toBe(`threads=${bad}: expected a whole number from 1 to ${MAX_WASM_THREADS}`);
    }
  });
});

describe('chooseThreadCount', () => {
  it('takes every logical core, at most 8', () => {
    expect(chooseThreadCount(2)).toEqual({ threads: 2, why: 'all 2 logical cores' });
    expect(chooseThreadCount(1)).toEqual({ threads: 1, why: 'the one logical core' });
    expect(chooseThreadCount(8).threads).toBe(8);
    expect(chooseThreadCount(32)).toEqual({ threads: 8, why: '8 of 32 logical cores, the most the wasm backend runs' });
  });

  it('lets ?threads= win, even above the core count', () => {
    expect(chooseThreadCount(2, { threads: 1 })).toEqual({ threads: 1, why: '?threads=1' });
    expect(chooseThreadCount(2, { threads: 4 })).toEqual({ threads: 4, why: '?threads=4' });
  });

  it('falls back to one thread where the browser hides its core count, and names an ignored value', () => {
    for (const hc of [undefined, 0, -2, 1.5, NaN, '4']) expect(chooseThreadCount(hc).threads).toBe(1);
    expect(chooseThreadCount(undefined).why).toMatch(/does not say how many cores/);
    expect(chooseThreadCount(2, { threadsProblem: 'threads=0: expected a whole number from 1 to 8' }).why).toBe(
      'all 2 logical cores (ignored threads=0: expected a whole number from 1 to 8)',
    );
  });

  it('reports twice the threads while the module starts, past the C++ cap of cores / 2', () => {
    for (const n of [1, 2, 3, 8]) expect(Math.min(n, Math.floor(reportedConcurrency(n) / 2), 8)).toBe(n);
  });
});

describe('checkWasmThreadsParams', () => {
  it('accepts what the page sends', () => {
    expect(checkWasmThreadsParams(undefined)).toEqual({});
    expect(checkWasmThreadsParams({ threads: undefined, threadsProblem: undefined, isolation: { isolated: true, via: 'headers' } })).toEqual({
      isolation: { isolated: true, via: 'headers' },
    });
    expect(checkWasmThreadsParams({ threads: 2, isolation: { isolated: false, reason: 'no' } })).toEqual({ threads: 2, isolation: { isolated: false, reason: 'no' } });
  });

  it('rejects malformed fields', () => {
    expect(() => checkWasmThreadsParams(3)).toThrow(/object/);
    expect(() => checkWasmThreadsParams({ threads: 0 })).toThrow(/1 to 8/);
    expect(() => checkWasmThreadsParams({ threads: '2' })).toThrow(/1 to 8/);
    expect(() => checkWasmThreadsParams({ threadsProblem: 1 })).toThrow(/string/);
    expect(() => checkWasmThreadsParams({ isolation: { isolated: true, via: 'magic' } })).toThrow(/isolation/);
    expect(() => checkWasmThreadsParams({ isolation: { isolated: false } })).toThrow(/isolation/);
  });
});

describe('withReportedConcurrency', () => {
  /** A navigator like a worker's: the count is a getter on the prototype. */
  function fakeNavigator(cores: number): { hardwareConcurrency: number } {
    const proto = {};
    Object.defineProperty(proto, 'hardwareConcurrency', { get: () => cores, configurable: true });
    return Object.create(proto) as { hardwareConcurrency: number };
  }

  it('reports the count while fn runs (across awaits) and restores the real one after', async () => {
    const nav = fakeNavigator(2);
    const seen: number[] = [];
    const out = await withReportedConcurrency(nav, 4, async () => {
      seen.push(nav.hardwareConcurrency);
      await new Promise((r) => setTimeout(r, 1));
      seen.push(nav.hardwareConcurrency);
      return 'ok';
    });
    expect(out).toBe('ok');
    expect(seen).toEqual([4, 4]);
    expect(nav.hardwareConcurrency).toBe(2);
    expect(Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency')).toBeUndefined();
  });

  it('restores on failure too', async () => {
    const nav = fakeNavigator(2);
    await expect(
      withReportedConcurrency(nav, 16, async () => {
        throw new Error('init failed');
      }),
    ).rejects.toThrow('init failed');
    expect(nav.hardwareConcurrency).toBe(2);
  });

  it('runs unchanged where the navigator cannot be patched', async () => {
    const nav = Object.freeze(fakeNavigator(2));
    expect(await withReportedConcurrency(nav, 4, async () => nav.hardwareConcurrency)).toBe(2);
  });
});

describe('describeThreads', () => {
  const choice = { threads: 2, why: 'all 2 logical cores' };

  it('says how many threads run and why', () => {
    expect(describeThreads({ choice, threads: 2, threaded: true, isolated: true, isolation: { isolated: true, via: 'headers' } })).toBe(
      '2 threads (all 2 logical cores); cross-origin isolated (COOP/COEP from the server)',
    );
    expect(describeThreads({ choice, threads: 2, threaded: true, isolated: true, isolation: { isolated: true, via: 'service-worker' } })).toMatch(
      /added by the service worker/,
    );
    expect(describeThreads({ choice: { threads: 1, why: '?threads=1' }, threads: 1, threaded: false, isolated: true })).toBe(
      '1 thread (?threads=1; the single-threaded build); cross-origin isolated (COOP/COEP from the server)',
    );
    expect(describeThreads({ choice, threads: 1, threaded: true, isolated: true })).toMatch(/^1 thread of the 2 asked for .*capped/);
    expect(describeThreads({ choice, threads: 1, threaded: false, isolated: true })).toMatch(/cannot run the threaded wasm build/);
  });

  it('gives the page’s reason where there is no isolation', () => {
    const isolation = { isolated: false as const, reason: 'the page is not a secure context' };
    expect(describeThreads({ choice, threads: 1, threaded: false, isolated: false, isolation })).toBe(
      '1 thread: not cross-origin isolated: the page is not a secure context',
    );
    expect(notIsolatedReason(undefined)).toMatch(/no COOP\/COEP headers/);
    expect(notIsolatedReason({ isolated: true, via: 'headers' })).toMatch(/worker is not/);
  });
});

describe('planIsolation', () => {
  const staticHost: PageFacts = {
    crossOriginIsolated: false,
    isSecureContext: true,
    serviceWorker: true,
    controlledByIsolationSw: false,
    reloadedOnce: false,
    sessionStorage: true,
  };
  const reasonOf = (f: Partial<PageFacts>): string => {
    const step = planIsolation({ ...staticHost, ...f });
    if (step.kind !== 'done' || step.isolation.isolated) throw new Error(`expected a reason, got ${JSON.stringify(step)}`);
    return step.isolation.reason;
  };

  it('does nothing on an isolated page and says what isolated it', () => {
    expect(planIsolation({ ...staticHost, crossOriginIsolated: true })).toEqual({ kind: 'done', isolation: { isolated: true, via: 'headers' } });
    expect(planIsolation({ ...staticHost, crossOriginIsolated: true, controlledByIsolationSw: true, reloadedOnce: true })).toEqual({
      kind: 'done',
      isolation: { isolated: true, via: 'service-worker' },
    });
  });

  it('registers the service worker and reloads once on a static host', () => {
    expect(planIsolation(staticHost)).toEqual({ kind: 'register-and-reload' });
    // a service worker from an earlier visit that did not isolate this load: one more try
    expect(planIsolation({ ...staticHost, controlledByIsolationSw: true })).toEqual({ kind: 'register-and-reload' });
  });

  it('never reloads twice, and says why isolation is impossible', () => {
    expect(reasonOf({ reloadedOnce: true, controlledByIsolationSw: true })).toMatch(/still does not isolate/);
    expect(reasonOf({ reloadedOnce: true })).toMatch(/hard reload/);
    expect(reasonOf({ isSecureContext: false, serviceWorker: false })).toMatch(/not a secure context.*https/);
    expect(reasonOf({ serviceWorker: false })).toMatch(/no service worker/);
    expect(reasonOf({ sessionStorage: false })).toMatch(/session storage/);
  });
});

describe('the threaded factory kept as text for production builds', () => {
  it('yields a factory whose source text stands on its own (what pthread workers run)', async () => {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
    const wrapped = wrapThreadedFactory(readFileSync(file, 'utf8'));
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(wrapped).toString('base64')}`)) as { default: () => unknown };
    expect(typeof mod.default).toBe('function');
    const text = mod.default.toString();
    // the package's own text: `_scriptDir` is only read behind `typeof`, as in the package
    expect(text).toContain('typeof _scriptDir !== "undefined"');
    // what tfjs puts in the pthread workers' Blob evaluates in an empty scope
    const inWorker = new Function(`var WasmBackendModuleThreadedSimd = ${text};\nreturn WasmBackendModuleThreadedSimd;`)() as unknown;
    expect(typeof inWorker).toBe('function');
  });
});
