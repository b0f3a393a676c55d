/**
 * npm run eval -- --checkpoint DIR [--n 5000] [--batch 250] [--seed 0]
 *                 [--classifier public/models/mnist-classifier] [--no-write]
 *                 [--sampler ancestral|ddim|dpm-solver] [--steps S] [--eta E]
 *                 [--class Y|all] [--scale S] [--guide public/models/mnist-noisy-classifier]
 * npm run eval -- --table [--n 500] [--n-slow M] [--n-guided G] [--step-counts 50,20,10] [--guided-steps S]
 *                 [--scales 0,1,2,5,10] [--models public/models] [--out FILE.md] [--batch B] [--seed S]
 *                 [--classifier DIR] [--guide DIR]
 *
 * One checkpoint: quality metrics against the held-out split (see src/core/metrics/evaluation.ts for
 * what is measured and how), NFE and measured time per image, printed as a markdown table
 * and written into the checkpoint's model.json under `metrics` unless --no-write (only
 * model.json is rewritten). DDPM checkpoints take the sampler options; --class guides either
 * kind, and the judge (--classifier), never the guide, scores the result.
 *
 * --table: every MNIST generator under --models in one run (src/node/evalTable.ts), printed
 * and, with --out, written as markdown: a DDPM with every sampler of the core list, those
 * with a step count at each of --step-counts; DDPM ancestral rows use --n-slow samples.
 *
 * Every flag is checked before the backend starts (src/node/cliFlags.ts).
 */
import { writeFile } from 'node:fs/promises';
import { BACKEND_CLI_OPTIONS, BACKEND_USAGE, useBackendFromArgs } from '../node/backend';
import { errorLine, flags, parseCli, stringOptions, usageExit } from '../node/args';
import { EVAL_FLAGS } from '../node/cliFlags';
import { readCheckpointFlag } from '../node/resumeArgs';
import { evaluateCheckpoint } from '../node/evaluate';
import { formatReport } from '../node/evalReport';
import { evaluationTable, formatTable } from '../node/evalTable';
import { SAMPLER_CLI_OPTIONS, SAMPLER_HELP, SAMPLER_USAGE, guideFromArgs, samplerFromArgs } from '../node/samplerArgs';

const USAGE = [
  'usage: npm run eval -- --checkpoint DIR [--n 5000] [--batch 250] [--seed 0] [--classifier public/models/mnist-classifier] [--no-write]',
  `         ${SAMPLER_USAGE}`,
  '       npm run eval -- --table [--n 500] [--n-slow M] [--n-guided G] [--step-counts 50,20,10] [--guided-steps S] [--scales 0,1,2,5,10]',
  '         [--models public/models] [--out FILE.md] [--batch B] [--seed S] [--classifier DIR] [--guide DIR]',
  `       either form: ${BACKEND_USAGE}`,
  'DDPM samplers:',
  SAMPLER_HELP,
].join('\n');
const args = parseCli(USAGE, {
  ...BACKEND_CLI_OPTIONS,
  ...stringOptions(EVAL_FLAGS),
  'no-write': { type: 'boolean', default: false },
  ...SAMPLER_CLI_OPTIONS,
  table: { type: 'boolean', default: false },
});
const f = flags(args, EVAL_FLAGS);
const { batch, seed } = f;
const log = (line: string) => console.log(line);
const t0 = performance.now();

if (args.table) {
  if (f.checkpoint) usageExit('--table evaluates every model under --models; drop --checkpoint');
  for (const o of ['sampler', 'steps', 'eta', 'class', 'scale'] as const) {
    if (args[o] !== undefined) usageExit(`--${o} applies to one --checkpoint; the table runs every sampler itself (--step-counts, --guided-steps, --scales)`);
  }
  await useBackendFromArgs(args, USAGE);
  try {
    const table = await evaluationTable({
      modelsDir: f.models,
      n: f.n ?? 500,
      nSlow: f['n-slow'],
      nGuided: f['n-guided'],
      batch,
      seed,
      classifier: f.classifier,
      guide: args.guide,
      steps: f['step-counts'] ?? [50, 20, 10],
      guidedSteps: f['guided-steps'],
      scales: f.scales ?? [0, 1, 2, 5, 10],
      log,
    });
    const markdown = formatTable(table);
    console.log('');
    console.log(markdown);
    if (f.out) await writeFile(f.out, markdown + '\n');
    console.log('');
    console.log(`${f.out ? `written to ${f.out}; ` : ''}eval took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  } catch (e) {
    console.error(`eval failed: ${errorLine(e)}`);
    process.exit(1);
  }
} else {
  if (!f.checkpoint) usageExit('--checkpoint (or --table) is required (--help lists the options)');
  for (const o of ['n-slow', 'n-guided', 'step-counts', 'guided-steps', 'scales', 'models', 'out'] as const) {
    if (args[o] !== undefined) usageExit(`--${o} applies to --table; one --checkpoint takes --n, --sampler, --class and --scale`);
  }
  let sampler: ReturnType<typeof samplerFromArgs>;
  let guide: ReturnType<typeof guideFromArgs>;
  try {
    sampler = samplerFromArgs(args);
    guide = guideFromArgs(args);
  } catch (e) {
    usageExit((e as Error).message);
  }
  await readCheckpointFlag('checkpoint', f.checkpoint);
  await useBackendFromArgs(args, USAGE);
  try {
    const report = await evaluateCheckpoint({
      checkpoint: f.checkpoint,
      n: f.n ?? 5000,
      batch,
      seed,
      classifier: f.classifier,
      sampler,
      guide,
      write: !args['no-write'],
      log,
    });
    console.log('');
    console.log(formatReport(report));
    console.log('');
    console.log(
      `${args['no-write'] ? 'not written (--no-write)' : `metrics written to ${f.checkpoint}/model.json`}; ` +
        `eval took ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
  } catch (e) {
    console.error(`eval failed: ${errorLine(e)}`);
    process.exit(1);
  }
}
