/**
 * `npm run eval -- --table`: every shipped MNIST generator under public/models, measured in
 * one run on one backend against the same judge, as one markdown table (the trilemma side
 * by side: speed in NFE and ms per image, quality in Fréchet distance and precision,
 * diversity in recall and class KL), plus a classifier-guidance table.
 *
 *   1. DD-GAN checkpoints: one row each (their own T).
 *   2. DDPM checkpoints: every sampler of the core list for ε-networks
 *      (src/core/diffusion/samplers/specs.ts): those that run all N steps (ancestral) once,
 *      those with a step count (DDIM with η = 0, DPM-Solver++) at each of `steps`.
 *      Ancestral sampling costs N network calls per image (~200× a T = 4 DD-GAN sample), so
 *      it runs on `nSlow` images instead of n, and the table says so.
 *   3. Guidance (`nGuided` images per row): for each DD-GAN (T = 1 too: its one step is
 *      steered by the last-step guide, guidance.ts) and each DDPM with every step-count
 *      sampler at `guidedSteps` (default: each sampler's own default), every scale s in
 *      `scales`, targets cycling over the classes (sample i → class i mod 10), so
 *      precision and recall against the whole held-out split stay meaningful: judge accuracy
 *      (the judge, never the guide) should rise with s and recall fall.
 *
 * Nothing is written into the checkpoints (a DDPM folder may belong to a running training).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATASETS } from '../core/data/catalog';
import { sourceOf, type ImageSource } from '../core/diffusion/generate';
import { defaultSpec, samplersOf, type SamplerEntry, type SamplerSpec } from '../core/diffusion/samplers/specs';
import { DEFAULT_K } from '../core/metrics';
import { evaluateSource, type GeneratorReport } from '../core/metrics/evaluation';
import { disposeCheckpoint, type LoadedCheckpoint } from '../core/models/checkpoint';
import { loadCheckpointDirSettled } from './checkpointDir';
import { openJudge, type JudgeContext } from './evaluate';
import { DEFAULT_GUIDE_DIR, loadGuide, type LoadedGuide } from './guide';

/** <repo>/public/models. */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../public/models/', import.meta.url));

export interface TableOptions {
  readonly modelsDir?: string;
  /** Samples per row. */
  readonly n: number;
  /** Samples for DDPM ancestral rows (default max(4, ⌈n / 10⌉)). */
  readonly nSlow?: number;
  /** Samples per guided row (default min(n, 200): judge accuracy needs fewer than FD does). */
  readonly nGuided?: number;
  readonly batch?: number;
  readonly seed?: number;
  /** The judge (default public/models/mnist-classifier). */
  readonly classifier?: string;
  /** The guide (default public/models/mnist-noisy-classifier); no guidance table without one. */
  readonly guide?: string;
  /** Step counts of the samplers that take one (DDIM, DPM-Solver++); default 50, 20, 10. */
  readonly steps?: readonly number[];
  /** Their step count in the guidance table (default: each sampler's default). */
  readonly guidedSteps?: number;
  readonly scales?: readonly number[];
  readonly dataDir?: string;
  readonly log?: (line: string) => void;
}

export interface TableRow {
  readonly model: string;
  readonly sampler: string;
  readonly n: number;
  readonly nfe: number;
  readonly msPerImage: number;
  readonly fd: number;
  readonly precision: number;
  readonly recall: number;
  readonly classKl: number;
  readonly trainingIterations: number | null;
}

export interface GuidedRow extends TableRow {
  readonly scale: number;
  readonly judgeAccuracy: number;
  readonly classifierCalls: number;
}

export interface EvalTable {
  readonly rows: TableRow[];
  readonly guided: GuidedRow[];
  /** Real training digits against the held-out split at n: what a perfect model scores. */
  readonly floor: { readonly n: number; readonly fd: number; readonly precision: number; readonly recall: number; readonly classKl: number } | null;
  readonly judge: { readonly name: string; readonly heldOutAccuracy: number };
  readonly guide: string | null;
  readonly notes: string[];
  readonly backend: string;
  readonly date: string;
  readonly options: { n: number; nSlow: number; nGuided: number; batch: number; seed: number; steps: number[]; guidedSteps: number | null; scales: number[] };
}

interface Found {
  readonly name: string;
  readonly dir: string;
  readonly kind: 'ddgan' | 'ddpm';
}

