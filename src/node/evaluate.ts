/**
 * `npm run eval`: sample quality of a checkpoint, measured the same way every time and
 * written into its model.json (DESIGN §5, §6).
 *
 * Generator trained on MNIST (model.json data.name 'mnist-train'): a DD-GAN generator, or a
 * DDPM ε-network with any sampler of its family (ancestral, DDIM, DPM-Solver++; src/node/sample.ts):
 *   - n samples from the sampler (seeded, batched, timed: NFE, images/s and ms per image);
 *   - in the penultimate features of the MNIST classifier (the judge):
 *       Fréchet distance to the held-out split (mnist-test), and its floor: the same
 *       distance for a random same-size subset of the *training* split, i.e. what a model
 *       that reproduced the training distribution exactly would score with this many samples;
 *       precision / recall (k = 3) against the held-out split, with equal set sizes;
 *   - the judge's votes: class histogram, KL to uniform, share classified with
 *     confidence ≥ 0.9, classes present.
 * Guided run (classifier guidance toward --class Y, or 'all': sample i toward class i mod 10):
 *   - judge accuracy: the share of samples the *judge* (never the guide) assigns to their
 *     target class;
 *   - one class: FD and precision/recall against the held-out digits of that class (floor:
 *     training digits of that class); 'all': against the whole held-out split, since the
 *     targets are balanced over the classes.
 * DD-GAN generator trained on emoji (data.name 'emoji'):
 *   - the same judge on the grayscale (luma, Y = 0.299 R + 0.587 G + 0.114 B) version of
 *     the images at their own 32 × 32 size, since the only classifier is the MNIST one; a
 *     digit classifier's features are a weak, but consistent, yardstick for emoji;
 *   - emoji has no held-out split, so FD and precision/recall are measured against the
 *     training set, and the reference row compares one random half of it with the other;
 *   - the near-copy share against the training images in pixel space (see nearCopy.ts).
 * Classifier checkpoint: held-out accuracy; a noise-aware one also per noise level.
 *
 * Only model.json is rewritten (via updateModelJson), never the weights; and only when its
 * training iteration still matches the weights that were evaluated. An unguided DD-GAN's
 * numbers go to the top of `metrics`; a DDPM's under `metrics.samplers[<sampler>]` and a
 * guided run's under `metrics.guided[<sampler>, class Y, s = S]`, so runs do not overwrite
 * each other.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATASETS, heldOutDataName } from '../core/data/catalog';
import { batchTensor, type ImageDataset } from '../core/data/dataset';
import type { LoadedDataset } from '../core/data/format';
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
import { STANDARD_PERTURBATIONS } from '../core/metrics/perturb';
import type { Network } from '../core/models/network';
import type { NoisyClassifierConfig } from '../core/models/noisyClassifier';
import { ddpmSchedule } from '../core/diffusion/ddpm';
import type { SamplerSpec } from '../core/diffusion/samplers/specs';
import { standardNoiseLevels } from '../core/diffusion/noiseLevel';
import { Rng } from '../core/rng';
import { accuracy } from '../core/training/classifierTrainer';
import { accuracyAtNoiseLevels, type NoiseLevelAccuracy } from '../core/training/noisyClassifierTrainer';
import { loadCheckpointDirSettled, updateModelJson } from './checkpointDir';
import { loadDataset, DEFAULT_DATA_DIR } from './data';
import { loadGuide, type GuideSpec, type LoadedGuide } from './guide';
import { classLabels, generateImages, samplerLabel, sourceOf, type ImageSource } from './sample';

/** <repo>/public/models/mnist-classifier, the shipped judge. */
export const DEFAULT_CLASSIFIER_DIR = fileURLToPath(new URL('../../public/models/mnist-classifier/', import.meta.url));

