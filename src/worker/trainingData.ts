/**
 * The training images of a run as one `ImageDataset` at the model's size and channels:
 * uploaded pixels (already decoded and resized by decodeImages.ts), or a built-in set
 * fetched from the app's own origin and filtered (MNIST digits, an emoji category or a
 * search over the emoji short names), resized when the model's size differs.
 */
import type { ImageDataset } from '../core/data/dataset';
import { subset } from '../core/data/dataset';
import { selectedIndices } from '../core/data/selection';
import { fetchDataset } from '../core/data/fetch';
import { resizeImages } from '../core/data/uploadPrep';
import { EngineFailure, messageOf } from './errors';
import { EMOJI_SETS, type TrainingData } from './protocol';

const badData = (message: string): never => {
  throw new EngineFailure('bad-data', message);
};

/** Fits a data set to size × size × channels (a no-op when it already is). */
export function fitDataset(ds: ImageDataset, size: number, channels: 1 | 3): ImageDataset {
  if (ds.size === size && ds.channels === channels) return ds;
  return { ...ds, pixels: resizeImages(ds.pixels, ds.count, ds.size, ds.channels, size, channels), size, channels };
}

export async function loadTrainingData(data: TrainingData, size: number, channels: 1 | 3, origin: string): Promise<ImageDataset> {
  if (typeof data !== 'object' || data === null) badData('training data are missing');
  if (data.kind === 'pixels') {
    const { count } = data;
    if (!(data.pixels instanceof ArrayBuffer) || !Number.isInteger(count) || count < 1) badData('no images to train on: add some first');
    if (data.pixels.byteLength !== count * data.size * data.size * data.channels) {
      badData(`the upload holds ${data.pixels.byteLength} bytes, not ${count} images of ${data.size}×${data.size}×${data.channels}`);
    }
    return fitDataset({ name: data.name, pixels: new Uint8Array(data.pixels), count, size: data.size, channels: data.channels }, size, channels);
  }
  let url: URL;
  try {
    url = new URL(data.dataUrl);
  } catch {
    return badData(`data URL must be absolute, got ${JSON.stringify(data.dataUrl)}`);
  }
  if (url.origin !== origin) badData(`data sets are loaded from ${origin} only`);
  if (data.kind === 'emoji' && data.set !== undefined && !(EMOJI_SETS as readonly string[]).includes(data.set)) {
    badData(`emoji set must be one of ${EMOJI_SETS.join(', ')}, got ${JSON.stringify(data.set)}`);
  }
  const name = data.kind === 'mnist' ? 'mnist-train' : data.set === 'icons' ? 'icons-train' : 'emoji';
  let ds;
  try {
    ds = await fetchDataset(url.href, name);
  } catch (e) {
    return badData(`could not load the ${data.kind} data set: ${messageOf(e)}`);
  }
  if (data.kind === 'mnist' && new Set(data.digits).size === 0) badData('choose at least one digit');
  const keep = selectedIndices(ds, data);
  if (keep.length === 0) badData(`no ${data.kind} images match that choice`);
  const label = data.kind === 'mnist' ? `mnist digits ${[...data.digits].sort().join('')}` : `${name} ${data.category ?? 'all'}${data.search ? ` “${data.search}”` : ''}`;
  return fitDataset(subset(ds, keep, label), size, channels);
}
