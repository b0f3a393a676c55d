/**
 * The model catalog: `models/index.json`, generated at build time from the checkpoints that
 * ship under public/models/ (src/scripts/modelIndex.ts, wired into vite.config.ts).
 *
 * `models` lists DD-GAN generators only (what the Generate view samples from): a folder
 * whose model.json has no `generator` network of kind 'ddgan-generator' never appears there.
 * The networks the Compare view pits against them or judges them with are listed under
 * `auxiliary`, each with its network kind and role:
 *
 *   role 'ddpm'   a DDPM ε-network (kind 'ddpm-eps'), sampled with DDIM and ancestral DDPM
 *   role 'guide'  a noise-aware classifier p(y | x, σ) (kind 'noisy-classifier'), for guidance
 *   role 'judge'  a clean classifier (kind 'classifier'): accuracy and features of samples
 *
 * Anything else (a discriminator-only export, an unreadable or incomplete folder) is
 * reported under `skipped` with the reason. An index without `auxiliary` (written before it
 * existed) reads as one with an empty list.
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

/** What a non-generator checkpoint is for in the Compare view. */
export type AuxiliaryRole = 'ddpm' | 'guide' | 'judge';

export interface AuxiliaryEntry {
  /** Folder name under models/. */
  readonly name: string;
  /** Folder URL relative to models/index.json, with a trailing slash. */
  readonly path: string;
  readonly description: string;
  readonly role: AuxiliaryRole;
  /** The network's kind in model.json ('ddpm-eps', 'noisy-classifier', 'classifier'). */
  readonly kind: string;
  /** The network's key in model.json `networks` (its weights are `<network>/…`). */
  readonly network: string;
  readonly imageSize: number;
  readonly channels: number;
  /** DDPM: diffusion steps N of its schedule; null otherwise. */
  readonly steps: number | null;
  /** Classifiers: number of classes; null otherwise. */
  readonly numClasses: number | null;
  /** Parameters of that network. */
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
  /** DD-GAN generators (the Generate view's list). */
  readonly models: readonly ModelIndexEntry[];
  /** DDPM ε-nets and classifiers (the Compare view's baselines, guides and judge). */
  readonly auxiliary: readonly AuxiliaryEntry[];
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
  const sizes = manifestSizes(json, 'generator');
  if ('skip' in sizes) return sizes;
  const { weightBytes, paramCount } = sizes;
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

/** Bytes of all weights, and the parameters of one network, from model.json's manifest. */
function manifestSizes(json: Rec, network: string): { weightBytes: number; paramCount: number } | { skip: string } {
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
      if (w.name.startsWith(`${network}/`)) paramCount += size;
    }
  }
  return { weightBytes, paramCount };
}

/** The Compare view's role of a network kind, or null for kinds it does not use. */
export function auxiliaryRole(kind: unknown): AuxiliaryRole | null {
  if (kind === 'ddpm-eps') return 'ddpm';
  if (kind === 'classifier') return 'judge';
  // A classifier conditioned on the noise level ('noisy-classifier').
  if (typeof kind === 'string' && /classifier/.test(kind)) return 'guide';
  return null;
}

const ROLE_ORDER: readonly AuxiliaryRole[] = ['ddpm', 'guide', 'judge'];

/**
 * The auxiliary entry of a checkpoint folder without a DD-GAN generator: its DDPM ε-net,
 * else its noise-aware classifier, else its clean classifier. null when it has none of
 * them; `skip` when it has one but the entry cannot be built (the reason says why).
 */
