import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, EMOJI_CATEGORIES, flipsLeftRight, heldOutDataName } from '../../src/core/data/catalog';
import { datasetFromBuffers, parseDatasetManifest, type LoadedDataset } from '../../src/core/data/format';
import { DEFAULT_DATA_DIR, loadDataset } from '../../src/node/data';

const require = createRequire(import.meta.url);

describe('manifest styles', () => {
  const pixels = new Uint8Array(2 * 2 * 2 * 3);
  const base = {
    format: 'ddgan-dataset/1',
    name: 'mixed',
    count: 2,
    size: 2,
    channels: 3,
    pixelsFile: 'mixed.u8',
    source: 'synthetic',
    sha256: createHash('sha256').update(pixels).digest('hex'),
  };
  const styles = [
    { name: 'a', source: 'artist A', license: 'MIT' },
    { name: 'b', source: 'artist B', license: 'Apache-2.0' },
  ];

  it('keeps the styles and one style index per image through parsing and loading', () => {
    const manifest = parseDatasetManifest({ ...base, styles, itemStyles: [1, 0] });
    expect(manifest.styles).toEqual(styles);
    expect(manifest.itemStyles).toEqual([1, 0]);
    const ds = datasetFromBuffers(manifest, pixels);
    expect(ds.styles).toEqual(styles);
    expect(ds.itemStyles).toEqual([1, 0]);
  });

  it('leaves both out of a manifest without them', () => {
    const manifest = parseDatasetManifest(base);
    expect(manifest.styles).toBeUndefined();
    expect(manifest.itemStyles).toBeUndefined();
    expect(JSON.stringify(manifest)).not.toMatch(/styles/i);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['styles without itemStyles', { styles }, /"styles" needs "itemStyles"/],
    ['itemStyles without styles', { itemStyles: [0, 0] }, /"itemStyles" needs "styles"/],
    ['an empty style list', { styles: [], itemStyles: [0, 0] }, /"styles" must be a non-empty array/],
    ['a style without a licence', { styles: [{ name: 'a', source: 'A' }], itemStyles: [0, 0] }, /"styles"\[0\]\.license must be a non-empty string/],
    ['a style index out of range', { styles, itemStyles: [0, 2] }, /"itemStyles" must be an array of style indices 0\.\.1/],
    ['a fractional style index', { styles, itemStyles: [0, 0.5] }, /"itemStyles" must be an array of style indices/],
    ['one style index too few', { styles, itemStyles: [0] }, /"itemStyles" has 1 entries, expected 2/],
  ])('rejects %s', (_, extra, message) => {
    expect(() => parseDatasetManifest({ ...base, ...extra })).toThrow(message);
  });
});

describe('data set catalogue', () => {
  it('offers icons with its held-out split, mirrored in training like emoji and unlike digits', () => {
    expect(DATASETS.icons).toEqual({ train: 'icons-train', heldOut: 'icons-test', flip: true });
    expect(heldOutDataName('icons-train')).toBe('icons-test');
    expect(heldOutDataName('mnist-train')).toBe('mnist-test');
    expect(heldOutDataName('emoji')).toBeNull();
    expect(heldOutDataName('uploads (3)')).toBeNull();
    expect([flipsLeftRight('icons-train'), flipsLeftRight('emoji'), flipsLeftRight('mnist-train'), flipsLeftRight('icons-test')]).toEqual([true, true, false, false]);
  });
});

// ---------------------------------------------------------------------------------------
// The files `npm run build:data` wrote. These fail (rather than skip) when they are missing.

const PER_IMAGE = 32 * 32 * 3;
const STYLE_NAMES = ['twemoji', 'noto', 'fluent-flat'];

function imageAt(ds: LoadedDataset, i: number): Uint8Array {
  return ds.pixels.subarray(i * PER_IMAGE, (i + 1) * PER_IMAGE);
}

/** Images per style of a data set. */
function styleCounts(ds: LoadedDataset): number[] {
  const counts = new Array<number>(STYLE_NAMES.length).fill(0);
  for (const s of ds.itemStyles!) counts[s]++;
  return counts;
}

