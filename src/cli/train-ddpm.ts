/**
 * npm run train -- --model ddpm --data mnist --out DIR [--iters N] [--batch B] [--resume STATE_DIR]
 *
 * Trains the DDPM ε-network baseline (1000 linear-β steps) with the same loop, checkpoint
 * layout, checks and resume guarantees as the DD-GAN trainer: every flag and a --resume
 * state are checked before the backend starts, and a save whose weights are not all finite
 * is refused (the run stops, the last good save stays).
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { BACKEND_CLI_OPTIONS, BACKEND_USAGE, useBackendFromArgs } from '../node/backend';
import { loadDataset } from '../node/data';
import { saveCheckpointDir } from '../node/checkpointDir';
import { writeGridPng } from '../node/png';
import { codeVersion } from '../node/version';
import { flags, formatDuration, parseCli, requireFlags, stringOptions, usageExit } from '../node/args';
import { TRAIN_DDPM_FLAGS, groupNormProblem } from '../node/cliFlags';
import { adoptResumeState, checkResumeIters, noteIgnoredOnResume, parseResumeState, readResumeState, resumeDataName } from '../node/resumeArgs';
import { leaveTsxRelay } from '../node/tsxRelay';
import { runTrainingLoop } from '../node/trainLoop';
import { checkWeightGrowth, weightRms } from '../node/weightScale';
import { serializeCheckpoint } from '../core/models/checkpoint';
import { defaultEpsNetConfig, type EpsNetConfig } from '../core/models/epsNet';
import type { Network } from '../core/models/network';
import { DdpmTrainer, defaultDdpmTrainConfig, type DdpmStepStats, type DdpmTrainConfig } from '../core/training/ddpmTrainer';
import { checkAdamMoments, checkOneOptimizerResumeMeta } from '../core/training/resumeStateCheck';
import { checkWeights } from '../core/training/divergence';
import { sampleDdpm } from '../core/diffusion/ddpm';
import { Rng } from '../core/rng';
import { flipsLeftRight, trainDataName } from '../core/data/catalog';

await leaveTsxRelay();

const USAGE = `usage: npm run train -- --model ddpm --data mnist|emoji|icons --out DIR
  [--iters N] [--batch B (1–512)] [--lr X] [--base C] [--resume STATE_DIR] [--state STATE_DIR] [--save-every N] [--minutes M] [--seed S]
  ${BACKEND_USAGE}`;
const args = parseCli(USAGE, { ...BACKEND_CLI_OPTIONS, ...stringOptions(TRAIN_DDPM_FLAGS) });
requireFlags(args, ['out']);
const f = flags(args, TRAIN_DDPM_FLAGS);
const out = path.resolve(f.out!);
const stateDir = path.resolve(f.state ?? f.resume ?? `${out}.state`);
const name = path.basename(out);
const iters = f.iters;
const deadline = f.minutes !== undefined ? Date.now() + f.minutes * 60_000 : Infinity;

const resume = f.resume !== undefined ? await readResumeState(f.resume, (m) => checkOneOptimizerResumeMeta(m, ['net', 'netEma'], 'DDPM')) : undefined;
let dataName: string;
if (resume) {
  checkResumeIters(resume, iters);
  dataName = resumeDataName(resume, f.data);
  const savedConfig = resume.files.meta.trainConfig as { batch?: number; lr?: number; seed?: number };
  const savedBase = (resume.files.meta.networks.net as { baseChannels?: number }).baseChannels;
  noteIgnoredOnResume(args, f, { batch: savedConfig.batch, lr: savedConfig.lr, base: savedBase, seed: savedConfig.seed });
} else {
  dataName = trainDataName(f.data ?? 'mnist');
  const problem = groupNormProblem(defaultEpsNetConfig({ baseChannels: f.base }));
  if (problem) usageExit(`--base ${f.base}: ${problem}`);
}

await useBackendFromArgs(args, USAGE);
const data = await loadDataset(dataName);

let trainer: DdpmTrainer;
let wallSeconds = 0;
if (resume) {
  const ck = parseResumeState(resume);
  trainer = adoptResumeState(resume, () => {
    const t = new DdpmTrainer(ck.networks.net as Network<EpsNetConfig>, ck.networks.netEma as Network<EpsNetConfig>, data, ck.meta.trainConfig as DdpmTrainConfig);
    if (ck.stateValues) checkAdamMoments(ck.stateValues, t.opt.config);
    t.loadState(resume.trainerState, ck.state);
    return t;
  });
  tf.dispose(Object.values(ck.state));
  wallSeconds = Number((ck.meta.training as { wallSeconds?: number } | undefined)?.wallSeconds ?? 0);
  console.log(`resumed ${name} at iteration ${trainer.iteration} (${formatDuration(wallSeconds)} of training so far)`);
} else {
  trainer = DdpmTrainer.create(
    defaultEpsNetConfig({ channels: data.channels, baseChannels: f.base }),
    data,
    defaultDdpmTrainConfig({
      batch: f.batch ?? 32,
      lr: f.lr ?? 5e-4,
      flip: flipsLeftRight(dataName),
      seed: f.seed ?? 0,
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

/** The scale of the weights at the start, against which a blow-up is measured (src/node/weightScale.ts). */
const startIteration = trainer.iteration;
const startScale = resume ? weightRms({ modelJson: resume.files.meta, weightData: resume.files.weightData }) : weightRms(await serializeCheckpoint({ name, createdAt: '', codeVersion: '' }, { net: trainer.net, netEma: trainer.netEma }));

/** Both checkpoints are made and their weights checked (finite, not blown up) before either is written. */
async function save(): Promise<void> {
  const m = meta();
  const model = await serializeCheckpoint(m, { eps: trainer.netEma });
  const state = await serializeCheckpoint({ ...m, trainConfig: trainer.config, trainerState: trainer.stateJson() }, { net: trainer.net, netEma: trainer.netEma }, trainer.stateTensors());
  checkWeights(state.weightData, trainer.iteration);
  checkWeights(model.weightData, trainer.iteration);
  checkWeightGrowth(startScale, weightRms(state), trainer.iteration, startIteration);
  await saveCheckpointDir(stateDir, state);
  await saveCheckpointDir(out, model);
  // a cheap preview: 16 samples with 50 DDIM steps
  const x0 = await sampleDdpm(trainer.netEma, trainer.schedule, { batch: 16, rng: new Rng(1234), sampler: { kind: 'ddim', steps: 50, eta: 0 } });
  const pixels = (await x0.data()) as Float32Array;
  x0.dispose();
  await writeGridPng(path.join(stateDir, 'preview.png'), { data: pixels, count: 16, size: data.size, channels: data.channels }, 4, 2);
}

const stopReason = await runTrainingLoop(trainer, {
  iters,
  saveEvery: f['save-every'],
  deadline,
  imagesPerIteration: batch,
  flopsPerIteration: flopsPerIter,
  stateDir,
  lastGood: resume ? { dir: path.resolve(resume.dir), iteration: resume.iteration } : null,
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
