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
 * `--recipe` picks the training objective of a fresh run (src/core/training/recipes/):
 * 'ddgan' (default; pair discriminator) or 'diffusion-gan' (discriminator on diffused images
 * of the whole sampling chain, adaptive T_dg). Either way the model is a DD-GAN generator.
 * A resumed run keeps the recipe, the data, the batch and the architecture it was saved with.
 *
 * Writes the shippable checkpoint (EMA generator) to --out and the resume state to --state
 * (default <out>.state, or the --resume folder). Each update is watched for a divergence
 * that stays finite (losses or logits exploding, src/core/training/divergence.ts) and each
 * save for collapsed preview samples.
 */
import path from 'node:path';
import { DATASETS, flipsLeftRight, trainDataName } from '../../core/data/catalog';
import type { ImageDataset } from '../../core/data/dataset';
import { sampleDdgan } from '../../core/diffusion/ddganSampler';
import { disposeCheckpoint, type ModelJson } from '../../core/models/checkpoint';
import { defaultGeneratorConfig, validateGeneratorConfig, type GeneratorConfig } from '../../core/models/generator';
import type { Network } from '../../core/models/network';
import { Rng } from '../../core/rng';
import { checkStepWeights, type DdganTrainConfig } from '../../core/training/ddganTrainer';
import { resumeCheckpoint, restoreTrainer, shippableCheckpoint } from '../../core/training/ddganState';
import { imageRecipe, savedRecipe } from '../../core/training/recipes/registry';
import { DEFAULT_TRAINING_RECIPE, TRAINING_RECIPE_IDS, TRAINING_RECIPE_INFO, objectiveNote, type TrainingRecipeId } from '../../shared/recipes';
import { DivergenceMonitor, checkSamples } from '../../core/training/divergence';
import { defaultImageGanTrainConfig, type ImageGanStateJson, type ImageGanTrainConfig, type ImageGanTrainer, type TrainStepStats } from '../../core/training/imageGan';
import { checkImageGanResumeMeta } from '../../core/training/resumeStateCheck';
import type { TrainingSettings } from '../../worker/protocol';
import { buildTrainer } from '../../worker/trainingSession';
import { DEFAULT_TRAINING_SETTINGS, TRAINING_LIMITS } from '../../worker/trainingSettings';
import { UsageError, usageExit, type FlagValues } from '../args';
import { BACKEND_USAGE } from '../backend';
import { ddganIterationFlops } from '../benchTraining';
import { loadCheckpointDir } from '../checkpointDir';
import { DEFAULT_ITERS, TRAIN_DDGAN_FLAGS } from '../cliFlags';
import { codeVersion } from '../version';
import { loadDataset } from '../data';
import { DATA_CHOICES, dataMeta, dataSourceFlag, finetuneSettings, initGenerator, loadTrainingImages, resumeDataSource, type TrainDataSource } from '../finetuneArgs';
import { noteIgnoredOnResume, readCheckpointFlag } from '../resumeArgs';
import { recentMean, throughputFields, type TrainProgress, type TrainSession, type TrainSpec } from '../trainCommand';

type Flags = FlagValues<typeof TRAIN_DDGAN_FLAGS>;

/** The panel's fine-tune defaults, for --help. */
function describeDefaults(): string {
  const d = DEFAULT_TRAINING_SETTINGS;
  return `${d.iterations} iterations, batch ${d.batch}, lr G ${d.lrG}, lr D ${d.lrD}, R1 γ ${d.r1Gamma}, EMA ${d.emaDecay}, seed ${d.seed}`;
}

const RECIPE_CHOICES = TRAINING_RECIPE_IDS.join('|');
const USAGE = `usage: npm run train -- --model ddgan --data mnist|emoji|icons --T 1|2|4|8 --out DIR
  [--recipe ${RECIPE_CHOICES}] [--iters N (default 4000)] [--batch B (1–512)] [--resume STATE_DIR] [--state STATE_DIR] [--save-every N] [--minutes M]
  [--lr-g X] [--lr-d X] [--r1 GAMMA] [--r1-every N] [--ema X] [--step-weights W1,…,WT] [--augment color,translation,cutout|none] [--seed S] [--g-base C] [--d-base C] [--name NAME]
  ${BACKEND_USAGE}
fine-tune a model as the tab does (its defaults: ${describeDefaults()}):
  npm run train -- --model ddgan --init CHECKPOINT_DIR --data ${Object.keys(DATASETS).join('|')}|FOLDER --out DIR
  [--recipe ${RECIPE_CHOICES}] [--iters N] [--batch B (1–${TRAINING_LIMITS.batch[1]})] [--lr-g X] [--lr-d X] [--r1 GAMMA] [--ema X] [--augment color,translation,cutout|none] [--init-d base|fresh] [--seed S] [--state STATE_DIR] [--save-every N] [--minutes M] [--name NAME]`;

