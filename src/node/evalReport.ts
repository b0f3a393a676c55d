/** Markdown reports of `npm run eval`: one table of metrics per evaluated checkpoint. */
import { DATASETS } from '../core/data/catalog';
import { DEFAULT_CONFIDENCE, DEFAULT_K, type ClassStats } from '../core/metrics';
import type { EvalReport, GeneratorReport } from '../core/metrics/evaluation';

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
