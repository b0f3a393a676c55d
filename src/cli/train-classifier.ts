/**
 * npm run train -- --model classifier --data mnist --out public/models/mnist-classifier [--iters N (default 4000)]
 *
 * Trains the clean MNIST classifier (the judge of the evaluation) on the training split and
 * reports its accuracy on the held-out split, which goes into model.json.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { useNodeBackend } from '../node/backend';
import { loadDataset } from '../node/data';
import { saveCheckpointDir } from '../node/checkpointDir';
import { codeVersion } from '../node/version';
import { formatDuration, num, parseCli } from '../node/args';
import { Network } from '../core/models/network';
import { defaultClassifierConfig, type ClassifierConfig } from '../core/models/classifier';
import { ClassifierTrainer, accuracy, predictAll } from '../core/training/classifierTrainer';
import { serializeCheckpoint } from '../core/models/checkpoint';
import { DATASETS, isDatasetKey } from '../core/data/catalog';

const USAGE = 'usage: npm run train -- --model classifier --data mnist --out DIR [--iters N (default 4000)] [--batch B] [--lr X] [--seed S]';
const args = parseCli(USAGE, {
  model: { type: 'string' },
  data: { type: 'string', default: 'mnist' },
  out: { type: 'string' },
  iters: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
});
if (!args.out || !isDatasetKey(args.data!) || !DATASETS[args.data as 'mnist'].heldOut) {
  console.error(`${!args.out ? '--out is required' : `--data ${args.data} has no labelled held-out split`}\n\n${USAGE}`);
  process.exit(2);
}
const key = args.data as 'mnist';
await useNodeBackend('wasm');
const train = await loadDataset(DATASETS[key].train);
const heldOut = await loadDataset(DATASETS[key].heldOut);
const config = defaultClassifierConfig({ channels: train.channels, numClasses: train.numClasses ?? 10 });
const net = Network.create(config, 7) as Network<ClassifierConfig>;
const iters = num(args.iters, 'iters', 4000);
const lr = num(args.lr, 'lr', 2e-3);
const trainer = new ClassifierTrainer(net, train, { batch: num(args.batch, 'batch', 64), lr, maxShift: 2, seed: num(args.seed, 'seed', 0) });
console.log(`classifier: ${net.paramCount().toLocaleString()} params, ${(net.flopsPerExample() / 1e6).toFixed(1)} MFLOP/image`);

const t0 = performance.now();
let recentLoss = 0;
let recentAcc = 0;
for (let i = 0; i < iters; i++) {
  // cosine decay of the learning rate to 5% of its start
  const stepLr = lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * i) / iters)));
  const { loss, accuracy: acc } = await trainer.step(stepLr);
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

const out = path.resolve(args.out);
await saveCheckpointDir(
  out,
  await serializeCheckpoint(
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
  ),
);
console.log(`saved ${out} in ${formatDuration(wallSeconds)}`);
