/**
 * `npm run eval`: sample quality of a checkpoint, measured the same way every time and
 * written into its model.json (DESIGN §5, §6).
 *
 * DD-GAN generator trained on MNIST (model.json data.name 'mnist-train'):
 *   - n samples from the sampler (seeded, batched, timed: images/s and ms per image);
 *   - in the penultimate features of the MNIST classifier (the judge):
 *       Fréchet distance to the held-out split (mnist-test), and its floor: the same
 *       distance for a random same-size subset of the *training* split, i.e. what a model
 *       that reproduced the training distribution exactly would score with this many samples;
 *       precision / recall (k = 3) against the held-out split, with equal set sizes;
 *   - the judge's votes: class histogram, KL to uniform, share classified with
 *     confidence ≥ 0.9, classes present.
 * DD-GAN generator trained on emoji (data.name 'emoji'):
 *   - the same judge on the grayscale (luma, Y = 0.299 R + 0.587 G + 0.114 B) version of
 *     the images at their own 32 × 32 size, since the only classifier is the MNIST one; a
 *     digit classifier's features are a weak, but consistent, yardstick for emoji;
 *   - emoji has no held-out split, so FD and precision/recall are measured against the
 *     training set, and the reference row compares one random half of it with the other;
 *   - the near-copy share against the training images in pixel space (see nearCopy.ts).
 * Classifier checkpoint: held-out accuracy.
 *
 * Only model.json is rewritten (via updateModelJson), never the weights; and only when its
 * training iteration still matches the weights that were evaluated.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATASETS } from '../core/data/catalog';
import { batchTensor, type ImageDataset } from '../core/data/dataset';
import {
  classStats,
  DEFAULT_CONFIDENCE,
  DEFAULT_K,
  DEFAULT_NEAR_COPY_PERCENTILE,
  frechetDistance,
  nearCopyShare,
  precisionRecall,
  type ClassStats,
  type NearCopyResult,
} from '../core/metrics';
import type { ClassifierConfig } from '../core/models/classifier';
import { disposeCheckpoint, type LoadedCheckpoint, type ModelJson } from '../core/models/checkpoint';
import { dense } from '../core/models/layers';
import type { Network } from '../core/models/network';
import { Rng } from '../core/rng';
import { accuracy } from '../core/training/classifierTrainer';
import { loadCheckpointDir, updateModelJson } from './checkpointDir';
import { loadDataset, DEFAULT_DATA_DIR } from './data';
import { generateImages, generatorOf } from './sample';

/** <repo>/public/models/mnist-classifier, the shipped judge. */
export const DEFAULT_CLASSIFIER_DIR = fileURLToPath(new URL('../../public/models/mnist-classifier/', import.meta.url));

export interface EvalOptions {
  readonly checkpoint: string;
  readonly n?: number;
  readonly batch?: number;
  readonly seed?: number;
  /** Classifier checkpoint folder (the judge); default public/models/mnist-classifier. */
  readonly classifier?: string;
  /** Write the results into the checkpoint's model.json (default true). */
  readonly write?: boolean;
  readonly dataDir?: string;
  readonly log?: (line: string) => void;
}

export interface SetScores {
  /** Fréchet distance to the reference set, in classifier features. */
  readonly fd: number;
  readonly precision: number;
  readonly recall: number;
  readonly classes: ClassStats;
}

export interface GeneratorReport {
  readonly kind: 'generator';
  readonly checkpoint: string;
  readonly trainingIterations: number | null;
  readonly data: string;
  readonly T: number;
  readonly n: number;
  readonly seed: number;
  readonly batch: number;
  readonly backend: string;
  readonly date: string;
  readonly classifier: { readonly name: string; readonly heldOutAccuracy: number; readonly featureDim: number };
  /** What the generated images are compared with (a held-out split or the training set). */
  readonly referenceSet: string;
  /** How the images reach the classifier, e.g. 'as-is' or 'luma'. */
  readonly featureInput: 'as-is' | 'luma';
  /** Images per set in precision / recall (equal sizes). */
  readonly precisionRecallN: number;
  readonly timing: { readonly seconds: number; readonly imagesPerSecond: number; readonly msPerImage: number };
  readonly generated: SetScores;
  /** The same scores for real images: the floor a perfect model would reach. */
  readonly real: SetScores & { readonly description: string };
  readonly classNames: readonly string[];
  readonly nearCopy?: NearCopyResult;
}

