/**
 * npm run train -- --model ddgan --data mnist --T 4 [--recipe ddgan|diffusion-gan] [--iters N] [--batch B] [--resume DIR] --out DIR
 *
 * `--recipe` picks the training objective of a fresh run (src/core/training/imageGan.ts):
 * 'ddgan' (default; pair discriminator) or 'diffusion-gan' (discriminator on diffused images
 * of the whole sampling chain, adaptive T_dg). Either way the model is a DD-GAN generator.
 * A resumed run keeps the recipe it was saved with.
 *
 * Trains on the wasm backend with the project's gradient kernels. Writes the shippable
 * checkpoint (EMA generator) to --out and the resume state to --state (default
 * <out>/../<name>.state). Stops cleanly on Ctrl-C / SIGTERM or after --minutes, saving
 * first, so a run can continue across several sessions with --resume.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { useNodeBackend } from '../node/backend';
import { loadDataset } from '../node/data';
import { loadCheckpointDir, saveCheckpointDir } from '../node/checkpointDir';
import { writeGridPng } from '../node/png';
import { codeVersion } from '../node/version';
import { formatDuration, num, parseCli } from '../node/args';
import { defaultGeneratorConfig } from '../core/models/generator';
import { defaultDiffusionGanDiscriminatorConfig, defaultDiscriminatorConfig } from '../core/models/discriminator';
import { DdganTrainer, checkStepWeights, defaultTrainConfig, type DdganTrainConfig } from '../core/training/ddganTrainer';
import { DiffusionGanImageTrainer, defaultDiffusionGanTrainConfig } from '../core/training/diffusionGanImageTrainer';
import { IMAGE_GAN_RECIPES, defaultImageGanTrainConfig, type ImageGanRecipe, type ImageGanTrainConfig, type ImageGanTrainer, type TrainStepStats } from '../core/training/imageGan';
import { runTrainingLoop } from '../node/trainLoop';
import { ddganIterationFlops } from '../node/benchTraining';
import { restoreTrainer, resumeCheckpoint, savedRecipe, shippableCheckpoint } from '../core/training/ddganState';
import { sampleDdgan } from '../core/diffusion/ddganSampler';
import { Rng } from '../core/rng';
import { trainDataName } from '../core/data/catalog';

const USAGE = `usage: npm run train -- --model ddgan --data mnist|emoji --T 1|2|4|8 --out DIR
  [--recipe ddgan|diffusion-gan] [--iters N] [--batch B] [--resume STATE_DIR] [--state STATE_DIR] [--save-every N] [--minutes M]
  [--lr-g X] [--lr-d X] [--r1 GAMMA] [--r1-every N] [--ema X] [--step-weights W1,…,WT] [--seed S] [--g-base C] [--d-base C] [--name NAME]`;

const args = parseCli(USAGE, {
  model: { type: 'string', default: 'ddgan' },
  data: { type: 'string', default: 'mnist' },
  T: { type: 'string', default: '4' },
  recipe: { type: 'string' },
  iters: { type: 'string' },
  batch: { type: 'string' },
  out: { type: 'string' },
  state: { type: 'string' },
  resume: { type: 'string' },
  'save-every': { type: 'string' },
  minutes: { type: 'string' },
  'lr-g': { type: 'string' },
  'lr-d': { type: 'string' },
  r1: { type: 'string' },
  'r1-every': { type: 'string' },
  ema: { type: 'string' },
  'step-weights': { type: 'string' },
  seed: { type: 'string' },
  'g-base': { type: 'string' },
  'd-base': { type: 'string' },
  name: { type: 'string' },
});

if (args.model !== 'ddgan') {
  // reached only when run directly; src/cli/train.ts dispatches by --model
  console.error(`--model ${args.model} is not available here (this command trains: ddgan)\n\n${USAGE}`);
  process.exit(2);
}
if (!args.out) {
  console.error(`--out is required\n\n${USAGE}`);
  process.exit(2);
}
if (args.recipe !== undefined && !(IMAGE_GAN_RECIPES as readonly string[]).includes(args.recipe)) {
  console.error(`--recipe ${args.recipe}: use one of ${IMAGE_GAN_RECIPES.join(', ')}\n\n${USAGE}`);
  process.exit(2);
}

const out = path.resolve(args.out);
const stateDir = path.resolve(args.state ?? args.resume ?? `${out}.state`);
const name = args.name ?? path.basename(out);
const iters = num(args.iters, 'iters', 4000);
const saveEvery = num(args['save-every'], 'save-every', 100);
const deadline = args.minutes ? Date.now() + num(args.minutes, 'minutes', 0) * 60_000 : Infinity;

await useNodeBackend('wasm');
const data = await loadDataset(trainDataName(args.data!));
const channels = data.channels;
const T = num(args.T, 'T', 4);

/** --step-weights 1,2,1,1: relative frequencies of k = 1…T (DD-GAN recipe only), checked against the run's T. */
function stepWeightsFor(runT: number, recipe: ImageGanRecipe): { stepWeights?: number[] } {
  const text = args['step-weights'];
  if (text === undefined) return {};
  const fail = (why: string) => {
    console.error(`--step-weights ${text}: ${why}\n\n${USAGE}`);
    process.exit(2);
  };
  if (recipe !== 'ddgan') fail(`the ${recipe} recipe draws its own diffusion steps; step weights are for the ddgan recipe`);
  const weights = text.split(',').map((w) => Number(w.trim()));
  try {
    checkStepWeights(weights, runT);
  } catch (e) {
    fail((e as Error).message);
  }
  return { stepWeights: weights };
}

