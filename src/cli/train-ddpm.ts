/**
 * npm run train -- --model ddpm --data mnist --out DIR [--iters N] [--batch B] [--resume STATE_DIR]
 *
 * Trains the DDPM ε-network baseline (1000 linear-β steps) with the same loop, checkpoint
 * layout and resume guarantees as the DD-GAN trainer.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { useNodeBackend } from '../node/backend';
import { loadDataset } from '../node/data';
import { loadCheckpointDir, saveCheckpointDir } from '../node/checkpointDir';
import { writeGridPng } from '../node/png';
import { codeVersion } from '../node/version';
import { formatDuration, num, parseCli } from '../node/args';
import { runTrainingLoop } from '../node/trainLoop';
import { serializeCheckpoint } from '../core/models/checkpoint';
import { defaultEpsNetConfig, type EpsNetConfig } from '../core/models/epsNet';
import type { Network } from '../core/models/network';
import { DdpmTrainer, defaultDdpmTrainConfig, type DdpmStepStats, type DdpmTrainConfig } from '../core/training/ddpmTrainer';
import { sampleDdpm } from '../core/diffusion/ddpm';
import { Rng } from '../core/rng';
import { trainDataName } from '../core/data/catalog';

const USAGE = `usage: npm run train -- --model ddpm --data mnist|emoji --out DIR
  [--iters N] [--batch B] [--lr X] [--base C] [--resume STATE_DIR] [--state STATE_DIR] [--save-every N] [--minutes M] [--seed S]`;
const args = parseCli(USAGE, {
  model: { type: 'string' },
  data: { type: 'string', default: 'mnist' },
  out: { type: 'string' },
  state: { type: 'string' },
  resume: { type: 'string' },
  iters: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  base: { type: 'string' },
  'save-every': { type: 'string' },
  minutes: { type: 'string' },
  seed: { type: 'string' },
});
if (!args.out) {
  console.error(`--out is required\n\n${USAGE}`);
  process.exit(2);
}
const out = path.resolve(args.out);
const stateDir = path.resolve(args.state ?? args.resume ?? `${out}.state`);
const name = path.basename(out);
const iters = num(args.iters, 'iters', 4000);
const deadline = args.minutes ? Date.now() + num(args.minutes, 'minutes', 0) * 60_000 : Infinity;

await useNodeBackend('wasm');
const data = await loadDataset(trainDataName(args.data!));

let trainer: DdpmTrainer;
let wallSeconds = 0;
if (args.resume) {
  if (!existsSync(path.join(args.resume, 'model.json'))) {
    console.error(`--resume ${args.resume}: no resume state there (model.json missing)`);
    process.exit(1);
  }
  const ck = await loadCheckpointDir(args.resume);
  const { net, netEma } = ck.networks;
  if (!net || !netEma) throw new Error(`${args.resume} is not a DDPM resume state (it needs net and netEma)`);
  trainer = new DdpmTrainer(net as Network<EpsNetConfig>, netEma as Network<EpsNetConfig>, data, ck.meta.trainConfig as DdpmTrainConfig);
  trainer.loadState(ck.meta.trainerState as ReturnType<DdpmTrainer['stateJson']>, ck.state);
  tf.dispose(Object.values(ck.state));
  wallSeconds = Number((ck.meta.training as { wallSeconds?: number } | undefined)?.wallSeconds ?? 0);
  console.log(`resumed ${name} at iteration ${trainer.iteration} (${formatDuration(wallSeconds)} of training so far)`);
} else {
  trainer = DdpmTrainer.create(
    defaultEpsNetConfig({ channels: data.channels, baseChannels: num(args.base, 'base', 16) }),
    data,
    defaultDdpmTrainConfig({
      batch: num(args.batch, 'batch', 32),
      lr: num(args.lr, 'lr', 5e-4),
      flip: args.data === 'emoji',
      seed: num(args.seed, 'seed', 0),
    }),
  );
}
const batch = trainer.config.batch;
const flops = trainer.net.flopsPerExample();
const flopsPerIter = 3 * batch * flops;
console.log(`${name}: ε-net ${trainer.net.paramCount().toLocaleString()} params, ${(flops / 1e6).toFixed(1)} MFLOP/image`);

const recent: DdpmStepStats[] = [];
const meta = () => {
  const last = recent.slice(-50);
  const ms = last.reduce((a, s) => a + s.ms, 0) / Math.max(1, last.length);
  return {
    name,
    description: `DDPM ε-prediction baseline, ${trainer.schedule.N} linear-β steps, trained on ${data.name} by this project's trainer`,
    createdAt: new Date().toISOString(),
    codeVersion: codeVersion(),
    data: { name: data.name, count: data.count, size: data.size, channels: data.channels },
    schedule: { kind: 'ddpm-linear', N: trainer.schedule.N, betaStart: 1e-4, betaEnd: 0.02 },
    training: {
      iterations: trainer.iteration,
      batch,
      wallSeconds: Math.round(wallSeconds),
      backend: tf.getBackend(),
      imagesPerSecond: last.length ? (batch * 1000) / ms : null,
      effectiveGflops: last.length ? flopsPerIter / (ms * 1e6) : null,
      recentLoss: last.length ? last.reduce((a, s) => a + s.loss, 0) / last.length : null,
      config: trainer.config,
    },
  };
};

async function save(): Promise<void> {
  const m = meta();
  await saveCheckpointDir(out, await serializeCheckpoint(m, { eps: trainer.netEma }));
  await saveCheckpointDir(
    stateDir,
    await serializeCheckpoint(
      { ...m, trainConfig: trainer.config, trainerState: trainer.stateJson() },
      { net: trainer.net, netEma: trainer.netEma },
      trainer.stateTensors(),
    ),
  );
  // a cheap preview: 16 samples with 50 DDIM steps
  const x0 = await sampleDdpm(trainer.netEma, trainer.schedule, { batch: 16, rng: new Rng(1234), sampler: { kind: 'ddim', steps: 50, eta: 0 } });
  const pixels = (await x0.data()) as Float32Array;
  x0.dispose();
  await writeGridPng(path.join(stateDir, 'preview.png'), { data: pixels, count: 16, size: data.size, channels: data.channels }, 4, 2);
}

const stopReason = await runTrainingLoop(trainer, {
  iters,
  saveEvery: num(args['save-every'], 'save-every', 200),
  deadline,
  imagesPerIteration: batch,
  flopsPerIteration: flopsPerIter,
  stateDir,
  save,
  onStep: (s) => {
    wallSeconds += s.ms / 1000;
    recent.push(s);
    if (recent.length > 200) recent.shift();
  },
  describe: (s) => `loss ${s.loss.toFixed(4)} | grad norm ${s.gradNorm.toFixed(2)}`,
});
console.log(`${stopReason} at iteration ${trainer.iteration}; model: ${out}; resume state: ${stateDir}`);
trainer.dispose();
