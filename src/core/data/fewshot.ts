/**
 * The few-shot sets `npm run build:data` writes under public/data/fewshot/: 16 images each of
 * one theme, drawn in a style the icons data set does not have (src/scripts/fewshotSets.ts).
 * Their index (fewshot/index.json) is read by the app, which offers each set as ready-made
 * uploads, and by the few-shot study. Plain data, no tensors.
 */

export const FEWSHOT_INDEX_FORMAT = 'ddgan-fewshot/1';

export interface FewshotSet {
  readonly name: string;
  readonly theme: string;
  readonly style: string;
  readonly license: string;
  readonly credit: string;
  /** PNG file names inside the set's folder (fewshot/<name>/). */
  readonly files: readonly string[];
}

export interface FewshotIndex {
  readonly size: number;
  readonly channels: number;
  readonly sets: readonly FewshotSet[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A file name inside a set's folder: no path separators, no parent references. */
const SAFE_FILE = /^[\w.-]+\.png$/;

/** Checks fewshot/index.json; throws an Error naming the first field that is wrong. */
export function parseFewshotIndex(json: unknown): FewshotIndex {
  if (!isObject(json)) throw new Error('the few-shot index is not a JSON object');
  if (json.format !== FEWSHOT_INDEX_FORMAT) throw new Error(`the few-shot index has format ${JSON.stringify(json.format)}, expected "${FEWSHOT_INDEX_FORMAT}"`);
  const { size, channels, sets } = json;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw new Error('the few-shot index has no image size');
  if (channels !== 1 && channels !== 3) throw new Error('the few-shot index has no channel count of 1 or 3');
  if (!Array.isArray(sets)) throw new Error('the few-shot index lists no sets');
  const parsed = sets.map((s, i): FewshotSet => {
    if (!isObject(s)) throw new Error(`few-shot set ${i} is not an object`);
    for (const k of ['name', 'theme', 'style', 'license', 'credit'] as const) {
      if (typeof s[k] !== 'string' || s[k] === '') throw new Error(`few-shot set ${i} has no ${k}`);
    }
    const name = s.name as string;
    if (!/^[\w-]+$/.test(name)) throw new Error(`few-shot set name ${JSON.stringify(name)} is not a plain folder name`);
    if (!Array.isArray(s.files) || s.files.length === 0 || !s.files.every((f) => typeof f === 'string' && SAFE_FILE.test(f))) {
      throw new Error(`few-shot set ${name} lists no usable PNG file names`);
    }
    return { name, theme: s.theme as string, style: s.style as string, license: s.license as string, credit: s.credit as string, files: s.files as string[] };
  });
  return { size, channels, sets: parsed };
}
