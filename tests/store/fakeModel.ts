import type { ModelIndexEntry } from '../../src/store/modelCatalog';

/** A catalog entry for a fake S×S generator with T steps, for store tests on a fake engine. */
export function fakeModelEntry(size: number, T: number): ModelIndexEntry {
  return {
    name: 'm',
    path: 'm/',
    description: 'fake',
    kind: 'ddgan-generator',
    T,
    imageSize: size,
    channels: 1,
    paramCount: 10,
    weightBytes: 400,
    dataset: null,
    iterations: null,
    wallSeconds: null,
    createdAt: null,
    metrics: {},
  };
}
