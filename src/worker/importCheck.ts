/**
 * What an imported model file must be before it replaces the loaded model: a DD-GAN
 * generator of an image size this app runs. Checked on the parsed configs, before the
 * current model is unloaded, so a refused file leaves the model in use as it was.
 *
 * Sizes: the shipped models are 32×32, the test fixtures 16×16, and everything the app does
 * with a model (the 64-image batches of Generate, the Compare view, the fine-tune memory
 * budget, the built-in data sets) is sized for at most 32×32; a 64×64 generator needs 4×
 * the memory per image and is refused with the reason, not accepted without comment.
 */
import type { NetworkConfig } from '../core/models/network';

export const IMPORT_IMAGE_SIZES = { min: 8, max: 32 } as const;

/** Why a model file with these networks cannot be imported, or null when it can. */
export function importProblem(networks: Readonly<Record<string, NetworkConfig>>): string | null {
  const g = networks.generator as (NetworkConfig & { imageSize?: unknown; channels?: unknown }) | undefined;
  if (!g || g.kind !== 'ddgan-generator') {
    const kinds = Object.entries(networks).map(([k, n]) => `${k}: ${n.kind}`);
    return `the file has no DD-GAN generator (networks: ${kinds.join(', ') || 'none'}); export one from the fine-tune panel`;
  }
  const size = g.imageSize;
  const { min, max } = IMPORT_IMAGE_SIZES;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < min || size > max) {
    return `its generator makes ${size}×${size} images, and this app runs models of ${min}×${min} to ${max}×${max} pixels (the shipped ones are 32×32)`;
  }
  if (g.channels !== 1 && g.channels !== 3) return `its generator makes images with ${String(g.channels)} channels; this app runs grey (1) or RGB (3) models`;
  return null;
}
