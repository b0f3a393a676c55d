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
 * after the current iteration and save. --resume continues bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { useNodeBackend } from '../node/backend';
import { loadDataset } from '../node/data';
import { loadCheckpointDir, saveCheckpointDir } from '../node/checkpointDir';
import { codeVersion } from '../node/version';
import { formatDuration, num, parseCli } from '../node/args';
import { runTrainingLoop } from '../node/trainLoop';
import { serializeCheckpoint } from '../core/models/checkpoint';
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
import { standardNoiseLevels } from '../core/diffusion/noiseLevel';
import { DATASETS, isDatasetKey } from '../core/data/catalog';
import { subset } from '../core/data/dataset';

const USAGE = `usage: npm run train -- --model noisy-classifier --data mnist --out DIR
  [--iters N] [--batch B] [--lr X] [--base C] [--save-every N] [--minutes M] [--seed S] [--resume STATE_DIR] [--state STATE_DIR]`;
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
if (!args.out || !isDatasetKey(args.data!) || !DATASETS[args.data as 'mnist'].heldOut) {
  console.error(`${!args.out ? '--out is required' : `--data ${args.data} has no labelled held-out split`}\n\n${USAGE}`);
  process.exit(2);
}
const key = args.data as 'mnist';
const out = path.resolve(args.out);
const name = path.basename(out);
const stateDir = path.resolve(args.state ?? args.resume ?? path.join('training', name));
const iters = num(args.iters, 'iters', 3000);
const deadline = args.minutes ? Date.now() + num(args.minutes, 'minutes', 0) * 60_000 : Infinity;

await useNodeBackend('wasm');
const train = await loadDataset(DATASETS[key].train);
const heldOut = await loadDataset(DATASETS[key].heldOut);

let trainer: NoisyClassifierTrainer;
let wallSeconds = 0;
if (args.resume) {
  if (!existsSync(path.join(args.resume, 'model.json'))) {
    console.error(`--resume ${args.resume}: no resume state there (model.json missing)`);
    process.exit(1);
  }
  const ck = await loadCheckpointDir(args.resume);
  const net = ck.networks.classifier;
  if (!net || net.config.kind !== 'noisy-classifier' || !ck.meta.trainerState) {
    throw new Error(`${args.resume} is not a noisy-classifier resume state (it needs a noisy "classifier" and its trainer state)`);
  }
  trainer = new NoisyClassifierTrainer(net as Network<NoisyClassifierConfig>, train, ck.meta.trainConfig as NoisyClassifierTrainConfig);
  trainer.loadState(ck.meta.trainerState as ReturnType<NoisyClassifierTrainer['stateJson']>, ck.state);
  tf.dispose(Object.values(ck.state));
  wallSeconds = Number((ck.meta.training as { wallSeconds?: number } | undefined)?.wallSeconds ?? 0);
  console.log(`resumed ${name} at iteration ${trainer.iteration} (${formatDuration(wallSeconds)} of training so far)`);
} else {
  trainer = NoisyClassifierTrainer.create(
    defaultNoisyClassifierConfig({ channels: train.channels, numClasses: train.numClasses ?? 10, baseChannels: num(args.base, 'base', 16) }),
    train,
    defaultNoisyClassifierTrainConfig({
      batch: num(args.batch, 'batch', 64),
      lr: num(args.lr, 'lr', 2e-3),
      seed: num(args.seed, 'seed', 0),
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

async function save(): Promise<void> {
  const scored = trainer.iteration >= iters ? heldOut : subset(heldOut, Array.from({ length: Math.min(SCORE_SUBSET, heldOut.count) }, (_, i) => i));
  scoredOn = scored.count;
  lastAccuracy = await accuracyAtNoiseLevels(trainer.net, scored, levels, 0);
  console.log(`held-out accuracy (${scoredOn} digits): ${lastAccuracy.map((a) => `${a.label} ${(a.accuracy * 100).toFixed(1)} %`).join(' | ')}`);
  const m = meta();
  await saveCheckpointDir(out, await serializeCheckpoint(m, { classifier: trainer.net }));
  await saveCheckpointDir(
    stateDir,
    await serializeCheckpoint({ ...m, trainConfig: trainer.config, trainerState: trainer.stateJson() }, { classifier: trainer.net }, trainer.stateTensors()),
  );
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
  saveEvery: num(args['save-every'], 'save-every', 250),
  deadline,
  imagesPerIteration: batch,
  flopsPerIteration: 3 * batch * flops,
  stateDir,
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
