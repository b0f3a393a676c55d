/**
 * npm run train -- --model classifier --data mnist --out public/models/mnist-classifier [--iters N (default 4000)]
 *
 * Trains the clean MNIST classifier (the judge of the evaluation) on the training split and
 * records its accuracy on the held-out split in model.json. A short run: no resume state,
 * the model is saved once, at the end (or when stopped).
 */
import * as tf from '@tensorflow/tfjs';
import { DATASETS } from '../../core/data/catalog';
import { defaultClassifierConfig, type ClassifierConfig } from '../../core/models/classifier';
import { serializeCheckpoint } from '../../core/models/checkpoint';
import { Network } from '../../core/models/network';
import { ClassifierTrainer, accuracy, predictAll } from '../../core/training/classifierTrainer';
import { TrainingDiverged } from '../../core/training/imageGan';
import { usageExit } from '../args';
import { BACKEND_USAGE } from '../backend';
import { TRAIN_CLASSIFIER_FLAGS } from '../cliFlags';
import { loadDataset } from '../data';
import type { StepStats, TrainSpec } from '../trainCommand';
import { codeVersion } from '../version';

const USAGE = `usage: npm run train -- --model classifier --data mnist --out DIR [--iters N (default 4000)] [--batch B (1–512)] [--lr X] [--seed S] [--minutes M]\n  ${BACKEND_USAGE}`;

export interface ClassifierStepStats extends StepStats {
  readonly loss: number;
  readonly accuracy: number;
}

/** Cosine decay of the learning rate from `lr` to 5 % of it over `iters` iterations. */
export function classifierLr(lr: number, iteration: number, iters: number): number {
  return lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * iteration) / iters)));
}

export const CLASSIFIER_TRAINING: TrainSpec<typeof TRAIN_CLASSIFIER_FLAGS, ClassifierStepStats> = {
  model: 'classifier',
  usage: USAGE,
  flags: TRAIN_CLASSIFIER_FLAGS,

  async plan({ f, name }) {
    const heldOutName = DATASETS[f.data].heldOut;
    if (!heldOutName) usageExit(`--data ${f.data}: it has no labelled held-out split to measure a classifier on (use mnist)`);
    const key = f.data;
    const { iters, lr } = f;
    const train = await loadDataset(DATASETS[key].train);
    const heldOut = await loadDataset(heldOutName);
    return {
      iters,
      async create() {
        const config = defaultClassifierConfig({ channels: train.channels, numClasses: train.numClasses ?? 10 });
        const net = Network.create(config, 7) as Network<ClassifierConfig>;
        const trainer = new ClassifierTrainer(net, train, { batch: f.batch, lr, maxShift: 2, seed: f.seed ?? 0 });
        // Smoothed batch loss and accuracy for the progress line.
        let recentLoss = 0;
        let recentAcc = 0;
        let metrics: { heldOutAccuracy: number; trainAccuracy: number } | undefined;
        return {
          trainer: {
            get iteration() {
              return trainer.iteration;
            },
            async step() {
              const t0 = performance.now();
              const { loss, accuracy: acc } = await trainer.step(classifierLr(lr, trainer.iteration, iters));
              const iteration = trainer.iteration;
              if (!Number.isFinite(loss)) throw new TrainingDiverged(`training diverged at iteration ${iteration}: the loss is ${loss}`, iteration);
              recentLoss = 0.95 * recentLoss + 0.05 * loss;
              recentAcc = 0.95 * recentAcc + 0.05 * acc;
              return { iteration, ms: performance.now() - t0, loss, accuracy: acc };
            },
          },
          imagesPerIteration: trainer.config.batch,
          banner: `classifier: ${net.paramCount().toLocaleString()} params, ${(net.flopsPerExample() / 1e6).toFixed(1)} MFLOP/image`,
          describe: () => `loss ${recentLoss.toFixed(4)} | batch acc ${(recentAcc * 100).toFixed(1)}%`,
          async score() {
            const heldOutAccuracy = accuracy(await predictAll(net, heldOut), heldOut.labels!, config.numClasses);
            const trainAccuracy = accuracy(await predictAll(net, train), train.labels!, config.numClasses);
            console.log(`held-out accuracy ${(heldOutAccuracy * 100).toFixed(2)}% (${heldOut.count} images), train accuracy ${(trainAccuracy * 100).toFixed(2)}%`);
            metrics = { heldOutAccuracy, trainAccuracy };
          },
          async checkpoints(progress) {
            const model = await serializeCheckpoint(
              {
                name,
                description: `Clean ${key} classifier: the judge whose penultimate features the evaluation uses`,
                createdAt: new Date().toISOString(),
                codeVersion: codeVersion(),
                data: { name: train.name, count: train.count, heldOut: heldOut.name, heldOutCount: heldOut.count },
                training: { iterations: trainer.iteration, batch: trainer.config.batch, lr, wallSeconds: Math.round(progress.wallSeconds), backend: tf.getBackend() },
                ...(metrics ? { metrics } : {}),
              },
              { classifier: net },
            );
            return { model };
          },
          dispose: () => net.dispose(),
        };
      },
    };
  },
};
