/**
 * npm run eval -- --checkpoint DIR [--n 5000] [--batch 250] [--seed 0]
 *                 [--classifier public/models/mnist-classifier] [--no-write]
 *                 [--sampler ancestral|ddim] [--steps S] [--eta E]
 *                 [--class Y|all] [--scale S] [--guide public/models/mnist-noisy-classifier]
 * npm run eval -- --table [--n 500] [--n-slow M] [--n-guided G] [--ddim 50,20,10] [--guided-ddim 50]
 *                 [--scales 0,1,2,5,10] [--models public/models] [--out FILE.md] [--batch B] [--seed S]
 *                 [--classifier DIR] [--guide DIR]
 *
 * One checkpoint: quality metrics against the held-out split (see src/node/evaluate.ts for
 * what is measured and how), NFE and measured time per image, printed as a markdown table
 * and written into the checkpoint's model.json under `metrics` unless --no-write (only
 * model.json is rewritten). DDPM checkpoints take the sampler options; --class guides either
 * kind, and the judge (--classifier), never the guide, scores the result.
 *
 * --table: every MNIST generator under --models in one run (src/node/evalTable.ts), printed
 * and, with --out, written as markdown; DDPM ancestral rows use --n-slow samples.
 */
import { writeFile } from 'node:fs/promises';
import { useNodeBackend } from '../node/backend';
import { num, parseCli } from '../node/args';
import { evaluateCheckpoint, formatReport } from '../node/evaluate';
import { evaluationTable, formatTable } from '../node/evalTable';
import { SAMPLER_CLI_OPTIONS, SAMPLER_USAGE, guideFromArgs, samplerFromArgs } from '../node/samplerArgs';

const USAGE = [
  'usage: npm run eval -- --checkpoint DIR [--n 5000] [--batch 250] [--seed 0] [--classifier public/models/mnist-classifier] [--no-write]',
  `         ${SAMPLER_USAGE}`,
  '       npm run eval -- --table [--n 500] [--n-slow M] [--n-guided G] [--ddim 50,20,10] [--guided-ddim S] [--scales 0,1,2,5,10]',
  '         [--models public/models] [--out FILE.md] [--batch B] [--seed S] [--classifier DIR] [--guide DIR]',
].join('\n');
const args = parseCli(USAGE, {
  checkpoint: { type: 'string' },
  n: { type: 'string' },
  batch: { type: 'string' },
  seed: { type: 'string' },
  classifier: { type: 'string' },
  'no-write': { type: 'boolean', default: false },
  ...SAMPLER_CLI_OPTIONS,
  table: { type: 'boolean', default: false },
  'n-slow': { type: 'string' },
  'n-guided': { type: 'string' },
  ddim: { type: 'string' },
  'guided-ddim': { type: 'string' },
  scales: { type: 'string' },
  models: { type: 'string' },
  out: { type: 'string' },
});

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

/** "50,20,10" → [50, 20, 10]. */
function numberList(value: string | undefined, name: string, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((v) => !Number.isFinite(v))) fail(`--${name} must be a comma-separated list of numbers, got "${value}"`);
  return list;
}

const batch = num(args.batch, 'batch', 250);
const seed = num(args.seed, 'seed', 0);
if (!Number.isInteger(batch) || batch < 1) fail('--batch must be a positive whole number');
const log = (line: string) => console.log(line);
const t0 = performance.now();

if (args.table) {
  if (args.checkpoint) fail('--table evaluates every model under --models; drop --checkpoint');
  for (const o of ['sampler', 'steps', 'eta', 'class', 'scale'] as const) if (args[o] !== undefined) fail(`--${o} applies to one --checkpoint; the table picks its samplers itself (--ddim, --guided-ddim, --scales)`);
  const n = num(args.n, 'n', 500);
  const int = (v: number) => Number.isInteger(v) && v >= 4;
  const nSlow = args['n-slow'] !== undefined ? num(args['n-slow'], 'n-slow', 0) : undefined;
  const nGuided = args['n-guided'] !== undefined ? num(args['n-guided'], 'n-guided', 0) : undefined;
  if (![n, nSlow ?? 4, nGuided ?? 4].every(int)) fail('--n, --n-slow and --n-guided must be whole numbers ≥ 4');
  const ddimSteps = numberList(args.ddim, 'ddim', [50, 20, 10]);
  if (!ddimSteps.every((s) => Number.isInteger(s) && s >= 1)) fail('--ddim step counts must be positive whole numbers');
  await useNodeBackend('wasm');
  try {
    const table = await evaluationTable({
      modelsDir: args.models,
      n,
      nSlow,
      nGuided,
      batch,
      seed,
      classifier: args.classifier,
      guide: args.guide,
      ddimSteps,
      guidedDdimSteps: args['guided-ddim'] !== undefined ? num(args['guided-ddim'], 'guided-ddim', 50) : undefined,
      scales: numberList(args.scales, 'scales', [0, 1, 2, 5, 10]),
      log,
    });
    const markdown = formatTable(table);
    console.log('');
    console.log(markdown);
    if (args.out) await writeFile(args.out, markdown + '\n');
    console.log('');
    console.log(`${args.out ? `written to ${args.out}; ` : ''}eval took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  } catch (e) {
    console.error(`eval failed: ${(e as Error).message}`);
    process.exit(1);
  }
} else {
  if (!args.checkpoint) fail('--checkpoint (or --table) is required');
  const n = num(args.n, 'n', 5000);
  // Precision/recall's k-NN needs more than k = 3 images per set, the covariance at least 2.
  if (!Number.isInteger(n) || n < 4) fail('--n must be a whole number ≥ 4');
  let sampler: ReturnType<typeof samplerFromArgs>;
  let guide: ReturnType<typeof guideFromArgs>;
  try {
    sampler = samplerFromArgs(args);
    guide = guideFromArgs(args);
  } catch (e) {
    fail((e as Error).message);
  }
  await useNodeBackend('wasm');
  try {
    const report = await evaluateCheckpoint({
      checkpoint: args.checkpoint,
      n,
      batch,
      seed,
      classifier: args.classifier,
      sampler,
      guide,
      write: !args['no-write'],
      log,
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
}