/** A check of a flag that ends the CLI with its one-line message (exit 2). */
async function orUsage<T>(check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (e) {
    if (e instanceof UsageError) usageExit(e.message);
    throw e;
  }
}

/** --step-weights (recipes that have step weights: DD-GAN), checked against the run's T. */
function stepWeightsFor(args: Record<string, unknown>, f: Flags, runT: number, recipe: TrainingRecipeId): { stepWeights?: number[] } {
  const weights = f['step-weights'];
  if (weights === undefined) return {};
  const bad = (why: string): never => usageExit(`--step-weights ${String(args['step-weights'])}: ${why}`);
  if (!TRAINING_RECIPE_INFO[recipe].settings.includes('stepWeights')) {
    const withWeights = TRAINING_RECIPE_IDS.filter((r) => TRAINING_RECIPE_INFO[r].settings.includes('stepWeights')).join(', ');
    bad(`the ${recipe} recipe draws its own diffusion steps; step weights are for the ${withWeights} recipe`);
  }
  try {
    checkStepWeights(weights, runT);
  } catch (e) {
    bad((e as Error).message);
  }
  return { stepWeights: weights };
}

/** A fine-tune's settings (the tab's), its checkpoint folder and generator. */
interface Finetune {
  readonly settings: TrainingSettings;
  readonly dir: string;
  readonly meta: ModelJson;
  readonly generator: ReturnType<typeof initGenerator>;
}

export const DDGAN_TRAINING: TrainSpec<typeof TRAIN_DDGAN_FLAGS, TrainStepStats, ImageGanStateJson> = {
  model: 'ddgan',
  usage: USAGE,
  flags: TRAIN_DDGAN_FLAGS,
  name: (f) => f.name,
  resume: { defaultDir: (out) => `${out}.state`, check: checkImageGanResumeMeta },

  async plan({ args, f, name, resume }) {
    if (f['init-d'] !== undefined && (f.init === undefined || resume)) {
      usageExit(`--init-d ${f['init-d']}: it says where a fine-tune's discriminator starts, so it goes with --init (and not with --resume)`);
    }
    const dataFlag = await orUsage(() => dataSourceFlag(f.data));
    let finetune: Finetune | undefined;
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
        ...stepWeightsFor(args, f, savedT, savedRecipe(resume.files)),
        ...(f['lr-g'] !== undefined ? { lrG: f['lr-g'] } : {}),
        ...(f['lr-d'] !== undefined ? { lrD: f['lr-d'] } : {}),
        ...(f.r1 !== undefined ? { r1Gamma: f.r1 } : {}),
        ...(f['r1-every'] !== undefined ? { r1Every: f['r1-every'] } : {}),
        ...(f.ema !== undefined ? { emaDecay: f.ema } : {}),
        ...(f.augment !== undefined ? { augment: f.augment } : {}),
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

    /** The model a fine-tune started from (kept in model.json, and carried on by a resumed run). */
    const savedInit = resume?.files.meta.init as { name?: unknown; dir?: unknown } | undefined;
    const initFrom: { name: string; dir: string } | undefined = finetune
      ? { name: finetune.meta.name, dir: finetune.dir }
      : typeof savedInit?.name === 'string' && typeof savedInit.dir === 'string'
        ? { name: savedInit.name, dir: savedInit.dir }
        : undefined;
    const session = (trainer: ImageGanTrainer) => ddganSession(trainer, { name, iters, data, source, initFrom });

    return {
      iters,
      restore(ck) {
        const trainer = restoreTrainer(ck, data, overrides);
        if (f.recipe !== undefined && f.recipe !== trainer.recipe) console.log(`--recipe ${f.recipe} ignored: the saved run is ${trainer.recipe} and continues as such`);
        if (Object.keys(overrides).length) console.log(`changed on resume: ${JSON.stringify(overrides)}`);
        return session(trainer);
      },
      async create() {
        if (finetune) {
          // The checkpoint's generator is cloned by buildTrainer (as the worker's loaded model is):
          // the loaded copy is freed once the trainer holds its own.
          const ck = await loadCheckpointDir(finetune.dir);
          try {
            const built = buildTrainer({ kind: 'finetune' }, ck.networks[finetune.generator.key] as Network<GeneratorConfig>, data, finetune.settings, f['init-d'] === 'fresh' ? null : (ck.networks.discriminator ?? null));
            console.log(built.note);
            console.log(`fine-tuning ${finetune.meta.name} (${finetune.dir}) with the tab's settings: ${JSON.stringify(finetune.settings)}`);
            return session(built.trainer);
          } finally {
            disposeCheckpoint(ck);
          }
        }
        const channels = data.channels;
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
          augment: f.augment ?? [],
        };
        const recipeId: TrainingRecipeId = f.recipe ?? DEFAULT_TRAINING_RECIPE;
        const recipe = imageRecipe(recipeId);
        const config = recipe.defaults({ ...shared, ...stepWeightsFor(args, f, f.T, recipeId) });
        return session(recipe.createFresh(gConfig, recipe.discriminator(gConfig, dBase), data, config));
      },
    };
  },
};

