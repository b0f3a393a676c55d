/**
 * `npm run eval` (Node): loads a checkpoint folder, the judge and the data files, runs the
 * core evaluation (src/core/metrics/evaluation.ts, which says what is measured) and writes
 * the metrics into the checkpoint's model.json (src/core/metrics/metricsJson.ts says where).
 *
 * Only model.json is rewritten (via updateModelJson), never the weights; and only when its
 * training iteration still matches the weights that were evaluated.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATASETS } from '../core/data/catalog';
import type { ImageDataset } from '../core/data/dataset';
import { sourceOf } from '../core/diffusion/generate';
import type { SamplerSpec } from '../core/diffusion/samplers/specs';
import {
  evaluateClassifier,
  evaluateNoisyClassifier,
  evaluateSource,
  prepareJudge,
  type EvalReport,
  type GeneratorReport,
  type Judge,
} from '../core/metrics/evaluation';
import { mergeMetrics, metricsJson } from '../core/metrics/metricsJson';
import type { ClassifierConfig } from '../core/models/classifier';
import { disposeCheckpoint, type LoadedCheckpoint, type ModelJson } from '../core/models/checkpoint';
import type { Network } from '../core/models/network';
import type { NoisyClassifierConfig } from '../core/models/noisyClassifier';
import { loadCheckpointDirSettled, updateModelJson } from './checkpointDir';
import { loadDataset, DEFAULT_DATA_DIR } from './data';
import { loadGuide, type GuideSpec, type LoadedGuide } from './guide';

export type { ClassifierReport, EvalReport, GeneratorReport, GuidanceReport, SetScores } from '../core/metrics/evaluation';
export { formatReport } from './evalReport';

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

/** The judge loaded from a folder, with the data files it reads; dispose() frees its weights. */
export interface JudgeContext extends Judge {
  dispose(): void;
}

export async function openJudge(
  dir: string | undefined,
  opts: { readonly dataDir?: string; readonly batch?: number; readonly log?: (line: string) => void } = {},
): Promise<JudgeContext> {
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const classifierDir = path.resolve(dir ?? DEFAULT_CLASSIFIER_DIR);
  const { ck, net } = await loadClassifier(classifierDir);
  try {
    const j = await prepareJudge(net, ck.meta.name, {
      batch: opts.batch ?? 250,
      loadDataset: (name) => loadDataset(name, dataDir),
      log: opts.log,
    });
    return Object.assign(j, { dispose: () => disposeCheckpoint(ck) });
  } catch (e) {
    disposeCheckpoint(ck);
    throw e;
  }
}

export async function evaluateCheckpoint(opts: EvalOptions): Promise<EvalReport> {
  const log = opts.log ?? (() => {});
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const batch = opts.batch ?? 250;
  const ck = await loadCheckpointDirSettled(opts.checkpoint);
  try {
    const kinds = Object.values(ck.networks).map((net) => net.config.kind);
    const classifier = ck.networks.classifier;
    let report: EvalReport;
    if (kinds.includes('ddgan-generator') || kinds.includes('ddpm-eps')) {
      report = await evaluateModel(ck, opts, dataDir, batch, log);
    } else if (classifier?.config.kind === 'classifier') {
      report = await evaluateClassifier(classifier as Network<ClassifierConfig>, ck.meta.name, await heldOutOf(ck, dataDir), batch);
    } else if (classifier?.config.kind === 'noisy-classifier') {
      report = await evaluateNoisyClassifier(classifier as Network<NoisyClassifierConfig>, ck.meta.name, await heldOutOf(ck, dataDir), batch);
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

/** The held-out split named in the checkpoint's model.json (default: MNIST's). */
async function heldOutOf(ck: LoadedCheckpoint, dataDir: string): Promise<ImageDataset> {
  const heldOutName = typeof ck.meta.data?.heldOut === 'string' ? (ck.meta.data.heldOut as string) : DATASETS.mnist.heldOut;
  return loadDataset(heldOutName, dataDir);
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
