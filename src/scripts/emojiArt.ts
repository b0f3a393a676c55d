/**
 * The emoji artwork that `src/scripts/build-data.ts` reads from npm packages, one reader per
 * drawing style, each turning an emoji of the emoji-datasource catalogue into a 32×32 RGB image
 * composited on white, or saying that its style does not draw that emoji.
 *
 *   twemoji       Twemoji 64 px PNGs of "emoji-datasource-twitter" (CC-BY 4.0)
 *   noto          Noto Emoji 64 px PNGs of "emoji-datasource-google" (Apache 2.0)
 *   fluent-flat   Fluent Emoji Flat SVGs of "@iconify-json/fluent-emoji-flat" (MIT), rendered
 *                 at 64 px by resvg compiled to WebAssembly ("@resvg/resvg-wasm")
 *
 * Every style goes the same way from 64 px: composite on white, then a 2×2 box average.
 * `iconifyArt` draws any Iconify icon set by icon name along the same path; the few-shot sets
 * (src/scripts/fewshotSets.ts) use it for styles the icons data set does not have.
 * The SVG renderer is WebAssembly rather than a native addon, so every machine runs the same
 * compiled code with no fonts or system libraries involved, and the output stays
 * byte-for-byte reproducible.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PNG } from 'pngjs';
import { initWasm, Resvg } from '@resvg/resvg-wasm';

const require = createRequire(import.meta.url);

/** Side of the images the packages ship (PNG) or are rendered at (SVG). */
export const SOURCE_SIZE = 64;
/** Side of the images of the data sets. */
export const IMAGE_SIZE = 32;
/** The fixed background every transparent pixel is composited on. */
export const WHITE = 255;

/**
 * The installed folder of npm package `name`. Found from its package.json where the package
 * exports that file, else by walking up from its main entry (some packages' "exports" hide
 * package.json, e.g. @resvg/resvg-wasm).
 */
export function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    for (let dir = path.dirname(require.resolve(name)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const manifest = path.join(dir, 'package.json');
      if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    }
    throw new Error(`cannot find the folder of npm package "${name}"`);
  }
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

/** One record of emoji-datasource's emoji.json (the fields the builder reads). */
export interface EmojiEntry {
  /** Code points in upper-case hex joined by "-", with FE0F where fully qualified. */
  unified: string;
  image: string;
  short_name: string;
  category: string;
  sort_order: number;
  /** Whether the package's image set draws it: has_img_twitter, has_img_google, … */
  [hasImage: `has_img_${string}`]: boolean;
}

/**
 * Composites 64×64 RGBA over white and halves the size with a 2×2 box average, both in sRGB
 * values (not linear light): that is what a browser canvas does when it scales an upload,
 * so emoji and uploads reach the models with the same colour handling. Integer arithmetic
 * keeps the result exact: per source pixel, 255·composite = c·a + 255·(255 − a) for straight
 * alpha, and 255·(p + 255 − a) for a colour p already multiplied by alpha.
 */
export function downsampleOverWhite(rgba: Uint8Array, premultiplied = false): Uint8Array {
  const out = new Uint8Array(IMAGE_SIZE * IMAGE_SIZE * 3);
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) {
            const p = ((2 * y + dy) * SOURCE_SIZE + 2 * x + dx) * 4;
            const alpha = rgba[p + 3];
            sum += premultiplied ? 255 * (rgba[p + c] + WHITE - alpha) : rgba[p + c] * alpha + WHITE * (255 - alpha);
          }
        }
        out[(y * IMAGE_SIZE + x) * 3 + c] = Math.round(sum / (4 * 255));
      }
    }
  }
  return out;
}

/** The 64 px PNG of `entry` in emoji-datasource package `pkg` (image set `set`), as RGBA8. */
export function readDatasourcePng(pkg: string, set: string, entry: EmojiEntry): Uint8Array {
  const file = path.join(packageDir(pkg), 'img', set, String(SOURCE_SIZE), entry.image);
  const png = PNG.sync.read(readFileSync(file));
  // pngjs expands palette and low-bit-depth files to 8-bit RGBA; anything else is unexpected.
  if (png.width !== SOURCE_SIZE || png.height !== SOURCE_SIZE || png.data.length !== SOURCE_SIZE ** 2 * 4) {
    throw new Error(`${file}: ${png.width}×${png.height} with ${png.data.length} bytes, expected ${SOURCE_SIZE}×${SOURCE_SIZE} RGBA8`);
  }
  return png.data;
}

