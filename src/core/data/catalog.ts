/**
 * The built-in data sets by the names the CLIs and the app use: the file name of the training
 * images and of the held-out images (null: none), and whether a left–right mirror of an image
 * is still an image of the set (true for emoji and icons; a mirrored digit is not a digit).
 */
export const DATASETS = {
  mnist: { train: 'mnist-train', heldOut: 'mnist-test', flip: false },
  emoji: { train: 'emoji', heldOut: null, flip: true },
  /**
   * The same emoji drawn by several artists (Twemoji, Noto, Fluent Flat), labelled by the emoji
   * categories; the held-out emoji are held out in every style.
   */
  icons: { train: 'icons-train', heldOut: 'icons-test', flip: true },
} as const;

export type DatasetKey = keyof typeof DATASETS;

export function isDatasetKey(s: string): s is DatasetKey {
  return Object.prototype.hasOwnProperty.call(DATASETS, s);
}

export function trainDataName(key: string): string {
  if (!isDatasetKey(key)) throw new Error(`unknown data set "${key}"; choose one of ${Object.keys(DATASETS).join(', ')}`);
  return DATASETS[key].train;
}

/** Whether training on data file `name` may mirror images left–right (false for unknown names). */
export function flipsLeftRight(name: string): boolean {
  return Object.values(DATASETS).some((d) => d.flip && d.train === name);
}

/** The held-out file that goes with training file `name`, or null when it has none. */
export function heldOutDataName(name: string): string | null {
  return Object.values(DATASETS).find((d) => d.train === name)?.heldOut ?? null;
}

/**
 * The emoji set's categories, index = label (the `classNames` of emoji.json, in Unicode's
 * order; src/scripts/build-data.ts), which the icons set shares. The panel offers them and saved
 * sessions are named by them.
 */
export const EMOJI_CATEGORIES: readonly string[] = [
  'Smileys & Emotion',
  'People & Body',
  'Animals & Nature',
  'Food & Drink',
  'Travel & Places',
  'Activities',
  'Objects',
  'Symbols',
  'Flags',
];
