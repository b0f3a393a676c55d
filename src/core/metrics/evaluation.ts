/**
 * Sample quality of a model, measured the same way every time (DESIGN §5, §6). Pure
 * evaluation over loaded networks and data sets; reading folders and writing model.json is
 * the caller's (src/node/evaluate.ts).
 *
 * Generator trained on MNIST (model.json data.name 'mnist-train'): a DD-GAN generator, or a
 * DDPM ε-network with any sampler of its family (ancestral, DDIM, DPM-Solver++):
 *   - n samples from the sampler (seeded, batched, timed: NFE, images/s and ms per image);
 *   - in the penultimate features of the MNIST classifier (the judge):
 *       Fréchet distance to the held-out split (mnist-test), and its floor: the same
 *       distance for a random same-size subset of the *training* split, i.e. what a model
 *       that reproduced the training distribution exactly would score with this many samples;
 *       precision / recall (k = 3) against the held-out split, with equal set sizes;
 *   - the judge's votes: class histogram, KL to uniform, share classified with
 *     confidence ≥ 0.9, classes present.
 * Guided run (classifier guidance toward one class, or 'all': sample i toward class i mod 10):
 *   - judge accuracy: the share of samples the *judge* (never the guide) assigns to their
 *     target class;
 *   - one class: FD and precision/recall against the held-out digits of that class (floor:
 *     training digits of that class); 'all': against the whole held-out split, since the
 *     targets are balanced over the classes.
 * Generator trained on a colour set (emoji, icons):
 *   - the same judge on the grayscale (luma, Y = 0.299 R + 0.587 G + 0.114 B) version of
 *     the images at their own 32 × 32 size, since the only classifier is the MNIST one; a
 *     digit classifier's features are a weak, but consistent, yardstick for colour images;
 *   - against the held-out split when the set has one (icons), else against the training
 *     set, with one random half of it compared with the other as the reference row;
 *   - the near-copy share against the training images in pixel space (see nearCopy.ts).
 * Classifier: held-out accuracy; a clean one also on perturbed images, a noise-aware one per
 * noise level.
 */
import * as tf from '@tensorflow/tfjs';
import { DATASETS, heldOutDataName } from '../data/catalog';
import { batchTensor, type ImageDataset } from '../data/dataset';
import type { LoadedDataset } from '../data/format';
import { ddpmSchedule } from '../diffusion/ddpm';
import { classLabels, generateImages, samplerLabel, type ImageSource } from '../diffusion/generate';
import { standardNoiseLevels } from '../diffusion/noiseLevel';
import type { ClassifierConfig } from '../models/classifier';
import type { ModelJson } from '../models/checkpoint';
import { dense } from '../models/layers';
import type { Network } from '../models/network';
import type { NoisyClassifierConfig } from '../models/noisyClassifier';
import { Rng } from '../rng';
import { accuracy } from '../training/classifierTrainer';
import { accuracyAtNoiseLevels, type NoiseLevelAccuracy } from '../training/noisyClassifierTrainer';
import { classStats, DEFAULT_CONFIDENCE, type ClassStats } from './classes';
import { frechetDistance } from './frechet';
import { DEFAULT_NEAR_COPY_PERCENTILE, nearCopyShare, type NearCopyResult } from './nearCopy';
import { STANDARD_PERTURBATIONS } from './perturb';
import { DEFAULT_K, precisionRecall } from './precisionRecall';

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