export interface EvalOptions {
  readonly checkpoint: string;
  readonly n?: number;
  readonly batch?: number;
  readonly seed?: number;
  /** Classifier checkpoint folder (the judge); default public/models/mnist-classifier. */
  readonly classifier?: string;
  /** DDPM checkpoints: the sampler (default: DDIM, 50 steps, η = 0). */
  readonly sampler?: SamplerSpec;
  /** Classifier guidance: the guide steers, the judge scores. */
  readonly guide?: GuideSpec;
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

export interface GuidanceReport {
  /** The guide's checkpoint name (a noise-aware classifier). */
  readonly classifier: string;
  /** The target: one class, or 'all' (sample i toward class i mod numClasses). */
  readonly classes: number | 'all';
  readonly scale: number;
  /** Share of samples the judge assigns to their target class. */
  readonly judgeAccuracy: number;
  /** Classifier gradients per image. */
  readonly classifierCalls: number;
}

export interface GeneratorReport {
  readonly kind: 'generator';
  readonly checkpoint: string;
  readonly trainingIterations: number | null;
  readonly data: string;
  /** 'ddgan' (generator) or 'ddpm' (ε-network). */
  readonly model: 'ddgan' | 'ddpm';
  /** e.g. 'DD-GAN T = 4', 'DDIM-50 (η = 0)', 'DDPM-1000 ancestral'. */
  readonly sampler: string;
  /** Sampler steps (DD-GAN T, DDPM/DDIM step count). */
  readonly T: number;
  /** Network evaluations per image (generator or ε-network calls). */
  readonly nfe: number;
  readonly n: number;
  readonly seed: number;
  readonly batch: number;
  readonly backend: string;
  readonly date: string;
  readonly classifier: { readonly name: string; readonly heldOutAccuracy: number; readonly featureDim: number };
  readonly guidance: GuidanceReport | null;
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
  /**
   * Class statistics of the held-out reference images (MNIST only). The floor's training
   * images were seen by the judge in its own training, so its confidence on them runs high;
   * these are the judge's votes on digits it has never seen.
   */
  readonly heldOutClasses?: ClassStats;
  readonly classNames: readonly string[];
  readonly nearCopy?: NearCopyResult;
}

export interface ClassifierReport {
  readonly kind: 'classifier';
  readonly checkpoint: string;
  readonly heldOut: string;
  readonly n: number;
  /** Clean held-out accuracy. */
  readonly heldOutAccuracy: number;
  /** Share of held-out images the classifier puts in one class with probability ≥ 0.9 (clean classifier only). */
  readonly heldOutConfidentShare?: number;
  /** Accuracy and confident share on mildly perturbed held-out images (clean classifier only). */
  readonly byPerturbation?: readonly PerturbedScores[];
  /** A noise-aware classifier's accuracy per noise level (clean included). */
  readonly byNoiseLevel?: readonly NoiseLevelAccuracy[];
  readonly backend: string;
  readonly date: string;
}

export interface PerturbedScores {
  readonly label: string;
  readonly accuracy: number;
  readonly confidentShare: number;
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

/** The rows `idx` of a judged set. */
function pick(x: Judged, idx: ArrayLike<number>, d: number, C: number): Judged {
  const features = new Float32Array(idx.length * d);
  const probs = new Float32Array(idx.length * C);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i];
    features.set(x.features.subarray(j * d, (j + 1) * d), i * d);
    probs.set(x.probs.subarray(j * C, (j + 1) * C), i * C);
  }
  return { features, probs, count: idx.length };
}

function scores(gen: Judged, ref: Judged, d: number, prN: number, numClasses: number): SetScores {
  const { fd } = frechetDistance(gen.features, gen.count, ref.features, ref.count, d);
  const pr = precisionRecall(rows(ref, prN, d), prN, rows(gen, prN, d), prN, d, DEFAULT_K);
  return { fd, precision: pr.precision, recall: pr.recall, classes: classStats(gen.probs, gen.count, numClasses, DEFAULT_CONFIDENCE) };
}

/** Share of samples whose most probable class (by the judge) is their target. */
function targetAccuracy(probs: Float32Array, n: number, C: number, labels: number | readonly number[]): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c] > probs[i * C + best]) best = c;
    if (best === (typeof labels === 'number' ? labels : labels[i])) hits++;
  }
  return hits / n;
}

