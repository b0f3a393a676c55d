/**
 * The metrics an evaluation stores in a checkpoint's model.json, as plain JSON: a
 * classifier's and an unguided DD-GAN's at the top of `metrics`, a DDPM's under
 * `metrics.samplers[<sampler>]` and a guided run's under
 * `metrics.guided[<sampler>, class Y, s = S]`, so runs do not overwrite each other.
 */
import { DEFAULT_CONFIDENCE } from './classes';
import type { EvalReport, GeneratorReport } from './evaluation';
import { DEFAULT_K } from './precisionRecall';

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
export function mergeMetrics(old: Record<string, unknown>, update: Record<string, unknown>): Record<string, unknown> {
  const out = { ...old, ...update };
  for (const section of ['samplers', 'guided']) {
    const a = old[section];
    const b = update[section];
    if (b && typeof a === 'object' && a !== null) out[section] = { ...(a as object), ...(b as object) };
  }
  return out;
}
