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
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { DATASETS } from '../../core/data/catalog';
import { subset } from '../../core/data/dataset';
import { standardNoiseLevels } from '../../core/diffusion/noiseLevel';
import { CheckpointError, serializeCheckpoint, type ModelJson } from '../../core/models/checkpoint';
import type { Network } from '../../core/models/network';
import { defaultNoisyClassifierConfig, type NoisyClassifierConfig } from '../../core/models/noisyClassifier';
import {
  NoisyClassifierTrainer,
  accuracyAtNoiseLevels,
  cosineLr,
  defaultNoisyClassifierTrainConfig,
  type NoiseLevelAccuracy,
  type NoisyClassifierStepStats,
  type NoisyClassifierTrainConfig,
} from '../../core/training/noisyClassifierTrainer';
import { checkAdamMoments, checkOneOptimizerResumeMeta } from '../../core/training/resumeStateCheck';
import type { OneOptimizerStateJson } from '../../core/training/trainerState';
import type { LoadedDataset } from '../../core/data/format';
import { usageExit } from '../args';
import { BACKEND_USAGE } from '../backend';
import { TRAIN_NOISY_CLASSIFIER_FLAGS, groupNormProblem } from '../cliFlags';
import { loadDataset } from '../data';
import { noteIgnoredOnResume, resumeDataName } from '../resumeArgs';
import { recentMean, type TrainSession, type TrainSpec } from '../trainCommand';
import { codeVersion } from '../version';

const USAGE = `usage: npm run train -- --model noisy-classifier --data mnist --out DIR
  [--iters N] [--batch B (1–512)] [--lr X] [--base C] [--save-every N] [--minutes M] [--seed S] [--resume STATE_DIR] [--state STATE_DIR]
  ${BACKEND_USAGE}`;

/** Periodic saves score the first SCORE_SUBSET held-out digits (11 levels each); the last save all of them. */
const SCORE_SUBSET = 250;

/** A resume state of a noise-aware classifier (a clean classifier's state is refused). */
function checkResumeMeta(m: ModelJson): OneOptimizerStateJson {
  const s = checkOneOptimizerResumeMeta(m, ['classifier'], 'noise-aware classifier');
  const kind = (m.networks.classifier as { kind?: unknown }).kind;
  if (kind !== 'noisy-classifier') throw new CheckpointError(`resume state: its classifier is a ${String(kind)}, not a noisy-classifier`);
  return s;
}

export const NOISY_CLASSIFIER_TRAINING: TrainSpec<typeof TRAIN_NOISY_CLASSIFIER_FLAGS, NoisyClassifierStepStats, OneOptimizerStateJson> = {
  model: 'noisy-classifier',
  usage: USAGE,
  flags: TRAIN_NOISY_CLASSIFIER_FLAGS,
  resume: { defaultDir: (_out, name) => path.join('training', name), check: checkResumeMeta },

  async plan({ args, f, name, resume }) {
    const heldOutName = DATASETS[f.data].heldOut;
    if (!heldOutName) usageExit(`--data ${f.data}: it has no labelled held-out split to measure a classifier on (use mnist)`);
    if (resume) {
      resumeDataName(resume, f.data);
      const savedConfig = resume.files.meta.trainConfig as { batch?: number; lr?: number; seed?: number };
      const savedBase = (resume.files.meta.networks.classifier as { baseChannels?: number }).baseChannels;
      noteIgnoredOnResume(args, f, { batch: savedConfig.batch, lr: savedConfig.lr, base: savedBase, seed: savedConfig.seed });
    } else {
      const problem = groupNormProblem(defaultNoisyClassifierConfig({ baseChannels: f.base }));
      if (problem) usageExit(`--base ${f.base}: ${problem}`);
    }
    const train = await loadDataset(DATASETS[f.data].train);
    const heldOut = await loadDataset(heldOutName);
    const run = { name, key: f.data, iters: f.iters, heldOut };
    return {
      iters: f.iters,
      restore(ck, state) {
        const t = new NoisyClassifierTrainer(ck.networks.classifier as Network<NoisyClassifierConfig>, train, ck.meta.trainConfig as NoisyClassifierTrainConfig);
        if (ck.stateValues) checkAdamMoments(ck.stateValues, t.opt.config);
        t.loadState(state.trainerState, ck.state);
        tf.dispose(Object.values(ck.state));
        return noisyClassifierSession(t, run);
      },
      async create() {
        const config = defaultNoisyClassifierTrainConfig({ batch: f.batch ?? 64, lr: f.lr ?? 2e-3, seed: f.seed ?? 0 });
        const net = defaultNoisyClassifierConfig({ channels: train.channels, numClasses: train.numClasses ?? 10, baseChannels: f.base });
        return noisyClassifierSession(NoisyClassifierTrainer.create(net, train, config), run);
      },
    };
  },
};

