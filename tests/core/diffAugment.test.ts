import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { diffAugment, parseAugmentations, type Augmentation } from '../../src/core/training/diffAugment';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomImages(n: number, h: number, w: number, c: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const v = new Float32Array(n * h * w * c);
  for (let i = 0; i < v.length; i++) v[i] = 2 * rng.uniform() - 1;
  return tf.tensor4d(v, [n, h, w, c]);
}

const run = (xs: tf.Tensor4D[], policy: Augmentation[], seed: number): Float32Array[] =>
  tf.tidy(() => diffAugment(xs, policy, new Rng(seed))).map((t) => {
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return v;
  });

describe('parseAugmentations', () => {
  it('reads a comma list in a fixed order, and none', () => {
    expect(parseAugmentations('cutout,color')).toEqual(['color', 'cutout']);
    expect(parseAugmentations(' translation , color,translation')).toEqual(['color', 'translation']);
    expect(parseAugmentations('none')).toEqual([]);
    expect(parseAugmentations('')).toEqual([]);
    expect(() => parseAugmentations('color,flip')).toThrow(/unknown augmentation "flip".*color, translation, cutout/);
  });
});

describe('diffAugment', () => {
  it('gives the inputs back untouched with no policy, and draws nothing', () => {
    const x = randomImages(2, 8, 8, 3, 1);
    const rng = new Rng(5);
    const before = rng.uniform();
    const rng2 = new Rng(5);
    const [y] = diffAugment([x], [], rng2);
    expect(y).toBe(x);
    expect(rng2.uniform()).toBe(before);
    x.dispose();
  });

  it('shifts each image by a whole number of pixels, the two images of a pair alike, filling with 0', () => {
    const n = 6;
    const h = 16;
    const img = new Float32Array(n * h * h);
    for (let i = 0; i < n; i++) img[i * h * h + 8 * h + 8] = 1; // one bright pixel at (8, 8)
    const a = tf.tensor4d(img, [n, h, h, 1]);
    const b = tf.mul(a, 3) as tf.Tensor4D;
    const [ya, yb] = run([a, b], ['translation'], 11);
    const moved = new Set<string>();
    for (let i = 0; i < n; i++) {
      const block = ya.subarray(i * h * h, (i + 1) * h * h);
      const at = block.findIndex((v) => v === 1);
      expect(at).toBeGreaterThanOrEqual(0);
      const [y, x] = [Math.floor(at / h), at % h];
      expect(Math.abs(y - 8)).toBeLessThanOrEqual(2);
      expect(Math.abs(x - 8)).toBeLessThanOrEqual(2);
      expect(block.reduce((s, v) => s + v, 0)).toBe(1);
      moved.add(`${y},${x}`);
      for (let j = 0; j < h * h; j++) expect(yb[i * h * h + j]).toBeCloseTo(3 * block[j], 6);
    }
    expect(moved.size).toBeGreaterThan(1);
    a.dispose();
    b.dispose();
  });

  it('cuts out the same square of half the side from both images of a pair', () => {
    const n = 4;
    const h = 8;
    const ones = tf.ones([n, h, h, 2]) as tf.Tensor4D;
    const twos = tf.fill([n, h, h, 2], 2) as tf.Tensor4D;
    const [y1, y2] = run([ones, twos], ['cutout'], 3);
    for (let i = 0; i < n; i++) {
      const zeros = y1.subarray(i * h * h * 2, (i + 1) * h * h * 2).filter((v) => v === 0).length / 2;
      expect(zeros).toBeGreaterThan(0);
      expect(zeros).toBeLessThanOrEqual(16); // a 4 × 4 square, clipped at the border
    }
    for (let j = 0; j < y1.length; j++) expect(y2[j]).toBe(2 * y1[j]);
    ones.dispose();
    twos.dispose();
  });

  it('changes colour per image, alike for equal inputs, and works on one channel', () => {
    const x = randomImages(5, 4, 4, 3, 2);
    const [y1, y2] = run([x, x], ['color'], 9);
    expect(Array.from(y1)).toEqual(Array.from(y2));
    const xv = x.dataSync();
    expect(Array.from(y1).some((v, i) => Math.abs(v - xv[i]) > 1e-3)).toBe(true);
    const grey = randomImages(3, 4, 4, 1, 4);
    const [g] = run([grey], ['color'], 9);
    expect(g.every(Number.isFinite)).toBe(true);
    x.dispose();
    grey.dispose();
  });

  it('is seeded, passes gradients to its input, and leaves no tensor behind', () => {
    const x = randomImages(3, 8, 8, 3, 7);
    const all: Augmentation[] = ['color', 'translation', 'cutout'];
    expect(Array.from(run([x], all, 21)[0])).toEqual(Array.from(run([x], all, 21)[0]));
    expect(Array.from(run([x], all, 21)[0])).not.toEqual(Array.from(run([x], all, 22)[0]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.square(diffAugment([v as tf.Tensor4D], all, new Rng(i))[0])))(x));
      const gv = g.dataSync();
      expect(gv.every(Number.isFinite)).toBe(true);
      expect(gv.some((v) => v !== 0)).toBe(true);
      g.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => diffAugment([x, tf.zeros([3, 4, 4, 3]) as tf.Tensor4D], all, new Rng(0))).toThrow(/every tensor must be 3×8×8×3/);
    x.dispose();
  });
});
