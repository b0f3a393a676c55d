/**
 * npm run info [-- --checkpoint DIR [--per-step [--pairs N]]]
 * Parameter counts and FLOPs per image, computed from the architectures (the default
 * configs of the shipped models, or the networks of a checkpoint). With --per-step and a
 * DD-GAN training state: how well its discriminator tells real pairs from fakes at each k
 * (src/node/stepDiagnostics.ts), on N pairs of its training data (default 2,000).
 * Every flag, and what --per-step needs of the checkpoint, is checked before the backend starts.
 */
import { BACKEND_CLI_OPTIONS, BACKEND_USAGE, useBackendFromArgs } from '../node/backend';
import { loadCheckpointDir } from '../node/checkpointDir';
import { flags, parseCli, stringOptions, usageExit } from '../node/args';
import { INFO_FLAGS } from '../node/cliFlags';
import { adoptResumeState, readCheckpointFlag, readResumeState } from '../node/resumeArgs';
import { loadDataset } from '../node/data';
import { discriminatorByStep, formatStepScores } from '../node/stepDiagnostics';
import { restoreTrainer } from '../core/training/ddganState';
import { checkImageGanResumeMeta } from '../core/training/resumeStateCheck';
import type { DdganTrainer } from '../core/training/ddganTrainer';
import { parseCheckpoint } from '../core/models/checkpoint';
import { Network } from '../core/models/network';
import { defaultGeneratorConfig } from '../core/models/generator';
import { defaultDiscriminatorConfig } from '../core/models/discriminator';

const USAGE = `usage: npm run info [-- --checkpoint DIR [--per-step [--pairs N]]] ${BACKEND_USAGE}`;
const args = parseCli(USAGE, { ...BACKEND_CLI_OPTIONS, ...stringOptions(INFO_FLAGS), 'per-step': { type: 'boolean' } });
const f = flags(args, INFO_FLAGS);
if (args['per-step'] && !f.checkpoint) usageExit('--per-step needs --checkpoint: a DD-GAN training state such as training/mnist-ddgan-t4');
if (f.checkpoint) await readCheckpointFlag('checkpoint', f.checkpoint);
// --per-step: the discriminator of a DD-GAN (pair) training state, checked whole up front
const state = args['per-step']
  ? await readResumeState(f.checkpoint!, (m) => {
      if (!m.networks.discriminator) {
        usageExit(`--per-step: ${f.checkpoint} is not a DD-GAN training state (it needs the discriminator; shipped models under public/models/ hold only the generator)`);
      }
      const s = checkImageGanResumeMeta(m);
      const recipe = (m.trainConfig as { recipe?: string } | undefined)?.recipe ?? 'ddgan';
      if (recipe !== 'ddgan') usageExit(`--per-step: ${f.checkpoint} is a ${recipe} run; the per-step scores need the DD-GAN pair discriminator`);
      return s;
    })
  : undefined;
await useBackendFromArgs(args, USAGE);

const rows: { name: string; net: Network }[] = [];
if (f.checkpoint) {
  const ck = state ? parseCheckpoint(state.files.meta, state.files.weightData) : await loadCheckpointDir(f.checkpoint);
  for (const [name, net] of Object.entries(ck.networks)) rows.push({ name, net });
  for (const t of Object.values(ck.state)) t.dispose();
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

if (state) {
  const ck = parseCheckpoint(state.files.meta, state.files.weightData);
  const dataName = (ck.meta.data as { name?: string } | undefined)?.name ?? 'mnist-train';
  const pairs = f.pairs;
  const batch = 200;
  const data = await loadDataset(dataName);
  const trainer = adoptResumeState(state, () => restoreTrainer(ck, data, { batch })) as DdganTrainer;
  const scores = await discriminatorByStep(trainer, Math.max(1, Math.round(pairs / batch)));
  trainer.dispose();
  console.log(`\nDiscriminator by step k, iteration ${trainer.iteration}, on ${dataName} (logit > 0: judged real):\n`);
  console.log(formatStepScores(scores));
}