async function loadClassifier(dir: string): Promise<{ ck: LoadedCheckpoint; net: Network<ClassifierConfig> }> {
  if (!existsSync(path.join(dir, 'model.json'))) {
    throw new Error(
      `no classifier checkpoint at ${dir}: train one with \`npm run train -- --model classifier --data mnist --out public/models/mnist-classifier\` or pass --classifier DIR`,
    );
  }
  const ck = await loadCheckpointDirSettled(dir);
  const net = ck.networks.classifier;
  if (!net || net.config.kind !== 'classifier') {
    disposeCheckpoint(ck);
    const kinds = Object.entries(ck.networks).map(([k, v]) => `${k}: ${v.config.kind}`).join(', ');
    throw new Error(`${dir} holds no clean network "classifier" to judge with (it has ${kinds || 'none'})`);
  }
  return { ck, net: net as Network<ClassifierConfig> };
}

/**
 * The judge, loaded once with its scores on the MNIST held-out split, for any number of
 * evaluations (the table evaluates many samplers against the same judge).
 */
export interface JudgeContext {
  readonly name: string;
  readonly net: Network<ClassifierConfig>;
  /** The judge's own accuracy on the MNIST held-out split: how far to trust its votes. */
  readonly heldOutAccuracy: number;
  readonly mnistTest: LoadedDataset;
  readonly testJudged: Judged;
  readonly dataDir: string;
  readonly batch: number;
  /** Judged floor sets, keyed by data set, size, seed and class. */
  readonly floors: Map<string, Judged>;
  readonly datasets: Map<string, LoadedDataset>;
  dispose(): void;
}

export async function openJudge(
  dir: string | undefined,
  opts: { readonly dataDir?: string; readonly batch?: number; readonly log?: (line: string) => void } = {},
): Promise<JudgeContext> {
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const batch = opts.batch ?? 250;
  const classifierDir = path.resolve(dir ?? DEFAULT_CLASSIFIER_DIR);
  const { ck, net } = await loadClassifier(classifierDir);
  try {
    if (net.config.channels !== 1) throw new Error(`the judge at ${classifierDir} takes ${net.config.channels} channels; eval needs a 1-channel judge`);
    const mnistTest = await loadDataset(DATASETS.mnist.heldOut, dataDir);
    const testIdx = Int32Array.from({ length: mnistTest.count }, (_, i) => i);
    const testJudged = await judge(net, mnistTest.count, batch, datasetBatches(mnistTest, testIdx, false));
    const heldOutAccuracy = accuracy(testJudged.probs, mnistTest.labels!, net.config.numClasses);
    opts.log?.(`judge ${ck.meta.name}: ${(heldOutAccuracy * 100).toFixed(2)}% on ${mnistTest.name}, ${net.config.featureDim}-d features`);
    return {
      name: ck.meta.name,
      net,
      heldOutAccuracy,
      mnistTest,
      testJudged,
      dataDir,
      batch,
      floors: new Map(),
      datasets: new Map([[mnistTest.name, mnistTest]]),
      dispose: () => disposeCheckpoint(ck),
    };
  } catch (e) {
    disposeCheckpoint(ck);
    throw e;
  }
}

async function datasetOf(j: JudgeContext, name: string): Promise<LoadedDataset> {
  let ds = j.datasets.get(name);
  if (!ds) {
    ds = await loadDataset(name, j.dataDir);
    j.datasets.set(name, ds);
  }
  return ds;
}

/** Indices of the images of class `cls` (all images when cls is null). */
function indicesOf(ds: ImageDataset, cls: number | null): Int32Array {
  const all = Int32Array.from({ length: ds.count }, (_, i) => i);
  return cls === null ? all : all.filter((i) => ds.labels![i] === cls);
}

export interface SourceEvalOptions {
  readonly n: number;
  readonly batch: number;
  readonly seed: number;
  readonly guide?: { readonly loaded: LoadedGuide; readonly classes: number | 'all'; readonly scale: number };
  readonly log?: (line: string) => void;
}

