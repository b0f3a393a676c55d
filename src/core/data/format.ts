/**
 * The on-disk data set format written by `src/scripts/build-data.ts`: a JSON manifest plus raw
 * uint8 files. Pure code (no Node, no DOM) so the worker, the CLIs and the tests share it.
 *
 *   <name>.json         DatasetManifest
 *   <name>.u8           count × size × size × channels bytes, NHWC, 0..255
 *   <name>.labels.u8    count bytes, one class index per image (labelled sets only)
 */
import type { ImageDataset } from './dataset';

export const DATASET_FORMAT = 'ddgan-dataset/1';

export interface DatasetManifest {
  readonly format: typeof DATASET_FORMAT;
  readonly name: string;
  readonly count: number;
  readonly size: number;
  readonly channels: number;
  /** Present exactly when the data set has labels (then `labelsFile` is present too). */
  readonly numClasses?: number;
  /** One name per class, index = label. */
  readonly classNames?: readonly string[];
  /** One name per image, index = image index (e.g. emoji short names, for search). */
  readonly itemNames?: readonly string[];
  /** The drawing styles of a set that mixes several image sources, index = style. */
  readonly styles?: readonly DatasetStyle[];
  /** One index into `styles` per image (present exactly when `styles` is). */
  readonly itemStyles?: readonly number[];
  readonly pixelsFile: string;
  readonly labelsFile?: string;
  /** Short credit line, shown wherever the data is shown. */
  readonly source: string;
  /** Lower-case hex SHA-256 of the pixels file. */
  readonly sha256: string;
}

/** One image source of a mixed data set: what its images are and under which licence. */
export interface DatasetStyle {
  /** Short identifier, e.g. "noto". */
  readonly name: string;
  /** Credit line: the artwork, its owner, the licence and the npm package it came from. */
  readonly source: string;
  /** SPDX identifier of the images' licence, e.g. "Apache-2.0". */
  readonly license: string;
}

/** A data set as loaded from files: the pixels plus the names the manifest carries. */
export interface LoadedDataset extends ImageDataset {
  readonly classNames?: readonly string[];
  readonly itemNames?: readonly string[];
  readonly styles?: readonly DatasetStyle[];
  readonly itemStyles?: readonly number[];
  readonly source: string;
}

/** Channel counts the rest of the code knows how to draw: grey, RGB, RGBA. */
const SUPPORTED_CHANNELS = [1, 3, 4];

