/** Node-side data set loading from the files `npm run build:data` writes. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPixelsDigest, datasetFromBuffers, parseDatasetManifest, type LoadedDataset } from '../core/data/format';

/** <repo>/public/data, found from this file's place in the tree (src/node/data.ts). */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../public/data/', import.meta.url));

async function readDataFile(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${what}: ${file} does not exist (build the data sets with \`npm run build:data\`)`);
    }
    throw error;
  }
}

export async function loadDataset(name: string, dir: string = DEFAULT_DATA_DIR): Promise<LoadedDataset> {
  const manifestPath = path.join(dir, `${name}.json`);
  const manifestText = await readDataFile(manifestPath, `dataset "${name}"`);
  let json: unknown;
  try {
    json = JSON.parse(manifestText.toString('utf8'));
  } catch (error) {
    throw new Error(`dataset "${name}": ${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  const manifest = parseDatasetManifest(json);
  if (manifest.name !== name) throw new Error(`dataset "${name}": ${manifestPath} describes "${manifest.name}"`);

  const [pixels, labels] = await Promise.all([
    readDataFile(path.join(dir, manifest.pixelsFile), `dataset "${name}"`),
    manifest.labelsFile !== undefined ? readDataFile(path.join(dir, manifest.labelsFile), `dataset "${name}"`) : undefined,
  ]);
  // Lengths first: a truncated file should be reported as truncated, not as a digest mismatch.
  const dataset = datasetFromBuffers(manifest, pixels, labels);
  checkPixelsDigest(manifest, createHash('sha256').update(pixels).digest('hex'));
  return dataset;
}