export interface ClassifierReport {
  readonly kind: 'classifier';
  readonly checkpoint: string;
  readonly heldOut: string;
  readonly n: number;
  readonly heldOutAccuracy: number;
  readonly backend: string;
  readonly date: string;
}

export type EvalReport = GeneratorReport | ClassifierReport;

interface Judged {
  /** count × featureDim penultimate features. */
  readonly features: Float32Array;
  /** count × numClasses softmax probabilities. */
  readonly probs: Float32Array;
  readonly count: number;
}

/**
 * Features and class probabilities of `count` images in one pass per batch: the logits are
 * the classifier's own 'logits' dense layer applied to the features, exactly as
 * classifierApply does, so the network runs once instead of twice.
 */
async function judge(
  classifier: Network<ClassifierConfig>,
  count: number,
  batch: number,
  makeBatch: (start: number, size: number) => tf.Tensor4D,
): Promise<Judged> {
  const { featureDim, numClasses } = classifier.config;
  const features = new Float32Array(count * featureDim);
  const probs = new Float32Array(count * numClasses);
  for (let start = 0; start < count; start += batch) {
    const b = Math.min(batch, count - start);
    const [f, p] = tf.tidy(() => {
      const feats = classifier.features(makeBatch(start, b));
      const logits = dense({ params: classifier.params }, 'logits', feats, numClasses);
      return [feats, tf.softmax(logits)];
    });
    try {
      const [fd, pd] = await Promise.all([f.data(), p.data()]);
      features.set(fd as Float32Array, start * featureDim);
      probs.set(pd as Float32Array, start * numClasses);
    } finally {
      tf.dispose([f, p]);
    }
  }
  return { features, probs, count };
}

/** Y = 0.299 R + 0.587 G + 0.114 B (Rec. 601 luma); grayscale input passes through. */
function toLuma(x: tf.Tensor4D): tf.Tensor4D {
  if (x.shape[3] === 1) return x;
  return tf.tidy(() => x.slice([0, 0, 0, 0], [-1, -1, -1, 3]).mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(3, true) as tf.Tensor4D);
}

function datasetBatches(ds: ImageDataset, indices: ArrayLike<number>, luma: boolean) {
  return (start: number, size: number): tf.Tensor4D => {
    const x = batchTensor(ds, Array.prototype.slice.call(indices, start, start + size) as number[]);
    return luma ? toLuma(x) : x;
  };
}

/** The first `count` entries of a seeded permutation of 0..n−1 (a subset without replacement). */
export function seededSubset(n: number, count: number, seed: number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(seed);
  const m = Math.min(count, n);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, m);
}

const rows = (x: Judged, m: number, d: number): Float32Array => x.features.subarray(0, m * d);

function scores(gen: Judged, ref: Judged, d: number, prN: number, numClasses: number): SetScores {
  const { fd } = frechetDistance(gen.features, gen.count, ref.features, ref.count, d);
  const pr = precisionRecall(rows(ref, prN, d), prN, rows(gen, prN, d), prN, d, DEFAULT_K);
  return { fd, precision: pr.precision, recall: pr.recall, classes: classStats(gen.probs, gen.count, numClasses, DEFAULT_CONFIDENCE) };
}

async function loadClassifier(dir: string): Promise<{ ck: LoadedCheckpoint; net: Network<ClassifierConfig> }> {
  if (!existsSync(path.join(dir, 'model.json'))) {
    throw new Error(
      `no classifier checkpoint at ${dir}: train one with \`npm run train -- --model classifier --data mnist --out public/models/mnist-classifier\` or pass --classifier DIR`,
    );
  }
  const ck = await loadCheckpointDir(dir);
  const net = ck.networks.classifier;
  if (!net || net.config.kind !== 'classifier') {
    disposeCheckpoint(ck);
    throw new Error(`${dir} holds no network "classifier" (it has ${Object.keys(ck.networks).join(', ') || 'none'})`);
  }
  return { ck, net: net as Network<ClassifierConfig> };
}

export async function evaluateCheckpoint(opts: EvalOptions): Promise<EvalReport> {
  const log = opts.log ?? (() => {});
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const ck = await loadCheckpointDir(opts.checkpoint);
  try {
    const report = ck.networks.generator
      ? await evaluateGenerator(ck, opts, dataDir, log)
      : ck.networks.classifier
        ? await evaluateClassifier(ck, dataDir, opts.batch ?? 250)
        : null;
    if (!report) throw new Error(`checkpoint "${ck.meta.name}" has neither a generator nor a classifier to evaluate`);
    if (opts.write ?? true) await writeMetrics(opts.checkpoint, ck.meta, report);
    return report;
  } finally {
    disposeCheckpoint(ck);
  }
}

