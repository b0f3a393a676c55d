/**
 * Saving and restoring a DD-GAN training run. Two artefacts:
 *  - the shippable model: the EMA generator alone (what the app loads);
 *  - the resume state: raw G, D, EMA G, both optimisers' moments, the Rng state and the
 *    iteration, so a resumed run takes exactly the step the uninterrupted run would have.
 */
import type * as tf from '@tensorflow/tfjs';
import { serializeCheckpoint, type CheckpointMeta, type LoadedCheckpoint, type ModelJson } from '../models/checkpoint';
import type { Network } from '../models/network';
import type { GeneratorConfig } from '../models/generator';
import type { DiscriminatorConfig } from '../models/discriminator';
import type { ImageDataset } from '../data/dataset';
import { DdganTrainer, type DdganTrainConfig } from './ddganTrainer';
import { scheduleSummary } from '../diffusion/schedule';

type Meta = Omit<CheckpointMeta, 'networks'>;

export function shippableCheckpoint(trainer: DdganTrainer, meta: Meta): Promise<{ modelJson: ModelJson; weightData: ArrayBuffer }> {
  return serializeCheckpoint(
    { ...meta, schedule: { kind: 'ddgan-vp', T: trainer.schedule.T, steps: scheduleSummary(trainer.schedule) } },
    { generator: trainer.Gema },
  );
}

export function resumeCheckpoint(trainer: DdganTrainer, meta: Meta): Promise<{ modelJson: ModelJson; weightData: ArrayBuffer }> {
  const state: Record<string, tf.Tensor> = trainer.stateTensors();
  return serializeCheckpoint(
    { ...meta, trainConfig: trainer.config, trainerState: trainer.stateJson() },
    { generator: trainer.G, discriminator: trainer.D, generatorEma: trainer.Gema },
    state,
  );
}

/** Rebuilds a trainer from a resume checkpoint; the checkpoint's networks are adopted. */
export function restoreTrainer(ck: LoadedCheckpoint, data: ImageDataset, overrides: Partial<DdganTrainConfig> = {}): DdganTrainer {
  const { generator, discriminator, generatorEma } = ck.networks;
  if (!generator || !discriminator || !generatorEma) {
    throw new Error('this checkpoint has no training state (it needs generator, discriminator and generatorEma)');
  }
  const config = { ...(ck.meta.trainConfig as DdganTrainConfig), ...overrides };
  const trainer = new DdganTrainer(
    generator as Network<GeneratorConfig>,
    discriminator as Network<DiscriminatorConfig>,
    generatorEma as Network<GeneratorConfig>,
    data,
    config,
  );
  trainer.loadState(ck.meta.trainerState as ReturnType<DdganTrainer['stateJson']>, ck.state);
  for (const t of Object.values(ck.state)) t.dispose();
  return trainer;
}
