/**
 * npx tsx src/scripts/dataset-grid.ts NAME OUT.png [--n 64] [--seed 0] [--scale 2] [--dir public/data]
 *
 * Draws `n` images of built data set NAME (e.g. icons-train), drawn at random without
 * replacement by a seeded generator, on one PNG grid, so a data set can be looked at.
 * The same arguments give the same picture.
 */
import { parseArgs } from 'node:util';
import { loadDataset, DEFAULT_DATA_DIR } from '../node/data';
import { writeGridPng } from '../node/png';
import { Rng } from '../core/rng';

const USAGE = 'usage: npx tsx src/scripts/dataset-grid.ts NAME OUT.png [--n 64] [--seed 0] [--scale 2] [--dir public/data]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { n: { type: 'string', default: '64' }, seed: { type: 'string', default: '0' }, scale: { type: 'string', default: '2' }, dir: { type: 'string' } },
});
if (positionals.length !== 2) fail('give the data set name and the output file');
const [name, out] = positionals;
const wholeNumber = (flag: string, text: string, min: number): number => {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) fail(`--${flag} ${text}: use a whole number from ${min}`);
  return value;
};
const n = wholeNumber('n', values.n, 1);
const seed = wholeNumber('seed', values.seed, 0);
const scale = wholeNumber('scale', values.scale, 1);

const ds = await loadDataset(name, values.dir ?? DEFAULT_DATA_DIR);
const count = Math.min(n, ds.count);
// A partial Fisher–Yates shuffle: the first `count` entries are a uniform sample without replacement.
const order = Array.from({ length: ds.count }, (_, i) => i);
const rng = new Rng(seed);
for (let i = 0; i < count; i++) {
  const j = i + rng.int(ds.count - i);
  [order[i], order[j]] = [order[j], order[i]];
}
const per = ds.size * ds.size * ds.channels;
const data = new Float32Array(count * per);
for (let i = 0; i < count; i++) {
  const image = ds.pixels.subarray(order[i] * per, (order[i] + 1) * per);
  for (let k = 0; k < per; k++) data[i * per + k] = image[k] / 127.5 - 1;
}
await writeGridPng(out, { data, count, size: ds.size, channels: ds.channels }, Math.ceil(Math.sqrt(count)), scale);
console.log(`${out}: ${count} of the ${ds.count} images of ${ds.name}, seed ${seed}`);