interface RunInfo {
  readonly name: string;
  readonly iters: number;
  readonly data: ImageDataset;
  readonly source: TrainDataSource;
  readonly initFrom?: { readonly name: string; readonly dir: string };
}

/** An image-GAN trainer (either recipe) as the driver runs it. */
function ddganSession(trainer: ImageGanTrainer, run: RunInfo): TrainSession<TrainStepStats> {
  const { name, iters, data, source, initFrom } = run;
  const gFlops = trainer.G.flopsPerExample();
  const dFlops = trainer.D.flopsPerExample();
  const { batch, r1Every } = trainer.config;
  const recipe = TRAINING_RECIPE_INFO[trainer.recipe];
  // A recipe whose fakes are the whole sampling chain makes T generator calls per fake image.
  const flopsPerIter = ddganIterationFlops(gFlops, dFlops, batch, r1Every, recipe.chainFakes ? trainer.schedule.T : 1);
  const previewSeed = new Rng(1234).nextU32();
  const startIteration = trainer.iteration;
  const monitor = new DivergenceMonitor();
  const objective = objectiveNote(trainer.recipe);

  const meta = (progress: TrainProgress<TrainStepStats>) => {
    const mean = (key: 'lossD' | 'lossG' | 'dReal' | 'dFake') => recentMean(progress.recent, key)!;
    return {
      name,
      description: initFrom
        ? `DD-GAN, T = ${trainer.schedule.T}, ${initFrom.name} fine-tuned on ${data.name} by this project's trainer${objective}`
        : `DD-GAN, T = ${trainer.schedule.T}, trained on ${data.name} by this project's trainer${objective}`,
      createdAt: new Date().toISOString(),
      codeVersion: codeVersion(),
      data: dataMeta(source, data),
      ...(initFrom ? { init: initFrom } : {}),
      training: {
        iterations: trainer.iteration,
        targetIterations: iters,
        batch,
        ...throughputFields(progress, batch, flopsPerIter),
        recentLosses: progress.recent.length ? { lossD: mean('lossD'), lossG: mean('lossG'), dReal: mean('dReal'), dFake: mean('dFake') } : null,
        config: trainer.config,
      },
    };
  };

  return {
    trainer,
    imagesPerIteration: batch,
    flopsPerIteration: flopsPerIter,
    banner:
      `${name}: G ${trainer.G.paramCount().toLocaleString()} params, ${(gFlops / 1e6).toFixed(1)} MFLOP/image; ` +
      `D ${trainer.D.paramCount().toLocaleString()} params, ${(dFlops / 1e6).toFixed(1)} MFLOP/${recipe.discriminator === 'ddgan-discriminator' ? 'pair' : 'image'}; ` +
      `~${(flopsPerIter / 1e9).toFixed(1)} GFLOP/iteration at batch ${batch}`,
    describe: (stats) =>
      `D ${stats.lossD.toFixed(3)} G ${stats.lossG.toFixed(3)} ` +
      `R1 ${Number.isNaN(stats.r1) ? '  -  ' : stats.r1.toFixed(3)} | D(real) ${stats.dReal.toFixed(2)} D(fake) ${stats.dFake.toFixed(2)}` +
      (stats.diffusionT !== undefined ? ` | T_dg ${stats.diffusionT} r_d ${Number.isFinite(stats.rd) ? stats.rd!.toFixed(2) : '  -  '}` : ''),
    check: (stats) => monitor.checkStats(stats),
    async checkpoints(progress) {
      const m = meta(progress);
      return { state: await resumeCheckpoint(trainer, m), model: await shippableCheckpoint(trainer, m) };
    },
    async preview() {
      const x0 = await sampleDdgan(trainer.Gema, trainer.schedule, { batch: 64, rng: new Rng(previewSeed) });
      const pixels = (await x0.data()) as Float32Array;
      x0.dispose();
      if (trainer.iteration > startIteration) checkSamples(pixels, trainer.iteration);
      return { images: { data: pixels, count: 64, size: data.size, channels: data.channels }, cols: 8, scale: 2 };
    },
    dispose: () => trainer.dispose(),
  };
}
