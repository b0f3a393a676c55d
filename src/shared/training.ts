/**
 * Plain shapes of a training run that the core library, the protocol, the session format
 * and the store share: where the images come from, one iteration's numbers, the run's
 * state. No tfjs here.
 */
import type { EmojiSet } from './datasets';

/** The training images. Built-in sets are fetched by the worker from the app's origin. */
export type TrainingData =
  | { readonly kind: 'pixels'; readonly name: string; readonly pixels: ArrayBuffer; readonly count: number; readonly size: number; readonly channels: number }
  | { readonly kind: 'mnist'; readonly dataUrl: string; readonly digits: readonly number[] }
  | {
      readonly kind: 'emoji';
      readonly dataUrl: string;
      readonly category: number | null;
      readonly search: string;
      /** 'icons': the same emoji in three styles (icons-train); absent or 'emoji': Twemoji alone. */
      readonly set?: EmojiSet;
    };

/** One iteration's numbers: a delta, never a history (STYLE anti-pattern 4). */
export interface IterationStats {
  readonly iteration: number;
  readonly lossD: number;
  readonly lossG: number;
  /** NaN on iterations without the (lazy) R1 penalty. */
  readonly r1: number;
  readonly dReal: number;
  readonly dFake: number;
  readonly ms: number;
  /** Diffusion-GAN only: the adaptive number of diffusion steps T_dg after this iteration. */
  readonly diffusionT?: number;
  /** Diffusion-GAN only: r_d = E[sign(D(y_real))] of the last adaptive-T interval (NaN before the first). */
  readonly rd?: number;
}

export type TrainingState = 'running' | 'paused' | 'diverged' | 'stopped' | 'done';
