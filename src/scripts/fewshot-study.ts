/**
 * The few-shot fine-tuning study: fine-tunes a base model on each 16-image set under
 * public/data/fewshot/ with one recipe (train flags), scores it after each stage, and appends
 * one line per (set, stage) to a JSON-lines file (`node training/fewshot/table.mjs` prints them).
 *
 *   npx tsx src/scripts/fewshot-study.ts --base public/models/emoji-ddgan-t4 --recipe default
 *       [--flags="--augment color,translation,cutout"] [--sets fxemoji-food,…] [--stages 100,200,300] \
 *       [--judge DIR] [--n 256] [--threads 1] [--out runs/fewshot-study] [--results training/fewshot/results.jsonl]
 *
 * Each stage runs the train command (`npm run train -- --model ddgan --init BASE --data SET_DIR
 * …`, the tab's fine-tune recipe and defaults, plus --flags) up to that many iterations,
 * resuming from the previous stage's state, so a stage costs only its own iterations. Scores
 * (src/core/metrics/fewshot.ts): Fréchet distance to the uploads in the judge's features,
 * near-copy share, and diversity against the uploads' own, from --n samples (seed 0). Stage 0
 * is the base model itself, scored once per set. A 64-sample grid of every stage is written
 * beside its checkpoint (OUT/<recipe>/<set>/grid-<iterations>.png), to be looked at.
 */
import { spawnSync } from 'node:child_process';
import { appendFile, cp, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpointDir } from '../node/checkpointDir';
import { useNodeBackend } from '../node/backend';
import { loadImageFolder } from '../node/imageFolder';
import { writeGridPng } from '../node/png';
import { generateImages, sourceOf } from '../core/diffusion/generate';
import { judge, toLuma } from '../core/metrics/evaluation';
import { fewshotScores, type FewshotImages } from '../core/metrics/fewshot';
import type { Network } from '../core/models/network';
import type { ClassifierConfig } from '../core/models/classifier';
import { parseFewshotIndex } from '../core/data/fewshot';

const { values: a } = parseArgs({
  options: {
    base: { type: 'string' },
    recipe: { type: 'string' },
    flags: { type: 'string', default: '' },
    sets: { type: 'string' },
    stages: { type: 'string', default: '100,200,300' },
    judge: { type: 'string', default: 'training/icons-classifier' },
    n: { type: 'string', default: '256' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string', default: 'runs/fewshot-study' },
    results: { type: 'string', default: 'training/fewshot/results.jsonl' },
    // Score this already fine-tuned checkpoint (of --iterations iterations) instead of training.
    existing: { type: 'string' },
    iterations: { type: 'string' },
  },
});
if (!a.base || !a.recipe) {
  console.error('usage: npx tsx src/scripts/fewshot-study.ts --base DIR --recipe NAME [--flags "..."] [--sets a,b] [--stages 100,200,300] [--judge DIR] [--n 256]');
  process.exit(2);
}
const base = a.base;
const recipe = a.recipe;
const stages = a.stages!.split(',').map(Number);
if (stages.some((s) => !Number.isInteger(s) || s < 1) || stages.some((s, i) => i > 0 && s <= stages[i - 1])) {
  console.error(`--stages must be increasing whole numbers, got ${a.stages}`);
  process.exit(2);
}
const n = Number(a.n);
const fewshotRoot = 'public/data/fewshot';
const index = parseFewshotIndex(JSON.parse(await readFile(path.join(fewshotRoot, 'index.json'), 'utf8')));
const names = index.sets.map((s) => s.name);
const sets = a.sets ? a.sets.split(',') : names;
for (const s of sets) if (!names.includes(s)) throw new Error(`no few-shot set "${s}" (have ${names.join(', ')})`);

await useNodeBackend('wasm', { threads: Number(a.threads) });
const judgeCk = await loadCheckpointDir(a.judge!);
const judgeNet = judgeCk.networks.classifier as Network<ClassifierConfig>;
const featureDim = judgeNet.config.featureDim;

async function featuresOf(pixels: Float32Array, count: number, size: number, channels: number): Promise<Float32Array> {
  const per = size * size * channels;
  const judged = await judge(judgeNet, count, 64, (start, b) =>
    tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(start * per, (start + b) * per), [b, size, size, channels]);
      if (judgeNet.config.channels === channels) return x;
      if (judgeNet.config.channels === 1) return toLuma(x);
      return tf.tile(x, [1, 1, 1, judgeNet.config.channels]) as tf.Tensor4D;
    }),
  );
  return judged.features;
}