/** Samples from `source` (a checkpoint with metadata `meta`) and scores them with the judge. */
export async function evaluateSource(source: ImageSource, meta: ModelJson, j: JudgeContext, opts: SourceEvalOptions): Promise<GeneratorReport> {
  const log = opts.log ?? (() => {});
  const { n, batch, seed, guide } = opts;
  const [imageSize, , channels] = source.model.exampleShape;
  const cfg = { imageSize, channels };
  const dataName = String(meta.data?.name ?? '');
  const isMnist = dataName === DATASETS.mnist.train;
  const known = Object.values(DATASETS).map((d) => d.train);
  if (!(known as string[]).includes(dataName)) {
    throw new Error(`checkpoint "${meta.name}" was trained on "${dataName || '?'}"; eval knows ${known.join(', ')}`);
  }
  if (guide && !isMnist) throw new Error(`guided evaluation needs an MNIST model and an MNIST guide; "${meta.name}" was trained on ${dataName}`);
  const jc = j.net.config;
  if (jc.imageSize !== cfg.imageSize) {
    throw new Error(
      `the classifier "${j.name}" takes ${jc.imageSize}×${jc.imageSize}×${jc.channels} images; ` +
        `the model draws ${cfg.imageSize}×${cfg.imageSize}×${cfg.channels} (eval needs a 1-channel judge of the same size)`,
    );
  }
  const d = jc.featureDim;
  const C = jc.numClasses;
  const luma = cfg.channels !== 1;
  const sampler = samplerLabel(source);
  const labels = guide ? classLabels(guide.classes, n, guide.loaded.net.config.numClasses) : undefined;

  log(`sampling ${n} images (${sampler}, seed ${seed}, batch ${batch}${guide ? `, guided toward class ${guide.classes}, s = ${guide.scale}` : ''}) …`);
  const gen = await generateImages(source, {
    n,
    batch,
    seed,
    warmup: true,
    guide: guide && labels !== undefined ? { classifier: guide.loaded.net, labels, scale: guide.scale } : undefined,
    onBatch: (done, total) => log(`  ${done}/${total}`),
  });
  const per = gen.size * gen.size * gen.channels;
  const genJudged = await judge(j.net, n, batch, (start, size) => {
    const x = tf.tensor4d(gen.images.subarray(start * per, (start + size) * per), [size, gen.size, gen.size, gen.channels]);
    return luma ? toLuma(x) : x;
  });

  const train = await datasetOf(j, dataName);
  let reference: Judged;
  let realScores: SetScores & { description: string };
  let referenceSet: string;
  let prN: number;
  let nearCopy: NearCopyResult | undefined;
  let heldOutClasses: ClassStats | undefined;
  if (isMnist) {
    // A run toward one class is compared with that class only; otherwise with everything.
    const cls = guide && typeof guide.classes === 'number' ? guide.classes : null;
    const test = j.mnistTest;
    referenceSet = cls === null ? test.name : `${test.name}, class ${cls}`;
    reference = cls === null ? j.testJudged : pick(j.testJudged, indicesOf(test, cls), d, C);
    if (reference.count < 4) throw new Error(`${referenceSet} has only ${reference.count} images; precision/recall need at least 4`);
    prN = Math.min(n, reference.count);
    heldOutClasses = classStats(reference.probs, reference.count, C, DEFAULT_CONFIDENCE);
    const pool = indicesOf(train, cls);
    const key = `${train.name}|${n}|${seed}|${cls ?? 'all'}`;
    let trainJudged = j.floors.get(key);
    if (!trainJudged) {
      const subsetIdx = Int32Array.from(seededSubset(pool.length, n, seed), (i) => pool[i]);
      log(`judging ${subsetIdx.length} training images for the floor …`);
      trainJudged = await judge(j.net, subsetIdx.length, batch, datasetBatches(train, subsetIdx, false));
      j.floors.set(key, trainJudged);
    }
    realScores = {
      ...scores(trainJudged, reference, d, Math.min(prN, trainJudged.count), C),
      description: `${trainJudged.count} random ${train.name}${cls === null ? '' : ` class-${cls}`} images vs ${reference.count} ${referenceSet}`,
    };
  } else {
    const heldOutName = heldOutDataName(dataName);
    if (heldOutName !== null) {
      // A colour set with a held-out split (icons): samples are compared with the held-out
      // images, and the floor is as many random training images against the same.
      const test = await datasetOf(j, heldOutName);
      referenceSet = test.name;
      reference = await judge(j.net, test.count, batch, datasetBatches(test, indicesOf(test, null), true));
      prN = Math.min(n, reference.count);
      const subsetIdx = seededSubset(train.count, test.count, seed);
      const trainJudged = await judge(j.net, subsetIdx.length, batch, datasetBatches(train, subsetIdx, true));
      realScores = {
        ...scores(trainJudged, reference, d, Math.min(prN, trainJudged.count), C),
        description: `${trainJudged.count} random ${train.name} images vs ${reference.count} ${test.name}`,
      };
    } else {
      referenceSet = `${train.name} (training set; it has no held-out split)`;
      const allIdx = Int32Array.from({ length: train.count }, (_, i) => i);
      reference = await judge(j.net, train.count, batch, datasetBatches(train, allIdx, true));
      prN = Math.min(n, reference.count);
      // Reference: a random half against the other half (no held-out images exist).
      const perm = seededSubset(train.count, train.count, seed);
      const half = Math.floor(train.count / 2);
      const a = pick(reference, perm.subarray(0, half), d, C);
      const b = pick(reference, perm.subarray(half, 2 * half), d, C);
      realScores = { ...scores(a, b, d, half, C), description: `one random half of ${train.name} (${half}) vs the other half` };
    }
    log(`near copies: ${n} samples vs ${train.count} training images in pixel space …`);
    const trainPixels = Float32Array.from(train.pixels, (v) => v / 127.5 - 1);
    nearCopy = await nearCopyShare(gen.images, n, trainPixels, train.count, per, { percentile: DEFAULT_NEAR_COPY_PERCENTILE });
  }
  const generated = scores(genJudged, reference, d, prN, C);
  return {
    kind: 'generator',
    checkpoint: meta.name,
    trainingIterations: typeof meta.training?.iterations === 'number' ? (meta.training.iterations as number) : null,
    data: dataName,
    model: source.model.family,
    sampler: gen.sampler,
    T: gen.T,
    nfe: gen.nfe,
    n,
    seed,
    batch,
    backend: tf.getBackend(),
    date: new Date().toISOString(),
    classifier: { name: j.name, heldOutAccuracy: j.heldOutAccuracy, featureDim: d },
    guidance:
      guide && labels !== undefined
        ? {
            classifier: guide.loaded.name,
            classes: guide.classes,
            scale: guide.scale,
            judgeAccuracy: targetAccuracy(genJudged.probs, n, C, labels),
            classifierCalls: gen.classifierCalls,
          }
        : null,
    referenceSet,
    featureInput: luma ? 'luma' : 'as-is',
    precisionRecallN: prN,
    timing: { seconds: gen.seconds, imagesPerSecond: n / gen.seconds, msPerImage: (1000 * gen.seconds) / n },
    generated,
    real: realScores,
    classNames: train.classNames && isMnist ? train.classNames : Array.from({ length: C }, (_, i) => String(i)),
    nearCopy,
    heldOutClasses,
  };
}

