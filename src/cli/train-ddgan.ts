/**
 * npm run train -- --model ddgan --data mnist --T 4 [--recipe ddgan|diffusion-gan] [--iters N] [--batch B] [--resume DIR] --out DIR
 *
 * `--recipe` picks the training objective of a fresh run (src/core/training/imageGan.ts):
 * 'ddgan' (default; pair discriminator) or 'diffusion-gan' (discriminator on diffused images
 * of the whole sampling chain, adaptive T_dg). Either way the model is a DD-GAN generator.
 * A resumed run keeps the recipe, the data, the batch and the architecture it was saved with.
 *
 * Trains on the wasm backend with the project's gradient kernels. Writes the shippable
 * checkpoint (EMA generator) to --out and the resume state to --state (default
 * <out>.state, or the --resume folder). Stops cleanly on Ctrl-C / SIGTERM or after
 * --minutes, saving first, so a run can continue across several sessions with --resume.
 *
 * Every flag is checked before the backend starts (src/node/cliFlags.ts), and so is a
 * --resume state. Each update is watched for a divergence that stays finite (losses or
 * logits exploding, src/core/training/divergence.ts) and each save for collapsed samples and
 * non-finite weights; a diverged run stops without writing, so the last good save survives.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { BACKEND_CLI_OPTIONS, BACKEND_USAGE, useBackendFromArgs } from '../node/backend';
import { loadDataset } from '../node/data';
import { saveCheckpointDir } from '../node/checkpointDir';
import { writeGridPng } from '../node/png';
import { codeVersion } from '../node/version';
import { flags, formatDuration, parseCli, requireFlags, stringOptions, usageExit } from '../node/args';
import { TRAIN_DDGAN_FLAGS } from '../node/cliFlags';
import { adoptResumeState, checkResumeIters, noteIgnoredOnResume, parseResumeState, readResumeState, resumeDataName } from '../node/resumeArgs';
import { leaveTsxRelay } from '../node/tsxRelay';
import { defaultGeneratorConfig, validateGeneratorConfig, type GeneratorConfig } from '../core/models/generator';
import { defaultDiffusionGanDiscriminatorConfig, defaultDiscriminatorConfig } from '../core/models/discriminator';
import { DdganTrainer, checkStepWeights, defaultTrainConfig, type DdganTrainConfig } from '../core/training/ddganTrainer';
import { DiffusionGanImageTrainer, defaultDiffusionGanTrainConfig } from '../core/training/diffusionGanImageTrainer';
import { defaultImageGanTrainConfig, type ImageGanRecipe, type ImageGanTrainConfig, type ImageGanTrainer, type TrainStepStats } from '../core/training/imageGan';
import { runTrainingLoop } from '../node/trainLoop';
import { checkWeightGrowth, weightRms } from '../node/weightScale';
import { ddganIterationFlops } from '../node/benchTraining';
import { restoreTrainer, resumeCheckpoint, savedRecipe, shippableCheckpoint } from '../core/training/ddganState';
import { checkImageGanResumeMeta } from '../core/training/resumeStateCheck';
import { DivergenceMonitor, checkSamples, checkWeights } from '../core/training/divergence';
import { sampleDdgan } from '../core/diffusion/ddganSampler';
import { Rng } from '../core/rng';
import { trainDataName } from '../core/data/catalog';

await leaveTsxRelay();

const USAGE = `usage: npm run train -- --model ddgan --data mnist|emoji --T 1|2|4|8 --out DIR
  [--recipe ddgan|diffusion-gan] [--iters N] [--batch B (1–512)] [--resume STATE_DIR] [--state STATE_DIR] [--save-every N] [--minutes M]
  [--lr-g X] [--lr-d X] [--r1 GAMMA] [--r1-every N] [--ema X] [--step-weights W1,…,WT] [--seed S] [--g-base C] [--d-base C] [--name NAME]
  ${BACKEND_USAGE}`;

const args = parseCli(USAGE, { ...BACKEND_CLI_OPTIONS, ...stringOptions(TRAIN_DDGAN_FLAGS) });
// reached with another --model only when run directly; src/cli/train.ts dispatches by --model
if (args.model !== undefined && args.model !== 'ddgan') usageExit(`--model ${args.model}: this command trains ddgan (npm run train dispatches the others)`);
requireFlags(args, ['out']);
const f = flags(args, TRAIN_DDGAN_FLAGS);

const out = path.resolve(f.out!);
const stateDir = path.resolve(f.state ?? f.resume ?? `${out}.state`);
const name = f.name ?? path.basename(out);
const iters = f.iters;
const deadline = f.minutes !== undefined ? Date.now() + f.minutes * 60_000 : Infinity;

/** --step-weights (DD-GAN recipe only), checked against the run's T. */
function stepWeightsFor(runT: number, recipe: ImageGanRecipe): { stepWeights?: number[] } {
  const weights = f['step-weights'];
  if (weights === undefined) return {};
  const bad = (why: string): never => usageExit(`--step-weights ${args['step-weights']}: ${why}`);
  if (recipe !== 'ddgan') bad(`the ${recipe} recipe draws its own diffusion steps; step weights are for the ddgan recipe`);
  try {
    checkStepWeights(weights, runT);
  } catch (e) {
    bad((e as Error).message);
  }
  return { stepWeights: weights };
}

