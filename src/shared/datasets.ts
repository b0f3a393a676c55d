/**
 * Names of the built-in data sets, as plain data shared by the core library, the protocol,
 * the store and the UI. No tfjs here.
 */

/** The toy 2-D distributions (core/toy/data.ts samples them; DESIGN §2.6). */
export const TOY_DATASETS = ['grid25', 'ring8', 'swissroll', 'moons'] as const;
export type ToyDatasetName = (typeof TOY_DATASETS)[number];

export function isToyDatasetName(s: string): s is ToyDatasetName {
  return (TOY_DATASETS as readonly string[]).includes(s);
}

/** The built-in emoji data sets: Twemoji alone, or Twemoji, Noto and Fluent side by side. */
export const EMOJI_SETS = ['emoji', 'icons'] as const;
export type EmojiSet = (typeof EMOJI_SETS)[number];
