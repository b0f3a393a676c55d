/**
 * The layering of DESIGN §1, checked on the source text: the core library must run in a
 * worker, in Node and in tests alike, so it imports no React, zustand, UI, worker or Node
 * modules and touches no DOM globals; the UI and the store never load tensor code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
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

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*import\s+(?!type\b)[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
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

  it('the UI and the store do not load TensorFlow.js', () => {
    const offenders: string[] = [];
    for (const dir of ['src/ui', 'src/store']) {
      for (const file of sources(path.join(root, dir))) {
        for (const spec of importsOf(file)) {
          if (spec.startsWith('@tensorflow/') || /\/core\/(models|diffusion|training|kernels|backend)/.test(spec)) {
            offenders.push(`${path.relative(root, file)} imports ${spec}`);
          }
        }
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
