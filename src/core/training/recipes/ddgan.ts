/**
 * The DD-GAN recipe (DESIGN §2.2): D(x_{k−1}, x_k, k) judges denoising pairs, real ones from
 * `qSamplePairs` against x′_{k−1} from the posterior with the generator's x̂₀. The trainer is
 * ../ddganTrainer.ts.
 */
import { defaultDiscriminatorConfig, type DiscriminatorConfig } from '../../models/discriminator';
import { TRAINING_RECIPE_INFO } from '../../../shared/recipes';
import { DdganTrainer, defaultTrainConfig, type DdganTrainConfig } from '../ddganTrainer';
import { defineImageRecipe } from './recipe';

export const ddganRecipe = defineImageRecipe<DdganTrainConfig, DiscriminatorConfig>({
  info: TRAINING_RECIPE_INFO.ddgan,
  defaults: defaultTrainConfig,
  discriminator: (g, baseChannels) => defaultDiscriminatorConfig({ imageSize: g.imageSize, channels: g.channels, T: g.T, baseChannels }),
  create: ({ G, D, Gema }, data, config) => new DdganTrainer(G, D, Gema, data, config),
});