export interface Judged {
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
export async function judge(
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
export function toLuma(x: tf.Tensor4D): tf.Tensor4D {
  if (x.shape[3] === 1) return x;
  return tf.tidy(() => x.slice([0, 0, 0, 0], [-1, -1, -1, 3]).mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(3, true) as tf.Tensor4D);
}

export function datasetBatches(ds: ImageDataset, indices: ArrayLike<number>, luma: boolean) {
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

/**
 * The judge with its scores on the MNIST held-out split, prepared once for any number of
 * evaluations (the table evaluates many samplers against the same judge).
 */
export interface Judge {
  readonly name: string;
  readonly net: Network<ClassifierConfig>;
  /** The judge's own accuracy on the MNIST held-out split: how far to trust its votes. */
  readonly heldOutAccuracy: number;
  readonly mnistTest: LoadedDataset;
  readonly testJudged: Judged;
  readonly batch: number;
  /** Judged floor sets, keyed by data set, size, seed and class. */
  readonly floors: Map<string, Judged>;
  /** Data sets by name, loaded on first use. */
  dataset(name: string): Promise<LoadedDataset>;
}

export interface JudgeOptions {
  readonly batch: number;
  /** Reads a data set by its catalog name. */
  readonly loadDataset: (name: string) => Promise<LoadedDataset>;
  readonly log?: (line: string) => void;
}

/** Scores the classifier `net` (checkpoint `name`) on the MNIST held-out split, as a judge. */
export async function prepareJudge(net: Network<ClassifierConfig>, name: string, opts: JudgeOptions): Promise<Judge> {
  if (net.config.channels !== 1) throw new Error(`the judge "${name}" takes ${net.config.channels} channels; eval needs a 1-channel judge`);
  const { batch } = opts;
  const mnistTest = await opts.loadDataset(DATASETS.mnist.heldOut);
  const testIdx = Int32Array.from({ length: mnistTest.count }, (_, i) => i);
  const testJudged = await judge(net, mnistTest.count, batch, datasetBatches(mnistTest, testIdx, false));
  const heldOutAccuracy = accuracy(testJudged.probs, mnistTest.labels!, net.config.numClasses);
  opts.log?.(`judge ${name}: ${(heldOutAccuracy * 100).toFixed(2)}% on ${mnistTest.name}, ${net.config.featureDim}-d features`);
  const datasets = new Map<string, LoadedDataset>([[mnistTest.name, mnistTest]]);
  return {
    name,
    net,
    heldOutAccuracy,
    mnistTest,
    testJudged,
    batch,
    floors: new Map(),
    async dataset(dataName) {
      let ds = datasets.get(dataName);
      if (!ds) {
        ds = await opts.loadDataset(dataName);
        datasets.set(dataName, ds);
      }
      return ds;
    },
  };
}

/** Indices of the images of class `cls` (all images when cls is null). */
function indicesOf(ds: ImageDataset, cls: number | null): Int32Array {
  const all = Int32Array.from({ length: ds.count }, (_, i) => i);
  return cls === null ? all : all.filter((i) => ds.labels![i] === cls);
}

/** Classifier guidance of an evaluated run: the guide network, the target and the scale. */
export interface SourceGuide {
  readonly loaded: { readonly net: Network<NoisyClassifierConfig>; readonly name: string };
  readonly classes: number | 'all';
  readonly scale: number;
}

export interface SourceEvalOptions {
  readonly n: number;
  readonly batch: number;
  readonly seed: number;
  readonly guide?: SourceGuide;
  readonly log?: (line: string) => void;
}

/** Samples from `source` (a checkpoint with metadata `meta`) and scores them with the judge. */
export async function evaluateSource(source: ImageSource, meta: ModelJson, j: Judge, opts: SourceEvalOptions): Promise<GeneratorReport> {
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

  const train = await j.dataset(dataName);
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
      const test = await j.dataset(heldOutName);
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

/** A clean classifier (checkpoint `name`): held-out accuracy and confidence, clean and perturbed. */
export async function evaluateClassifier(
  net: Network<ClassifierConfig>,
  name: string,
  heldOut: ImageDataset,
  batch: number,
): Promise<ClassifierReport> {
  if (!heldOut.labels) throw new Error(`data set ${heldOut.name} has no labels`);
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
    checkpoint: name,
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
export async function evaluateNoisyClassifier(
  net: Network<NoisyClassifierConfig>,
  name: string,
  heldOut: ImageDataset,
  batch: number,
): Promise<ClassifierReport> {
  if (!heldOut.labels) throw new Error(`data set ${heldOut.name} has no labels`);
  const byNoiseLevel = await accuracyAtNoiseLevels(net, heldOut, standardNoiseLevels(ddpmSchedule()), 0, batch);
  return {
    kind: 'classifier',
    checkpoint: name,
    heldOut: heldOut.name,
    n: heldOut.count,
    heldOutAccuracy: byNoiseLevel.find((l) => l.sigma === 0)!.accuracy,
    byNoiseLevel,
    backend: tf.getBackend(),
    date: new Date().toISOString(),
  };
}

