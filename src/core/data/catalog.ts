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