describe('built icons set', () => {
  let train: LoadedDataset;
  let test: LoadedDataset;
  let emoji: LoadedDataset;

  beforeAll(async () => {
    [train, test, emoji] = await Promise.all([loadDataset('icons-train'), loadDataset('icons-test'), loadDataset('emoji')]);
  });

  it('holds 4,861 training and 545 held-out RGB 32×32 images in the emoji set’s nine categories', () => {
    expect(train).toMatchObject({ count: 4861, size: 32, channels: 3, numClasses: 9 });
    expect(test).toMatchObject({ count: 545, size: 32, channels: 3, numClasses: 9 });
    for (const ds of [train, test]) {
      expect(ds.classNames).toEqual(EMOJI_CATEGORIES);
      expect(ds.classNames).toEqual(emoji.classNames);
      expect(ds.itemNames).toHaveLength(ds.count);
      expect(ds.itemStyles).toHaveLength(ds.count);
    }
  });

  it('credits each style with its licence, in both manifests', () => {
    for (const ds of [train, test]) {
      expect(ds.styles!.map((s) => s.name)).toEqual(STYLE_NAMES);
      expect(ds.styles!.map((s) => s.license)).toEqual(['CC-BY-4.0', 'Apache-2.0', 'MIT']);
      const [twemoji, noto, fluent] = ds.styles!.map((s) => s.source);
      expect(twemoji).toMatch(/^Twemoji © Twitter.*CC-BY 4\.0.*"emoji-datasource-twitter" 16\.0\.0/);
      expect(noto).toMatch(/^Noto Emoji © Google.*Apache 2\.0.*"emoji-datasource-google" 16\.0\.0/);
      expect(fluent).toMatch(/^Fluent Emoji Flat © Microsoft.*MIT.*"@iconify-json\/fluent-emoji-flat" 1\.2\.6/);
      for (const style of ds.styles!) expect(ds.source).toContain(style.source);
    }
  });

  it('draws every emoji of the emoji set in Twemoji and Noto, and most of them in Fluent Flat', () => {
    const total = styleCounts(train).map((n, s) => n + styleCounts(test)[s]);
    expect(total).toEqual([1906, 1906, 1594]);
    expect(train.count + test.count).toBe(1906 + 1906 + 1594);
    // Each emoji at most once per style, and every emoji of the emoji set present.
    const pairs = new Set<string>();
    for (const ds of [train, test]) ds.itemNames!.forEach((name, i) => pairs.add(`${name}|${ds.itemStyles![i]}`));
    expect(pairs.size).toBe(train.count + test.count);
    const names = new Set([...train.itemNames!, ...test.itemNames!]);
    expect([...names].sort()).toEqual([...emoji.itemNames!].sort());
  });

  it('holds out whole emoji: none is in both splits, in any style', () => {
    const trainNames = new Set(train.itemNames);
    const testNames = new Set(test.itemNames);
    expect([...testNames].filter((name) => trainNames.has(name))).toEqual([]);
    expect(testNames.size).toBe(191);
  });

  it('holds out a tenth of the emoji of every category, labelled as in the emoji set', () => {
    const emojiLabel = new Map(emoji.itemNames!.map((name, i) => [name, emoji.labels![i]]));
    const perClass = EMOJI_CATEGORIES.map(() => ({ all: new Set<string>(), heldOut: new Set<string>() }));
    for (const ds of [train, test]) {
      ds.itemNames!.forEach((name, i) => {
        if (ds.labels![i] !== emojiLabel.get(name)) throw new Error(`${ds.name} image ${i} (${name}) has label ${ds.labels![i]}, emoji has ${emojiLabel.get(name)}`);
        perClass[ds.labels![i]].all.add(name);
        if (ds === test) perClass[ds.labels![i]].heldOut.add(name);
      });
    }
    for (const { all, heldOut } of perClass) expect(heldOut.size).toBe(Math.max(1, Math.round(all.size * 0.1)));
  });

  it('has every style and category in each split, mixed so a prefix is a fair sample', () => {
    for (const ds of [train, test]) {
      expect(styleCounts(ds).every((n) => n > 0)).toBe(true);
      expect(new Set(ds.labels).size).toBe(9);
    }
    expect(new Set(train.itemStyles!.slice(0, 30)).size).toBe(3);
    expect(new Set(train.labels!.subarray(0, 100)).size).toBe(9);
  });

  it('has Twemoji images identical to the emoji set’s', () => {
    const emojiIndex = new Map(emoji.itemNames!.map((name, i) => [name, i]));
    let compared = 0;
    for (const ds of [train, test]) {
      for (let i = 0; i < ds.count; i++) {
        if (ds.itemStyles![i] !== 0) continue;
        const j = emojiIndex.get(ds.itemNames![i])!;
        if (Buffer.compare(imageAt(ds, i), imageAt(emoji, j)) !== 0) throw new Error(`${ds.name} image ${i} (${ds.itemNames![i]}) differs from emoji image ${j}`);
        compared++;
      }
    }
    expect(compared).toBe(1906);
  });

  it('has the Noto 64 px PNGs composited on white and box-averaged 2×2', () => {
    const root = path.dirname(require.resolve('emoji-datasource-google/package.json'));
    const entries = JSON.parse(readFileSync(path.join(root, 'emoji.json'), 'utf8')) as { short_name: string; image: string }[];
    let checked = 0;
    for (const ds of [train, test]) {
      for (const name of ['grinning', 'pizza', 'jp', 'rocket']) {
        const i = ds.itemNames!.findIndex((n, k) => n === name && ds.itemStyles![k] === 1);
        if (i < 0) continue;
        const png = PNG.sync.read(readFileSync(path.join(root, 'img', 'google', '64', entries.find((e) => e.short_name === name)!.image)));
        const actual = imageAt(ds, i);
        let worst = 0;
        for (let y = 0; y < 32; y++) {
          for (let x = 0; x < 32; x++) {
            for (let c = 0; c < 3; c++) {
              let sum = 0;
              for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
                const p = ((2 * y + dy) * 64 + 2 * x + dx) * 4;
                const alpha = png.data[p + 3] / 255;
                sum += png.data[p + c] * alpha + 255 * (1 - alpha);
              }
              worst = Math.max(worst, Math.abs(actual[(y * 32 + x) * 3 + c] - sum / 4));
            }
          }
        }
        expect(worst, name).toBeLessThanOrEqual(1);
        checked++;
      }
    }
    expect(checked).toBe(4);
  });

  it('draws the three styles differently, each on white and none blank', () => {
    const grinning = [0, 1, 2].map((style) => {
      for (const ds of [train, test]) {
        const i = ds.itemNames!.findIndex((n, k) => n === 'grinning' && ds.itemStyles![k] === style);
        if (i >= 0) return imageAt(ds, i);
      }
      throw new Error(`no grinning face in style ${STYLE_NAMES[style]}`);
    });
    const distance = (a: Uint8Array, b: Uint8Array) => a.reduce((sum, v, k) => sum + Math.abs(v - b[k]), 0) / a.length;
    expect(distance(grinning[0], grinning[1])).toBeGreaterThan(5);
    expect(distance(grinning[0], grinning[2])).toBeGreaterThan(5);
    expect(distance(grinning[1], grinning[2])).toBeGreaterThan(5);

    for (const ds of [train, test]) {
      const whiteCorners = new Array<number>(3).fill(0);
      // Images with under 16 pixels visibly off white: the few white shapes (Twemoji's white
      // square is #E6E7E8), never a whole style gone blank.
      const faint = new Array<number>(3).fill(0);
      for (let i = 0; i < ds.count; i++) {
        const image = imageAt(ds, i);
        const style = ds.itemStyles![i];
        if (image[0] === 255 && image[1] === 255 && image[2] === 255) whiteCorners[style]++;
        if (image.every((v) => v === 255)) throw new Error(`${ds.name} image ${i} (${ds.itemNames![i]}, ${STYLE_NAMES[style]}) is blank`);
        let marked = 0;
        for (let p = 0; p < 32 * 32; p++) if (Math.min(image[3 * p], image[3 * p + 1], image[3 * p + 2]) <= 255 - 32) marked++;
        if (marked < 16) faint[style]++;
      }
      styleCounts(ds).forEach((n, s) => {
        expect(whiteCorners[s] / n, `${ds.name} ${STYLE_NAMES[s]}`).toBeGreaterThan(0.8);
        expect(faint[s] / n, `${ds.name} ${STYLE_NAMES[s]}`).toBeLessThan(0.01);
      });
    }
  });

  it('ships a notice naming every source with the Apache 2.0 and MIT texts', () => {
    const notice = readFileSync(path.join(DEFAULT_DATA_DIR, 'NOTICE.txt'), 'utf8');
    for (const style of train.styles!) expect(notice).toContain(style.source);
    expect(notice).toContain(emoji.source);
    expect(notice).toContain('https://creativecommons.org/licenses/by/4.0/');
    expect(notice).toMatch(/Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/);
    expect(notice).toMatch(/Copyright \(c\) Microsoft Corporation\.\s+Permission is hereby granted, free of charge/);
  });
});