let trainer: ImageGanTrainer;
let wallSeconds = 0;
if (args.resume) {
  if (!existsSync(path.join(args.resume, 'model.json'))) {
    console.error(`--resume ${args.resume}: no resume state there (model.json missing)`);
    process.exit(1);
  }
  const ck = await loadCheckpointDir(args.resume);
  // Learning rates, the R1 weight, the EMA decay and the step weights may be changed when a
  // run continues; the new values go into the resume state and model.json, so the record
  // stays exact.
  const savedT = (ck.networks.generator?.config as { T?: number } | undefined)?.T ?? T;
  const overrides: Partial<DdganTrainConfig> = {
    ...stepWeightsFor(savedT, savedRecipe(ck)),
    ...(args['lr-g'] ? { lrG: num(args['lr-g'], 'lr-g', 0) } : {}),
    ...(args['lr-d'] ? { lrD: num(args['lr-d'], 'lr-d', 0) } : {}),
    ...(args.r1 ? { r1Gamma: num(args.r1, 'r1', 0) } : {}),
    ...(args['r1-every'] ? { r1Every: num(args['r1-every'], 'r1-every', 1) } : {}),
    ...(args.ema ? { emaDecay: num(args.ema, 'ema', 0.999) } : {}),
  };
  trainer = restoreTrainer(ck, data, overrides);
  if (args.recipe !== undefined && args.recipe !== trainer.recipe) console.log(`--recipe ${args.recipe} ignored: the saved run is ${trainer.recipe} and continues as such`);
  if (Object.keys(overrides).length) console.log(`changed on resume: ${JSON.stringify(overrides)}`);
  wallSeconds = Number((ck.meta.training as { wallSeconds?: number } | undefined)?.wallSeconds ?? 0);
  console.log(`resumed ${name} at iteration ${trainer.iteration} (${formatDuration(wallSeconds)} of training so far)`);
} else {
  const gConfig = defaultGeneratorConfig({ channels, T, baseChannels: num(args['g-base'], 'g-base', 16), zEmbedDim: 64, tEmbedDim: 64 });
  const dBase = num(args['d-base'], 'd-base', 16);
  const shared: ImageGanTrainConfig = {
    ...defaultImageGanTrainConfig(),
    batch: num(args.batch, 'batch', 32),
    lrG: num(args['lr-g'], 'lr-g', 1.6e-4),
    lrD: num(args['lr-d'], 'lr-d', 1.25e-4),
    r1Gamma: num(args.r1, 'r1', 0.05),
    r1Every: num(args['r1-every'], 'r1-every', 4),
    emaDecay: num(args.ema, 'ema', 0.999),
    flip: args.data === 'emoji',
    seed: num(args.seed, 'seed', 0),
  };
  const recipe = (args.recipe ?? 'ddgan') as ImageGanRecipe;
  const stepWeights = stepWeightsFor(T, recipe);
  trainer =
    recipe === 'diffusion-gan'
      ? DiffusionGanImageTrainer.create(gConfig, defaultDiffusionGanDiscriminatorConfig({ channels, baseChannels: dBase }), data, defaultDiffusionGanTrainConfig(shared))
      : DdganTrainer.create(gConfig, defaultDiscriminatorConfig({ channels, T, baseChannels: dBase }), data, defaultTrainConfig({ ...shared, ...stepWeights }));
}

