import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR, loadDataset } from '../../src/node/data';
import { loadImageFolder } from '../../src/node/imageFolder';
import type { LoadedDataset } from '../../src/core/data/format';
import { parseFewshotIndex } from '../../src/core/data/fewshot';

// The files `npm run build:data` wrote. These fail (rather than skip) when they are missing.

const ROOT = path.join(DEFAULT_DATA_DIR, 'fewshot');

interface IndexedSet {
  name: string;
  theme: string;
  style: string;
  license: string;
  packageLicense: string;
  credit: string;
  package: string;
  version: string;
  files: string[];
}

interface FewshotIndex {
  format: string;
  size: number;
  channels: number;
  sets: IndexedSet[];
}

/** Share-alike and non-commercial licences would put terms on the data files that the rest avoid. */
const PERMISSIVE = ['CC-BY-4.0', 'Apache-2.0', 'MIT', 'CC0-1.0'];

function readIndex(): FewshotIndex {
  return JSON.parse(readFileSync(path.join(ROOT, 'index.json'), 'utf8')) as FewshotIndex;
}

describe('built few-shot sets', () => {
  const index = readIndex();
  let icons: LoadedDataset;

  beforeAll(async () => {
    icons = await loadDataset('icons-train');
  });

  it('lists at least three sets of 32×32 RGB images, each a folder of its own name', () => {
    expect(index).toMatchObject({ format: 'ddgan-fewshot/1', size: 32, channels: 3 });
    expect(index.sets.length).toBeGreaterThanOrEqual(3);
    const names = index.sets.map((set) => set.name);
    expect(new Set(names).size).toBe(names.length);
    const folders = readdirSync(ROOT, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual([...names].sort());
    expect(readdirSync(ROOT).filter((name) => !folders.includes(name))).toEqual(['index.json']);
  });

  it('has exactly the indexed files in each folder: 16 numbered PNGs, one per icon', () => {
    for (const set of index.sets) {
      expect(readdirSync(path.join(ROOT, set.name)).sort(), set.name).toEqual(set.files);
      expect(set.files).toHaveLength(16);
      set.files.forEach((file, i) => expect(file).toMatch(new RegExp(`^${String(i + 1).padStart(2, '0')}-[a-z0-9]+(-[a-z0-9]+)*\\.png$`)));
    }
  });

  it('stores every image as a 32×32 8-bit RGB PNG, none blank and none repeated within a set', () => {
    for (const set of index.sets) {
      const seen = new Set<string>();
      for (const file of set.files) {
        const png = PNG.sync.read(readFileSync(path.join(ROOT, set.name, file)));
        const what = `${set.name}/${file}`;
        expect([png.width, png.height, png.colorType, png.depth], what).toEqual([32, 32, 2, 8]);
        // Drawn on white: the corner is white, and at least 16 pixels are visibly not.
        expect([...png.data.subarray(0, 3)], what).toEqual([255, 255, 255]);
        let marked = 0;
        for (let p = 0; p < 32 * 32; p++) if (Math.min(png.data[4 * p], png.data[4 * p + 1], png.data[4 * p + 2]) <= 255 - 32) marked++;
        expect(marked, what).toBeGreaterThanOrEqual(16);
        seen.add(png.data.toString('base64'));
      }
      expect(seen.size, set.name).toBe(16);
    }
  });

  it('reads each folder through the train CLI’s image loader to the same 16 images', async () => {
    for (const set of index.sets) {
      const { dataset, skipped } = await loadImageFolder(path.join(ROOT, set.name), 32, 3);
      expect(skipped).toEqual([]);
      expect(dataset.count).toBe(16);
      const png = PNG.sync.read(readFileSync(path.join(ROOT, set.name, set.files[0])));
      const rgb = Uint8Array.from({ length: 32 * 32 * 3 }, (_, k) => png.data[4 * Math.floor(k / 3) + (k % 3)]);
      expect(Buffer.compare(dataset.pixels.subarray(0, rgb.length), rgb)).toBe(0);
    }
  });

  it('draws each set in a style the icons data set is not trained on, from a package it does not use', () => {
    const iconStyles = icons.styles!;
    expect(iconStyles.map((style) => style.name)).toEqual(['twemoji', 'noto', 'fluent-flat']);
    for (const set of index.sets) {
      expect(iconStyles.map((style) => style.name)).not.toContain(set.style);
      for (const style of iconStyles) expect(style.source, set.name).not.toContain(`"${set.package}"`);
    }
  });

  it('uses permissive licences from packages pinned exactly in package.json', () => {
    const { devDependencies } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };
    for (const set of index.sets) {
      expect(PERMISSIVE, set.name).toContain(set.license);
      expect(PERMISSIVE, set.name).toContain(set.packageLicense);
      expect(devDependencies[set.package], set.name).toBe(set.version);
      expect(set.credit).toContain(`"${set.package}" ${set.version}`);
    }
  });

  it('credits every set and its licences in NOTICE.txt', () => {
    const notice = readFileSync(path.join(DEFAULT_DATA_DIR, 'NOTICE.txt'), 'utf8');
    for (const set of index.sets) expect(notice).toContain(`${set.name} (${set.theme}, ${set.license}): ${set.credit}`);
    expect(notice).toContain('https://creativecommons.org/licenses/by/4.0/');
    if (index.sets.some((set) => [set.license, set.packageLicense].includes('Apache-2.0'))) {
      expect(notice).toMatch(/Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/);
    }
  });
});

describe('parseFewshotIndex', () => {
  const good = { format: 'ddgan-fewshot/1', size: 32, channels: 3, sets: [{ name: 'a-b', theme: 't', style: 's', license: 'MIT', credit: 'c', files: ['01-x.png'] }] };
  it('reads a good index and refuses file names that leave the set folder', () => {
    expect(parseFewshotIndex(good).sets[0].files).toEqual(['01-x.png']);
    expect(() => parseFewshotIndex({ ...good, sets: [{ ...good.sets[0], files: ['../../models/index.json'] }] })).toThrow(/lists no usable PNG file names/);
    expect(() => parseFewshotIndex({ ...good, sets: [{ ...good.sets[0], name: '../x' }] })).toThrow(/not a plain folder name/);
    expect(() => parseFewshotIndex({ ...good, format: 'x' })).toThrow(/format "x"/);
  });
  it('reads the index the build writes', () => {
    const built = parseFewshotIndex(JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../public/data/fewshot/index.json'), 'utf8')));
    expect(built.sets.length).toBeGreaterThanOrEqual(3);
  });
});
