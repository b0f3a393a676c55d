// Prints training/fewshot/results.jsonl as a Markdown table, one row per (recipe, set, iterations);
// the base model's row of each set comes first, and each stage shows its Fréchet distance as a
// share of the base's. Usage: node training/fewshot/table.mjs [results.jsonl]
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? new URL('./results.jsonl', import.meta.url).pathname;
const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const baseFd = new Map();
for (const r of rows) if (r.recipe === 'base') baseFd.set(`${r.base}|${r.set}`, r.frechetDistance);
const pct = (v) => `${(100 * v).toFixed(0)} %`;
const seen = new Set();
console.log('| recipe | set | iterations | wall (s) | Fréchet distance to uploads | vs base | near copies | diversity |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const key = `${r.recipe}|${r.base}|${r.set}|${r.iterations}|${r.flags ?? ''}`;
  if (seen.has(key)) continue; // the base row is written once per study run: show it once
  seen.add(key);
  const b = baseFd.get(`${r.base}|${r.set}`);
  const flags = r.flags ? ` \`${r.flags}\`` : '';
  console.log(`| ${r.recipe}${flags} | ${r.set} | ${r.iterations} | ${r.wallSeconds ?? '–'} | ${r.frechetDistance.toFixed(1)} | ${b ? (r.frechetDistance / b).toFixed(2) : '–'} | ${pct(r.nearCopyShare)} | ${r.diversity.toFixed(2)} |`);
}