async function evaluateClassifier(ck: LoadedCheckpoint, dataDir: string, batch: number): Promise<ClassifierReport> {
  const net = ck.networks.classifier as Network<ClassifierConfig>;
  const heldOutName = typeof ck.meta.data?.heldOut === 'string' ? (ck.meta.data.heldOut as string) : DATASETS.mnist.heldOut;
  const heldOut = await loadDataset(heldOutName, dataDir);
  if (!heldOut.labels) throw new Error(`data set ${heldOutName} has no labels`);
  const all = Int32Array.from({ length: heldOut.count }, (_, i) => i);
  const j = await judge(net, heldOut.count, batch, datasetBatches(heldOut, all, false));
  return {
    kind: 'classifier',
    checkpoint: ck.meta.name,
    heldOut: heldOutName,
    n: heldOut.count,
    heldOutAccuracy: accuracy(j.probs, heldOut.labels, net.config.numClasses),
    backend: tf.getBackend(),
    date: new Date().toISOString(),
  };
}

async function evaluateGenerator(
  ck: LoadedCheckpoint,
  opts: EvalOptions,
  dataDir: string,
  log: (line: string) => void,
): Promise<GeneratorReport> {
  const n = opts.n ?? 5000;
  const batch = opts.batch ?? 250;
  const seed = opts.seed ?? 0;
  const G = generatorOf(ck);
  const dataName = String(ck.meta.data?.name ?? '');
  const isMnist = dataName === DATASETS.mnist.train;
  const isEmoji = dataName === DATASETS.emoji.train;
  if (!isMnist && !isEmoji) {
    throw new Error(`checkpoint "${ck.meta.name}" was trained on "${dataName || '?'}"; eval knows ${DATASETS.mnist.train} and ${DATASETS.emoji.train}`);
  }
  const classifierDir = path.resolve(opts.classifier ?? DEFAULT_CLASSIFIER_DIR);
  const { ck: clsCk, net: classifier } = await loadClassifier(classifierDir);
  try {
    const cfg = classifier.config;
    if (cfg.imageSize !== G.config.imageSize || cfg.channels !== 1) {
      throw new Error(
        `the classifier at ${classifierDir} takes ${cfg.imageSize}×${cfg.imageSize}×${cfg.channels} images; ` +
          `the generator draws ${G.config.imageSize}×${G.config.imageSize}×${G.config.channels} (eval needs a 1-channel judge of the same size)`,
      );
    }
    const d = cfg.featureDim;
    const C = cfg.numClasses;
    const luma = G.config.channels !== 1;

    // The judge's own accuracy on the MNIST held-out split: how far to trust its votes.
    const mnistTest = await loadDataset(DATASETS.mnist.heldOut, dataDir);
    const testIdx = Int32Array.from({ length: mnistTest.count }, (_, i) => i);
    const testJudged = await judge(classifier, mnistTest.count, batch, datasetBatches(mnistTest, testIdx, false));
    const classifierAccuracy = accuracy(testJudged.probs, mnistTest.labels!, C);
    log(`judge ${clsCk.meta.name}: ${(classifierAccuracy * 100).toFixed(2)}% on ${mnistTest.name}, ${d}-d features`);

    log(`sampling ${n} images (T = ${G.config.T}, seed ${seed}, batch ${batch}) …`);
    const gen = await generateImages(G, {
      n,
      batch,
      seed,
      warmup: true,
      onBatch: (done, total) => log(`  ${done}/${total}`),
    });
    const per = gen.size * gen.size * gen.channels;
    const genJudged = await judge(classifier, n, batch, (start, size) => {
      const x = tf.tensor4d(gen.images.subarray(start * per, (start + size) * per), [size, gen.size, gen.size, gen.channels]);
      return luma ? toLuma(x) : x;
    });

    const train = await loadDataset(dataName, dataDir);
    let reference: Judged;
    let realScores: SetScores & { description: string };
    let referenceSet: string;
    let prN: number;
    let nearCopy: NearCopyResult | undefined;
    if (isMnist) {
      referenceSet = mnistTest.name;
      reference = testJudged;
      prN = Math.min(n, reference.count);
      const subsetIdx = seededSubset(train.count, n, seed);
      log(`judging ${subsetIdx.length} training images for the floor …`);
      const trainJudged = await judge(classifier, subsetIdx.length, batch, datasetBatches(train, subsetIdx, false));
      realScores = {
        ...scores(trainJudged, reference, d, Math.min(prN, trainJudged.count), C),
        description: `${trainJudged.count} random ${train.name} images vs ${reference.count} ${referenceSet}`,
      };
    } else {
      referenceSet = `${train.name} (training set; it has no held-out split)`;
      const allIdx = Int32Array.from({ length: train.count }, (_, i) => i);
      reference = await judge(classifier, train.count, batch, datasetBatches(train, allIdx, true));
      prN = Math.min(n, reference.count);
      // Reference: a random half against the other half (no held-out images exist).
      const perm = seededSubset(train.count, train.count, seed);
      const half = Math.floor(train.count / 2);
      const pick = (idx: Int32Array): Judged => {
        const features = new Float32Array(idx.length * d);
        const probs = new Float32Array(idx.length * C);
        idx.forEach((j, i) => {
          features.set(reference.features.subarray(j * d, (j + 1) * d), i * d);
          probs.set(reference.probs.subarray(j * C, (j + 1) * C), i * C);
        });
        return { features, probs, count: idx.length };
      };
      const a = pick(perm.subarray(0, half));
      const b = pick(perm.subarray(half, 2 * half));
      realScores = { ...scores(a, b, d, half, C), description: `one random half of ${train.name} (${half}) vs the other half` };
      log(`near copies: ${n} samples vs ${train.count} training images in pixel space …`);
      const trainPixels = Float32Array.from(train.pixels, (v) => v / 127.5 - 1);
      nearCopy = await nearCopyShare(gen.images, n, trainPixels, train.count, per, { percentile: DEFAULT_NEAR_COPY_PERCENTILE });
    }
    const generated = scores(genJudged, reference, d, prN, C);
    return {
      kind: 'generator',
      checkpoint: ck.meta.name,
      trainingIterations: typeof ck.meta.training?.iterations === 'number' ? (ck.meta.training.iterations as number) : null,
      data: dataName,
      T: G.config.T,
      n,
      seed,
      batch,
      backend: tf.getBackend(),
      date: new Date().toISOString(),
      classifier: { name: clsCk.meta.name, heldOutAccuracy: classifierAccuracy, featureDim: d },
      referenceSet,
      featureInput: luma ? 'luma' : 'as-is',
      precisionRecallN: prN,
      timing: { seconds: gen.seconds, imagesPerSecond: n / gen.seconds, msPerImage: (1000 * gen.seconds) / n },
      generated,
      real: realScores,
      classNames: train.classNames && isMnist ? train.classNames : Array.from({ length: C }, (_, i) => String(i)),
      nearCopy,
    };
  } finally {
    disposeCheckpoint(clsCk);
  }
}