/** Generator folders under modelsDir (MNIST only); everything else goes into `skipped`. */
export function findModels(modelsDir: string): { found: Found[]; skipped: string[] } {
  const found: Found[] = [];
  const skipped: string[] = [];
  if (!existsSync(modelsDir)) return { found, skipped: [`${modelsDir} does not exist`] };
  const folders = readdirSync(modelsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const name of folders) {
    const dir = path.join(modelsDir, name);
    let json: { networks?: Record<string, { kind?: string }>; data?: { name?: string } };
    try {
      json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    } catch (e) {
      skipped.push(`${name}: no readable model.json (${(e as Error).message.split('\n')[0]})`);
      continue;
    }
    const kinds = Object.values(json.networks ?? {}).map((n) => n.kind);
    const kind = kinds.includes('ddgan-generator') ? 'ddgan' : kinds.includes('ddpm-eps') ? 'ddpm' : null;
    if (!kind) {
      skipped.push(`${name}: not a generator (${kinds.join(', ') || 'no networks'})`);
    } else if (json.data?.name !== DATASETS.mnist.train) {
      skipped.push(`${name}: trained on ${json.data?.name ?? '?'}, the table compares ${DATASETS.mnist.train} models`);
    } else {
      found.push({ name, dir, kind });
    }
  }
  return { found, skipped };
}

const row = (r: GeneratorReport): TableRow => ({
  model: r.checkpoint,
  sampler: r.sampler,
  n: r.n,
  nfe: r.nfe,
  msPerImage: r.timing.msPerImage,
  fd: r.generated.fd,
  precision: r.generated.precision,
  recall: r.generated.recall,
  classKl: r.generated.classes.klToUniform,
  trainingIterations: r.trainingIterations,
});

export async function evaluationTable(opts: TableOptions): Promise<EvalTable> {
  const log = opts.log ?? (() => {});
  const n = opts.n;
  const nSlow = opts.nSlow ?? Math.max(4, Math.ceil(n / 10));
  const nGuided = opts.nGuided ?? Math.min(n, 200);
  const batch = opts.batch ?? 250;
  const seed = opts.seed ?? 0;
  const steps = [...(opts.steps ?? [50, 20, 10])];
  const guidedSteps = opts.guidedSteps ?? null;
  const scales = [...(opts.scales ?? [0, 1, 2, 5, 10])];
  for (const v of [n, nSlow, nGuided]) if (!Number.isInteger(v) || v < 4) throw new RangeError(`sample counts must be whole numbers ≥ 4, got ${v}`);
  const modelsDir = path.resolve(opts.modelsDir ?? DEFAULT_MODELS_DIR);
  const { found, skipped } = findModels(modelsDir);
  const notes = skipped.map((s) => `skipped ${s}`);
  if (found.length === 0) throw new Error(`no MNIST generator checkpoints under ${modelsDir}`);

  const j = await openJudge(opts.classifier, { dataDir: opts.dataDir, batch, log });
  let guide: LoadedGuide | null = null;
  const rows: TableRow[] = [];
  const guided: GuidedRow[] = [];
  let floor: EvalTable['floor'] = null;
  try {
    const guideDir = path.resolve(opts.guide ?? DEFAULT_GUIDE_DIR);
    if (existsSync(path.join(guideDir, 'model.json'))) guide = await loadGuide(guideDir);
    else notes.push(`no guidance table: no noise-aware classifier at ${guideDir} (npm run train -- --model noisy-classifier)`);

    for (const m of found) {
      const ck = await loadCheckpointDirSettled(m.dir);
      try {
        if (typeof ck.meta.loadWarning === 'string') notes.push(`${m.name}: ${ck.meta.loadWarning}`);
        const runs: { sampler?: SamplerSpec; n: number }[] =
          m.kind === 'ddgan'
            ? [{ n }]
            : samplersOf('ddpm').flatMap((info) =>
                takesSteps(info) ? steps.map((count) => ({ sampler: defaultSpec(info.kind, { steps: count }), n })) : [{ sampler: defaultSpec(info.kind), n: nSlow }],
              );
        for (const run of runs) {
          const source = sourceOf(ck, run.sampler);
          log(`${m.name}: ${source.sampler.label} …`);
          const report = await evaluateSource(source, ck.meta, j, { n: run.n, batch, seed, log });
          rows.push(row(report));
          if (!floor && report.n === n) {
            const r = report.real;
            floor = { n, fd: r.fd, precision: r.precision, recall: r.recall, classKl: r.classes.klToUniform };
          }
        }
        if (guide) await guidedRows(ck, m, j, guide, { n: nGuided, batch, seed, scales, guidedSteps, log }, guided);
      } finally {
        disposeCheckpoint(ck);
      }
    }
  } finally {
    if (guide) disposeCheckpoint(guide.ck);
    j.dispose();
  }
  if (nSlow !== n && rows.some((r) => r.sampler.includes('ancestral'))) {
    notes.push(
      `DDPM ancestral rows ran on n = ${nSlow} images instead of ${n}: each image costs ${rows.find((r) => r.sampler.includes('ancestral'))!.nfe} network calls. ` +
        'Fréchet distance is biased upward at small n, so compare those rows with each other rather than with the others.',
    );
  }
  return {
    rows,
    guided,
    floor,
    judge: { name: j.name, heldOutAccuracy: j.heldOutAccuracy },
    guide: guide?.name ?? null,
    notes,
    backend: tf.getBackend(),
    date: new Date().toISOString(),
    options: { n, nSlow, nGuided, batch, seed, steps, guidedSteps, scales },
  };
}

