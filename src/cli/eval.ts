/**
 * npm run eval -- --checkpoint DIR [--n 5000] [--batch 250] [--seed 0]
 *                 [--classifier public/models/mnist-classifier] [--no-write]
 *
 * Quality metrics of a checkpoint against the held-out split (see src/node/evaluate.ts for
 * what is measured and how), printed as a markdown table and written into the
 * checkpoint's model.json under `metrics` unless --no-write. Only model.json is rewritten.
 */
import { useNodeBackend } from '../node/backend';
import { num, parseCli } from '../node/args';
import { evaluateCheckpoint, formatReport } from '../node/evaluate';

const USAGE =
  'usage: npm run eval -- --checkpoint DIR [--n 5000] [--batch 250] [--seed 0] [--classifier public/models/mnist-classifier] [--no-write]';
const args = parseCli(USAGE, {
  checkpoint: { type: 'string' },
  n: { type: 'string' },
  batch: { type: 'string' },
  seed: { type: 'string' },
  classifier: { type: 'string' },
  'no-write': { type: 'boolean', default: false },
});
if (!args.checkpoint) {
  console.error(`--checkpoint is required\n\n${USAGE}`);
  process.exit(2);
}
const n = num(args.n, 'n', 5000);
const batch = num(args.batch, 'batch', 250);
// Precision/recall's k-NN needs more than k = 3 images per set, the covariance at least 2.
if (!Number.isInteger(n) || n < 4 || !Number.isInteger(batch) || batch < 1) {
  console.error(`--n must be a whole number ≥ 4 and --batch a positive whole number\n\n${USAGE}`);
  process.exit(2);
}

await useNodeBackend('wasm');
const t0 = performance.now();
try {
  const report = await evaluateCheckpoint({
    checkpoint: args.checkpoint,
    n,
    batch,
    seed: num(args.seed, 'seed', 0),
    classifier: args.classifier,
    write: !args['no-write'],
    log: (line) => console.log(line),
  });
  console.log('');
  console.log(formatReport(report));
  console.log('');
  console.log(
    `${args['no-write'] ? 'not written (--no-write)' : `metrics written to ${args.checkpoint}/model.json`}; ` +
      `eval took ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
} catch (e) {
  console.error(`eval failed: ${(e as Error).message}`);
  process.exit(1);
}