interface RunInfo {
  readonly name: string;
  /** The data set's catalog key (mnist). */
  readonly key: string;
  readonly iters: number;
  readonly heldOut: LoadedDataset;
}

function noisyClassifierSession(trainer: NoisyClassifierTrainer, run: RunInfo): TrainSession<NoisyClassifierStepStats> {
  const { name, key, iters, heldOut } = run;
  const train = trainer.data;
  const { batch, lr } = trainer.config;
  const flops = trainer.net.flopsPerExample();
  const levels = standardNoiseLevels(trainer.ddpm);
  let lastAccuracy: NoiseLevelAccuracy[] = [];
  let scoredOn = 0;
  return {
    // The learning rate follows the cosine over --iters.
    trainer: {
      get iteration() {
        return trainer.iteration;
      },
      step: () => trainer.step(cosineLr(lr, trainer.iteration, iters)),
    },
    imagesPerIteration: batch,
    flopsPerIteration: 3 * batch * flops,
    banner:
      `${name}: noise-aware classifier, ${trainer.net.paramCount().toLocaleString()} params, ${(flops / 1e6).toFixed(1)} MFLOP/image; ` +
      `noise levels: ${trainer.config.ddpmShare * 100} % DDPM t ~ U{1..${trainer.config.ddpmSteps}}, the rest DD-GAN T ∈ {${trainer.config.ddganT.join(', ')}}, k = 0..T`,
    describe: (s) => `loss ${s.loss.toFixed(4)} | batch acc ${(s.accuracy * 100).toFixed(1)} % | lr ${s.lr.toExponential(2)}`,
    async score(final) {
      const scored = final ? heldOut : subset(heldOut, Array.from({ length: Math.min(SCORE_SUBSET, heldOut.count) }, (_, i) => i));
      scoredOn = scored.count;
      lastAccuracy = await accuracyAtNoiseLevels(trainer.net, scored, levels, 0);
      console.log(`held-out accuracy (${scoredOn} digits): ${lastAccuracy.map((a) => `${a.label} ${(a.accuracy * 100).toFixed(1)} %`).join(' | ')}`);
    },
    async checkpoints(progress) {
      const clean = lastAccuracy.find((a) => a.sigma === 0);
      const m = {
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
          wallSeconds: Math.round(progress.wallSeconds),
          backend: tf.getBackend(),
          recentLoss: recentMean(progress.recent, 'loss'),
          recentBatchAccuracy: recentMean(progress.recent, 'accuracy'),
          config: trainer.config,
        },
        metrics: {
          ...(clean ? { heldOutAccuracy: clean.accuracy } : {}),
          accuracyByNoiseLevel: lastAccuracy,
          evaluation: { heldOut: heldOut.name, n: scoredOn, noiseSeed: 0, trainingIterations: trainer.iteration, backend: tf.getBackend(), date: new Date().toISOString() },
        },
      };
      return {
        model: await serializeCheckpoint(m, { classifier: trainer.net }),
        state: await serializeCheckpoint({ ...m, trainConfig: trainer.config, trainerState: trainer.stateJson() }, { classifier: trainer.net }, trainer.stateTensors()),
      };
    },
    dispose: () => trainer.dispose(),
  };
}