export async function evaluateCheckpoint(opts: EvalOptions): Promise<EvalReport> {
  const log = opts.log ?? (() => {});
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const batch = opts.batch ?? 250;
  const ck = await loadCheckpointDirSettled(opts.checkpoint);
  try {
    const kinds = Object.values(ck.networks).map((net) => net.config.kind);
    let report: EvalReport;
    if (kinds.includes('ddgan-generator') || kinds.includes('ddpm-eps')) {
      report = await evaluateModel(ck, opts, dataDir, batch, log);
    } else if (ck.networks.classifier?.config.kind === 'classifier') {
      report = await evaluateClassifier(ck, dataDir, batch);
    } else if (ck.networks.classifier?.config.kind === 'noisy-classifier') {
      report = await evaluateNoisyClassifier(ck, dataDir, batch);
    } else {
      throw new Error(`checkpoint "${ck.meta.name}" has neither a generator, a DDPM ε-network nor a classifier to evaluate`);
    }
    if (opts.write ?? true) await writeMetrics(opts.checkpoint, ck.meta, report);
    return report;
  } finally {
    disposeCheckpoint(ck);
  }
}

async function evaluateModel(
  ck: LoadedCheckpoint,
  opts: EvalOptions,
  dataDir: string,
  batch: number,
  log: (line: string) => void,
): Promise<GeneratorReport> {
  const source = sourceOf(ck, opts.sampler);
  const j = await openJudge(opts.classifier, { dataDir, batch, log });
  let guide: LoadedGuide | undefined;
  try {
    if (opts.guide) guide = await loadGuide(opts.guide.dir);
    return await evaluateSource(source, ck.meta, j, {
      n: opts.n ?? 5000,
      batch,
      seed: opts.seed ?? 0,
      guide: guide && opts.guide ? { loaded: guide, classes: opts.guide.classes, scale: opts.guide.scale } : undefined,
      log,
    });
  } finally {
    if (guide) disposeCheckpoint(guide.ck);
    j.dispose();
  }
}

