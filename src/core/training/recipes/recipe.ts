/**
 * What an image training recipe is (STYLE: registries over switches): its plain description
 * (src/shared/recipes.ts), its default settings, the discriminator it trains, how to build a
 * trainer on given networks, and how to rebuild one from a resume checkpoint. The GAN
 * iteration itself is shared (../ganStep.ts); a recipe only decides what D sees.
 *
 * `defineImageRecipe` adds the parts that are the same for every recipe (fresh networks,
 * restore), so a recipe file holds only what is its own.
 */
import { CheckpointError, type LoadedCheckpoint } from '../../models/checkpoint';
import type { Network, NetworkConfig } from '../../models/network';
import type { GeneratorConfig } from '../../models/generator';
import type { ImageDataset } from '../../data/dataset';
import type { TrainingRecipeInfo } from '../../../shared/recipes';
import { checkDataFitsGenerator, freshGanNetworks, type ImageGanRecipe, type ImageGanTrainConfig, type ImageGanTrainer } from '../imageGan';
import { checkAdamMoments, checkImageGanResumeMeta } from '../resumeStateCheck';

/** The networks a trainer adopts: G, D and the EMA copy of G. */
export interface GanTrainerNetworks<DC extends NetworkConfig = NetworkConfig> {
  readonly G: Network<GeneratorConfig>;
  readonly D: Network<DC>;
  readonly Gema: Network<GeneratorConfig>;
}

/** A recipe's full config: the shared settings, its own, and its id. */
export type ImageRecipeConfig = ImageGanTrainConfig & { readonly recipe: ImageGanRecipe };

/** The part of a recipe its own file writes. */
export interface ImageRecipeParts<C extends ImageRecipeConfig, DC extends NetworkConfig> {
  readonly info: TrainingRecipeInfo & { readonly id: C['recipe'] };
  /** The full config: the shared defaults, the recipe's own, then `overrides`. */
  defaults(overrides?: Partial<C>): C;
  /** The discriminator it trains, for generator `g`, `baseChannels` wide at the top level. */
  discriminator(g: GeneratorConfig, baseChannels: number): DC;
  /** A trainer on these networks (adopted); throws on a config that does not fit them. */
  create(nets: GanTrainerNetworks<DC>, data: ImageDataset, config: C): ImageGanTrainer;
}

export interface ImageRecipe<C extends ImageRecipeConfig = ImageRecipeConfig, DC extends NetworkConfig = NetworkConfig>
  extends ImageRecipeParts<C, DC> {
  /** A trainer on fresh networks: G from seed·2+1, D from seed·2+2, the EMA copy equal to G. */
  createFresh(gConfig: GeneratorConfig, dConfig: DC, data: ImageDataset, config: C): ImageGanTrainer;
  /**
   * Rebuilds a run of this recipe from a resume checkpoint, adopting its networks and
   * taking its state; `overrides` may change the shared settings (learning rates, R1,
   * batch…). A bad state fails with one line naming what is wrong.
   */
  restore(ck: LoadedCheckpoint, data: ImageDataset, overrides?: Partial<ImageGanTrainConfig>): ImageGanTrainer;
}

export function defineImageRecipe<C extends ImageRecipeConfig, DC extends NetworkConfig>(parts: ImageRecipeParts<C, DC>): ImageRecipe<C, DC> {
  const { info } = parts;
  return {
    ...parts,
    createFresh(gConfig, dConfig, data, config) {
      return parts.create(freshGanNetworks(gConfig, dConfig, config.seed), data, config);
    },
    restore(ck, data, overrides = {}) {
      const { generator, discriminator, generatorEma } = ck.networks;
      if (!generator || !discriminator || !generatorEma) {
        throw new CheckpointError('this checkpoint has no training state (it needs generator, discriminator and generatorEma)');
      }
      const G = generator as Network<GeneratorConfig>;
      const Gema = generatorEma as Network<GeneratorConfig>;
      const saved = ck.meta.trainConfig as Omit<C, 'recipe'>;
      const kindOfD = discriminator.config.kind;
      if (kindOfD !== info.discriminator) throw new Error(`a ${info.id} run needs a ${info.discriminator}, the checkpoint has a ${kindOfD}`);
      // The JSON (iteration, random stream, step counts, settings) and the optimiser moments,
      // before anything is adopted.
      const trainerState = checkImageGanResumeMeta(ck.meta);
      if (ck.stateValues) checkAdamMoments(ck.stateValues, { beta1: saved.beta1, beta2: saved.beta2 });
      if (JSON.stringify(Gema.config) !== JSON.stringify(G.config)) throw new CheckpointError('resume state: the EMA generator has another architecture than the generator');
      checkDataFitsGenerator(data, G.config);
      const config = { ...saved, ...overrides, recipe: info.id } as C;
      const trainer = parts.create({ G, D: discriminator as Network<DC>, Gema }, data, config);
      try {
        trainer.loadState(trainerState, ck.state);
      } catch (e) {
        trainer.dispose();
        throw e;
      }
      for (const t of Object.values(ck.state)) t.dispose();
      return trainer;
    },
  };
}
