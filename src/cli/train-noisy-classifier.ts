/**
 * npm run train -- --model noisy-classifier --data mnist --out public/models/mnist-noisy-classifier
 *   [--iters N] [--batch B] [--lr X] [--base C] [--save-every N] [--minutes M] [--seed S]
 *   [--resume STATE_DIR] [--state STATE_DIR]
 *
 * Trains the noise-aware classifier p_φ(y | x, σ) that guides DDPM, DDIM and DD-GAN sampling
 * (src/core/diffusion/guidance.ts). Noise levels: half of each batch from DDPM steps
 * t ~ U{1..1000}, half from the DD-GAN levels k = 0..T of T ∈ {1, 2, 4, 8} (clean included).
 * The learning rate decays along a cosine over --iters.
 *
 * Writes the classifier to --out (network "classifier", kind 'noisy-classifier') with its
 * held-out accuracy at several noise levels in model.json `metrics` (periodic saves score
 * the first 250 held-out digits, the final one all of them), and the resume state
 * (weights + Adam moments + random stream) to --state (default training/<name of --out>).
 * Saves every --save-every iterations and at the end; Ctrl-C / SIGTERM / --minutes stop
 * after the current iteration and save. --resume continues bit for bit. Flags and a --resume
 * state are checked before the backend starts; weights that are not all finite are not saved.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { BACKEND_CLI_OPTIONS, BACKEND_USAGE, useBackendFromArgs } from '../node/backend';
import { loadDataset } from '../node/data';
import { saveCheckpointDir } from '../node/checkpointDir';
import { codeVersion } from '../node/version';
import { flags, formatDuration, parseCli, requireFlags, stringOptions, usageExit } from '../node/args';
import { TRAIN_NOISY_CLASSIFIER_FLAGS, groupNormProblem } from '../node/cliFlags';
import { adoptResumeState, checkResumeIters, noteIgnoredOnResume, parseResumeState, readResumeState, resumeDataName } from '../node/resumeArgs';
import { leaveTsxRelay } from '../node/tsxRelay';
import { runTrainingLoop } from '../node/trainLoop';
import { checkWeightGrowth, weightRms } from '../node/weightScale';
import { CheckpointError, serializeCheckpoint } from '../core/models/checkpoint';
import { defaultNoisyClassifierConfig, type NoisyClassifierConfig } from '../core/models/noisyClassifier';
import type { Network } from '../core/models/network';
import {
  NoisyClassifierTrainer,
  accuracyAtNoiseLevels,
  cosineLr,
  defaultNoisyClassifierTrainConfig,
  type NoiseLevelAccuracy,
  type NoisyClassifierStepStats,
  type NoisyClassifierTrainConfig,
} from '../core/training/noisyClassifierTrainer';
import { checkAdamMoments, checkOneOptimizerResumeMeta } from '../core/training/resumeStateCheck';
import { checkWeights } from '../core/training/divergence';
import { standardNoiseLevels } from '../core/diffusion/noiseLevel';
import { DATASETS } from '../core/data/catalog';
import { subset } from '../core/data/dataset';

await leaveTsxRelay();

const USAGE = `usage: npm run train -- --model noisy-classifier --data mnist --out DIR
  [--iters N] [--batch B (1–512)] [--lr X] [--base C] [--save-every N] [--minutes M] [--seed S] [--resume STATE_DIR] [--state STATE_DIR]
  ${BACKEND_USAGE}`;
const args = parseCli(USAGE, { ...BACKEND_CLI_OPTIONS, ...stringOptions(TRAIN_NOISY_CLASSIFIER_FLAGS) });
requireFlags(args, ['out']);
const f = flags(args, TRAIN_NOISY_CLASSIFIER_FLAGS);
const heldOutName = DATASETS[f.data].heldOut;
if (!heldOutName) usageExit(`--data ${f.data}: it has no labelled held-out split to measure a classifier on (use mnist)`);
const key = f.data;
const out = path.resolve(f.out!);
const name = path.basename(out);
const stateDir = path.resolve(f.state ?? f.resume ?? path.join('training', name));
const iters = f.iters;
const deadline = f.minutes !== undefined ? Date.now() + f.minutes * 60_000 : Infinity;

const resume =
  f.resume !== undefined
    ? await readResumeState(f.resume, (m) => {
        const s = checkOneOptimizerResumeMeta(m, ['classifier'], 'noise-aware classifier');
        const kind = (m.networks.classifier as { kind?: unknown }).kind;
        if (kind !== 'noisy-classifier') throw new CheckpointError(`resume state: its classifier is a ${String(kind)}, not a noisy-classifier`);
        return s;
      })
    : undefined;
if (resume) {
  checkResumeIters(resume, iters);
  resumeDataName(resume, f.data);
  const savedConfig = resume.files.meta.trainConfig as { batch?: number; lr?: number; seed?: number };
  const savedBase = (resume.files.meta.networks.classifier as { baseChannels?: number }).baseChannels;
  noteIgnoredOnResume(args, f, { batch: savedConfig.batch, lr: savedConfig.lr, base: savedBase, seed: savedConfig.seed });
} else {
  const problem = groupNormProblem(defaultNoisyClassifierConfig({ baseChannels: f.base }));
  if (problem) usageExit(`--base ${f.base}: ${problem}`);
}

await useBackendFromArgs(args, USAGE);
const train = await loadDataset(DATASETS[key].train);
const heldOut = await loadDataset(heldOutName);

let trainer: NoisyClassifierTrainer;
let wallSeconds = 0;
if (resume) {
  const ck = parseResumeState(resume);
  trainer = adoptResumeState(resume, () => {
    const t = new NoisyClassifierTrainer(ck.networks.classifier as Network<NoisyClassifierConfig>, train, ck.meta.trainConfig as NoisyClassifierTrainConfig);
    if (ck.stateValues) checkAdamMoments(ck.stateValues, t.opt.config);
    t.loadState(resume.trainerState, ck.state);
    return t;
  });
  tf.dispose(Object.values(ck.state));
  wallSeconds = Number((ck.meta.training as { wallSeconds?: number } | undefined)?.wallSeconds ?? 0);
  console.log(`resumed ${name} at iteration ${trainer.iteration} (${formatDuration(wallSeconds)} of training so far)`);
} else {
  trainer = NoisyClassifierTrainer.create(
    defaultNoisyClassifierConfig({ channels: train.channels, numClasses: train.numClasses ?? 10, baseChannels: f.base }),
    train,
    defaultNoisyClassifierTrainConfig({
      batch: f.batch ?? 64,
      lr: f.lr ?? 2e-3,
      seed: f.seed ?? 0,
    }),
  );
}
const { batch, lr } = trainer.config;
const flops = trainer.net.flopsPerExample();
console.log(
  `${name}: noise-aware classifier, ${trainer.net.paramCount().toLocaleString()} params, ${(flops / 1e6).toFixed(1)} MFLOP/image; ` +
    `noise levels: ${trainer.config.ddpmShare * 100} % DDPM t ~ U{1..${trainer.config.ddpmSteps}}, the rest DD-GAN T ∈ {${trainer.config.ddganT.join(', ')}}, k = 0..T`,
);

const levels = standardNoiseLevels(trainer.ddpm);
const recent: NoisyClassifierStepStats[] = [];
let lastAccuracy: NoiseLevelAccuracy[] = [];

function meta() {
  const last = recent.slice(-50);
  const avg = (k: 'loss' | 'accuracy') => (last.length ? last.reduce((a, s) => a + s[k], 0) / last.length : null);
  const clean = lastAccuracy.find((a) => a.sigma === 0);
  return {
    name,
    description:
      `Noise-aware ${key} classifier p(y | x, σ) for classifier guidance, conditioned on the noise level σ = √(1 − ᾱ) ` +
      `(DDPM steps and DD-GAN steps alike); not the evaluation's judge`,
    createdAt: new Date().toISOString(),
    codeVersion: codeVersion(),
    data: { name: train.name, count: train.count, heldOut: heldOut.name, heldOutCount: heldOut.count },
    training: {
      iterations: trainer.iteration,
      batch,
      lr,
      lrSchedule: `cosine to 5 % over ${iters} iterations`,
      wallSeconds: Math.round(wallSeconds),
      backend: tf.getBackend(),
      recentLoss: avg('loss'),
      recentBatchAccuracy: avg('accuracy'),
      config: trainer.config,
    },
    metrics: {
      ...(clean ? { heldOutAccuracy: clean.accuracy } : {}),
      accuracyByNoiseLevel: lastAccuracy,
      evaluation: { heldOut: heldOut.name, n: scoredOn, noiseSeed: 0, trainingIterations: trainer.iteration, backend: tf.getBackend(), date: new Date().toISOString() },
    },
  };
}

/** Periodic saves score the first SCORE_SUBSET held-out digits (11 levels each); the last save all of them. */
const SCORE_SUBSET = 250;
let scoredOn = 0;