async function heldOutOf(ck: LoadedCheckpoint, dataDir: string): Promise<ImageDataset> {
  const heldOutName = typeof ck.meta.data?.heldOut === 'string' ? (ck.meta.data.heldOut as string) : DATASETS.mnist.heldOut;
  const heldOut = await loadDataset(heldOutName, dataDir);
  if (!heldOut.labels) throw new Error(`data set ${heldOutName} has no labels`);
  return heldOut;
}

async function evaluateClassifier(ck: LoadedCheckpoint, dataDir: string, batch: number): Promise<ClassifierReport> {
  const net = ck.networks.classifier as Network<ClassifierConfig>;
  const heldOut = await heldOutOf(ck, dataDir);
  const all = Int32Array.from({ length: heldOut.count }, (_, i) => i);
  const C = net.config.numClasses;
  const clean = datasetBatches(heldOut, all, false);
  const j = await judge(net, heldOut.count, batch, clean);
  // How much the judge's confidence depends on stroke width, blur, noise and position:
  // the same held-out digits, mildly changed (seeded noise, one seed per batch).
  const byPerturbation: PerturbedScores[] = [];
  for (const p of STANDARD_PERTURBATIONS) {
    const pj = await judge(net, heldOut.count, batch, (start, size) => p.apply(clean(start, size), 1 + start));
    byPerturbation.push({
      label: p.label,
      accuracy: accuracy(pj.probs, heldOut.labels!, C),
      confidentShare: classStats(pj.probs, pj.count, C, DEFAULT_CONFIDENCE).confidentShare,
    });
  }
  return {
    kind: 'classifier',
    checkpoint: ck.meta.name,
    heldOut: heldOut.name,
    n: heldOut.count,
    heldOutAccuracy: accuracy(j.probs, heldOut.labels!, C),
    heldOutConfidentShare: classStats(j.probs, j.count, C, DEFAULT_CONFIDENCE).confidentShare,
    byPerturbation,
    backend: tf.getBackend(),
    date: new Date().toISOString(),
  };
}

/** A noise-aware classifier: held-out accuracy at the standard noise levels (clean first). */
async function evaluateNoisyClassifier(ck: LoadedCheckpoint, dataDir: string, batch: number): Promise<ClassifierReport> {
  const net = ck.networks.classifier as Network<NoisyClassifierConfig>;
  const heldOut = await heldOutOf(ck, dataDir);
  const byNoiseLevel = await accuracyAtNoiseLevels(net, heldOut, standardNoiseLevels(ddpmSchedule()), 0, batch);
  return {
    kind: 'classifier',
    checkpoint: ck.meta.name,
    heldOut: heldOut.name,
    n: heldOut.count,
    heldOutAccuracy: byNoiseLevel.find((l) => l.sigma === 0)!.accuracy,
    byNoiseLevel,
    backend: tf.getBackend(),
    date: new Date().toISOString(),
  };
}

/** The key a run's metrics are stored under (null: the top of `metrics`). */
export function metricsKey(report: GeneratorReport): { section: 'samplers' | 'guided'; key: string } | null {
  if (report.guidance) return { section: 'guided', key: `${report.sampler}, class ${report.guidance.classes}, s = ${report.guidance.scale}` };
  if (report.model === 'ddpm') return { section: 'samplers', key: report.sampler };
  return null;
}

