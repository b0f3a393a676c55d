/** The built-in data sets by the names the CLIs and the app use. */
export const DATASETS = {
  mnist: { train: 'mnist-train', heldOut: 'mnist-test' },
  emoji: { train: 'emoji', heldOut: null },
} as const;

export type DatasetKey = keyof typeof DATASETS;

export function isDatasetKey(s: string): s is DatasetKey {
  return Object.prototype.hasOwnProperty.call(DATASETS, s);
}

export function trainDataName(key: string): string {
  if (!isDatasetKey(key)) throw new Error(`unknown data set "${key}"; choose one of ${Object.keys(DATASETS).join(', ')}`);
  return DATASETS[key].train;
}

/**
 * The emoji set's categories, index = label (the `classNames` of emoji.json, in Unicode's
 * order; src/scripts/build-data.ts). The panel offers them and saved sessions are named by them.
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
