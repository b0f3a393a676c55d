/**
 * npm run train -- --model classifier --data mnist --out public/models/mnist-classifier [--iters N (default 4000)]
 *
 * Trains the clean MNIST classifier (the judge of the evaluation) on the training split and
 * reports its accuracy on the held-out split, which goes into model.json. Flags are checked
 * before the backend starts; weights that are not all finite are not saved.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { BACKEND_CLI_OPTIONS, BACKEND_USAGE, useBackendFromArgs } from '../node/backend';
import { loadDataset } from '../node/data';
import { saveCheckpointDir } from '../node/checkpointDir';
import { codeVersion } from '../node/version';
import { flags, formatDuration, parseCli, requireFlags, stringOptions, usageExit } from '../node/args';
import { TRAIN_CLASSIFIER_FLAGS } from '../node/cliFlags';
import { Network } from '../core/models/network';
import { defaultClassifierConfig, type ClassifierConfig } from '../core/models/classifier';
import { ClassifierTrainer, accuracy, predictAll } from '../core/training/classifierTrainer';
import { serializeCheckpoint } from '../core/models/checkpoint';
import { checkWeights } from '../core/training/divergence';
import { TrainingDiverged } from '../core/training/imageGan';
import { DATASETS } from '../core/data/catalog';

const USAGE = `usage: npm run train -- --model classifier --data mnist --out DIR [--iters N (default 4000)] [--batch B (1–512)] [--lr X] [--seed S]\n  ${BACKEND_USAGE}`;
const args = parseCli(USAGE, { ...BACKEND_CLI_OPTIONS, ...stringOptions(TRAIN_CLASSIFIER_FLAGS) });
requireFlags(args, ['out']);
const f = flags(args, TRAIN_CLASSIFIER_FLAGS);
const heldOutName = DATASETS[f.data].heldOut;
if (!heldOutName) usageExit(`--data ${f.data}: it has no labelled held-out split to measure a classifier on (use mnist)`);
const key = f.data;
await useBackendFromArgs(args, USAGE);
const train = await loadDataset(DATASETS[key].train);
const heldOut = await loadDataset(heldOutName);
const config = defaultClassifierConfig({ channels: train.channels, numClasses: train.numClasses ?? 10 });
const net = Network.create(config, 7) as Network<ClassifierConfig>;
const { iters, lr } = f;
const trainer = new ClassifierTrainer(net, train, { batch: f.batch, lr, maxShift: 2, seed: f.seed ?? 0 });
console.log(`classifier: ${net.paramCount().toLocaleString()} params, ${(net.flopsPerExample() / 1e6).toFixed(1)} MFLOP/image`);

const t0 = performance.now();
let recentLoss = 0;
let recentAcc = 0;
for (let i = 0; i < iters; i++) {
  // cosine decay of the learning rate to 5% of its start
  const stepLr = lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * i) / iters)));
  const { loss, accuracy: acc } = await trainer.step(stepLr);
  if (!Number.isFinite(loss)) {
    console.error(`training diverged at iteration ${i + 1}: the loss is ${loss}. Stopped without saving; nothing was written.`);
    process.exit(1);
  }
  recentLoss = 0.95 * recentLoss + 0.05 * loss;
  recentAcc = 0.95 * recentAcc + 0.05 * acc;
  if ((i + 1) % 50 === 0) {
    const elapsed = (performance.now() - t0) / 1000;
    console.log(
      `it ${i + 1}/${iters} | loss ${recentLoss.toFixed(4)} | batch acc ${(recentAcc * 100).toFixed(1)}% | ETA ${formatDuration((elapsed / (i + 1)) * (iters - i - 1))}`,
    );
  }
}
const wallSeconds = (performance.now() - t0) / 1000;
const probs = await predictAll(net, heldOut);
const heldOutAccuracy = accuracy(probs, heldOut.labels!, config.numClasses);
const trainProbs = await predictAll(net, train);
const trainAccuracy = accuracy(trainProbs, train.labels!, config.numClasses);
console.log(`held-out accuracy ${(heldOutAccuracy * 100).toFixed(2)}% (${heldOut.count} digits), train accuracy ${(trainAccuracy * 100).toFixed(2)}%`);

const out = path.resolve(f.out!);
const ck = await serializeCheckpoint(
  {
    name: path.basename(out),
    description: `Clean ${key} classifier: the judge whose penultimate features the evaluation uses`,
    createdAt: new Date().toISOString(),
    codeVersion: codeVersion(),
    data: { name: train.name, count: train.count, heldOut: heldOut.name, heldOutCount: heldOut.count },
    training: { iterations: iters, batch: trainer.config.batch, lr, wallSeconds: Math.round(wallSeconds), backend: tf.getBackend() },
    metrics: { heldOutAccuracy, trainAccuracy },
  },
  { classifier: net },
);
try {
  checkWeights(ck.weightData, iters);
} catch (e) {
  if (!(e instanceof TrainingDiverged)) throw e;
  console.error(`${e.message}. Stopped without saving; nothing was written.`);
  process.exit(1);
}
await saveCheckpointDir(out, ck);
console.log(`saved ${out} in ${formatDuration(wallSeconds)}`);
