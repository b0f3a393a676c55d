/**
 * Few-shot sets: small folders of 16 images, each of one theme in one drawing style that the
 * icons data set does not have, for measuring whether fine-tuning a model trained on `icons`
 * on a few images adapts it to a new style. `src/scripts/build-data.ts` writes them to
 * public/data/fewshot/<set>/<nn>-<icon>.png (32×32 RGB PNG, so a folder can be given to the
 * train CLI as `--data public/data/fewshot/<set>` or uploaded in the tab) and lists them in
 * public/data/fewshot/index.json.
 *
 * The icons are fixed lists of names, so the sets never change unless the lists or the
 * packages do. Each is drawn through the same path as the icons set's SVG style
 * (src/scripts/emojiArt.ts): rendered at 64 px by resvg, composited on white, box-averaged 2×2.
 *
 * Every package's own info.json is checked against the licence credited here, so a release
 * that changes its licence stops the build instead of being credited wrongly.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { IMAGE_SIZE, SVG_RENDERER_PACKAGE, iconifyArt, packageVersion, type IconStyle } from './emojiArt';

/** One few-shot set as the build defines it. */
interface FewshotDefinition {
  /** Folder name under fewshot/. */
  readonly name: string;
  /** What the images show. */
  readonly theme: string;
  /** Short identifier of the drawing style. */
  readonly style: string;
  /** The npm package with the Iconify icon set. */
  readonly packageName: string;
  /** The licence its info.json must state (SPDX); the build stops when it states another. */
  readonly packageLicense: string;
  /** The author its info.json must name. */
  readonly packageAuthor: string;
  /** SPDX identifier of the licence the images are credited under. */
  readonly license: string;
  /** The credit line without the package part, which is added with the installed versions. */
  readonly artwork: string;
  /** Colour of `currentColor`, for sets drawn in one colour. */
  readonly ink?: string;
  /** Exactly SET_SIZE icon names of the package, in the order of the files. */
  readonly icons: readonly string[];
}

/** Images per set: within the 10–50 images a few-shot fine-tune is meant for. */
export const SET_SIZE = 16;

const FEWSHOT_SETS: readonly FewshotDefinition[] = [
  {
    name: 'fxemoji-food',
    theme: 'fruit and food',
    style: 'fxemoji',
    packageName: '@iconify-json/fxemoji',
    packageLicense: 'Apache-2.0',
    packageAuthor: 'Mozilla',
    // mozilla/fxemoji's LICENSE.md puts its code under Apache 2.0 and its visual design under
    // CC BY 4.0; the Iconify package states Apache 2.0 for all. The images are credited under
    // CC BY 4.0, the terms of the artwork, and the notice carries the Apache 2.0 text as well.
    license: 'CC-BY-4.0',
    artwork:
      'Firefox OS Emoji (fxemoji) © 2015 Mozilla Foundation, https://github.com/mozilla/fxemoji , visual design ' +
      'CC BY 4.0 by its LICENSE.md, the npm package stating Apache 2.0',
    icons: [
      'banana', 'bread', 'cherries', 'cookie', 'doughnut', 'frenchfries', 'grapes', 'greenapple',
      'hamburger', 'lemon', 'peach', 'pineapple', 'sliceofpizza', 'strawberry', 'tomato', 'watermelon',
    ],
  },
  {
    name: 'streamline-animal-faces',
    theme: 'animal faces',
    style: 'streamline-emojis',
    packageName: '@iconify-json/streamline-emojis',
    packageLicense: 'CC-BY-4.0',
    packageAuthor: 'Streamline',
    license: 'CC-BY-4.0',
    artwork: 'Streamline Emojis © Streamline, https://streamlinehq.com , CC BY 4.0',
    icons: [
      'bear-face', 'cat-face', 'cow-face', 'dog-face', 'fox-face-2', 'frog-face', 'hamster-face', 'lion-face',
      'monkey-face', 'mouse-face', 'panda-face', 'pig-face', 'rabbit-face', 'tiger-face', 'unicorn-face', 'wolf-face',
    ],
  },
  {
    name: 'emojione-smileys',
    theme: 'smiley faces',
    style: 'emojione',
    packageName: '@iconify-json/emojione',
    packageLicense: 'CC-BY-4.0',
    packageAuthor: 'Emoji One',
    license: 'CC-BY-4.0',
    artwork:
      'Emojione 2 artwork (colour) © Emoji One, https://www.emojione.com , as kept by Emojitwo, ' +
      'https://github.com/EmojiTwo/emojitwo , CC BY 4.0',
    icons: [
      'grinning-face', 'beaming-face-with-smiling-eyes', 'face-with-tears-of-joy', 'smiling-face-with-heart-eyes',
      'winking-face', 'smiling-face-with-sunglasses', 'thinking-face', 'neutral-face',
      'sleeping-face', 'crying-face', 'angry-face', 'astonished-face',
      'face-with-tongue', 'kissing-face-with-closed-eyes', 'upside-down-face', 'nerd-face',
    ],
  },
  {
    name: 'emojione-mono-vehicles',
    theme: 'vehicles',
    style: 'emojione-monotone',
    packageName: '@iconify-json/emojione-monotone',
    packageLicense: 'CC-BY-4.0',
    packageAuthor: 'Emoji One',
    license: 'CC-BY-4.0',
    artwork:
      'Emojione 2 artwork (monotone, drawn in black) © Emoji One, https://www.emojione.com , as kept by Emojitwo, ' +
      'https://github.com/EmojiTwo/emojitwo , CC BY 4.0',
    ink: '#000000',
    icons: [
      'automobile', 'bicycle', 'bus', 'fire-engine', 'helicopter', 'locomotive', 'motorcycle', 'police-car',
      'racing-car', 'rocket', 'sailboat', 'ship', 'taxi', 'tractor', 'airplane', 'delivery-truck',
    ],
  },
];

