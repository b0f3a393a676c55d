/**
 * A trained model as one file, for export and import: JSON with the checkpoint's
 * `model.json` object and its `weights.bin` bytes in base64.
 *
 *   {
 *     "format": "ddgan-web-model-file/1",
 *     "modelJson": { …the standard model.json of src/core/models/checkpoint.ts… },
 *     "weightsBytes": 1487300,
 *     "weights": "<base64 of weights.bin>"
 *   }
 *
 * So a file is self-describing and still holds ordinary tfjs artefacts: `modelJson` plus
 * the decoded bytes is a checkpoint folder any tfjs tool reads (`weightsManifest` names
 * `weights.bin`). JSON + base64 costs a third more bytes than a binary container but opens
 * in any text editor and needs no zip library. The full validation of the weights happens
 * in `parseCheckpoint` (worker); this module only unpacks and repacks, and is pure (no
 * tfjs; it lives in core/io, outside core/models, for that reason), so the main thread
 * can export without loading tensor code.
 */

export const MODEL_FILE_FORMAT = 'ddgan-web-model-file/1';
export const MODEL_FILE_EXTENSION = '.ddgan.json';

export class ModelFileError extends Error {
  readonly code = 'checkpoint-invalid';
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

const fail = (m: string): never => {
  throw new ModelFileError(m);
};

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    return fail('the model file’s weights are not valid base64: the file is damaged');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function encodeModelFile(modelJson: unknown, weights: ArrayBuffer): Uint8Array {
  const text = JSON.stringify({ format: MODEL_FILE_FORMAT, modelJson, weightsBytes: weights.byteLength, weights: bytesToBase64(new Uint8Array(weights)) });
  return new TextEncoder().encode(text);
}

/** Unpacks a model file; every way it can be wrong gives a message that says which. */
export function decodeModelFile(bytes: ArrayBuffer): { modelJson: unknown; weights: ArrayBuffer } {
  if (bytes.byteLength === 0) fail('the file is empty');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return fail(`this is not a ddgan-web model file (expected JSON of format "${MODEL_FILE_FORMAT}", exported by this app)`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('the model file is not a JSON object');
  const f = json as Record<string, unknown>;
  if (f.format !== MODEL_FILE_FORMAT) fail(`the file has format ${JSON.stringify(f.format ?? null)}; this app reads "${MODEL_FILE_FORMAT}"`);
  if (typeof f.modelJson !== 'object' || f.modelJson === null) fail('the model file has no "modelJson"');
  if (typeof f.weights !== 'string') fail('the model file has no "weights"');
  const w = base64ToBytes(f.weights as string);
  if (typeof f.weightsBytes === 'number' && f.weightsBytes !== w.byteLength) {
    fail(`the weights are ${w.byteLength} bytes but the file says ${f.weightsBytes}: the file is truncated or damaged`);
  }
  return { modelJson: f.modelJson, weights: w.buffer as ArrayBuffer };
}

interface Spec {
  name: string;
  shape: number[];
  dtype: string;
}

/**
 * The shippable model of a resume checkpoint: its EMA generator alone, renamed to
 * `generator` (what the app loads and samples), without optimiser state. Weight bytes are
 * sliced in manifest order (all float32, as checkpoint.ts writes them).
 */
export function shippableFromResume(modelJson: unknown, weights: ArrayBuffer, meta: Record<string, unknown> = {}): { modelJson: Record<string, unknown>; weights: ArrayBuffer } {
  const m = modelJson as { networks?: Record<string, unknown>; weightsManifest?: { paths: string[]; weights: Spec[] }[]; [k: string]: unknown };
  const ema = m.networks?.generatorEma;
  if (!ema || !Array.isArray(m.weightsManifest)) fail('this checkpoint has no EMA generator to export');
  const specs = m.weightsManifest!.flatMap((g) => g.weights);
  const kept: Spec[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32') fail(`weight ${spec.name} is ${spec.dtype}, not float32`);
    const bytes = 4 * spec.shape.reduce((a, b) => a * b, 1);
    if (spec.name.startsWith('generatorEma/')) {
      kept.push({ ...spec, name: `generator/${spec.name.slice('generatorEma/'.length)}` });
      parts.push(new Uint8Array(weights, offset, bytes));
    }
    offset += bytes;
  }
  if (offset !== weights.byteLength) fail(`the checkpoint's weights are ${weights.byteLength} bytes, its manifest describes ${offset}`);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  const { trainerState: _state, trainConfig, networks: _networks, weightsManifest: _manifest, ...rest } = m;
  void _state;
  void _networks;
  void _manifest;
  return {
    modelJson: {
      ...rest,
      ...meta,
      training: { ...((rest.training as Record<string, unknown> | undefined) ?? {}), config: trainConfig },
      networks: { generator: ema },
      weightsManifest: [{ paths: ['weights.bin'], weights: kept }],
    },
    weights: out.buffer,
  };
}