/** A drawing style of the icons data set: where its images come from and under which licence. */
export interface IconStyle {
  /** Short identifier, stored in the manifest. */
  readonly name: string;
  /** SPDX identifier of the licence of the images. */
  readonly license: string;
  /** Credit line: artwork, owner, licence, npm package and version. */
  readonly source: string;
  /** The emoji at 32×32 RGB over white, or null when this style does not draw it. */
  image(entry: EmojiEntry): Uint8Array | null;
}

export const TWEMOJI_PACKAGE = 'emoji-datasource-twitter';
export const NOTO_PACKAGE = 'emoji-datasource-google';
export const FLUENT_FLAT_PACKAGE = '@iconify-json/fluent-emoji-flat';
export const SVG_RENDERER_PACKAGE = '@resvg/resvg-wasm';

export function twemojiSource(): string {
  return `Twemoji © Twitter, Inc and other contributors, CC-BY 4.0 (via npm "${TWEMOJI_PACKAGE}" ${packageVersion(TWEMOJI_PACKAGE)})`;
}

/**
 * Twemoji, from images already made: the `emoji` data set is exactly these images, so the
 * builder hands its pixels over (keyed by `unified`) instead of decoding every PNG twice.
 */
export function twemojiStyle(images: ReadonlyMap<string, Uint8Array>): IconStyle {
  return { name: 'twemoji', license: 'CC-BY-4.0', source: twemojiSource(), image: (entry) => images.get(entry.unified) ?? null };
}

/**
 * Noto Emoji as emoji-datasource-google ships it. Its README: "Android/Google/Noto images, are
 * available under the Apache License 2.0"; Noto's own README puts the flags (from
 * region-flags) in the public domain.
 */
export function notoStyle(): IconStyle {
  // What Google draws, by the Google package's own catalogue (the same emoji-datasource release).
  const catalogue = JSON.parse(readFileSync(path.join(packageDir(NOTO_PACKAGE), 'emoji.json'), 'utf8')) as EmojiEntry[];
  const drawn = new Map(catalogue.filter((entry) => entry.has_img_google).map((entry) => [entry.unified, entry]));
  return {
    name: 'noto',
    license: 'Apache-2.0',
    source: `Noto Emoji © Google Inc., Apache 2.0; flags from region-flags, public domain (via npm "${NOTO_PACKAGE}" ${packageVersion(NOTO_PACKAGE)})`,
    image(entry) {
      const own = drawn.get(entry.unified);
      return own ? downsampleOverWhite(readDatasourcePng(NOTO_PACKAGE, 'google', own)) : null;
    },
  };
}

/** The parts of an Iconify JSON icon set that rendering reads. */
interface IconifyIcon {
  body: string;
  left?: number;
  top?: number;
  width?: number;
  height?: number;
}

interface IconifySet {
  icons: Record<string, IconifyIcon>;
  width?: number;
  height?: number;
}

/** The parts of an Iconify package's info.json that credits read: who drew the set, and its licence. */
export interface IconifyInfo {
  name: string;
  author: { name: string; url?: string };
  license: { title: string; spdx?: string; url?: string };
}

/** Code points as the lookup key: lower-case, without the FE0F variation selector. */
function codepointKey(unified: string): string {
  return unified
    .toLowerCase()
    .split('-')
    .filter((part) => part !== 'fe0f')
    .join('-');
}

let wasmReady: Promise<void> | undefined;

/** Loads resvg's WebAssembly module once per process. */
function initRenderer(): Promise<void> {
  wasmReady ??= initWasm(readFileSync(require.resolve(`${SVG_RENDERER_PACKAGE}/index_bg.wasm`)));
  return wasmReady;
}

/**
 * An Iconify icon as a square SVG document SOURCE_SIZE pixels wide: the icon's own box, widened
 * about its centre to a square when it is not one, so nothing is stretched or cut. `ink` sets the
 * colour of one-colour sets, whose shapes are painted in `currentColor`.
 */