/** A sampler with a step count (DDIM, DPM-Solver++), as opposed to one that runs all N steps. */
const takesSteps = (info: SamplerEntry): boolean => 'steps' in info.params;

async function guidedRows(
  ck: LoadedCheckpoint,
  m: Found,
  j: JudgeContext,
  guide: LoadedGuide,
  o: { n: number; batch: number; seed: number; scales: number[]; guidedSteps: number | null; log: (line: string) => void },
  out: GuidedRow[],
): Promise<void> {
  const sources: ImageSource[] =
    m.kind === 'ddgan'
      ? [sourceOf(ck)]
      : samplersOf('ddpm')
          .filter(takesSteps)
          .map((info) => sourceOf(ck, defaultSpec(info.kind, o.guidedSteps === null ? {} : { steps: o.guidedSteps })));
  for (const source of sources) {
    for (const scale of o.scales) {
      o.log(`${m.name}: ${source.sampler.label} guided, s = ${scale} …`);
      const r = await evaluateSource(source, ck.meta, j, { n: o.n, batch: o.batch, seed: o.seed, guide: { loaded: guide, classes: 'all', scale }, log: o.log });
      out.push({ ...row(r), scale, judgeAccuracy: r.guidance!.judgeAccuracy, classifierCalls: r.guidance!.classifierCalls });
    }
  }
}

const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
const fix = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

/** The tables as markdown. */
export function formatTable(t: EvalTable): string {
  const o = t.options;
  const lines = [
    `## Generators side by side (${t.backend}, batch ${o.batch}, seed ${o.seed}, ${t.date})`,
    '',
    `Judge: "${t.judge.name}" (${pct(t.judge.heldOutAccuracy)} on ${DATASETS.mnist.heldOut}); Fréchet distance, precision and recall (k = ${DEFAULT_K}) in its features against ${DATASETS.mnist.heldOut}; class KL = KL(judged class histogram ‖ uniform).`,
    '',
    '| model | sampler | iterations | n | NFE | ms / image | Fréchet distance ↓ | precision ↑ | recall ↑ | class KL ↓ |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...t.rows.map(
      (r) =>
        `| ${r.model} | ${r.sampler} | ${r.trainingIterations ?? '?'} | ${r.n === o.n ? r.n : `**${r.n}**`} | ${r.nfe} | ${fix(r.msPerImage, 1)} | ${fix(r.fd)} | ${pct(r.precision)} | ${pct(r.recall)} | ${fix(r.classKl, 3)} |`,
    ),
  ];
  if (t.floor) {
    const f = t.floor;
    lines.push(`| real digits (floor) | ${f.n} ${DATASETS.mnist.train} images | | ${f.n} | | | ${fix(f.fd)} | ${pct(f.precision)} | ${pct(f.recall)} | ${fix(f.classKl, 3)} |`);
  }
  if (t.guided.length) {
    lines.push(
      '',
      `## Classifier guidance (guide "${t.guide}", judged by "${t.judge.name}")`,
      '',
      `Targets cycle over the classes (sample i → class i mod 10), so precision and recall are against all of ${DATASETS.mnist.heldOut}. ` +
        'Judge accuracy: share of samples the judge assigns to their target class (chance 10 %). NFE counts network calls; each guided step adds one classifier gradient (a forward and a backward pass). ' +
          "A guided DD-GAN's last step moves x_1 up the guide's gradient through the generator: each of those iterations adds a generator pass (forward and back) to NFE and a classifier gradient.",
      '',
      '| model | sampler | s | n | judge accuracy ↑ | precision | recall | Fréchet distance | NFE + classifier gradients | ms / image |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...t.guided.map(
        (r) =>
          `| ${r.model} | ${r.sampler} | ${r.scale} | ${r.n} | ${pct(r.judgeAccuracy)} | ${pct(r.precision)} | ${pct(r.recall)} | ${fix(r.fd)} | ${r.nfe} + ${r.classifierCalls} | ${fix(r.msPerImage, 1)} |`,
      ),
    );
  }
  if (t.notes.length) lines.push('', ...t.notes.map((note) => `- ${note}`));
  return lines.join('\n');
}