/** The metrics section written into model.json (plain JSON numbers and strings). */
export function metricsJson(report: EvalReport): Record<string, unknown> {
  if (report.kind === 'classifier') {
    return {
      heldOutAccuracy: report.heldOutAccuracy,
      evaluation: { heldOut: report.heldOut, n: report.n, backend: report.backend, date: report.date },
    };
  }
  const g = report.generated;
  return {
    frechetDistance: g.fd,
    frechetDistanceFloor: report.real.fd,
    precision: g.precision,
    recall: g.recall,
    classHistogram: g.classes.histogram,
    classKlToUniform: g.classes.klToUniform,
    confidentShare: g.classes.confidentShare,
    classesPresent: g.classes.classesPresent,
    ...(report.nearCopy
      ? { nearCopyShare: report.nearCopy.share, nearCopyThreshold: report.nearCopy.threshold, nearCopyTrainDuplicates: report.nearCopy.trainDuplicates }
      : {}),
    imagesPerSecond: report.timing.imagesPerSecond,
    msPerImage: report.timing.msPerImage,
    evaluation: {
      n: report.n,
      seed: report.seed,
      batch: report.batch,
      trainingIterations: report.trainingIterations,
      referenceSet: report.referenceSet,
      floor: report.real.description,
      featureSpace: `penultimate features (${report.classifier.featureDim}-d) of classifier "${report.classifier.name}"` +
        (report.featureInput === 'luma' ? ' on the luma (grayscale) images' : ''),
      classifier: report.classifier.name,
      classifierHeldOutAccuracy: report.classifier.heldOutAccuracy,
      precisionRecall: { k: DEFAULT_K, n: report.precisionRecallN },
      confidence: DEFAULT_CONFIDENCE,
      ...(report.nearCopy ? { nearCopyPercentile: report.nearCopy.percentile } : {}),
      backend: report.backend,
      date: report.date,
    },
  };
}

