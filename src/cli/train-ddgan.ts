/**
 * npm run train -- --model ddgan --data mnist --T 4 [--recipe ddgan|diffusion-gan] [--iters N] [--batch B] [--resume DIR] --out DIR
 * npm run train -- --model ddgan --init CHECKPOINT_DIR --data mnist|emoji|…|FOLDER [--iters N] … --out DIR
 *
 * `--init` fine-tunes a shipped model as the tab's Fine-tune panel does: the generator and
 * its EMA copy start from the checkpoint's generator, the discriminator starts fresh, and
 * the settings are the panel's defaults (src/worker/trainingSettings.ts) unless a flag
 * changes one, within the panel's limits (src/node/finetuneArgs.ts); the trainer is built by
 * the worker's own `buildTrainer`. `--data FOLDER` trains on the images of a folder, decoded,
 * cropped and resized by the code the tab runs on uploads (src/core/images/prepareUpload.ts);
 * each unusable file is named and skipped.
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
import { loadCheckpointDir, saveCheckpointDir } from '../node/checkpointDir';
import { writeGridPng } from '../node/png';
import { codeVersion } from '../node/version';
import { UsageError, flags, formatDuration, parseCli, requireFlags, stringOptions, usageExit } from '../node/args';
import { DEFAULT_ITERS, TRAIN_DDGAN_FLAGS } from '../node/cliFlags';
import { DATA_CHOICES, dataMeta, dataSourceFlag, finetuneSettings, initGenerator, loadTrainingImages, resumeDataSource, type TrainDataSource } from '../node/finetuneArgs';
import { adoptResumeState, checkResumeIters, noteIgnoredOnResume, parseResumeState, readCheckpointFlag, readResumeState } from '../node/resumeArgs';
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
import { DATASETS, flipsLeftRight, trainDataName } from '../core/data/catalog';
import type { ImageDataset } from '../core/data/dataset';
import { disposeCheckpoint, type ModelJson } from '../core/models/checkpoint';
import type { Network } from '../core/models/network';
import type { TrainingSettings } from '../worker/protocol';
import { buildTrainer } from '../worker/trainingSession';
import { DEFAULT_TRAINING_SETTINGS, TRAINING_LIMITS } from '../worker/trainingSettings';

await leaveTsxRelay();

const USAGE = `usage: npm run train -- --model ddgan --data mnist|emoji|icons --T 1|2|4|8 --out DIR
  [--recipe ddgan|diffusion-gan] [--iters N (default 4000)] [--batch B (1–512)] [--resume STATE_DIR] [--state STATE_DIR] [--save-every N] [--minutes M]
  [--lr-g X] [--lr-d X] [--r1 GAMMA] [--r1-every N] [--ema X] [--step-weights W1,…,WT] [--seed S] [--g-base C] [--d-base C] [--name NAME]
  ${BACKEND_USAGE}
fine-tune a model as the tab does (its defaults: ${describeDefaults()}):
  npm run train -- --model ddgan --init CHECKPOINT_DIR --data ${Object.keys(DATASETS).join('|')}|FOLDER --out DIR
  [--recipe ddgan|diffusion-gan] [--iters N] [--batch B (1–${TRAINING_LIMITS.batch[1]})] [--lr-g X] [--lr-d X] [--r1 GAMMA] [--ema X] [--seed S] [--state STATE_DIR] [--save-every N] [--minutes M] [--name NAME]`;

const args = parseCli(USAGE, { ...BACKEND_CLI_OPTIONS, ...stringOptions(TRAIN_DDGAN_FLAGS) });
// reached with another --model only when run directly; src/cli/train.ts dispatches by --model
if (args.model !== undefined && args.model !== 'ddgan') usageExit(`--model ${args.model}: this command trains ddgan (npm run train dispatches the others)`);
requireFlags(args, ['out']);
const f = flags(args, TRAIN_DDGAN_FLAGS);

const out = path.resolve(f.out!);
const stateDir = path.resolve(f.state ?? f.resume ?? `${out}.state`);
const name = f.name ?? path.basename(out);
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

/** The panel's fine-tune defaults, for --help. */
function describeDefaults(): string {
  const d = DEFAULT_TRAINING_SETTINGS;
  return `${d.iterations} iterations, batch ${d.batch}, lr G ${d.lrG}, lr D ${d.lrD}, R1 γ ${d.r1Gamma}, EMA ${d.emaDecay}, seed ${d.seed}`;
}

/** A check of a flag that ends the CLI with its one-line message (exit 2). */
async function orUsage<T>(check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (e) {
    if (e instanceof UsageError) usageExit(e.message);
    throw e;
  }
}

