/**
 * Build-time model catalog: scans public/models/<name>/model.json and produces
 * models/index.json (format: src/store/modelCatalog.ts): the DD-GAN generators, plus the
 * DDPM ε-nets and classifiers the Compare view uses. Used by the Vite plugin in
 * vite.config.ts (emitted into dist/ on build, served live by the dev server), and runnable
 * by hand to see what the build would list:
 *
 *   npx tsx src/scripts/modelIndex.ts            # prints the index
 *
 * Read-only: model folders may be rewritten by a running trainer at any time, so a folder
 * whose model.json cannot be read or parsed right now is listed under `skipped` with the
 * reason instead of failing the build.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { buildModelIndex, type ModelIndex } from '../store/modelCatalog';

export const MODEL_INDEX_FILE = 'models/index.json';

export function scanModels(modelsDir: string): ModelIndex {
  if (!existsSync(modelsDir)) return buildModelIndex([]);
  const folders = readdirSync(modelsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      const file = path.join(modelsDir, e.name, 'model.json');
      if (!existsSync(file)) return { name: e.name, error: 'no model.json' };
      try {
        return { name: e.name, json: JSON.parse(readFileSync(file, 'utf8')) as unknown };
      } catch (err) {
        return { name: e.name, error: `model.json could not be read: ${(err as Error).message}` };
      }
    });
  return buildModelIndex(folders);
}

/**
 * Vite plugin: `models/index.json` is emitted into the build and answered by the dev
 * server from a fresh scan on every request (checkpoints change while training runs).
 */
export function modelIndexPlugin(publicDir: string): Plugin {
  const modelsDir = path.join(publicDir, 'models');
  return {
    name: 'ddgan-model-index',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        if (!url.endsWith(`/${MODEL_INDEX_FILE}`)) return next();
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('Cache-Control', 'no-store');
        res.end(JSON.stringify(scanModels(modelsDir), null, 2));
      });
    },
    generateBundle() {
      const index = scanModels(modelsDir);
      const names = index.models.map((m) => `${m.name} (T=${m.T}, ${(m.weightBytes / 1e6).toFixed(2)} MB)`);
      const aux = index.auxiliary.map((m) => `${m.name} (${m.role}: ${m.kind})`);
      this.info(
        `models/index.json: ${names.join(', ') || 'no generators'}${aux.length ? `; also ${aux.join(', ')}` : ''}` +
          `${index.skipped.length ? `; skipped ${index.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}` : ''}`,
      );
      this.emitFile({ type: 'asset', fileName: MODEL_INDEX_FILE, source: JSON.stringify(index, null, 2) });
    },
  };
}

// Run directly: print the index the build would emit.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const publicDir = fileURLToPath(new URL('../../public/', import.meta.url));
  console.log(JSON.stringify(scanModels(path.join(publicDir, 'models')), null, 2));
}