// Everything about the run that can be checked without tensors, before the backend starts.
const resume = f.resume !== undefined ? await readResumeState(f.resume, checkImageGanResumeMeta) : undefined;
let dataName: string;
let overrides: Partial<DdganTrainConfig> = {};
let gConfigFresh: GeneratorConfig | undefined;
if (resume) {
  checkResumeIters(resume, iters);
  dataName = resumeDataName(resume, f.data);
  const savedG = resume.files.meta.networks.generator as { T?: number; baseChannels?: number };
  const savedD = resume.files.meta.networks.discriminator as { baseChannels?: number };
  const savedConfig = resume.files.meta.trainConfig as { batch?: number; seed?: number };
  noteIgnoredOnResume(args, f, { T: savedG.T, batch: savedConfig.batch, 'g-base': savedG.baseChannels, 'd-base': savedD.baseChannels, seed: savedConfig.seed });
  const savedT = savedG.T ?? f.T;
  // Learning rates, the R1 weight, the EMA decay and the step weights may be changed when a
  // run continues; the new values go into the resume state and model.json.
  overrides = {
    ...stepWeightsFor(savedT, savedRecipe(resume.files)),
    ...(f['lr-g'] !== undefined ? { lrG: f['lr-g'] } : {}),
    ...(f['lr-d'] !== undefined ? { lrD: f['lr-d'] } : {}),
    ...(f.r1 !== undefined ? { r1Gamma: f.r1 } : {}),
    ...(f['r1-every'] !== undefined ? { r1Every: f['r1-every'] } : {}),
    ...(f.ema !== undefined ? { emaDecay: f.ema } : {}),
  };
} else {
  dataName = trainDataName(f.data ?? 'mnist');
  gConfigFresh = defaultGeneratorConfig({ T: f.T, baseChannels: f['g-base'], zEmbedDim: 64, tEmbedDim: 64 });
  try {
    validateGeneratorConfig(gConfigFresh);
  } catch (e) {
    usageExit(`--g-base ${f['g-base']}: ${(e as Error).message}`);
  }
}

await useBackendFromArgs(args, USAGE);
const data = await loadDataset(dataName);
const channels = data.channels;