function iconSvg(set: IconifySet, icon: IconifyIcon, ink?: string): string {
  const width = icon.width ?? set.width ?? 16;
  const height = icon.height ?? set.height ?? 16;
  const side = Math.max(width, height);
  const left = (icon.left ?? 0) - (side - width) / 2;
  const top = (icon.top ?? 0) - (side - height) / 2;
  const color = ink !== undefined ? ` color="${ink}"` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
    `width="${SOURCE_SIZE}" height="${SOURCE_SIZE}" viewBox="${left} ${top} ${side} ${side}"${color}>${icon.body}</svg>`
  );
}

/** Renders an SVG document to SOURCE_SIZE² RGBA, colour premultiplied by alpha (resvg's pixmap). */
function renderSvg(svg: string, what: string): Uint8Array {
  const resvg = new Resvg(svg, { font: { loadSystemFonts: false } });
  try {
    const rendered = resvg.render();
    try {
      if (rendered.width !== SOURCE_SIZE || rendered.height !== SOURCE_SIZE) {
        throw new Error(`${what}: rendered ${rendered.width}×${rendered.height}, expected ${SOURCE_SIZE}×${SOURCE_SIZE}`);
      }
      return rendered.pixels.slice();
    } finally {
      rendered.free();
    }
  } finally {
    resvg.free();
  }
}

/** An Iconify icon set of an npm package (@iconify-json/…), ready to draw icons by name. */
export interface IconifyArt {
  readonly packageName: string;
  readonly version: string;
  readonly info: IconifyInfo;
  /** Whether the set has an icon of this name (aliases are not followed). */
  has(name: string): boolean;
  /** Icon `name` rendered at SOURCE_SIZE and reduced to 32×32 RGB over white; throws for an unknown name. */
  image(name: string): Uint8Array;
}

/**
 * Opens the Iconify icon set of npm package `packageName` (its icons.json and info.json) and
 * loads the SVG renderer. Every icon goes through the same path as the icons data set's SVG
 * styles: rendered at 64 px by resvg, composited on white, box-averaged 2×2. `ink` is the
 * colour `currentColor` paints in, for sets drawn in one colour.
 */
export async function iconifyArt(packageName: string, ink?: string): Promise<IconifyArt> {
  await initRenderer();
  const dir = packageDir(packageName);
  const set = JSON.parse(readFileSync(path.join(dir, 'icons.json'), 'utf8')) as IconifySet;
  const info = JSON.parse(readFileSync(path.join(dir, 'info.json'), 'utf8')) as IconifyInfo;
  const has = (name: string): boolean => Object.hasOwn(set.icons, name);
  return {
    packageName,
    version: packageVersion(packageName),
    info,
    has,
    image(name) {
      if (!has(name)) throw new Error(`${packageName}: icons.json has no icon "${name}"`);
      return downsampleOverWhite(renderSvg(iconSvg(set, set.icons[name], ink), `${packageName} ${name}`), true);
    },
  };
}

/**
 * Microsoft's Fluent Emoji in their flat style, as Iconify packages them (info.json: author
 * Microsoft Corporation, licence MIT), looked up by code point through the set's chars.json.
 * Microsoft left out the emoji it could not open-source (national flags among them), so the
 * style covers fewer emoji than the other two.
 */
export async function fluentFlatStyle(): Promise<IconStyle> {
  const art = await iconifyArt(FLUENT_FLAT_PACKAGE);
  const chars = JSON.parse(readFileSync(path.join(packageDir(FLUENT_FLAT_PACKAGE), 'chars.json'), 'utf8')) as Record<string, string>;
  const byCodepoint = new Map(Object.entries(chars).map(([code, name]) => [codepointKey(code), name]));
  return {
    name: 'fluent-flat',
    license: 'MIT',
    source:
      `Fluent Emoji Flat © Microsoft Corporation, MIT (via npm "${FLUENT_FLAT_PACKAGE}" ${art.version}, ` +
      `rendered with "${SVG_RENDERER_PACKAGE}" ${packageVersion(SVG_RENDERER_PACKAGE)})`,
    image(entry) {
      const name = byCodepoint.get(codepointKey(entry.unified));
      if (name === undefined) return null;
      if (!art.has(name)) throw new Error(`${FLUENT_FLAT_PACKAGE}: chars.json names "${name}" for ${entry.unified}, but icons.json has no such icon`);
      return art.image(name);
    },
  };
}
