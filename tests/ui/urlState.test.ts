import { describe, expect, it } from 'vitest';
import { MAX_SEED, parseSeed, parseUrlState, randomSeed, writeUrlState } from '../../src/ui/urlState';

describe('parseUrlState', () => {
  it('reads model, batch, seed, backend and slow motion', () => {
    expect(parseUrlState('?model=mnist-ddgan-t4&batch=16&seed=1234&backend=wasm&slow=1')).toEqual({
      state: { model: 'mnist-ddgan-t4', batch: 16, seed: 1234, backend: 'wasm', slow: true },
      problems: [],
    });
    expect(parseUrlState('').state).toEqual({});
  });

  it('reports unusable values instead of throwing, and ignores unknown keys', () => {
    const { state, problems } = parseUrlState('?batch=3&seed=-1&backend=metal&model=../x&slow=maybe&utm=1');
    expect(state).toEqual({});
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/batch=3: expected one of 1, 4, 16, 64/);
  });

  it('accepts the full seed range and nothing beyond', () => {
    expect(parseSeed('0')).toBe(0);
    expect(parseSeed(String(MAX_SEED))).toBe(MAX_SEED);
    expect(parseSeed(String(MAX_SEED + 1))).toBeNull();
    expect(parseSeed('1e3')).toBeNull();
    expect(parseSeed(' 42 ')).toBe(42);
  });
});

describe('writeUrlState', () => {
  it('sets and removes keys, keeping the others', () => {
    expect(writeUrlState('?utm=x&seed=1', { seed: 2, batch: 4 })).toBe('?utm=x&seed=2&batch=4');
    expect(writeUrlState('?seed=1', { seed: undefined })).toBe('');
    expect(writeUrlState('', { slow: true, backend: 'webgpu' })).toBe('?slow=1&backend=webgpu');
  });

  it('round-trips through parseUrlState', () => {
    const s = { model: 'm', batch: 64 as const, seed: 7, backend: 'cpu' as const, slow: false };
    expect(parseUrlState(writeUrlState('', s)).state).toEqual(s);
  });
});

describe('randomSeed', () => {
  it('spans 0 … 2^32 − 1', () => {
    expect(randomSeed(() => 0)).toBe(0);
    expect(randomSeed(() => 0.9999999999)).toBe(MAX_SEED);
  });
});