async function writeMetrics(dir: string, evaluated: ModelJson, report: EvalReport): Promise<void> {
  const iteration = (m: ModelJson): unknown => m.training?.iterations;
  await updateModelJson(dir, (m) => {
    // A training run may have replaced the weights since they were loaded: then these numbers
    // describe weights that no longer exist, and must not be stored next to the new ones.
    if (iteration(m) !== iteration(evaluated) || m.createdAt !== evaluated.createdAt) {
      throw new Error(
        `${dir} changed while it was evaluated (now iteration ${String(iteration(m))}, evaluated ${String(iteration(evaluated))}); metrics not written`,
      );
    }
    return { ...m, metrics: { ...(m.metrics ?? {}), ...metricsJson(report) } };
  });
}

const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
const fix = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

/** A markdown report: one table of metrics (generated vs real images), plus notes. */
export function formatReport(report: EvalReport): string {
  if (report.kind === 'classifier') {
    return [
      `### ${report.checkpoint} (classifier)`,
      '',
      '| metric | value |',
      '|---|---:|',
      `| held-out accuracy (${report.heldOut}, ${report.n} images) | ${pct(report.heldOutAccuracy)} |`,
      '',
      `backend ${report.backend}, ${report.date}`,
    ].join('\n');
  }
  const g = report.generated;
  const r = report.real;
  const hist = (c: ClassStats) => c.histogram.map((h, i) => `${report.classNames[i] ?? i}:${Math.round(100 * h)}`).join(' ');
  const lines = [
    `### ${report.checkpoint} (DD-GAN, T = ${report.T}${report.trainingIterations !== null ? `, ${report.trainingIterations} iterations` : ''})`,
    '',
    `| metric | generated (n = ${report.n}) | real images (floor) |`,
    '|---|---:|---:|',
    `| Fréchet distance to ${report.referenceSet} (classifier features) | ${fix(g.fd)} | ${fix(r.fd)} |`,
    `| precision (k = ${DEFAULT_K}, ${report.precisionRecallN} vs ${report.precisionRecallN}) | ${pct(g.precision)} | ${pct(r.precision)} |`,
    `| recall (k = ${DEFAULT_K}) | ${pct(g.recall)} | ${pct(r.recall)} |`,
    `| class KL to uniform (nats) | ${fix(g.classes.klToUniform, 3)} | ${fix(r.classes.klToUniform, 3)} |`,
    `| classified with confidence ≥ ${DEFAULT_CONFIDENCE} | ${pct(g.classes.confidentShare)} | ${pct(r.classes.confidentShare)} |`,
    `| classes present | ${g.classes.classesPresent} / ${g.classes.histogram.length} | ${r.classes.classesPresent} / ${r.classes.histogram.length} |`,
    `| class histogram (%) | ${hist(g.classes)} | ${hist(r.classes)} |`,
  ];
  if (report.nearCopy) {
    const nc = report.nearCopy;
    lines.push(
      `| near copies of training images (pixel L2 < ${fix(nc.threshold)}: the ${nc.percentile * 100} % quantile of train→train nearest-neighbour distances, ${nc.trainDuplicates} duplicated training images set aside) | ${pct(nc.share)} | ${pct(nc.percentile)} by construction |`,
    );
  }
  lines.push(
    `| sampling speed (${report.backend}, batch ${report.batch}) | ${fix(report.timing.imagesPerSecond, 1)} images/s, ${fix(report.timing.msPerImage, 1)} ms/image | |`,
    '',
    `Judge: classifier "${report.classifier.name}", ${pct(report.classifier.heldOutAccuracy)} on ${DATASETS.mnist.heldOut}; ` +
      `features ${report.classifier.featureDim}-d` +
      (report.featureInput === 'luma' ? ', images converted to grayscale (luma, 0.299 R + 0.587 G + 0.114 B) at 32 × 32 for the MNIST judge' : '') +
      '.',
    `Floor: ${r.description}. Seed ${report.seed}, ${report.date}.`,
  );
  return lines.join('\n');
}
