/**
 * Saving and restoring an image-GAN training run (either recipe: ./imageGan.ts). Two artefacts:
 *  - the shippable model: the EMA generator alone (what the app loads; the same DD-GAN
 *    generator whichever recipe trained it);
 *  - the resume state: raw G, D, EMA G, both optimisers' moments, the Rng state, the
 *    iteration and the recipe's own state (Diffusion-GAN's adaptive T), so a resumed run
 *    takes exactly the step the uninterrupted run would have.
 *
 * The recipe is `trainConfig.recipe`; states saved before there was a choice have none and
 * are DD-GAN.
 */
import type * as tf from '@tensorflow/tfjs';
import { CheckpointError, serializeCheckpoint, type CheckpointMeta, type LoadedCheckpoint, type ModelJson } from '../models/checkpoint';
import type { Network } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import type { DiffusionGanDiscriminatorConfig, DiscriminatorConfig } from '../models/discriminator';
import type { ImageDataset } from '../data/dataset';
import { DdganTrainer, type DdganTrainConfig } from './ddganTrainer';
import { DiffusionGanImageTrainer, type DiffusionGanImageTrainConfig } from './diffusionGanImageTrainer';
import { checkDataFitsGenerator, type ImageGanRecipe, type ImageGanTrainConfig, type ImageGanTrainer } from './imageGan';
import { checkAdamMoments, checkImageGanResumeMeta } from './resumeStateCheck';
import { scheduleSummary } from '../diffusion/schedule';

type Meta = Omit<CheckpointMeta, 'networks'>;

export function shippableCheckpoint(trainer: ImageGanTrainer, meta: Meta): Promise<{ modelJson: ModelJson; weightData: ArrayBuffer }> {
  return serializeCheckpoint(
    { ...meta, schedule: { kind: 'ddgan-vp', T: trainer.schedule.T, steps: scheduleSummary(trainer.schedule) } },
    { generator: trainer.Gema },
  );
}

export function resumeCheckpoint(trainer: ImageGanTrainer, meta: Meta): Promise<{ modelJson: ModelJson; weightData: ArrayBuffer }> {
  const state: Record<string, tf.Tensor> = trainer.stateTensors();
  return serializeCheckpoint(
    { ...meta, trainConfig: trainer.config, trainerState: trainer.stateJson() },
    { generator: trainer.G, discriminator: trainer.D, generatorEma: trainer.Gema },
    state,
  );
}

/** The recipe a resume checkpoint was trained with ('ddgan' when it does not say). */
export function savedRecipe(ck: Pick<LoadedCheckpoint, 'meta'>): ImageGanRecipe {
  const recipe = (ck.meta.trainConfig as { recipe?: unknown } | undefined)?.recipe ?? 'ddgan';
  if (recipe !== 'ddgan' && recipe !== 'diffusion-gan') throw new Error(`the saved run has an unknown training recipe ${JSON.stringify(recipe)}`);
  return recipe;
}

/**
 * Rebuilds a trainer of the saved recipe from a resume checkpoint; the checkpoint's networks
 * are adopted. `overrides` may change the shared settings (learning rates, R1, batch…), not
 * the recipe.
 */
export function restoreTrainer(ck: LoadedCheckpoint, data: ImageDataset, overrides: Partial<ImageGanTrainConfig> = {}): ImageGanTrainer {
  const { generator, discriminator, generatorEma } = ck.networks;
  if (!generator || !discriminator || !generatorEma) {
    throw new CheckpointError('this checkpoint has no training state (it needs generator, discriminator and generatorEma)');
  }
  const G = generator as Network<GeneratorConfig>;
  const Gema = generatorEma as Network<GeneratorConfig>;
  const recipe = savedRecipe(ck);
  const saved = ck.meta.trainConfig as Omit<DdganTrainConfig | DiffusionGanImageTrainConfig, 'recipe'>;
  const kindOfD = discriminator.config.kind;
  const wanted = recipe === 'ddgan' ? 'ddgan-discriminator' : 'diffusion-gan-discriminator';
  if (kindOfD !== wanted) throw new Error(`a ${recipe} run needs a ${wanted}, the checkpoint has a ${kindOfD}`);
  // The JSON (iteration, random stream, step counts, settings) and the optimiser moments,
  // before anything is adopted: a bad state fails with one line naming what is wrong.
  const trainerState = checkImageGanResumeMeta(ck.meta);
  if (ck.stateValues) checkAdamMoments(ck.stateValues, { beta1: saved.beta1, beta2: saved.beta2 });
  if (JSON.stringify(Gema.config) !== JSON.stringify(G.config)) throw new CheckpointError('resume state: the EMA generator has another architecture than the generator');
  checkDataFitsGenerator(data, G.config);
  const trainer: ImageGanTrainer =
    recipe === 'ddgan'
      ? new DdganTrainer(G, discriminator as Network<DiscriminatorConfig>, Gema, data, { ...(saved as DdganTrainConfig), ...overrides, recipe })
      : new DiffusionGanImageTrainer(G, discriminator as Network<DiffusionGanDiscriminatorConfig>, Gema, data, {
          ...(saved as DiffusionGanImageTrainConfig),
          ...overrides,
          recipe,
        });
  try {
    trainer.loadState(trainerState, ck.state);
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  for (const t of Object.values(ck.state)) t.dispose();
  return trainer;
}