export function auxiliaryEntry(folder: string, json: unknown): { entry: AuxiliaryEntry } | { skip: string } | null {
  if (!isRec(json) || !isRec(json.networks)) return null;
  const candidates = Object.entries(json.networks)
    .filter((e): e is [string, Rec] => isRec(e[1]) && auxiliaryRole(e[1].kind) !== null)
    .map(([key, cfg]) => ({ key, cfg, role: auxiliaryRole(cfg.kind)! }))
    .sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
  const pick = candidates[0];
  if (!pick) return null;
  const { key, cfg, role } = pick;
  const what = role === 'ddpm' ? 'DDPM ε-net' : role === 'guide' ? 'noise-aware classifier' : 'classifier';
  if (!posInt(cfg.imageSize) || !posInt(cfg.channels)) return { skip: `${what} config lacks imageSize or channels` };
  const schedule = isRec(json.schedule) ? json.schedule : {};
  const steps = role === 'ddpm' ? (posInt(schedule.N) ? schedule.N : posInt(cfg.steps) ? cfg.steps : null) : null;
  if (role === 'ddpm' && steps === null) return { skip: 'DDPM ε-net config lacks its number of steps' };
  const numClasses = role === 'ddpm' ? null : posInt(cfg.numClasses) ? cfg.numClasses : null;
  if (role !== 'ddpm' && numClasses === null) return { skip: `${what} config lacks numClasses` };
  const sizes = manifestSizes(json, key);
  if ('skip' in sizes) return sizes;
  const data = isRec(json.data) ? json.data : {};
  const training = isRec(json.training) ? json.training : {};
  return {
    entry: {
      name: folder,
      path: `${folder}/`,
      description: typeof json.description === 'string' ? json.description : typeof json.name === 'string' ? json.name : folder,
      role,
      kind: String(cfg.kind),
      network: key,
      imageSize: cfg.imageSize,
      channels: cfg.channels,
      steps,
      numClasses,
      paramCount: sizes.paramCount,
      weightBytes: sizes.weightBytes,
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
  const auxiliary = json.auxiliary ?? [];
  if (!Array.isArray(auxiliary)) throw new Error('models/index.json: "auxiliary" is not a list');
  for (const m of auxiliary) {
    if (
      !isRec(m) ||
      typeof m.name !== 'string' ||
      typeof m.path !== 'string' ||
      !ROLE_ORDER.includes(m.role as AuxiliaryRole) ||
      typeof m.kind !== 'string' ||
      !posInt(m.imageSize) ||
      !posInt(m.channels)
    ) {
      throw new Error(`models/index.json: auxiliary entry ${JSON.stringify(m).slice(0, 80)} is malformed`);
    }
  }
  return {
    format: MODEL_INDEX_FORMAT,
    models: json.models as ModelIndexEntry[],
    auxiliary: auxiliary as AuxiliaryEntry[],
    skipped: Array.isArray(json.skipped) ? (json.skipped as SkippedModel[]) : [],
  };
}

/**
 * The generator the app opens with when the URL names none: the most trained of the shipped
 * models. The list is sorted by name, so without this the first name (a model still in
 * training, say) would be the default.
 */
export const DEFAULT_MODEL = 'mnist-ddgan-t4';

/** The model to select: the wanted one when listed, else DEFAULT_MODEL when listed, else the first. */
export function pickModel(models: readonly { name: string }[], wanted: string | null): string | null {
  const has = (name: string | null) => name !== null && models.some((m) => m.name === name);
  if (has(wanted)) return wanted;
  if (has(DEFAULT_MODEL)) return DEFAULT_MODEL;
  return models[0]?.name ?? null;
}

/** Builds the index from (folder, parsed model.json | read error) pairs, each list sorted by name. */
export function buildModelIndex(folders: readonly { name: string; json?: unknown; error?: string }[]): ModelIndex {
  const models: ModelIndexEntry[] = [];
  const auxiliary: AuxiliaryEntry[] = [];
  const skipped: SkippedModel[] = [];
  for (const f of [...folders].sort((a, b) => a.name.localeCompare(b.name))) {
    if (f.error !== undefined) {
      skipped.push({ name: f.name, reason: f.error });
      continue;
    }
    const r = catalogEntry(f.name, f.json);
    if ('entry' in r) {
      models.push(r.entry);
      continue;
    }
    const aux = auxiliaryEntry(f.name, f.json);
    if (aux && 'entry' in aux) auxiliary.push(aux.entry);
    else skipped.push({ name: f.name, reason: aux ? aux.skip : r.skip });
  }
  return { format: MODEL_INDEX_FORMAT, models, auxiliary, skipped };
}