function generatorMetrics(report: GeneratorReport): Record<string, unknown> {
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
    ...(report.heldOutClasses
      ? { heldOutConfidentShare: report.heldOutClasses.confidentShare, heldOutClassKlToUniform: report.heldOutClasses.klToUniform }
      : {}),
    ...(report.guidance
      ? {
          judgeAccuracy: report.guidance.judgeAccuracy,
          guidance: {
            classifier: report.guidance.classifier,
            classes: report.guidance.classes,
            scale: report.guidance.scale,
            classifierCalls: report.guidance.classifierCalls,
          },
        }
      : {}),
    ...(report.nearCopy
      ? { nearCopyShare: report.nearCopy.share, nearCopyThreshold: report.nearCopy.threshold, nearCopyTrainDuplicates: report.nearCopy.trainDuplicates }
      : {}),
    sampler: report.sampler,
    nfe: report.nfe,
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

/**
 * The metrics section written into model.json (plain JSON numbers and strings): at the
 * top for a classifier and an unguided DD-GAN, else one entry of `samplers` or `guided`.
 */
export function metricsJson(report: EvalReport): Record<string, unknown> {
  if (report.kind === 'classifier') {
    return {
      heldOutAccuracy: report.heldOutAccuracy,
      ...(report.heldOutConfidentShare !== undefined ? { heldOutConfidentShare: report.heldOutConfidentShare } : {}),
      ...(report.byPerturbation ? { byPerturbation: report.byPerturbation } : {}),
      ...(report.byNoiseLevel ? { accuracyByNoiseLevel: report.byNoiseLevel } : {}),
      evaluation: { heldOut: report.heldOut, n: report.n, backend: report.backend, date: report.date },
    };
  }
  const entry = generatorMetrics(report);
  const key = metricsKey(report);
  return key ? { [key.section]: { [key.key]: entry } } : entry;
}

/** Merges new metrics into old ones; the `samplers` and `guided` maps are merged entry by entry. */
function mergeMetrics(old: Record<string, unknown>, update: Record<string, unknown>): Record<string, unknown> {
  const out = { ...old, ...update };
  for (const section of ['samplers', 'guided']) {
    const a = old[section];
    const b = update[section];
    if (b && typeof a === 'object' && a !== null) out[section] = { ...(a as object), ...(b as object) };
  }
  return out;
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
    return { ...m, metrics: mergeMetrics((m.metrics ?? {}) as Record<string, unknown>, metricsJson(report)) };
  });
}

const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
const fix = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

/** 'DD-GAN, T = 4, 2512 iterations' / 'DDPM, DDIM-50 (η = 0), 800 iterations', plus guidance. */
function describeRun(report: GeneratorReport): string {
  const its = report.trainingIterations !== null ? `, ${report.trainingIterations} iterations` : '';
  const what = report.model === 'ddgan' ? `DD-GAN, T = ${report.T}` : `DDPM, ${report.sampler}`;
  const g = report.guidance;
  return `${what}${its}` + (g ? `; guided by "${g.classifier}" toward class ${g.classes === 'all' ? 'i mod 10 for sample i' : g.classes}, s = ${g.scale}` : '');
}

