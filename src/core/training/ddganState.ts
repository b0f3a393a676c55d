/**
 * Saving and restoring an image-GAN training run (either recipe: ./imageGan.ts). Two artefacts:
 *  - the shippable model: the EMA generator alone (what the app loads; the same DD-GAN
 *    generator whichever recipe trained it);
 *  - the resume state: raw G, D, EMA G, both optimisers' moments, the Rng state, the
 *    iteration and the recipe's own state (Diffusion-GAN's adaptive T), so a resumed run
 *    takes exactly the step the uninterrupted run would have.
 *
 * The recipe is `trainConfig.recipe` (./recipes/registry.ts); states saved before there was
 * a choice have none and are DD-GAN.
 */
import type * as tf from '@tensorflow/tfjs';
import { serializeCheckpoint, type CheckpointMeta, type LoadedCheckpoint, type ModelJson } from '../models/checkpoint';
import type { ImageDataset } from '../data/dataset';
import type { ImageGanTrainConfig, ImageGanTrainer } from './imageGan';
import { imageRecipe, savedRecipe } from './recipes/registry';
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

/**
 * Rebuilds a trainer of the saved recipe from a resume checkpoint; the checkpoint's networks
 * are adopted. `overrides` may change the shared settings (learning rates, R1, batch…), not
 * the recipe.
 */
export function restoreTrainer(ck: LoadedCheckpoint, data: ImageDataset, overrides: Partial<ImageGanTrainConfig> = {}): ImageGanTrainer {
  return imageRecipe(savedRecipe(ck)).restore(ck, data, overrides);
}
