import { describe, expect, it } from 'vitest';
import { MODEL_INDEX_FORMAT, auxiliaryEntry, auxiliaryRole, buildModelIndex, catalogEntry, flattenMetrics, parseModelIndex, pickModel, DEFAULT_MODEL } from '../../src/store/modelCatalog';

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

const manifest = (network: string) => [{ paths: ['weights.bin'], weights: [{ name: `${network}/w`, shape: [2, 5], dtype: 'float32' }] }];
const ddpmJson = {
  name: 'mnist-ddpm',
  description: 'DDPM on MNIST',
  createdAt: '2026-02-01T00:00:00Z',
  data: { name: 'mnist-train' },
  schedule: { kind: 'ddpm-linear', N: 1000, betaStart: 1e-4, betaEnd: 0.02 },
  training: { iterations: 100, wallSeconds: 300 },
  metrics: { ddim50: { frechetDistance: 9 } },
  networks: { eps: { kind: 'ddpm-eps', imageSize: 32, channels: 1, steps: 1000 } },
  weightsManifest: manifest('eps'),
};
const judgeJson = {
  name: 'mnist-classifier',
  networks: { classifier: { kind: 'classifier', imageSize: 32, channels: 1, numClasses: 10 } },
  metrics: { heldOutAccuracy: 0.97 },
  weightsManifest: manifest('classifier'),
};
const guideJson = { ...judgeJson, name: 'mnist-noisy-classifier', networks: { classifier: { kind: 'noisy-classifier', imageSize: 32, channels: 1, numClasses: 10 } } };

describe('auxiliary entries (the Compare view\'s DDPM, guide and judge)', () => {
  it('lists a DDPM ε-net, a noise-aware classifier and a clean classifier with their kind and role', () => {
    expect(auxiliaryEntry('mnist-ddpm', ddpmJson)).toEqual({
      entry: {
        name: 'mnist-ddpm',
        path: 'mnist-ddpm/',
        description: 'DDPM on MNIST',
        role: 'ddpm',
        kind: 'ddpm-eps',
        network: 'eps',
        imageSize: 32,
        channels: 1,
        steps: 1000,
        numClasses: null,
        paramCount: 10,
        weightBytes: 40,
        dataset: 'mnist-train',
        iterations: 100,
        wallSeconds: 300,
        createdAt: '2026-02-01T00:00:00Z',
        metrics: { 'ddim50.frechetDistance': 9 },
      },
    });
    expect(auxiliaryEntry('mnist-classifier', judgeJson)).toMatchObject({ entry: { role: 'judge', kind: 'classifier', numClasses: 10, steps: null, metrics: { heldOutAccuracy: 0.97 } } });
    expect(auxiliaryEntry('g', guideJson)).toMatchObject({ entry: { role: 'guide', kind: 'noisy-classifier' } });
    expect([auxiliaryRole('ddpm-eps'), auxiliaryRole('classifier'), auxiliaryRole('noisy-classifier'), auxiliaryRole('ddgan-discriminator')]).toEqual(['ddpm', 'judge', 'guide', null]);
  });

  it('says why an incomplete one is skipped, and ignores folders with none of these networks', () => {
    expect(auxiliaryEntry('x', { ...ddpmJson, schedule: undefined, networks: { eps: { kind: 'ddpm-eps', imageSize: 32, channels: 1 } } })).toEqual({ skip: 'DDPM ε-net config lacks its number of steps' });
    expect(auxiliaryEntry('x', { ...judgeJson, networks: { classifier: { kind: 'classifier' } } })).toEqual({ skip: 'classifier config lacks imageSize or channels' });
    expect(auxiliaryEntry('x', { networks: { d: { kind: 'ddgan-discriminator' } } })).toBeNull();
    expect(auxiliaryEntry('x', generatorJson)).toBeNull();
  });

  it('keeps generators in `models` (the Generate picker) and the rest in `auxiliary`', () => {
    const idx = buildModelIndex([
      { name: 'mnist-ddpm', json: ddpmJson },
      { name: 'mnist-ddgan-t4', json: generatorJson },
      { name: 'mnist-classifier', json: judgeJson },
      { name: 'disc-only', json: { ...generatorJson, networks: { d: { kind: 'ddgan-discriminator' } } } },
    ]);
    expect(idx.models.map((m) => m.name)).toEqual(['mnist-ddgan-t4']);
    expect(idx.auxiliary.map((m) => [m.name, m.role])).toEqual([
      ['mnist-classifier', 'judge'],
      ['mnist-ddpm', 'ddpm'],
    ]);
    expect(idx.skipped).toEqual([{ name: 'disc-only', reason: 'not a DD-GAN generator (networks: ddgan-discriminator)' }]);
    expect(parseModelIndex(JSON.parse(JSON.stringify(idx)))).toEqual(idx);
  });

  it('reads an index without `auxiliary` as one with none, and rejects a malformed one', () => {
    expect(parseModelIndex({ format: MODEL_INDEX_FORMAT, models: [], skipped: [] }).auxiliary).toEqual([]);
    expect(() => parseModelIndex({ format: MODEL_INDEX_FORMAT, models: [], auxiliary: {} })).toThrow(/not a list/);
    expect(() => parseModelIndex({ format: MODEL_INDEX_FORMAT, models: [], auxiliary: [{ name: 'a', path: 'a/', role: 'oracle' }] })).toThrow(/malformed/);
  });
});

describe('the model the app opens with', () => {
  const list = (...names: string[]) => names.map((name) => ({ name }));
  it('is the one the URL asks for when listed', () => {
    expect(pickModel(list('emoji-ddgan-t4', 'mnist-ddgan-t1', DEFAULT_MODEL), 'mnist-ddgan-t1')).toBe('mnist-ddgan-t1');
  });
  it('is the default model otherwise, even where other names sort first', () => {
    expect(DEFAULT_MODEL).toBe('mnist-ddgan-t4');
    expect(pickModel(list('emoji-ddgan-t4', 'mnist-ddgan-t1', 'mnist-ddgan-t4'), null)).toBe('mnist-ddgan-t4');
    expect(pickModel(list('emoji-ddgan-t4', 'mnist-ddgan-t4'), 'gone')).toBe('mnist-ddgan-t4');
  });
  it('falls back to the first listed model, or none', () => {
    expect(pickModel(list('a', 'b'), null)).toBe('a');
    expect(pickModel([], 'a')).toBeNull();
  });
});
