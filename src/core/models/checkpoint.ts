/**
 * Checkpoints (DESIGN §5): a folder with `model.json` and weight shard(s) in the standard
 * tfjs weights-manifest format, so any tfjs tool can read the weights with
 * `tf.io.loadWeights`. `model.json` also carries everything needed to rebuild and judge
 * the model without reading code: the network configs, the data set, the schedule, the
 * training state and the measured metrics.
 *
 * Weight names are `<network>/<parameter>` (e.g. `generator/down0/res0/conv1/w`); extra
 * tensors such as optimiser moments live under `state/…`.
 */
import * as tf from '@tensorflow/tfjs';
import { Network, type NetworkConfig } from './network';

export const CHECKPOINT_FORMAT = 'ddgan-web-checkpoint/1';
export const WEIGHTS_FILE = 'weights.bin';

export class CheckpointError extends Error {
  readonly code = 'checkpoint-invalid';
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Free-form, JSON-serialisable metadata stored next to the weights. */
export interface CheckpointMeta {
  name: string;
  description?: string;
  createdAt: string;
  codeVersion: string;
  /** Network configs, keyed by the prefix of their weights. */
  networks: Record<string, NetworkConfig>;
  data?: Record<string, unknown>;
  schedule?: Record<string, unknown>;
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ModelJson extends CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  weightsManifest: tf.io.WeightsManifestConfig;
}

export interface LoadedCheckpoint {
  meta: ModelJson;
  networks: Record<string, Network>;
  /** Tensors stored under `state/` (optimiser moments and the like), keyed without the prefix. */
  state: Record<string, tf.Tensor>;
  /** The same values as plain arrays, for checks that must not read tensors back synchronously. */
  stateValues?: Record<string, Float32Array>;
}

export async function serializeCheckpoint(
  meta: Omit<CheckpointMeta, 'networks'>,
  networks: Record<string, Network>,
  state: Record<string, tf.Tensor> = {},
): Promise<{ modelJson: ModelJson; weightData: ArrayBuffer }> {
  const named: tf.NamedTensorMap = {};
  const configs: Record<string, NetworkConfig> = {};
  for (const [key, net] of Object.entries(networks)) {
    if (key.includes('/')) throw new Error(`network key "${key}" must not contain "/"`);
    configs[key] = net.config;
    for (const [pname, v] of net.params.vars) named[`${key}/${pname}`] = v;
  }
  for (const [sname, t] of Object.entries(state)) named[`state/${sname}`] = t;
  const { data, specs } = await tf.io.encodeWeights(named);
  const modelJson = {
    ...(meta as CheckpointMeta),
    format: CHECKPOINT_FORMAT,
    networks: configs,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
  } satisfies ModelJson;
  return { modelJson, weightData: data as ArrayBuffer };
}

function fail(message: string): never {
  throw new CheckpointError(message);
}

/** Validates the parts of model.json the loader relies on; returns it typed. */
export function parseModelJson(json: unknown): ModelJson {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('model.json is not a JSON object');
  const m = json as Record<string, unknown>;
  if (m.format !== CHECKPOINT_FORMAT) {
    fail(`model.json has format ${JSON.stringify(m.format)}; this app reads "${CHECKPOINT_FORMAT}"`);
  }
  if (typeof m.networks !== 'object' || m.networks === null) fail('model.json has no "networks" section');
  for (const [key, cfg] of Object.entries(m.networks as Record<string, unknown>)) {
    if (typeof cfg !== 'object' || cfg === null || typeof (cfg as { kind?: unknown }).kind !== 'string') {
      fail(`model.json: network "${key}" has no "kind"`);
    }
  }
  const manifest = m.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) fail('model.json has no "weightsManifest"');
  for (const group of manifest as unknown[]) {
    const g = group as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(g.paths) || !Array.isArray(g.weights)) fail('model.json: a weightsManifest group lacks "paths" or "weights"');
    for (const w of g.weights as unknown[]) {
      const spec = w as { name?: unknown; shape?: unknown; dtype?: unknown };
      if (typeof spec.name !== 'string' || !Array.isArray(spec.shape) || spec.dtype !== 'float32') {
        fail(`model.json: weight entry ${JSON.stringify(w).slice(0, 80)} is not a float32 {name, shape}`);
      }
    }
  }
  return m as unknown as ModelJson;
}