/** The scale of the weights at the start, against which a blow-up is measured (src/node/weightScale.ts). */
const startIteration = trainer.iteration;
const startScale = resume ? weightRms({ modelJson: resume.files.meta, weightData: resume.files.weightData }) : weightRms(await serializeCheckpoint({ name, createdAt: '', codeVersion: '' }, { classifier: trainer.net }));

/** Both checkpoints are made and their weights checked (finite, not blown up) before either is written. */
async function save(): Promise<void> {
  const scored = trainer.iteration >= iters ? heldOut : subset(heldOut, Array.from({ length: Math.min(SCORE_SUBSET, heldOut.count) }, (_, i) => i));
  scoredOn = scored.count;
  lastAccuracy = await accuracyAtNoiseLevels(trainer.net, scored, levels, 0);
  console.log(`held-out accuracy (${scoredOn} digits): ${lastAccuracy.map((a) => `${a.label} ${(a.accuracy * 100).toFixed(1)} %`).join(' | ')}`);
  const m = meta();
  const model = await serializeCheckpoint(m, { classifier: trainer.net });
  const state = await serializeCheckpoint({ ...m, trainConfig: trainer.config, trainerState: trainer.stateJson() }, { classifier: trainer.net }, trainer.stateTensors());
  checkWeights(state.weightData, trainer.iteration);
  checkWeights(model.weightData, trainer.iteration);
  checkWeightGrowth(startScale, weightRms(state), trainer.iteration, startIteration);
  await saveCheckpointDir(stateDir, state);
  await saveCheckpointDir(out, model);
}

// The loop calls step() without arguments: the learning rate follows the cosine over --iters.
const stepping = {
  get iteration() {
    return trainer.iteration;
  },
  step: () => trainer.step(cosineLr(lr, trainer.iteration, iters)),
};
const stopReason = await runTrainingLoop(stepping, {
  iters,
  saveEvery: f['save-every'],
  deadline,
  imagesPerIteration: batch,
  flopsPerIteration: 3 * batch * flops,
  stateDir,
  lastGood: resume ? { dir: path.resolve(resume.dir), iteration: resume.iteration } : null,
  save,
  onStep: (s) => {
    wallSeconds += s.ms / 1000;
    recent.push(s);
    if (recent.length > 200) recent.shift();
  },
  describe: (s) => `loss ${s.loss.toFixed(4)} | batch acc ${(s.accuracy * 100).toFixed(1)} % | lr ${s.lr.toExponential(2)}`,
});
console.log(`${stopReason} at iteration ${trainer.iteration}; model: ${out}; resume state: ${stateDir}`);
trainer.dispose();