/** One set as fewshot/index.json lists it. */
export interface FewshotSet {
  name: string;
  theme: string;
  style: string;
  /** SPDX identifier of the licence the images are credited under. */
  license: string;
  /** SPDX identifier of the licence the npm package states (its info.json). */
  packageLicense: string;
  /** Artwork, owner, licence, npm package and version, renderer. */
  credit: string;
  package: string;
  version: string;
  /** The PNG files of the set's folder, in name order. */
  files: string[];
}

export const FEWSHOT_FORMAT = 'ddgan-fewshot/1';

/** The file of the n-th icon (0-based): "01-banana.png". */
function fileName(index: number, icon: string): string {
  return `${String(index + 1).padStart(2, '0')}-${icon}.png`;
}

/** 32×32 RGB bytes as an 8-bit RGB PNG (no alpha: the images are already on white). */
function rgbPng(rgb: Uint8Array): Buffer {
  const png = new PNG({ width: IMAGE_SIZE, height: IMAGE_SIZE, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(rgb);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/**
 * Writes every set to `outDir`/fewshot (first removing what an earlier build left there, so a
 * renamed icon leaves no stale file) and its index.json; returns the sets. Stops when a set's
 * style is one of `iconStyles`, the styles the base model is trained on.
 */
export async function buildFewshotSets(outDir: string, iconStyles: readonly IconStyle[]): Promise<FewshotSet[]> {
  const root = path.join(outDir, 'fewshot');
  rmSync(root, { recursive: true, force: true });
  const renderer = `rendered with "${SVG_RENDERER_PACKAGE}" ${packageVersion(SVG_RENDERER_PACKAGE)}`;
  const seen = iconStyles.map((style) => style.name);
  const sets: FewshotSet[] = [];
  for (const def of FEWSHOT_SETS) {
    if (seen.includes(def.style)) throw new Error(`few-shot set ${def.name}: style "${def.style}" is one the icons data set is trained on`);
    if (def.icons.length !== SET_SIZE || new Set(def.icons).size !== SET_SIZE) throw new Error(`few-shot set ${def.name}: needs ${SET_SIZE} different icons`);
    const art = await iconifyArt(def.packageName, def.ink);
    const { spdx } = art.info.license;
    if (spdx !== def.packageLicense || art.info.author.name !== def.packageAuthor) {
      throw new Error(
        `${def.packageName} ${art.version}: info.json says ${art.info.author.name}, ${spdx ?? art.info.license.title}; ` +
          `the credits of few-shot set ${def.name} were written for ${def.packageAuthor}, ${def.packageLicense}`,
      );
    }
    const dir = path.join(root, def.name);
    mkdirSync(dir, { recursive: true });
    const files = def.icons.map((icon, i) => {
      const file = fileName(i, icon);
      writeFileSync(path.join(dir, file), rgbPng(art.image(icon)));
      return file;
    });
    sets.push({
      name: def.name,
      theme: def.theme,
      style: def.style,
      license: def.license,
      packageLicense: def.packageLicense,
      credit: `${def.artwork} (via npm "${def.packageName}" ${art.version}, ${renderer})`,
      package: def.packageName,
      version: art.version,
      files,
    });
  }
  const index = {
    format: FEWSHOT_FORMAT,
    description:
      `Few-shot sets: ${SET_SIZE} images each, of one theme in a drawing style that the icons data set ` +
      `(${seen.join(', ')}) does not have, each icon rendered at 64×64, composited on white and area-averaged ` +
      'to 32×32 RGB. Each set is the folder of its name; licences: ../NOTICE.txt.',
    size: IMAGE_SIZE,
    channels: 3,
    sets,
  };
  writeFileSync(path.join(root, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  console.log(`fewshot      ${sets.length} sets of ${SET_SIZE} PNG images 32×32×3: ${sets.map((set) => set.name).join(', ')}`);
  return sets;
}
