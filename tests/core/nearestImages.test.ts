/**
 * Which training image each preview sample is nearest to (src/core/metrics/nearCopy.ts,
 * `nearestNeighbours` and `nearestTrainingImages`): the fine-tune panel's pairs. Checked
 * against a brute-force search, on cases with a known answer (clipping included), and for
 * leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageDataset } from '../../src/core/data/dataset';
import { nearestNeighbours, nearestTrainingImages } from '../../src/core/metrics/nearCopy';
import { Rng } from '../../src/core/rng';
import { backend } from '../helpers';

beforeAll(() => backend('wasm'));

/** The brute-force answer: index and distance of the nearest reference row to each query row. */
function bruteForce(query: Float32Array, nQuery: number, ref: Float32Array, nRef: number, d: number): { index: number[]; distance: number[] } {
  const index: number[] = [];
  const distance: number[] = [];
  for (let q = 0; q < nQuery; q++) {
    let best = Infinity;
    let at = -1;
    for (let r = 0; r < nRef; r++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (query[q * d + k] - ref[r * d + k]) ** 2;
      if (s < best) {
        best = s;
        at = r;
      }
    }
    index.push(at);
    distance.push(Math.sqrt(best));
  }
  return { index, distance };
}

describe('nearestNeighbours', () => {
  it('finds the same rows as a brute-force search, across batches, and leaks nothing', async () => {
    const rng = new Rng(11);
    const d = 48;
    const nRef = 37;
    const nQuery = 9;
    const ref = Float32Array.from({ length: nRef * d }, () => rng.normal());
    const query = Float32Array.from({ length: nQuery * d }, () => rng.normal());
    const before = tf.memory().numTensors;
    const got = await nearestNeighbours(query, nQuery, ref, nRef, d, { batch: 4 });
    expect(tf.memory().numTensors).toBe(before);
    const want = bruteForce(query, nQuery, ref, nRef, d);
    expect(Array.from(got.index)).toEqual(want.index);
    got.distance.forEach((v, i) => expect(v).toBeCloseTo(want.distance[i], 3));
  });
});

describe('nearestTrainingImages', () => {
  // 2×2 grey images: black, white, and the left half white.
  const data: ImageDataset = {
    name: 'three',
    pixels: new Uint8Array([0, 0, 0, 0, 255, 255, 255, 255, 255, 0, 255, 0]),
    count: 3,
    size: 2,
    channels: 1,
  };

  it('pairs each sample with its nearest image, on the [−1, 1] scale', async () => {
    const samples = new Float32Array([
      // nearly white
      0.9, 0.8, 0.95, 0.7,
      // nearly black
      -0.9, -1, -0.8, -0.95,
      // left half bright, right dark
      0.6, -0.7, 0.8, -0.9,
    ]);
    expect(await nearestTrainingImages(samples, 3, data)).toEqual([1, 0, 2]);
  });

  it('clips a sample to [−1, 1], as it is shown, before measuring', async () => {
    // A = [1, −1, −1, −1], B = [0.498, 1, −1, −1]. The sample [3, 0.2, −1, −1] is nearer to A
    // as it stands (5.44 against 6.90 squared) but, clipped to [1, 0.2, −1, −1], to B (0.89
    // against 1.44).
    const two: ImageDataset = { name: 'two', pixels: new Uint8Array([255, 0, 0, 0, 191, 255, 0, 0]), count: 2, size: 2, channels: 1 };
    expect(await nearestTrainingImages(new Float32Array([3, 0.2, -1, -1]), 1, two)).toEqual([1]);
    expect(await nearestTrainingImages(new Float32Array([1, -0.9, -1, -1]), 1, two)).toEqual([0]);
  });

  it('refuses samples of another shape', async () => {
    await expect(nearestTrainingImages(new Float32Array(5), 1, data)).rejects.toThrow(/need 4 values/);
  });
});
