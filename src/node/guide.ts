/**
 * Loading the noise-aware guidance classifier (Node), and the guidance choices that
 * `npm run sample` and `npm run eval` share: which classifier, which class, which scale.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { disposeCheckpoint, type LoadedCheckpoint } from '../core/models/checkpoint';
import type { Network } from '../core/models/network';
import type { NoisyClassifierConfig } from '../core/models/noisyClassifier';
import { loadCheckpointDir } from './checkpointDir';

/** <repo>/public/models/mnist-noisy-classifier, the shipped guide. */
export const DEFAULT_GUIDE_DIR = fileURLToPath(new URL('../../public/models/mnist-noisy-classifier/', import.meta.url));

/** Guidance as the CLIs take it: a classifier folder, a class (or 'all'), a scale. */
export interface GuideSpec {
  readonly dir: string;
  /** One class for every sample, or 'all': sample i is steered toward class i mod numClasses. */
  readonly classes: number | 'all';
  readonly scale: number;
}

export interface LoadedGuide {
  readonly ck: LoadedCheckpoint;
  readonly net: Network<NoisyClassifierConfig>;
  readonly name: string;
}

/** Loads a noise-aware classifier checkpoint; errors name the command that makes one. */
export async function loadGuide(dir: string): Promise<LoadedGuide> {
  if (!existsSync(path.join(dir, 'model.json'))) {
    throw new Error(
      `no guidance classifier at ${dir}: train one with ` +
        '`npm run train -- --model noisy-classifier --data mnist --out public/models/mnist-noisy-classifier` or pass --guide DIR',
    );
  }
  const ck = await loadCheckpointDir(dir);
  const net = Object.values(ck.networks).find((n) => n.config.kind === 'noisy-classifier');
  if (!net) {
    const kinds = Object.entries(ck.networks).map(([k, n]) => `${k}: ${n.config.kind}`).join(', ');
    disposeCheckpoint(ck);
    throw new Error(
      `${dir} holds no noise-aware classifier (it has ${kinds || 'no networks'}); guidance needs one trained on noised images ` +
        '(`npm run train -- --model noisy-classifier`), a clean classifier gives meaningless gradients on noisy inputs',
    );
  }
  return { ck, net: net as Network<NoisyClassifierConfig>, name: ck.meta.name };
}