function fail(message: string): never {
  throw new Error(`dataset manifest: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(json: Record<string, unknown>, key: string): string {
  const value = json[key];
  if (typeof value !== 'string' || value.length === 0) fail(`"${key}" must be a non-empty string`);
  return value;
}

function requirePositiveInteger(json: Record<string, unknown>, key: string): number {
  const value = json[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    fail(`"${key}" must be a positive integer`);
  }
  return value;
}

function optionalStringArray(json: Record<string, unknown>, key: string, expectedLength: number): string[] | undefined {
  const value = json[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
    fail(`"${key}" must be an array of strings`);
  }
  if (value.length !== expectedLength) fail(`"${key}" has ${value.length} entries, expected ${expectedLength}`);
  return value as string[];
}

function optionalStyles(json: Record<string, unknown>): DatasetStyle[] | undefined {
  const value = json.styles;
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) fail('"styles" must be a non-empty array');
  return value.map((style, i) => {
    if (!isRecord(style)) fail(`"styles"[${i}] must be an object`);
    const field = (key: string): string => {
      const text = style[key];
      if (typeof text !== 'string' || text.length === 0) fail(`"styles"[${i}].${key} must be a non-empty string`);
      return text;
    };
    return { name: field('name'), source: field('source'), license: field('license') };
  });
}

function optionalItemStyles(json: Record<string, unknown>, count: number, styleCount: number): number[] | undefined {
  const value = json.itemStyles;
  if (value === undefined) {
    if (styleCount > 0) fail('"styles" needs "itemStyles"');
    return undefined;
  }
  if (styleCount === 0) fail('"itemStyles" needs "styles"');
  if (!Array.isArray(value) || value.some((s) => !Number.isInteger(s) || s < 0 || s >= styleCount)) {
    fail(`"itemStyles" must be an array of style indices 0..${styleCount - 1}`);
  }
  if (value.length !== count) fail(`"itemStyles" has ${value.length} entries, expected ${count}`);
  return value as number[];
}

/**
 * File names are joined onto a directory or base URL by the loaders, so they must stay
 * inside it: no separators, no `..`.
 */
function requireFileName(json: Record<string, unknown>, key: string): string {
  const value = requireString(json, key);
  if (/[/\\]/.test(value) || value === '.' || value === '..') {
    fail(`"${key}" must be a plain file name, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function parseDatasetManifest(json: unknown): DatasetManifest {
  if (!isRecord(json)) fail('expected a JSON object');
  if (json.format !== DATASET_FORMAT) {
    fail(`"format" must be "${DATASET_FORMAT}", got ${JSON.stringify(json.format)}`);
  }
  const name = requireString(json, 'name');
  const count = requirePositiveInteger(json, 'count');
  const size = requirePositiveInteger(json, 'size');
  const channels = requirePositiveInteger(json, 'channels');
  if (!SUPPORTED_CHANNELS.includes(channels)) fail(`"channels" must be one of ${SUPPORTED_CHANNELS.join(', ')}, got ${channels}`);
  if (!Number.isSafeInteger(count * size * size * channels)) fail('"count" × "size"² × "channels" is too large');

  const pixelsFile = requireFileName(json, 'pixelsFile');
  const source = requireString(json, 'source');
  const sha256 = requireString(json, 'sha256');
  if (!/^[0-9a-f]{64}$/.test(sha256)) fail('"sha256" must be 64 lower-case hex digits');

  let numClasses: number | undefined;
  let labelsFile: string | undefined;
  if (json.numClasses !== undefined || json.labelsFile !== undefined) {
    numClasses = requirePositiveInteger(json, 'numClasses');
    // Labels are stored one byte each.
    if (numClasses > 256) fail(`"numClasses" must be at most 256, got ${numClasses}`);
    labelsFile = requireFileName(json, 'labelsFile');
    if (labelsFile === pixelsFile) fail('"labelsFile" and "pixelsFile" must differ');
  }
  if (json.classNames !== undefined && numClasses === undefined) fail('"classNames" needs "numClasses"');
  const classNames = optionalStringArray(json, 'classNames', numClasses ?? 0);
  const itemNames = optionalStringArray(json, 'itemNames', count);
  const styles = optionalStyles(json);
  const itemStyles = optionalItemStyles(json, count, styles?.length ?? 0);

  return {
    format: DATASET_FORMAT,
    name,
    count,
    size,
    channels,
    ...(numClasses !== undefined && { numClasses }),
    ...(classNames && { classNames }),
    ...(itemNames && { itemNames }),
    ...(styles && { styles }),
    ...(itemStyles && { itemStyles }),
    pixelsFile,
    ...(labelsFile !== undefined && { labelsFile }),
    source,
    sha256,
  };
}

export function pixelsByteLength(manifest: Pick<DatasetManifest, 'count' | 'size' | 'channels'>): number {
  return manifest.count * manifest.size * manifest.size * manifest.channels;
}

/** Bytes the loaders will read for this data set (pixels plus labels). */
export function datasetByteLength(manifest: DatasetManifest): number {
  return pixelsByteLength(manifest) + (manifest.labelsFile !== undefined ? manifest.count : 0);
}

/** A plain Uint8Array view (Node's Buffer is a subclass whose `subarray` returns Buffers). */
function asBytes(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** Wraps the files' bytes as a data set, after checking their lengths and the labels' range. */
export function datasetFromBuffers(
  manifest: DatasetManifest,
  pixelData: ArrayBuffer | Uint8Array,
  labelData?: ArrayBuffer | Uint8Array,
): LoadedDataset {
  const { name, count, size, channels, numClasses, labelsFile } = manifest;
  const pixels = asBytes(pixelData);
  const expectedPixels = pixelsByteLength(manifest);
  if (pixels.byteLength !== expectedPixels) {
    throw new Error(
      `dataset "${name}": ${manifest.pixelsFile} has ${pixels.byteLength} bytes, expected ${expectedPixels} ` +
        `(${count} images × ${size}×${size}×${channels})`,
    );
  }

  let labels: Uint8Array | undefined;
  if (labelsFile !== undefined && numClasses !== undefined) {
    if (labelData === undefined) throw new Error(`dataset "${name}": ${labelsFile} was not provided`);
    labels = asBytes(labelData);
    if (labels.byteLength !== count) {
      throw new Error(`dataset "${name}": ${labelsFile} has ${labels.byteLength} bytes, expected ${count} (one per image)`);
    }
    for (let i = 0; i < count; i++) {
      if (labels[i] >= numClasses) {
        throw new Error(`dataset "${name}": ${labelsFile} has label ${labels[i]} at image ${i}, but numClasses is ${numClasses}`);
      }
    }
  } else if (labelData !== undefined) {
    throw new Error(`dataset "${name}": labels were given but the manifest has no "labelsFile"`);
  }

  return {
    name,
    pixels,
    count,
    size,
    channels,
    source: manifest.source,
    ...(labels && { labels, numClasses }),
    ...(manifest.classNames && { classNames: manifest.classNames }),
    ...(manifest.itemNames && { itemNames: manifest.itemNames }),
    ...(manifest.styles && { styles: manifest.styles }),
    ...(manifest.itemStyles && { itemStyles: manifest.itemStyles }),
  };
}

export function bytesToHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = asBytes(bytes);
  let hex = '';
  for (let i = 0; i < view.length; i++) hex += view[i].toString(16).padStart(2, '0');
  return hex;
}

export function checkPixelsDigest(manifest: DatasetManifest, actualSha256: string): void {
  if (actualSha256 !== manifest.sha256) {
    throw new Error(
      `dataset "${manifest.name}": ${manifest.pixelsFile} is corrupt or stale: SHA-256 ${actualSha256}, ` +
        `manifest says ${manifest.sha256} (rebuild with \`npm run build:data\`)`,
    );
  }
}
