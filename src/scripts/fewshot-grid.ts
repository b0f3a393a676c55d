/**
 * npx tsx src/scripts/fewshot-grid.ts OUT.png [--scale 3] [--dir public/data]
 *
 * Draws every few-shot set of a build (fewshot/index.json) on one PNG, one row per set in the
 * index's order, so the sets can be looked at side by side. Each folder is read the way the
 * train CLI reads `--data FOLDER` (src/node/imageFolder.ts), so the picture shows what a
 * fine-tune would train on.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR } from '../node/data';
import { loadImageFolder } from '../node/imageFolder';
import { writeGridPng } from '../node/png';
import type { FewshotSet } from './fewshotSets';

const USAGE = 'usage: npx tsx src/scripts/fewshot-grid.ts OUT.png [--scale 3] [--dir public/data]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { scale: { type: 'string', default: '3' }, dir: { type: 'string' } } });
if (positionals.length !== 1) fail('give the output file');
const scale = Number(values.scale);
if (!Number.isSafeInteger(scale) || scale < 1) fail(`--scale ${values.scale}: use a whole number from 1`);

const root = path.join(values.dir ?? DEFAULT_DATA_DIR, 'fewshot');
const { size, sets } = JSON.parse(await readFile(path.join(root, 'index.json'), 'utf8')) as { size: number; sets: FewshotSet[] };
const columns = Math.max(...sets.map((set) => set.files.length));
const per = size * size * 3;
const data = new Float32Array(sets.length * columns * per).fill(1);
for (const [row, set] of sets.entries()) {
  const { dataset, skipped } = await loadImageFolder(path.join(root, set.name), size, 3);
  if (skipped.length > 0) throw new Error(`${set.name}: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  // Bytes to the [−1, 1] floats the grid writer takes; a short row is left white.
  for (let k = 0; k < dataset.count * per; k++) data[row * columns * per + k] = dataset.pixels[k] / 127.5 - 1;
  console.log(`row ${row + 1}: ${set.name} (${set.theme}, style ${set.style}), ${dataset.count} images`);
}
await writeGridPng(positionals[0], { data, count: sets.length * columns, size, channels: 3 }, columns, scale);
console.log(`${positionals[0]}: ${sets.length} few-shot sets`);
