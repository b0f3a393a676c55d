// Prints training/study/results.jsonl as the markdown table of training/STUDY.md.
//   node training/study/table.mjs
import { readFileSync } from 'node:fs';

const rows = readFileSync(new URL('./results.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l))
  .sort((a, b) => a.name.localeCompare(b.name) || a.imagesSeen - b.imagesSeen);
const pct = (x) => `${(100 * x).toFixed(1)} %`;
console.log('| run | flags | iterations | images seen | training TFLOP | wall (min, 1 thread) | Fréchet distance | precision | recall | class KL | confident | classes |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.name} | \`${r.flags}\` | ${r.iterations} | ${r.imagesSeen.toLocaleString('en-US')} | ${((r.gflopPerIteration * r.iterations) / 1000).toFixed(1)} | ${(r.wallSeconds / 60).toFixed(0)} | ` +
      `${r.frechetDistance.toFixed(2)} | ${pct(r.precision)} | ${pct(r.recall)} | ${r.classKlToUniform.toFixed(3)} | ${pct(r.confidentShare)} | ${r.classesPresent} / 10 |`,
  );
}