let trainer: ImageGanTrainer;
let wallSeconds = 0;
if (resume) {
  const ck = parseResumeState(resume);
  trainer = adoptResumeState(resume, () => restoreTrainer(ck, data, overrides));
  if (f.recipe !== undefined && f.recipe !== trainer.recipe) console.log(`--recipe ${f.recipe} ignored: the saved run is ${trainer.recipe} and continues as such`);
  if (Object.keys(overrides).length) console.log(`changed on resume: ${JSON.stringify(overrides)}`);
  wallSeconds = Number((ck.meta.training as { wallSeconds?: number } | undefined)?.wallSeconds ?? 0);
  console.log(`resumed ${name} at iteration ${trainer.iteration} (${formatDuration(wallSeconds)} of training so far)`);
} else {
  const gConfig = { ...gConfigFresh!, channels };
  const dBase = f['d-base'];
  const shared: ImageGanTrainConfig = {
    ...defaultImageGanTrainConfig(),
    batch: f.batch ?? 32,
    lrG: f['lr-g'] ?? 1.6e-4,
    lrD: f['lr-d'] ?? 1.25e-4,
    r1Gamma: f.r1 ?? 0.05,
    r1Every: f['r1-every'] ?? 4,
    emaDecay: f.ema ?? 0.999,
    flip: dataName === trainDataName('emoji'),
    seed: f.seed ?? 0,
  };
  const recipe: ImageGanRecipe = f.recipe ?? 'ddgan';
  const stepWeights = stepWeightsFor(f.T, recipe);
  trainer =
    recipe === 'diffusion-gan'
      ? DiffusionGanImageTrainer.create(gConfig, defaultDiffusionGanDiscriminatorConfig({ channels, baseChannels: dBase }), data, defaultDiffusionGanTrainConfig(shared))
      : DdganTrainer.create(gConfig, defaultDiscriminatorConfig({ channels, T: f.T, baseChannels: dBase }), data, defaultTrainConfig({ ...shared, ...stepWeights }));
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
const startIteration = trainer.iteration;
const monitor = new DivergenceMonitor();

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

/** The scale of every network's weights at the start, against which a blow-up is measured. */
const startScale = weightRms(resume ? { modelJson: resume.files.meta, weightData: resume.files.weightData } : await resumeCheckpoint(trainer, meta()));

/**
 * One save: everything is made and checked first (every weight is finite, no network's
 * weights blew up, the preview samples have not collapsed), then the resume state, the model
 * and the preview are written. A failed check throws TrainingDiverged with nothing written.
 */
async function save(): Promise<void> {
  const it = trainer.iteration;
  const m = meta();
  const state = await resumeCheckpoint(trainer, m);
  const model = await shippableCheckpoint(trainer, m);
  checkWeights(state.weightData, it);
  checkWeights(model.weightData, it);
  checkWeightGrowth(startScale, weightRms(state), it, startIteration);
  const x0 = await sampleDdgan(trainer.Gema, trainer.schedule, { batch: 64, rng: new Rng(previewSeed) });
  const pixels = (await x0.data()) as Float32Array;
  x0.dispose();
  if (it > startIteration) checkSamples(pixels, it);
  await saveCheckpointDir(stateDir, state);
  await saveCheckpointDir(out, model);
  await writeGridPng(path.join(stateDir, 'preview.png'), { data: pixels, count: 64, size: data.size, channels }, 8, 2);
}

const stopReason = await runTrainingLoop(trainer, {
  iters,
  saveEvery: f['save-every'],
  deadline,
  imagesPerIteration: batch,
  flopsPerIteration: flopsPerIter,
  stateDir,
  lastGood: resume ? { dir: path.resolve(resume.dir), iteration: resume.iteration } : null,
  save,
  onStep: (stats) => {
    wallSeconds += stats.ms / 1000;
    recent.push(stats);
    if (recent.length > 200) recent.shift();
  },
  check: (stats) => monitor.checkStats(stats),
  describe: (stats) =>
    `D ${stats.lossD.toFixed(3)} G ${stats.lossG.toFixed(3)} ` +
    `R1 ${Number.isNaN(stats.r1) ? '  -  ' : stats.r1.toFixed(3)} | D(real) ${stats.dReal.toFixed(2)} D(fake) ${stats.dFake.toFixed(2)}` +
    (stats.diffusionT !== undefined ? ` | T_dg ${stats.diffusionT} r_d ${Number.isFinite(stats.rd) ? stats.rd!.toFixed(2) : '  -  '}` : ''),
});
console.log(`${stopReason} at iteration ${trainer.iteration}; model: ${out}; resume state: ${stateDir}`);
trainer.dispose();
