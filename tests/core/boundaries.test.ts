/**
 * The layering of DESIGN §1, checked on the source text: the core library must run in a
 * worker, in Node and in tests alike, so it imports no React, zustand, UI, worker or Node
 * modules and touches no DOM globals; the UI and the store never load tensor code.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(entry)) out.push(p);
  }
  return out;
}

/** Runtime imports and re-exports (`export … from`) of a file; type-only ones are erased. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) if (!m[2]) out.push(m[3]);
  return out;
}

/** The file a relative import names (null for packages). */
function resolve(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

const loadsTf = new Map<string, string | null>();

/** The import chain by which `file` loads @tensorflow/*, or null when it does not. */
function tfChain(file: string, seen = new Set<string>()): string | null {
  if (loadsTf.has(file)) return loadsTf.get(file)!;
  if (seen.has(file)) return null;
  seen.add(file);
  let found: string | null = null;
  for (const spec of importsOf(file)) {
    if (spec.startsWith('@tensorflow/')) found = spec;
    else {
      const next = resolve(file, spec);
      const chain = next ? tfChain(next, seen) : null;
      if (chain) found = `${path.relative(root, next!)} → ${chain}`;
    }
    if (found) break;
  }
  loadsTf.set(file, found);
  return found;
}

describe('layer boundaries', () => {
  it('src/core imports no React, zustand, UI, worker or Node modules, and uses no DOM globals', () => {
    const offenders: string[] = [];
    for (const file of sources(path.join(root, 'src/core'))) {
      for (const spec of importsOf(file)) {
        if (/^(react|react-dom|zustand)(\/|$)|^node:|\/(ui|store|worker|node)\//.test(spec)) {
          offenders.push(`${path.relative(root, file)} imports ${spec}`);
        }
      }
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const global of ['document.', 'window.', 'postMessage(', 'localStorage']) {
        if (code.includes(global)) offenders.push(`${path.relative(root, file)} uses ${global}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the UI and the store do not load TensorFlow.js, directly or through what they import', () => {
    const offenders: string[] = [];
    for (const dir of ['src/ui', 'src/store']) {
      for (const file of sources(path.join(root, dir))) {
        const chain = tfChain(file);
        if (chain) offenders.push(`${path.relative(root, file)} → ${chain}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('src/shared is plain data: no TensorFlow.js (directly or through what it imports), React, zustand, store, UI or worker code', () => {
    const offenders: string[] = [];
    for (const file of sources(path.join(root, 'src/shared'))) {
      const chain = tfChain(file);
      if (chain) offenders.push(`${path.relative(root, file)} → ${chain}`);
      for (const spec of importsOf(file)) {
        if (/^(react|react-dom|zustand)(\/|$)|^node:|\/(ui|store|worker|node)\//.test(spec)) offenders.push(`${path.relative(root, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('src/worker imports nothing from src/store, not even types', () => {
    const offenders: string[] = [];
    for (const file of sources(path.join(root, 'src/worker'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]/gm)) {
        if (/(^|\/)store(\/|$)/.test(m[1])) offenders.push(`${path.relative(root, file)} imports ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no dataSync() in src (it returned wrong values and lost the device on WebGPU/SwiftShader)', () => {
    const offenders = sources(path.join(root, 'src')).filter((f) =>
      readFileSync(f, 'utf8')
        .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
        .includes('dataSync('),
    );
    expect(offenders.map((f) => path.relative(root, f))).toEqual([]);
  });
});