const gFlops = trainer.G.flopsPerExample();
const dFlops = trainer.D.flopsPerExample();
const { batch, r1Every } = trainer.config;
const isDiffusionGan = trainer.recipe === 'diffusion-gan';
// Diffusion-GAN's fakes are the whole sampling chain: T generator calls per fake image.
const flopsPerIter = ddganIterationFlops(gFlops, dFlops, batch, r1Every, isDiffusionGan ? trainer.schedule.T : 1);
console.log(
  `${name}: G ${trainer.G.paramCount().toLocaleString()} params, ${(gFlops / 1e6).toFixed(1)} MFLOP/image; ` +
    `D ${trainer.D.paramCount().toLocaleString()} params, ${(dFlops / 1e6).toFixed(1)} MFLOP/${isDiffusionGan ? 'image' : 'pair'}; ` +
    `~${(flopsPerIter / 1e9).toFixed(1)} GFLOP/iteration at batch ${batch}`,
);

const previewRng = new Rng(1234);
const previewSeed = previewRng.nextU32();
const recent: TrainStepStats[] = [];

function meta(extra: Record<string, unknown> = {}) {
  const last = recent.slice(-50);
  const avg = (key: 'ms' | 'lossD' | 'lossG' | 'dReal' | 'dFake') => last.reduce((a, s) => a + s[key], 0) / Math.max(1, last.length);
  const msPerIter = avg('ms');
  return {
    name,
    description: `DD-GAN, T = ${trainer.schedule.T}, trained on ${data.name} by this project's trainer${isDiffusionGan ? ' with the Diffusion-GAN objective' : ''}`,
    createdAt: new Date().toISOString(),
    codeVersion: codeVersion(),
    data: { name: data.name, count: data.count, size: data.size, channels: data.channels },
    training: {
      iterations: trainer.iteration,
      batch,
      wallSeconds: Math.round(wallSeconds),
      backend: tf.getBackend(),
      imagesPerSecond: last.length ? (batch * 1000) / msPerIter : null,
      effectiveGflops: last.length ? flopsPerIter / (msPerIter * 1e6) : null,
      recentLosses: last.length
        ? { lossD: avg('lossD'), lossG: avg('lossG'), dReal: avg('dReal'), dFake: avg('dFake') }
        : null,
      config: trainer.config,
    },
    ...extra,
  };
}

async function save(): Promise<void> {
  const m = meta();
  await saveCheckpointDir(out, await shippableCheckpoint(trainer, m));
  await saveCheckpointDir(stateDir, await resumeCheckpoint(trainer, m));
  const x0 = await sampleDdgan(trainer.Gema, trainer.schedule, { batch: 64, rng: new Rng(previewSeed) });
  const pixels = (await x0.data()) as Float32Array;
  x0.dispose();
  await writeGridPng(path.join(stateDir, 'preview.png'), { data: pixels, count: 64, size: data.size, channels }, 8, 2);
}

const stopReason = await runTrainingLoop(trainer, {
  iters,
  saveEvery,
  deadline,
  imagesPerIteration: batch,
  flopsPerIteration: flopsPerIter,
  stateDir,
  save,
  onStep: (stats) => {
    wallSeconds += stats.ms / 1000;
    recent.push(stats);
    if (recent.length > 200) recent.shift();
  },
  describe: (stats) =>
    `D ${stats.lossD.toFixed(3)} G ${stats.lossG.toFixed(3)} ` +
    `R1 ${Number.isNaN(stats.r1) ? '  -  ' : stats.r1.toFixed(3)} | D(real) ${stats.dReal.toFixed(2)} D(fake) ${stats.dFake.toFixed(2)}` +
    (stats.diffusionT !== undefined ? ` | T_dg ${stats.diffusionT} r_d ${Number.isFinite(stats.rd) ? stats.rd!.toFixed(2) : '  -  '}` : ''),
});
console.log(`${stopReason} at iteration ${trainer.iteration}; model: ${out}; resume state: ${stateDir}`);
trainer.dispose();
