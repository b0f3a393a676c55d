/**
 * The model catalog: `models/index.json`, generated at build time from the checkpoints that
 * ship under public/models/ (src/scripts/modelIndex.ts, wired into vite.config.ts).
 *
 * Only generators are listed: a folder whose model.json has no `generator` network of kind
 * 'ddgan-generator' (a classifier, a discriminator-only export) is reported under `skipped`
 * with the reason, never shown as something to sample from.
 *
 * Pure: no fs, no DOM, no tfjs. The build script feeds it parsed JSON; the UI validates the
 * fetched index with `parseModelIndex`.
 */

export const MODEL_INDEX_FORMAT = 'ddgan-web-model-index/1';

export interface ModelIndexEntry {
  /** Folder name under models/; also the `?model=` value. */
  readonly name: string;
  /** Folder URL relative to models/index.json, with a trailing slash. */
  readonly path: string;
  readonly description: string;
  readonly kind: 'ddgan-generator';
  readonly T: number;
  readonly imageSize: number;
  readonly channels: number;
  /** Generator parameters. */
  readonly paramCount: number;
  /** Bytes of weight shards to download (all networks in the file). */
  readonly weightBytes: number;
  readonly dataset: string | null;
  readonly iterations: number | null;
  readonly wallSeconds: number | null;
  readonly createdAt: string | null;
  /** Numeric metrics from model.json, flattened to dotted keys. */
  readonly metrics: Readonly<Record<string, number>>;
}

export interface SkippedModel {
  readonly name: string;
  readonly reason: string;
}

export interface ModelIndex {
  readonly format: typeof MODEL_INDEX_FORMAT;
  readonly models: readonly ModelIndexEntry[];
  readonly skipped: readonly SkippedModel[];
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const posInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Numeric leaves of a metrics object as `a.b.c → value` (arrays and strings are left out). */
export function flattenMetrics(metrics: unknown, prefix = '', out: Record<string, number> = {}, depth = 0): Record<string, number> {
  if (!isRec(metrics) || depth > 4) return out;
  for (const [key, v] of Object.entries(metrics)) {
    const name = prefix ? `${prefix}.${key}` : key;
    const n = num(v);
    if (n !== null) out[name] = n;
    else if (isRec(v)) flattenMetrics(v, name, out, depth + 1);
  }
  return out;
}

/**
 * The catalog entry of one checkpoint folder, or the reason it is not a sampleable
 * generator. `json` is the parsed model.json (format: src/core/models/checkpoint.ts).
 */
export function catalogEntry(folder: string, json: unknown): { entry: ModelIndexEntry } | { skip: string } {
  if (!isRec(json)) return { skip: 'model.json is not a JSON object' };
  const networks = json.networks;
  if (!isRec(networks)) return { skip: 'model.json has no "networks"' };
  const gen = networks.generator;
  if (!isRec(gen) || gen.kind !== 'ddgan-generator') {
    const kinds = Object.values(networks)
      .map((n) => (isRec(n) ? String(n.kind) : '?'))
      .join(', ');
    return { skip: `not a DD-GAN generator (networks: ${kinds || 'none'})` };
  }
  if (!posInt(gen.T) || !posInt(gen.imageSize) || !posInt(gen.channels)) return { skip: 'generator config lacks T, imageSize or channels' };
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) return { skip: 'model.json has no "weightsManifest"' };
  let weightBytes = 0;
  let paramCount = 0;
  for (const group of manifest) {
    if (!isRec(group) || !Array.isArray(group.weights)) return { skip: 'a weightsManifest group has no "weights"' };
    for (const w of group.weights) {
      if (!isRec(w) || !Array.isArray(w.shape) || typeof w.name !== 'string') return { skip: 'a weight entry lacks name or shape' };
      const size = (w.shape as unknown[]).reduce<number>((a, b) => a * (typeof b === 'number' ? b : NaN), 1);
      if (!Number.isFinite(size)) return { skip: `weight ${w.name} has a bad shape` };
      weightBytes += 4 * size;
      if (w.name.startsWith('generator/')) paramCount += size;
    }
  }
  const data = isRec(json.data) ? json.data : {};
  const training = isRec(json.training) ? json.training : {};
  return {
    entry: {
      name: folder,
      path: `${folder}/`,
      description: typeof json.description === 'string' ? json.description : typeof json.name === 'string' ? json.name : folder,
      kind: 'ddgan-generator',
      T: gen.T,
      imageSize: gen.imageSize,
      channels: gen.channels,
      paramCount,
      weightBytes,
      dataset: typeof data.name === 'string' ? data.name : null,
      iterations: num(training.iterations),
      wallSeconds: num(training.wallSeconds),
      createdAt: typeof json.createdAt === 'string' ? json.createdAt : null,
      metrics: flattenMetrics(json.metrics),
    },
  };
}

/** Validates a fetched index; throws an Error saying what is wrong. */
export function parseModelIndex(json: unknown): ModelIndex {
  if (!isRec(json)) throw new Error('models/index.json is not a JSON object');
  if (json.format !== MODEL_INDEX_FORMAT) throw new Error(`models/index.json has format ${JSON.stringify(json.format)}, expected "${MODEL_INDEX_FORMAT}"`);
  if (!Array.isArray(json.models)) throw new Error('models/index.json has no "models" list');
  for (const m of json.models) {
    if (!isRec(m) || typeof m.name !== 'string' || typeof m.path !== 'string' || !posInt(m.T) || !posInt(m.imageSize) || !posInt(m.channels)) {
      throw new Error(`models/index.json: entry ${JSON.stringify(m).slice(0, 80)} is malformed`);
    }
  }
  return { format: MODEL_INDEX_FORMAT, models: json.models as ModelIndexEntry[], skipped: Array.isArray(json.skipped) ? (json.skipped as SkippedModel[]) : [] };
}

/** Builds the index from (folder, parsed model.json | read error) pairs, sorted by name. */
export function buildModelIndex(folders: readonly { name: string; json?: unknown; error?: string }[]): ModelIndex {
  const models: ModelIndexEntry[] = [];
  const skipped: SkippedModel[] = [];
  for (const f of [...folders].sort((a, b) => a.name.localeCompare(b.name))) {
    if (f.error !== undefined) {
      skipped.push({ name: f.name, reason: f.error });
      continue;
    }
    const r = catalogEntry(f.name, f.json);
    if ('entry' in r) models.push(r.entry);
    else skipped.push({ name: f.name, reason: r.skip });
  }
  return { format: MODEL_INDEX_FORMAT, models, skipped };
}
