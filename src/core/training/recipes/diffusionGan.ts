/**
 * The Diffusion-GAN recipe (DESIGN §2.5): D(y, t) judges diffused images, real ones against
 * the output of the whole DD-GAN sampling chain, with the adaptive number of diffusion
 * steps T_dg. The trainer is ../diffusionGanImageTrainer.ts.
 */
import { defaultDiffusionGanDiscriminatorConfig, type DiffusionGanDiscriminatorConfig } from '../../models/discriminator';
import { TRAINING_RECIPE_INFO } from '../../../shared/recipes';
import { DiffusionGanImageTrainer, defaultDiffusionGanTrainConfig, type DiffusionGanImageTrainConfig } from '../diffusionGanImageTrainer';
import { defineImageRecipe } from './recipe';

export const diffusionGanRecipe = defineImageRecipe<DiffusionGanImageTrainConfig, DiffusionGanDiscriminatorConfig>({
  info: TRAINING_RECIPE_INFO['diffusion-gan'],
  defaults: defaultDiffusionGanTrainConfig,
  discriminator: (g, baseChannels) => defaultDiffusionGanDiscriminatorConfig({ imageSize: g.imageSize, channels: g.channels, baseChannels }),
  create: ({ G, D, Gema }, data, config) => new DiffusionGanImageTrainer(G, D, Gema, data, config),
});