/** Bytes the manifest expects for its float32 weights. */
export function expectedWeightBytes(meta: ModelJson): number {
  let bytes = 0;
  for (const group of meta.weightsManifest) {
    for (const spec of group.weights) bytes += 4 * spec.shape.reduce((a, b) => a * b, 1);
  }
  return bytes;
}

/**
 * Rebuilds the networks of a checkpoint from model.json and the concatenated shard bytes.
 * Every failure mode (wrong format, truncated or padded weights, non-finite values, names
 * or shapes that do not match the architecture in the config) throws a CheckpointError
 * that says what is wrong.
 */
export function parseCheckpoint(json: unknown, weightData: ArrayBuffer): LoadedCheckpoint {
  const meta = parseModelJson(json);
  const expected = expectedWeightBytes(meta);
  if (weightData.byteLength !== expected) {
    fail(
      `weights are ${weightData.byteLength} bytes but model.json describes ${expected} bytes ` +
        `(${weightData.byteLength < expected ? 'truncated download or' : 'extra data or'} a file from another model)`,
    );
  }
  const specs = meta.weightsManifest.flatMap((g) => g.weights);
  const networks: Record<string, Network> = {};
  const state: Record<string, tf.Tensor> = {};
  // All weights are float32, so the shard bytes are one Float32Array: check it before upload.
  const raw = new Float32Array(weightData);
  for (let i = 0; i < raw.length; i++) {
    if (!Number.isFinite(raw[i])) {
      fail(`weight ${weightAt(specs, i)} contains a non-finite value (NaN or Infinity): the file is corrupt`);
    }
  }
  const stateValues: Record<string, Float32Array> = {};
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.name.startsWith('state/')) stateValues[spec.name.slice(6)] = raw.slice(offset, offset + size);
    offset += size;
  }
  const decoded = tf.io.decodeWeights(weightData, specs);
  try {
    for (const [key, config] of Object.entries(meta.networks)) {
      let net: Network;
      try {
        net = Network.create(config as NetworkConfig);
      } catch (e) {
        fail(`network "${key}": its config cannot be built (${(e as Error).message})`);
      }
      networks[key] = net;
      const wanted = new Set(net.params.names());
      for (const pname of wanted) {
        const t = decoded[`${key}/${pname}`];
        if (!t) fail(`network "${key}" needs weight ${pname}, which the file does not have: the file is for a different architecture`);
        const v = net.params.vars.get(pname)!;
        if (t.shape.join(',') !== v.shape.join(',')) {
          fail(`weight ${key}/${pname} has shape [${t.shape}] but the architecture needs [${v.shape}]: the file is for a different architecture`);
        }
        v.assign(t);
      }
      for (const fullName of Object.keys(decoded)) {
        if (fullName.startsWith(`${key}/`) && !wanted.has(fullName.slice(key.length + 1))) {
          fail(`weight ${fullName} is not part of network "${key}": the file is for a different architecture`);
        }
      }
    }
    for (const [fullName, t] of Object.entries(decoded)) {
      if (fullName.startsWith('state/')) state[fullName.slice(6)] = tf.keep(t.clone());
    }
  } catch (e) {
    for (const net of Object.values(networks)) net.dispose();
    for (const t of Object.values(state)) t.dispose();
    throw e;
  } finally {
    for (const t of Object.values(decoded)) t.dispose();
  }
  return { meta, networks, state, stateValues };
}

function weightAt(specs: tf.io.WeightsManifestEntry[], floatIndex: number): string {
  let offset = 0;
  for (const spec of specs) {
    offset += spec.shape.reduce((a, b) => a * b, 1);
    if (floatIndex < offset) return spec.name;
  }
  return '?';
}

export function disposeCheckpoint(ck: LoadedCheckpoint): void {
  for (const net of Object.values(ck.networks)) net.dispose();
  for (const t of Object.values(ck.state)) t.dispose();
}

/** Concatenates shard buffers in manifest order. */
export function concatShards(buffers: ArrayBuffer[]): ArrayBuffer {
  const total = buffers.reduce((a, b) => a + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}
