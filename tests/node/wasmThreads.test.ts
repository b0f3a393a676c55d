/**
 * Threaded wasm in Node (src/node/wasmThreads.ts): the pool really runs the threads asked
 * for, results agree across thread counts, bad --threads values are refused, and a CLI on
 * two threads exits by itself when done.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { relError } from '../helpers';
import { MAX_WASM_THREADS, parseThreadCount } from '../../src/node/wasmThreads';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

interface ProbeResult {
  threads: number;
  leaked: number;
  out: number[];
  grads: number[];
}

async function probe(threads: number): Promise<ProbeResult> {
  const { stdout } = await run(tsx, ['tests/fixtures/threadsProbe.ts', String(threads)], { cwd: root, timeout: 90_000, maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ProbeResult;
}

describe('threaded wasm in Node', () => {
  it('runs the pool at the requested size (past the package cap of cores / 2) with the same results as 1 thread', async () => {
    const [one, two] = await Promise.all([probe(1), probe(2)]);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.leaked).toBe(0);
    expect(relError(two.out, one.out)).toBeLessThan(1e-5);
    expect(relError(two.grads, one.grads)).toBeLessThan(1e-4);
    expect(two.grads.some((g) => g !== 0)).toBe(true);
  });

  it('parses --threads: default every core (at most 8), whole numbers 1–8 only', () => {
    expect(parseThreadCount('2')).toBe(2);
    expect(parseThreadCount(undefined)).toBeGreaterThanOrEqual(1);
    expect(parseThreadCount(undefined)).toBeLessThanOrEqual(MAX_WASM_THREADS);
    for (const bad of ['0', '-1', '1.5', 'two', '9', '']) expect(() => parseThreadCount(bad)).toThrow(/--threads/);
  });

  it('a CLI on 2 threads reports them and exits by itself; a bad value exits 2 with one line', async () => {
    const { stderr } = await run(tsx, ['src/cli/info.ts', '--threads', '2'], { cwd: root, timeout: 60_000 });
    expect(stderr).toMatch(/backend: wasm \(SIMD, 2 threads\)/);
    const bad = await run(tsx, ['src/cli/info.ts', '--threads', '0'], { cwd: root, timeout: 60_000 }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad?.code).toBe(2);
    expect(bad?.stderr.split('\n')[0]).toBe('--threads 0: use a whole number from 1 to 8');
    const badBackend = await run(tsx, ['src/cli/info.ts', '--backend', 'tpu'], { cwd: root, timeout: 60_000 }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(badBackend?.code).toBe(2);
    expect(badBackend?.stderr).toMatch(/--backend tpu: use one of wasm, webgpu, cpu/);
  });
});
