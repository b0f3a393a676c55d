/**
 * Browser / worker loading of the files `npm run build:data` writes under public/data.
 * Uses only `fetch` and, when present, WebCrypto, so it also runs under Node.
 */
import {
  bytesToHex,
  checkPixelsDigest,
  datasetByteLength,
  datasetFromBuffers,
  parseDatasetManifest,
  pixelsByteLength,
  type LoadedDataset,
} from './format';

export type DatasetProgress = (loadedBytes: number, totalBytes: number) => void;

function joinUrl(baseUrl: string, file: string): string {
  // Plain string joining: `new URL(file, base)` would drop the base's last path segment
  // when it lacks a trailing slash, and needs an absolute base inside a worker.
  return `${baseUrl.replace(/\/+$/, '')}/${file}`;
}

async function get(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`fetch ${url} failed: ${(error as Error).message}`);
  }
  if (!response.ok) {
    throw new Error(`fetch ${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  return response;
}

/**
 * Reads a body of known expected size into one buffer, reporting each chunk.
 * The expected size comes from the manifest rather than Content-Length, which counts
 * compressed bytes when the server gzips the response and is absent on chunked replies.
 * A short body is returned short (the caller reports it); a long one stops the read.
 */
async function readBody(url: string, response: Response, expectedBytes: number, onChunk: (bytes: number) => void): Promise<Uint8Array<ArrayBuffer>> {
  if (!response.body) {
    const whole = new Uint8Array(await response.arrayBuffer());
    onChunk(whole.byteLength);
    return whole;
  }
  const buffer = new Uint8Array(expectedBytes);
  const reader = response.body.getReader();
  let filled = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (filled + value.byteLength > expectedBytes) {
      await reader.cancel();
      throw new Error(`fetch ${url}: body is longer than the ${expectedBytes} bytes the manifest describes`);
    }
    buffer.set(value, filled);
    filled += value.byteLength;
    onChunk(value.byteLength);
  }
  return buffer.subarray(0, filled);
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  // WebCrypto exists only in secure contexts (https, localhost, 127.0.0.1).
  if (!subtle) return undefined;
  const digest = await subtle.digest('SHA-256', bytes);
  return bytesToHex(digest);
}

/**
 * Loads data set `name` from `<baseUrl>/<name>.json` and the files it names.
 * `onProgress` sees the pixel and label bytes as they arrive (the manifest is not counted).
 */
export async function fetchDataset(baseUrl: string, name: string, onProgress?: DatasetProgress): Promise<LoadedDataset> {
  const manifestUrl = joinUrl(baseUrl, `${name}.json`);
  const manifestResponse = await get(manifestUrl);
  let json: unknown;
  try {
    json = await manifestResponse.json();
  } catch (error) {
    throw new Error(`fetch ${manifestUrl}: not valid JSON: ${(error as Error).message}`);
  }
  const manifest = parseDatasetManifest(json);
  if (manifest.name !== name) throw new Error(`fetch ${manifestUrl}: the manifest describes "${manifest.name}", not "${name}"`);

  const totalBytes = datasetByteLength(manifest);
  let loadedBytes = 0;
  const onChunk = (bytes: number): void => {
    loadedBytes += bytes;
    onProgress?.(loadedBytes, totalBytes);
  };
  onProgress?.(0, totalBytes);

  const download = async (file: string, expectedBytes: number): Promise<Uint8Array<ArrayBuffer>> => {
    const url = joinUrl(baseUrl, file);
    return readBody(url, await get(url), expectedBytes, onChunk);
  };
  const [pixels, labels] = await Promise.all([
    download(manifest.pixelsFile, pixelsByteLength(manifest)),
    manifest.labelsFile !== undefined ? download(manifest.labelsFile, manifest.count) : undefined,
  ]);

  const dataset = datasetFromBuffers(manifest, pixels, labels);
  const digest = await sha256Hex(pixels);
  if (digest !== undefined) checkPixelsDigest(manifest, digest);
  return dataset;
}

/**
 * What it takes to count a selection of data set `name` without its pixels: the image count,
 * the labels (one byte per image) and the per-image names of the manifest.
 */
export async function fetchDatasetLabels(baseUrl: string, name: string): Promise<{ count: number; labels?: Uint8Array; itemNames?: readonly string[] }> {
  const manifestUrl = joinUrl(baseUrl, `${name}.json`);
  const manifest = parseDatasetManifest(await (await get(manifestUrl)).json());
  if (manifest.labelsFile === undefined) return { count: manifest.count, itemNames: manifest.itemNames };
  const url = joinUrl(baseUrl, manifest.labelsFile);
  const labels = await readBody(url, await get(url), manifest.count, () => undefined);
  if (labels.byteLength !== manifest.count) throw new Error(`fetch ${url}: ${labels.byteLength} labels for ${manifest.count} images`);
  return { count: manifest.count, labels, itemNames: manifest.itemNames };
}