/** A markdown report: one table of metrics (generated vs real images), plus notes. */
export function formatReport(report: EvalReport): string {
  if (report.kind === 'classifier') {
    const lines = [
      `### ${report.checkpoint} (${report.byNoiseLevel ? 'noise-aware classifier' : 'classifier'})`,
      '',
      '| metric | value |',
      '|---|---:|',
      `| held-out accuracy (${report.heldOut}, ${report.n} images) | ${pct(report.heldOutAccuracy)} |`,
      ...(report.heldOutConfidentShare !== undefined
        ? [`| held-out images classified with confidence ≥ ${DEFAULT_CONFIDENCE} | ${pct(report.heldOutConfidentShare)} |`]
        : []),
      ...(report.byPerturbation ?? []).flatMap((p) => [
        `| accuracy, ${p.label} | ${pct(p.accuracy)} |`,
        `| confidence ≥ ${DEFAULT_CONFIDENCE}, ${p.label} | ${pct(p.confidentShare)} |`,
      ]),
      ...(report.byNoiseLevel ?? []).map((l) => `| accuracy at ${l.label} (σ = ${l.sigma.toFixed(3)}) | ${pct(l.accuracy)} |`),
      '',
      `backend ${report.backend}, ${report.date}`,
    ];
    return lines.join('\n');
  }
  const g = report.generated;
  const r = report.real;
  const h = report.heldOutClasses;
  const withHeldOut = (floor: string, v: string | undefined) => (v === undefined ? floor : `${floor} (${report.referenceSet}: ${v})`);
  const hist = (c: ClassStats) => c.histogram.map((h, i) => `${report.classNames[i] ?? i}:${Math.round(100 * h)}`).join(' ');
  const lines = [
    `### ${report.checkpoint} (${describeRun(report)})`,
    '',
    `| metric | generated (n = ${report.n}) | real images (floor) |`,
    '|---|---:|---:|',
  ];
  if (report.guidance) {
    lines.push(
      `| judge accuracy on the target class ("${report.classifier.name}", not the guide) | ${pct(report.guidance.judgeAccuracy)} | ${pct(report.classifier.heldOutAccuracy)} (judge on ${DATASETS.mnist.heldOut}) |`,
    );
  }
  lines.push(
    `| Fréchet distance to ${report.referenceSet} (classifier features) | ${fix(g.fd)} | ${fix(r.fd)} |`,
    `| precision (k = ${DEFAULT_K}, ${report.precisionRecallN} vs ${report.precisionRecallN}) | ${pct(g.precision)} | ${pct(r.precision)} |`,
    `| recall (k = ${DEFAULT_K}) | ${pct(g.recall)} | ${pct(r.recall)} |`,
    `| class KL to uniform (nats) | ${fix(g.classes.klToUniform, 3)} | ${withHeldOut(fix(r.classes.klToUniform, 3), h && fix(h.klToUniform, 3))} |`,
    `| classified with confidence ≥ ${DEFAULT_CONFIDENCE} | ${pct(g.classes.confidentShare)} | ${withHeldOut(pct(r.classes.confidentShare), h && pct(h.confidentShare))} |`,
    `| classes present | ${g.classes.classesPresent} / ${g.classes.histogram.length} | ${r.classes.classesPresent} / ${r.classes.histogram.length} |`,
    `| class histogram (%) | ${hist(g.classes)} | ${hist(r.classes)} |`,
  );
  if (report.nearCopy) {
    const nc = report.nearCopy;
    lines.push(
      `| near copies of training images (pixel L2 < ${fix(nc.threshold)}: the ${nc.percentile * 100} % quantile of train→train nearest-neighbour distances, ${nc.trainDuplicates} duplicated training images set aside) | ${pct(nc.share)} | ${pct(nc.percentile)} by construction |`,
    );
  }
  const calls = report.guidance ? ` + ${report.guidance.classifierCalls} classifier gradients` : '';
  lines.push(
    `| network calls per image (NFE) | ${report.nfe}${calls} | |`,
    `| sampling speed (${report.backend}, batch ${report.batch}) | ${fix(report.timing.imagesPerSecond, 1)} images/s, ${fix(report.timing.msPerImage, 1)} ms/image | |`,
    '',
    `Judge: classifier "${report.classifier.name}", ${pct(report.classifier.heldOutAccuracy)} on ${DATASETS.mnist.heldOut}; ` +
      `features ${report.classifier.featureDim}-d` +
      (report.featureInput === 'luma' ? ', images converted to grayscale (luma, 0.299 R + 0.587 G + 0.114 B) at 32 × 32 for the MNIST judge' : '') +
      '.',
    `Floor: ${r.description}. Seed ${report.seed}, ${report.date}.`,
  );
  if (h) {
    lines.push(
      `The judge was trained on ${report.data}, so it is surer of those images than of digits it has never seen: ` +
        `the values in brackets are its votes on all ${h.n} images of ${report.referenceSet}.`,
    );
  }
  return lines.join('\n');
}
