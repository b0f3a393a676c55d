#!/usr/bin/env node
/**
 * Builds the Node side of the app into a folder that runs without node_modules, for a
 * machine where npm cannot run (scripts/gpu-pack.sh packs it, scripts/gpu-run.sh uses it):
 *
 *   <out>/src/cli/train.mjs, bench.mjs      the CLIs, bundled by esbuild with every JS
 *                                           dependency inside (tfjs included)
 *   <out>/node_modules/webgpu/…             Dawn's dawn.node for linux-x64 only (+ its loader)
 *   <out>/node_modules/@tensorflow/tfjs-backend-wasm/…   the wasm binaries (--backend wasm)
 *   <out>/LICENSES.md                       licences of what is bundled
 *
 * The CLIs find the repository's files (public/, package.json) through `../../` from their
 * own place, as they do from src/cli: gpu-run.sh links <out>/public and <out>/package.json
 * to the checkout.
 *
 * usage: node scripts/gpu-bundle.mjs OUT_DIR
 */
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(path.join(REPO, 'package.json'));
const out = path.resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  console.error('usage: node scripts/gpu-bundle.mjs OUT_DIR');
  process.exit(2);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, 'src', 'cli'), { recursive: true });

// Lazily imported by the browser benchmark only (vite, Playwright, the e2e harness): left
// out, so that section reports itself unavailable instead of the bundle failing to load.
const leaveOut = {
  name: 'leave-out-browser-parts',
  setup(b) {
    b.onResolve({ filter: /^(vite|playwright-core)$|tests\/(e2e|fixtures)\// }, (args) => ({ path: args.path, external: true }));
  },
};

const result = await build({
  absWorkingDir: REPO,
  entryPoints: { train: 'src/cli/train.ts', bench: 'src/cli/bench.ts' },
  outdir: path.join(out, 'src', 'cli'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // dawn.node is loaded from node_modules/webgpu at run time (a native addon)
  external: ['webgpu'],
  plugins: [leaveOut],
  // CommonJS parts of tfjs call require() and read __dirname
  banner: {
    js: [
      "import { createRequire as __ddganCreateRequire } from 'node:module';",
      "import { fileURLToPath as __ddganFileURLToPath } from 'node:url';",
      "import { dirname as __ddganDirname } from 'node:path';",
      'const require = __ddganCreateRequire(import.meta.url);',
      'const __filename = __ddganFileURLToPath(import.meta.url);',
      'const __dirname = __ddganDirname(__filename);',
    ].join('\n'),
  },
  legalComments: 'none',
  minify: true,
  logLevel: 'warning',
  metafile: true,
});

// webgpu: its loader, licence and the linux-x64 binary (the package carries five platforms).
const webgpuDir = path.dirname(require.resolve('webgpu/package.json'));
const webgpuOut = path.join(out, 'node_modules', 'webgpu');
for (const f of ['package.json', 'index.js', 'LICENSE.md']) cpSync(path.join(webgpuDir, f), path.join(webgpuOut, f));
cpSync(path.join(webgpuDir, 'dist', 'linux-x64', 'dawn.node'), path.join(webgpuOut, 'dist', 'linux-x64', 'dawn.node'));

// tfjs-backend-wasm: the binaries beside a stub of its entry (the code itself is bundled).
const wasmPkg = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const wasmOut = path.join(out, 'node_modules', '@tensorflow', 'tfjs-backend-wasm');
const wasmJson = JSON.parse(readFileSync(path.join(wasmPkg, 'package.json'), 'utf8'));
mkdirSync(path.join(wasmOut, 'dist'), { recursive: true });
writeFileSync(path.join(wasmOut, 'package.json'), JSON.stringify({ name: wasmJson.name, version: wasmJson.version, license: wasmJson.license, main: wasmJson.main }, null, 2));
writeFileSync(path.join(wasmOut, wasmJson.main ?? 'dist/tf-backend-wasm.node.js'), '// stub: the code is bundled into src/cli/*.mjs; this file marks where the .wasm files are\n');
for (const f of readdirSync(path.join(wasmPkg, 'dist')).filter((f) => f.endsWith('.wasm'))) cpSync(path.join(wasmPkg, 'dist', f), path.join(wasmOut, 'dist', f));
if (existsSync(path.join(wasmPkg, 'wasm-out'))) cpSync(path.join(wasmPkg, 'wasm-out'), path.join(wasmOut, 'wasm-out'), { recursive: true });

// Licences of the npm packages whose code went into the bundle.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (!m || packages.has(m[1])) continue;
  try {
    const pj = JSON.parse(readFileSync(path.join(REPO, 'node_modules', m[1], 'package.json'), 'utf8'));
    packages.set(m[1], `${pj.version} (${typeof pj.license === 'string' ? pj.license : JSON.stringify(pj.license ?? 'see package')})`);
  } catch {
    packages.set(m[1], '(nested copy)');
  }
}
packages.set('webgpu', `${JSON.parse(readFileSync(path.join(webgpuDir, 'package.json'), 'utf8')).version} (BSD-3-Clause-style Dawn licence, node_modules/webgpu/LICENSE.md; package: MIT)`);
writeFileSync(
  path.join(out, 'LICENSES.md'),
  `# Bundled packages\n\nBuilt by scripts/gpu-bundle.mjs from this repository's node_modules.\n\n${[...packages].sort().map(([n, v]) => `- ${n} ${v}`).join('\n')}\n`,
);
console.log(`gpu-bundle: ${out}: src/cli/{train,bench}.mjs, ${packages.size} packages bundled, dawn.node (linux-x64), tfjs wasm binaries`);
