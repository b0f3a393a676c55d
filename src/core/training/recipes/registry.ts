/**
 * The image training recipes by id: the one list the worker's training session, the train
 * CLI and the resume code read. Adding a recipe: its plain description in
 * src/shared/recipes.ts, its file here (`defineImageRecipe`), one line below, and its tiny
 * settings in the recipe contract test (tests/core/recipes.test.ts).
 */
import type { LoadedCheckpoint } from '../../models/checkpoint';
import { DEFAULT_TRAINING_RECIPE, isTrainingRecipeId, type TrainingRecipeId } from '../../../shared/recipes';
import { ddganRecipe } from './ddgan';
import { diffusionGanRecipe } from './diffusionGan';
import type { ImageRecipe } from './recipe';

export const IMAGE_RECIPES: { readonly [R in TrainingRecipeId]: ImageRecipe } = {
  ddgan: ddganRecipe,
  'diffusion-gan': diffusionGanRecipe,
};

/** The recipe of an id (throws naming the choices on an unknown one). */
export function imageRecipe(id: string): ImageRecipe {
  if (!isTrainingRecipeId(id)) throw new Error(`unknown training recipe ${JSON.stringify(id)}; use one of ${Object.keys(IMAGE_RECIPES).join(', ')}`);
  return IMAGE_RECIPES[id];
}

/** The recipe a resume checkpoint was trained with (DD-GAN when it does not say: saved before there was a choice). */
export function savedRecipe(ck: Pick<LoadedCheckpoint, 'meta'>): TrainingRecipeId {
  const recipe = (ck.meta.trainConfig as { recipe?: unknown } | undefined)?.recipe ?? DEFAULT_TRAINING_RECIPE;
  if (!isTrainingRecipeId(recipe)) throw new Error(`the saved run has an unknown training recipe ${JSON.stringify(recipe)}`);
  return recipe;
}
