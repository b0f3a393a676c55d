/**
 * Which images of a built-in data set a training choice selects: MNIST by digit, emoji by
 * category and by a search over their short names. One rule for the worker, which trains on
 * the selection (src/worker/trainingData.ts), and for the fine-tune panel, which says how
 * many images are selected before anything is trained.
 */

export type BuiltInChoice =
  | { readonly kind: 'mnist'; readonly digits: readonly number[] }
  | { readonly kind: 'emoji'; readonly category: number | null; readonly search: string };

/** What the selection reads of a data set: its size, labels and per-image names. */
export interface SelectableSet {
  readonly count: number;
  readonly labels?: ArrayLike<number>;
  readonly itemNames?: readonly string[];
}

/** Indices of the images the choice selects, in data set order. */
export function selectedIndices(ds: SelectableSet, choice: BuiltInChoice): number[] {
  const keep: number[] = [];
  if (choice.kind === 'mnist') {
    const digits = new Set(choice.digits);
    for (let i = 0; i < ds.count; i++) if (ds.labels && digits.has(ds.labels[i])) keep.push(i);
    return keep;
  }
  const term = choice.search.trim().toLowerCase();
  for (let i = 0; i < ds.count; i++) {
    if (choice.category !== null && ds.labels?.[i] !== choice.category) continue;
    if (term && !(ds.itemNames?.[i] ?? '').toLowerCase().includes(term)) continue;
    keep.push(i);
  }
  return keep;
}
