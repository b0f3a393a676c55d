/**
 * Supervised training of the classifier (cross-entropy, Adam), with small random
 * translations as augmentation. Seeded like everything else.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import { Network } from '../models/network';
import type { ClassifierConfig } from '../models/classifier';
import { batchTensor, randomIndices, type ImageDataset } from '../data/dataset';
import { Adam } from './adam';
import { gradsByName } from './ema';

export interface ClassifierTrainConfig {
  readonly batch: number;
  readonly lr: number;
  /** Maximum shift in pixels of the random translation (0 = none). */
  readonly maxShift: number;
  readonly seed: number;
}

export class ClassifierTrainer {
  readonly opt: Adam;
  readonly rng: Rng;
  iteration = 0;

  constructor(
    readonly net: Network<ClassifierConfig>,
    readonly data: ImageDataset,
    readonly config: ClassifierTrainConfig,
  ) {
    if (!data.labels) throw new Error(`data set ${data.name} has no labels`);
    this.opt = new Adam(net.params, { lr: config.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    this.rng = new Rng(config.seed);
  }

  /** One step at learning rate `lr`; returns the batch loss and accuracy. */
  async step(lr = this.config.lr): Promise<{ loss: number; accuracy: number }> {
    const { batch, maxShift } = this.config;
    const idx = randomIndices(this.data.count, batch, this.rng);
    const labels = Array.from(idx, (i) => this.data.labels![i]);
    const dy = maxShift ? this.rng.int(2 * maxShift + 1) - maxShift : 0;
    const dx = maxShift ? this.rng.int(2 * maxShift + 1) - maxShift : 0;
    const [loss, acc] = tf.tidy(() => {
      const x = shift(batchTensor(this.data, idx), dy, dx);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), this.net.config.numClasses);
      let logits: tf.Tensor = tf.zeros([1]);
      const { value, grads } = tf.variableGrads(() => {
        logits = tf.keep(this.net.apply(x));
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      }, this.net.params.list());
      const named = gradsByName(this.net, grads);
      this.opt.apply(named, lr);
      const correct = logits.argMax(1).equal(tf.tensor1d(labels, 'int32')).cast('float32').mean();
      logits.dispose(); // kept out of variableGrads' scope, so tidy would not free it
      return [value, correct];
    });
    const [l, a] = await Promise.all([loss.data(), acc.data()]);
    tf.dispose([loss, acc]);
    this.iteration++;
    return { loss: l[0], accuracy: a[0] };
  }
}

/** Translates a batch by (dy, dx) pixels, filling with the background value −1. */
export function shift(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  if (dy === 0 && dx === 0) return x;
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const padded = tf.pad(x, [[0, 0], [Math.max(dy, 0), Math.max(-dy, 0)], [Math.max(dx, 0), Math.max(-dx, 0)], [0, 0]], -1);
    return padded.slice([0, Math.max(-dy, 0), Math.max(-dx, 0), 0], [-1, h, w, -1]) as tf.Tensor4D;
  });
}

/** Logits for a whole data set (or subset), in batches; returns a [N, classes] array. */
export async function predictAll(net: Network<ClassifierConfig>, data: ImageDataset, batch = 250): Promise<Float32Array> {
  const k = net.config.numClasses;
  const out = new Float32Array(data.count * k);
  for (let start = 0; start < data.count; start += batch) {
    const idx = Array.from({ length: Math.min(batch, data.count - start) }, (_, i) => start + i);
    const probs = tf.tidy(() => tf.softmax(net.apply(batchTensor(data, idx))));
    out.set(await probs.data(), start * k);
    probs.dispose();
  }
  return out;
}

export function accuracy(probs: Float32Array, labels: ArrayLike<number>, numClasses: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c] > probs[i * numClasses + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}