// Everything about the run that can be checked without tensors, before the backend starts.
const resume = f.resume !== undefined ? await readResumeState(f.resume, checkImageGanResumeMeta) : undefined;
const dataFlag = await orUsage(() => dataSourceFlag(f.data));
/** A fine-tune's settings (the tab's), its checkpoint folder and generator. */
let finetune: { settings: TrainingSettings; dir: string; meta: ModelJson; generator: ReturnType<typeof initGenerator> } | undefined;
let source: TrainDataSource;
let iters: number;
let overrides: Partial<DdganTrainConfig> = {};
let gConfigFresh: GeneratorConfig | undefined;
/** The generator whose size and channels the data are fitted to (absent: a fresh run's data decide). */
let fitTo: { imageSize: number; channels: number } | undefined;
if (resume) {
  if (f.init !== undefined) console.log(`--init ${f.init} ignored on resume: the state at ${resume.dir} holds the run's own weights`);
  const savedTarget = (resume.files.meta.training as { targetIterations?: unknown } | undefined)?.targetIterations;
  // Without --iters a resumed run goes on to the target it was started with.
  iters = f.iters ?? (typeof savedTarget === 'number' && Number.isInteger(savedTarget) && savedTarget > 0 ? savedTarget : DEFAULT_ITERS);
  checkResumeIters(resume, iters);
  source = await orUsage(() => resumeDataSource(resume.dir, resume.files.meta.data, dataFlag, f.data));
  fitTo = resume.files.meta.networks.generator as GeneratorConfig;
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
} else if (f.init !== undefined) {
  if (!dataFlag) usageExit(`--data is required with --init: ${DATA_CHOICES}`);
  const dir = path.resolve(f.init);
  const meta = await readCheckpointFlag('init', f.init);
  const generator = await orUsage(() => initGenerator(f.init!, meta));
  const settings = await orUsage(() => finetuneSettings(args, f));
  finetune = { settings, dir, meta, generator };
  source = dataFlag;
  iters = settings.iterations;
  fitTo = generator.config;
} else {
  if (dataFlag?.kind === 'folder') usageExit(`--data ${f.data}: a folder of images is fitted to a model's size and channels: give the model to fine-tune with --init CHECKPOINT_DIR`);
  source = dataFlag ?? { kind: 'builtin', name: trainDataName('mnist') };
  iters = f.iters ?? DEFAULT_ITERS;
  gConfigFresh = defaultGeneratorConfig({ T: f.T, baseChannels: f['g-base'], zEmbedDim: 64, tEmbedDim: 64 });
  try {
    validateGeneratorConfig(gConfigFresh);
  } catch (e) {
    usageExit(`--g-base ${f['g-base']}: ${(e as Error).message}`);
  }
}

// The data before the backend: a folder with no usable image ends the run before it starts.
const data: ImageDataset = fitTo
  ? (await loadTrainingImages(source, fitTo.imageSize, fitTo.channels === 1 ? 1 : 3, (s) => console.log(`skipped ${s.name}: ${s.reason}`))).dataset
  : await loadDataset((source as Extract<TrainDataSource, { kind: 'builtin' }>).name);
if (source.kind === 'folder') console.log(`${data.count} image${data.count === 1 ? '' : 's'} from ${source.dir}, at ${data.size}×${data.size}×${data.channels}`);
const channels = data.channels;

await useBackendFromArgs(args, USAGE);

let trainer: ImageGanTrainer;
let wallSeconds = 0;
if (resume) {
  const ck = parseResumeState(resume);
  trainer = adoptResumeState(resume, () => restoreTrainer(ck, data, overrides));
  if (f.recipe !== undefined && f.recipe !== trainer.recipe) console.log(`--recipe ${f.recipe} ignored: the saved run is ${trainer.recipe} and continues as such`);
  if (Object.keys(overrides).length) console.log(`changed on resume: ${JSON.stringify(overrides)}`);
  wallSeconds = Number((ck.meta.training as { wallSeconds?: number } | undefined)?.wallSeconds ?? 0);
  console.log(`resumed ${name} at iteration ${trainer.iteration} (${formatDuration(wallSeconds)} of training so far)`);
} else if (finetune) {
  // The checkpoint's generator is cloned by buildTrainer (as the worker's loaded model is):
  // the loaded copy is freed once the trainer holds its own.
  const ck = await loadCheckpointDir(finetune.dir);
  try {
    const built = buildTrainer({ kind: 'finetune' }, ck.networks[finetune.generator.key] as Network<GeneratorConfig>, data, finetune.settings);
    trainer = built.trainer;
    console.log(built.note);
  } finally {
    disposeCheckpoint(ck);
  }
  console.log(`fine-tuning ${finetune.meta.name} (${finetune.dir}) with the tab's settings: ${JSON.stringify(finetune.settings)}`);
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
    flip: source.kind === 'builtin' && flipsLeftRight(source.name),
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

/** The model a fine-tune started from (kept in model.json, and carried on by a resumed run). */
const savedInit = resume?.files.meta.init as { name?: unknown; dir?: unknown } | undefined;
const initFrom: { name: string; dir: string } | undefined = finetune
  ? { name: finetune.meta.name, dir: finetune.dir }
  : typeof savedInit?.name === 'string' && typeof savedInit.dir === 'string'
    ? { name: savedInit.name, dir: savedInit.dir }
    : undefined;

function meta(extra: Record<string, unknown> = {}) {
  const last = recent.slice(-50);
  const avg = (key: 'ms' | 'lossD' | 'lossG' | 'dReal' | 'dFake') => last.reduce((a, s) => a + s[key], 0) / Math.max(1, last.length);
  const msPerIter = avg('ms');
  return {
    name,
    description: initFrom
      ? `DD-GAN, T = ${trainer.schedule.T}, ${initFrom.name} fine-tuned on ${data.name} by this project's trainer${isDiffusionGan ? ' with the Diffusion-GAN objective' : ''}`
      : `DD-GAN, T = ${trainer.schedule.T}, trained on ${data.name} by this project's trainer${isDiffusionGan ? ' with the Diffusion-GAN objective' : ''}`,
    createdAt: new Date().toISOString(),
    codeVersion: codeVersion(),
    data: dataMeta(source, data),
    ...(initFrom ? { init: initFrom } : {}),
    training: {
      iterations: trainer.iteration,
      targetIterations: iters,
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
