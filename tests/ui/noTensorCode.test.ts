/**
 * DESIGN §1: the main thread never runs tensor code. Follows the runtime imports of the UI
 * entry (src/main.tsx) through the source tree and fails if any of them reaches tfjs.
 * Type-only imports are erased by the compiler and are skipped; the worker is reached only
 * through `new Worker(new URL(...))`, which is not an import.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Runtime import specifiers of a TS/TSX file (skips `import type` and `export type`). */
function runtimeImports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of src.matchAll(re)) if (!m[2]) out.push(m[3]);
  return out;
}

function resolve(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  for (const ext of ['', '.ts', '.tsx', '/index.ts']) {
    const p = base + ext;
    if (existsSync(p) && /\.tsx?$/.test(p)) return p;
  }
  return null;
}

function reachable(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const spec of runtimeImports(f)) {
      const r = resolve(f, spec);
      if (r) todo.push(r);
      else if (!spec.startsWith('.')) packages.set(spec, path.relative(ROOT, f));
    }
  }
  return { files, packages };
}

describe('the UI thread imports no tensor code', () => {
  it('main.tsx reaches no @tensorflow package and no tfjs-using module', () => {
    const { files, packages } = reachable(path.join(ROOT, 'src', 'main.tsx'));
    const tf = [...packages].filter(([p]) => p.startsWith('@tensorflow/'));
    expect(tf, `tfjs imported by: ${tf.map(([p, f]) => `${f} → ${p}`).join(', ')}`).toEqual([]);
    const rel = [...files].map((f) => path.relative(ROOT, f));
    expect(rel).toContain('src/ui/App.tsx');
    expect(rel).toContain('src/store/store.ts');
    expect(rel).not.toContain('src/worker/engine.worker.ts');
    expect(rel).not.toContain('src/worker/engine.ts');
    expect(rel).not.toContain('src/worker/ddganEngine.ts');
  });
});
