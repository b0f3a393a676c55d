/**
 * A folder of images as training data on the command line (src/node/imageFolder.ts): PNG,
 * JPEG and GIF decode in pure JavaScript to the same pixels the upload code makes, WebP and
 * anything else unusable is named and skipped, and a folder with nothing usable is an error.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { GifWriter } from 'omggif';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeInNode, folderProblem, loadImageFolder, type SkippedFile } from '../../src/node/imageFolder';

/** A width × height PNG of one colour. */
function solidPng(width: number, height: number, rgb: readonly [number, number, number], alpha = 255): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([...rgb, alpha], i * 4);
  return PNG.sync.write(png);
}

function solidJpeg(width: number, height: number, rgb: readonly [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
  return jpeg.encode({ data, width, height }, 95).data;
}

/** A GIF whose left half is palette colour 0 and right half colour 1. */
function halvesGif(width: number, height: number, left: number, right: number): Buffer {
  const buf = Buffer.alloc(1024 + width * height * 2);
  const gif = new GifWriter(buf, width, height, { palette: [left, right] });
  gif.addFrame(0, 0, width, height, Array.from({ length: width * height }, (_, i) => (i % width < width / 2 ? 0 : 1)));
  return buf.subarray(0, gif.end());
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddgan-folder-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('decodeInNode', () => {
  it('decodes PNG, JPEG and GIF to RGBA and refuses WebP by name', async () => {
    const png = await decodeInNode(solidPng(3, 2, [10, 20, 30], 128), 'png');
    expect([png.width, png.height]).toEqual([3, 2]);
    expect(Array.from(png.rgba.subarray(0, 4))).toEqual([10, 20, 30, 128]);
    const jpg = await decodeInNode(solidJpeg(8, 8, [200, 100, 50]), 'jpeg');
    expect([jpg.width, jpg.height]).toEqual([8, 8]);
    // Lossy: within a few levels of the colour encoded.
    for (const [i, want] of [200, 100, 50].entries()) expect(Math.abs(jpg.rgba[i] - want)).toBeLessThan(6);
    expect(jpg.rgba[3]).toBe(255);
    const gif = await decodeInNode(halvesGif(4, 2, 0xff0000, 0x0000ff), 'gif');
    expect([gif.width, gif.height]).toEqual([4, 2]);
    expect(Array.from(gif.rgba.subarray(0, 4))).toEqual([255, 0, 0, 255]);
    expect(Array.from(gif.rgba.subarray(12, 16))).toEqual([0, 0, 255, 255]);
    await expect(decodeInNode(new Uint8Array(40), 'webp')).rejects.toThrow(/WebP images are not decoded on the command line: convert it to PNG or JPEG/);
  });
});

describe('loadImageFolder', () => {
  it('loads the usable images in name order and names each file it skips', async () => {
    const dir = path.join(tmp, 'mixed');
    await mkdir(path.join(dir, 'nested'), { recursive: true });
    await writeFile(path.join(dir, 'b-red.png'), solidPng(20, 12, [255, 0, 0]));
    await writeFile(path.join(dir, 'a-grey.jpg'), solidJpeg(16, 16, [128, 128, 128]));
    await writeFile(path.join(dir, 'c-halves.gif'), halvesGif(8, 8, 0x000000, 0xffffff));
    await writeFile(path.join(dir, 'notes.txt'), 'not an image, just some text\n');
    await writeFile(path.join(dir, 'empty.png'), Buffer.alloc(0));
    const riff = Buffer.alloc(40);
    riff.write('RIFF', 0);
    riff.write('WEBPVP8X', 8);
    await writeFile(path.join(dir, 'photo.webp'), riff);
    await writeFile(path.join(dir, '.DS_Store'), 'finder litter');
    await writeFile(path.join(dir, 'nested', 'inside.png'), solidPng(4, 4, [0, 255, 0]));
    const heard: SkippedFile[] = [];
    const { dataset, skipped } = await loadImageFolder(dir, 2, 1, (s) => heard.push(s));
    expect(skipped).toEqual(heard);
    expect(skipped.map((s) => s.name)).toEqual(['empty.png', 'notes.txt', 'photo.webp']);
    expect(skipped[0].reason).toMatch(/empty/);
    expect(skipped[1].reason).toBe('not a PNG, JPEG, WebP or GIF image');
    expect(skipped[2].reason).toMatch(/WebP images are not decoded on the command line/);
    expect(dataset).toMatchObject({ name: 'folder mixed', count: 3, size: 2, channels: 1 });
    const [grey, red, halves] = [0, 1, 2].map((i) => Array.from(dataset.pixels.subarray(i * 4, i * 4 + 4)));
    for (const v of grey) expect(Math.abs(v - 128)).toBeLessThan(4);
    expect(red).toEqual([76, 76, 76, 76]);
    expect(halves).toEqual([0, 255, 0, 255]);
  });

  it('is an error when nothing in the folder is usable, naming the folder', async () => {
    const empty = path.join(tmp, 'empty');
    await mkdir(empty);
    await expect(loadImageFolder(empty, 4, 1)).rejects.toThrow(`${empty}: no images to train on: it holds no files`);
    const junk = path.join(tmp, 'junk');
    await mkdir(junk);
    await writeFile(path.join(junk, 'a.txt'), 'text');
    await expect(loadImageFolder(junk, 4, 1)).rejects.toThrow(/no images to train on: none of its 1 files is usable \(PNG, JPEG or GIF/);
  });

  it('says why a path is not a folder', async () => {
    expect(await folderProblem(tmp)).toBeNull();
    expect(await folderProblem(path.join(tmp, 'nowhere'))).toMatch(/^no folder .*nowhere exists$/);
    await writeFile(path.join(tmp, 'file.png'), solidPng(1, 1, [0, 0, 0]));
    expect(await folderProblem(path.join(tmp, 'file.png'))).toMatch(/is a file, not a folder of images/);
  });
});