async function scoreCheckpoint(dir: string, uploads: FewshotImages, gridFile: string) {
  const ck = await loadCheckpointDir(dir);
  try {
    const gen = await generateImages(sourceOf(ck), { n, batch: 64, seed: 0 });
    const features = await featuresOf(gen.images, n, gen.size, gen.channels);
    await writeGridPng(gridFile, { data: gen.images.subarray(0, 64 * gen.size * gen.size * gen.channels), count: Math.min(64, n), size: gen.size, channels: gen.channels }, 8, 2);
    return await fewshotScores({ pixels: gen.images, count: n, features }, uploads, gen.size * gen.size * gen.channels, featureDim);
  } finally {
    for (const net of Object.values(ck.networks)) net.dispose();
    tf.dispose(Object.values(ck.state));
  }
}

const baseMeta = JSON.parse(await readFile(path.join(base, 'model.json'), 'utf8'));
const g = baseMeta.networks.generatorEma ?? baseMeta.networks.generator;
await mkdir(path.dirname(a.results!), { recursive: true });
const record = async (line: Record<string, unknown>) => {
  await appendFile(a.results!, JSON.stringify({ ...line, base: baseMeta.name, judge: judgeCk.meta.name, n, at: new Date().toISOString() }) + '\n');
  console.log(JSON.stringify(line));
};

for (const set of sets) {
  const dir = path.join(fewshotRoot, set);
  const folder = await loadImageFolder(dir, g.imageSize, g.channels);
  const ds = folder.dataset;
  const per = g.imageSize * g.imageSize * g.channels;
  const pixels = new Float32Array(ds.count * per);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (ds.pixels[i] / 255) * 2 - 1;
  const uploads: FewshotImages = { pixels, count: ds.count, features: await featuresOf(pixels, ds.count, g.imageSize, g.channels) };
  const runDir = path.join(a.out!, recipe, set);
  await mkdir(runDir, { recursive: true });
  const baseScores = await scoreCheckpoint(base, uploads, path.join(runDir, 'grid-0.png'));
  await record({ recipe: 'base', set, iterations: 0, ...baseScores });
  if (a.existing) {
    const scores = await scoreCheckpoint(a.existing, uploads, path.join(runDir, `grid-${a.iterations}.png`));
    await record({ recipe, flags: a.flags, set, iterations: Number(a.iterations), ...scores });
    continue;
  }
  const state = path.join(runDir, 'state');
  const out = path.join(runDir, 'model');
  let wallSeconds = 0;
  for (const [i, stage] of stages.entries()) {
    const start = i === 0 ? ['--init', base, '--data', dir, '--state', state] : ['--resume', state];
    const argv = ['tsx', 'src/cli/train.ts', '--model', 'ddgan', ...start, '--iters', String(stage), '--out', out, '--threads', a.threads!, ...(i === 0 ? a.flags!.split(/\s+/).filter(Boolean) : [])];
    const t0 = performance.now();
    const r = spawnSync('npx', argv, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    wallSeconds += (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`train stopped with status ${r.status}:\n${r.stdout}`);
    const last = r.stdout.trim().split('\n').filter((l) => l.startsWith('it ')).pop() ?? '';
    // Keep every stage's model, so the study can be scored again (another judge, more samples).
    await cp(out, path.join(runDir, `model-${stage}`), { recursive: true });
    const scores = await scoreCheckpoint(out, uploads, path.join(runDir, `grid-${stage}.png`));
    await record({ recipe, flags: a.flags, set, iterations: stage, wallSeconds: Math.round(wallSeconds), lastLog: last, ...scores });
  }
}
