/**
 * npm run info [-- --checkpoint DIR [--per-step [--pairs N]]]
 * Parameter counts and FLOPs per image, computed from the architectures (the default
 * configs of the shipped models, or the networks of a checkpoint). With --per-step and a
 * DD-GAN training state: how well its discriminator tells real pairs from fakes at each k
 * (src/node/stepDiagnostics.ts), on N pairs of its training data (default 2,000).
 */
import { useNodeBackend } from '../node/backend';
import { loadCheckpointDir } from '../node/checkpointDir';
import { num, parseCli } from '../node/args';
import { loadDataset } from '../node/data';
import { discriminatorByStep, formatStepScores } from '../node/stepDiagnostics';
import { restoreTrainer, savedRecipe } from '../core/training/ddganState';
import type { DdganTrainer } from '../core/training/ddganTrainer';
import { Network } from '../core/models/network';
import { defaultGeneratorConfig } from '../core/models/generator';
import { defaultDiscriminatorConfig } from '../core/models/discriminator';

const USAGE = 'usage: npm run info [-- --checkpoint DIR [--per-step [--pairs N]]]';
const args = parseCli(USAGE, { checkpoint: { type: 'string' }, 'per-step': { type: 'boolean' }, pairs: { type: 'string' } });
await useNodeBackend('wasm');

const rows: { name: string; net: Network }[] = [];
if (args.checkpoint) {
  const ck = await loadCheckpointDir(args.checkpoint);
  for (const [name, net] of Object.entries(ck.networks)) rows.push({ name, net });
} else {
  for (const channels of [1, 3]) {
    const g = defaultGeneratorConfig({ channels, baseChannels: 16, zEmbedDim: 64, tEmbedDim: 64 });
    rows.push({ name: `generator ${channels}-channel (shipped config)`, net: Network.create(g) });
    rows.push({ name: `discriminator ${channels}-channel`, net: Network.create(defaultDiscriminatorConfig({ channels, baseChannels: 24 })) });
  }
}
console.log('| network | kind | parameters | MFLOP per image (forward) |');
console.log('|---|---|---:|---:|');
for (const { name, net } of rows) {
  console.log(`| ${name} | ${net.config.kind} | ${net.paramCount().toLocaleString('en-US')} | ${(net.flopsPerExample() / 1e6).toFixed(1)} |`);
  net.dispose();
}

if (args['per-step']) {
  if (!args.checkpoint) {
    console.error(`--per-step needs --checkpoint: a DD-GAN training state such as training/mnist-ddgan-t4\n\n${USAGE}`);
    process.exit(2);
  }
  const ck = await loadCheckpointDir(args.checkpoint);
  if (!ck.networks.discriminator || savedRecipe(ck) !== 'ddgan') {
    console.error(`--per-step: ${args.checkpoint} is not a DD-GAN training state (it needs the discriminator; shipped models under public/models/ hold only the generator)`);
    process.exit(1);
  }
  const dataName = (ck.meta.data as { name?: string } | undefined)?.name ?? 'mnist-train';
  const pairs = num(args.pairs, 'pairs', 2000);
  const batch = 200;
  const trainer = restoreTrainer(ck, await loadDataset(dataName), { batch }) as DdganTrainer;
  const rows = await discriminatorByStep(trainer, Math.max(1, Math.round(pairs / batch)));
  trainer.dispose();
  console.log(`\nDiscriminator by step k, iteration ${trainer.iteration}, on ${dataName} (logit > 0: judged real):\n`);
  console.log(formatStepScores(rows));
}
