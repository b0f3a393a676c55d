import { describe, expect, it } from 'vitest';
import { MODEL_INDEX_FORMAT, buildModelIndex, catalogEntry, flattenMetrics, parseModelIndex } from '../../src/store/modelCatalog';

const generatorJson = {
  name: 'mnist-ddgan-t4',
  description: 'DD-GAN on MNIST',
  createdAt: '2026-01-01T00:00:00Z',
  data: { name: 'mnist-train' },
  training: { iterations: 300, wallSeconds: 600 },
  metrics: { fid: 12.5, coverage: { classes: 9, note: 'x' }, list: [1, 2] },
  networks: { generator: { kind: 'ddgan-generator', T: 4, imageSize: 32, channels: 1 } },
  weightsManifest: [
    {
      paths: ['weights.bin'],
      weights: [
        { name: 'generator/a', shape: [3, 3, 1, 8], dtype: 'float32' },
        { name: 'state/m', shape: [10], dtype: 'float32' },
      ],
    },
  ],
};

describe('catalogEntry', () => {
  it('lists a DD-GAN generator with what the UI shows before downloading', () => {
    const r = catalogEntry('mnist-ddgan-t4', generatorJson);
    expect(r).toEqual({
      entry: {
        name: 'mnist-ddgan-t4',
        path: 'mnist-ddgan-t4/',
        description: 'DD-GAN on MNIST',
        kind: 'ddgan-generator',
        T: 4,
        imageSize: 32,
        channels: 1,
        paramCount: 72,
        weightBytes: 4 * 82,
        dataset: 'mnist-train',
        iterations: 300,
        wallSeconds: 600,
        createdAt: '2026-01-01T00:00:00Z',
        metrics: { fid: 12.5, 'coverage.classes': 9 },
      },
    });
  });

  it('skips anything that is not a generator (e.g. the classifier), saying why', () => {
    const classifier = { ...generatorJson, networks: { classifier: { kind: 'classifier' } } };
    expect(catalogEntry('mnist-classifier', classifier)).toEqual({ skip: 'not a DD-GAN generator (networks: classifier)' });
    expect(catalogEntry('x', [])).toHaveProperty('skip');
    expect(catalogEntry('x', { ...generatorJson, weightsManifest: undefined })).toHaveProperty('skip');
  });
});

describe('buildModelIndex / parseModelIndex', () => {
  it('sorts generators by name and reports unreadable and non-generator folders', () => {
    const idx = buildModelIndex([
      { name: 'z-model', json: generatorJson },
      { name: 'mnist-classifier', json: { ...generatorJson, networks: { classifier: { kind: 'classifier' } } } },
      { name: 'half-written', error: 'model.json could not be read: Unexpected end of JSON input' },
      { name: 'a-model', json: generatorJson },
    ]);
    expect(idx.format).toBe(MODEL_INDEX_FORMAT);
    expect(idx.models.map((m) => m.name)).toEqual(['a-model', 'z-model']);
    expect(idx.skipped.map((s) => s.name)).toEqual(['half-written', 'mnist-classifier']);
    expect(parseModelIndex(JSON.parse(JSON.stringify(idx)))).toEqual(idx);
  });

  it('rejects a malformed index with a reason', () => {
    expect(() => parseModelIndex(null)).toThrow(/not a JSON object/);
    expect(() => parseModelIndex({ format: 'x', models: [] })).toThrow(/format/);
    expect(() => parseModelIndex({ format: MODEL_INDEX_FORMAT, models: [{ name: 'a' }] })).toThrow(/malformed/);
  });

  it('flattenMetrics keeps numeric leaves only', () => {
    expect(flattenMetrics({ a: 1, b: { c: 2, d: 'x' }, e: [1], f: NaN })).toEqual({ a: 1, 'b.c': 2 });
    expect(flattenMetrics(undefined)).toEqual({});
  });
});
