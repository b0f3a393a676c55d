/**
 * Checkpoint folders on disk (Node): model.json + weight shards.
 *
 * One save is one consistent state. `saveCheckpointDir` records the SHA-256 of the weights
 * in model.json (`weightsSha256`), writes both files under temporary names (synced to disk),
 * then renames the weights and model.json last. Whatever moment a kill hits, the folder holds
 * the previous save or the new one:
 *   - before the renames: the old model.json and weights (the temporaries are ignored);
 *   - between them: new weights with the old model.json, whose checksum no longer matches;
 *     the new model.json is complete beside them (model.json.tmp) and matches, so loading
 *     takes it (a kill during a folder's first save is the same, with no model.json yet);
 *   - after them: the new save.
 * Loading checks the checksum, so weights that were zeroed, swapped or mixed with another
 * save are refused with a message saying so. Checkpoints written before the checksum
 * existed load as before (their weights are checked for size, shape and finite values only).
 *
 * Weights over SHARD_BYTES go in several shards (`weights-1-of-2.bin`, …; the manifest's
 * one group lists them in order, and their concatenation is the weights), so that no file of
 * a committed resume state is larger than a tracked file should be. The shards are renamed
 * one by one; a kill between two of those renames leaves new and old shards side by side, and
 * loading then reads the staged shards still waiting under their temporary names, which with
 * the staged model.json make up the new save.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { CheckpointError, concatShards, parseCheckpoint, parseModelJson, type LoadedCheckpoint, type ModelJson } from '../core/models/checkpoint';

/** The model.json field holding the SHA-256 (hex) of the concatenated weight shards. */
export const WEIGHTS_DIGEST_FIELD = 'weightsSha256';
const STAGED = '.tmp';

/** The weights on disk are not the ones model.json was saved with. */
export class WeightsMismatchError extends CheckpointError {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsMismatchError';
  }
}

export function weightsDigest(data: ArrayBuffer | Uint8Array): string {
  return createHash('sha256')
    .update(data instanceof Uint8Array ? data : new Uint8Array(data))
    .digest('hex');
}

async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // not every platform syncs a directory; the renames are still atomic
  }
}

/** The largest weight shard a save writes (16 MiB). */
export const SHARD_BYTES = 16 * 1024 * 1024;

/** The shard file names for `bytes` of weights: `weights.bin` alone when one shard holds them. */
export function shardPaths(bytes: number, shardBytes = SHARD_BYTES): string[] {
  const n = Math.max(1, Math.ceil(bytes / shardBytes));
  if (n === 1) return ['weights.bin'];
  return Array.from({ length: n }, (_, i) => `weights-${i + 1}-of-${n}.bin`);
}

export interface SaveOptions {
  /**
   * Tests only: stop where a kill would, after the temporaries are written ('staged'),
   * after the first shard's rename ('shard', before the others') or after every shard's
   * rename ('weights', before model.json's).
   */
  readonly interruptAfter?: 'staged' | 'shard' | 'weights';
  /** Tests only: a smaller shard size. */
  readonly shardBytes?: number;
}

/** Writes one consistent save (see the top of this file), in shards of at most SHARD_BYTES. */
export async function saveCheckpointDir(dir: string, ck: { modelJson: ModelJson; weightData: ArrayBuffer }, opts: SaveOptions = {}): Promise<void> {
  const groups = ck.modelJson.weightsManifest;
  if (groups.length !== 1) throw new Error('saveCheckpointDir writes checkpoints with one weight group');
  const bytes = new Uint8Array(ck.weightData);
  const shardBytes = opts.shardBytes ?? SHARD_BYTES;
  const paths = shardPaths(bytes.byteLength, shardBytes);
  const { weightsManifest: _manifest, ...rest } = ck.modelJson;
  const modelJson = { ...rest, [WEIGHTS_DIGEST_FIELD]: weightsDigest(bytes), weightsManifest: [{ ...groups[0], paths }] };
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, 'model.json');
  for (let i = 0; i < paths.length; i++) await writeSynced(path.join(dir, paths[i]) + STAGED, bytes.subarray(i * shardBytes, (i + 1) * shardBytes));
  await writeSynced(json + STAGED, JSON.stringify(modelJson, null, 2) + '\n');
  if (opts.interruptAfter === 'staged') return;
  for (let i = 0; i < paths.length; i++) {
    const shard = path.join(dir, paths[i]);
    await rename(shard + STAGED, shard);
    if (opts.interruptAfter === 'shard' && i === 0) return;
  }
  if (opts.interruptAfter === 'weights') return;
  await rename(json + STAGED, json);
  await syncDir(dir);
}

async function readJsonFile(file: string): Promise<{ ok: true; meta: ModelJson } | { ok: false; missing: boolean; error: CheckpointError }> {
  let textContent: string;
  try {
    textContent = await readFile(file, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, missing, error: new CheckpointError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`) };
  }
  let json: unknown;
  try {
    json = JSON.parse(textContent);
  } catch (e) {
    return { ok: false, missing: false, error: new CheckpointError(`${file} is not valid JSON (${(e as Error).message})`) };
  }
  try {
    return { ok: true, meta: parseModelJson(json) };
  } catch (e) {
    return { ok: false, missing: false, error: new CheckpointError(`${file}: ${(e as Error).message}`) };
  }
}

/** model.json alone, parsed and checked for the fields the loader needs (no weights read). */
export async function readModelJson(dir: string): Promise<ModelJson> {
  const file = path.join(dir, 'model.json');
  const r = await readJsonFile(file);
  if (r.ok) return r.meta;
  if (r.missing) throw new CheckpointError(`no checkpoint at ${dir} (cannot read ${file})`);
  throw r.error;
}

/**
 * The concatenated shards model.json names; null when one is missing. `preferStaged`: a
 * shard still under its temporary name (a save interrupted among its renames) is read there.
 */
async function readShards(dir: string, meta: ModelJson, preferStaged = false): Promise<ArrayBuffer | null> {
  const shards: ArrayBuffer[] = [];
  for (const group of meta.weightsManifest) {
    for (const p of group.paths) {
      let buf: Buffer | null = null;
      if (preferStaged) buf = await readFile(path.join(dir, p) + STAGED).catch(() => null);
      try {
        buf ??= await readFile(path.join(dir, p));
      } catch {
        return null;
      }
      shards.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    }
  }
  return concatShards(shards);
}

export interface CheckpointFiles {
  readonly meta: ModelJson;
  readonly weightData: ArrayBuffer;
  /** The weights matched the checksum in model.json (false: a checkpoint saved without one). */
  readonly verified: boolean;
  /** Set when the files were those of an interrupted save, completed from model.json.tmp. */
  readonly note?: string;
}

/**
 * Reads model.json and its weights as one consistent save: the weights must match the
 * checksum model.json records; after a kill between the renames of a save, the staged
 * model.json.tmp that matches the weights is taken instead (nothing on disk is changed).
 * Throws a CheckpointError whose message says what is wrong.
 */
export async function readCheckpointFiles(dir: string): Promise<CheckpointFiles> {
  const json = path.join(dir, 'model.json');
  const main = await readJsonFile(json);
  const staged = await readJsonFile(json + STAGED);
  const digestOf = (meta: ModelJson): string | undefined => {
    const d = meta[WEIGHTS_DIGEST_FIELD];
    return typeof d === 'string' ? d : undefined;
  };
  /** The staged model.json, when it is complete and the weights on disk are its own. */
  const fromStaged = async (): Promise<CheckpointFiles | null> => {
    if (!staged.ok || digestOf(staged.meta) === undefined) return null;
    // The shards are renamed first to last: while the first is still staged, none was, and
    // the save never began to replace the folder's files.
    const first = staged.meta.weightsManifest[0]?.paths[0];
    if (first === undefined || (await stat(path.join(dir, first) + STAGED).then(() => true, () => false))) return null;
    const data = await readShards(dir, staged.meta, true);
    if (data === null || weightsDigest(data) !== digestOf(staged.meta)) return null;
    return { meta: staged.meta, weightData: data, verified: true, note: `${json} was one save behind its weights (a save was interrupted); read ${json}${STAGED}, which matches them` };
  };

  if (!main.ok) {
    const recovered = await fromStaged();
    if (recovered) return recovered;
    if (main.missing) throw new CheckpointError(`no checkpoint at ${dir} (cannot read ${json})`);
    throw main.error;
  }
  const meta = main.meta;
  const data = await readShards(dir, meta);
  if (data === null) {
    const missing = meta.weightsManifest.flatMap((g) => g.paths).map((p) => path.join(dir, p));
    throw new CheckpointError(`weight file ${missing.join(', ')} named in model.json is missing`);
  }
  const recorded = digestOf(meta);
  if (recorded === undefined) {
    // Saved before checksums: a model.json.tmp matching the weights is an interrupted first
    // save of this code over an older checkpoint; otherwise the files are taken as they are.
    return (await fromStaged()) ?? { meta, weightData: data, verified: false };
  }
  const actual = weightsDigest(data);
  if (actual === recorded) return { meta, weightData: data, verified: true };
  const recovered = await fromStaged();
  if (recovered) return recovered;
  const files = meta.weightsManifest.flatMap((g) => g.paths).join(', ');
  throw new WeightsMismatchError(
    `${path.join(dir, files)} does not match ${json}: the weights' SHA-256 is ${actual.slice(0, 12)}…, model.json records ${recorded.slice(0, 12)}… ` +
      `(the weights were changed, or come from another save)`,
  );
}

export async function loadCheckpointDir(dir: string): Promise<LoadedCheckpoint> {
  const files = await readCheckpointFiles(dir);
  const ck = parseCheckpoint(files.meta, files.weightData);
  if (files.note) ck.meta.loadWarning = files.note;
  return ck;
}

/** Writes only model.json (metrics updates), keeping the weights and their checksum. */
export async function updateModelJson(dir: string, update: (m: ModelJson) => ModelJson): Promise<ModelJson> {
  const { meta } = await readCheckpointFiles(dir);
  const next = update(meta);
  const json = path.join(dir, 'model.json');
  // A name of its own: a training run may be staging model.json.tmp in this folder.
  const tmp = `${json}.${process.pid}.update${STAGED}`;
  await writeSynced(tmp, JSON.stringify(next, null, 2) + '\n');
  await rename(tmp, json);
  return next;
}

/**
 * Loads a checkpoint that a running training may be rewriting. A save with a checksum is
 * read consistently or not at all: a read that met the weights of one save and model.json of
 * another waits and reads again (up to `attempts` times). For checkpoints without a checksum
 * (older trainers), a weight file newer than model.json, or model.json changing while the
 * shard is read, means a save in progress: the same wait, and after the last attempt what
 * was read is returned with `meta.loadWarning` set.
 */
export async function loadCheckpointDirSettled(dir: string, attempts = 5, waitMs = 1000): Promise<LoadedCheckpoint> {
  const json = path.join(dir, 'model.json');
  for (let i = 1; ; i++) {
    const before = await modificationTimes(dir);
    let files: CheckpointFiles;
    try {
      files = await readCheckpointFiles(dir);
    } catch (e) {
      if (e instanceof WeightsMismatchError && i < attempts) {
        await new Promise((r) => setTimeout(r, waitMs));
        continue;
      }
      throw e;
    }
    if (!files.verified) {
      const after = await modificationTimes(dir);
      // A shard newer than model.json is a save in progress only if it is recent (a checkout
      // may write the files in any order).
      const midSave = after !== null && after.shards > after.json && Date.now() - after.shards < 30_000;
      const settled = before !== null && after !== null && before.json === after.json && before.shards === after.shards && !midSave;
      if (!settled && i < attempts) {
        await new Promise((r) => setTimeout(r, waitMs));
        continue;
      }
      const ck = parseCheckpoint(files.meta, files.weightData);
      if (!settled && before !== null) ck.meta.loadWarning = `${json} kept changing while it was read; the weights may be one save ahead of model.json`;
      return ck;
    }
    const ck = parseCheckpoint(files.meta, files.weightData);
    if (files.note) ck.meta.loadWarning = files.note;
    return ck;
  }
}

/** mtimes of model.json and of the newest shard it names (null if one cannot be read). */
async function modificationTimes(dir: string): Promise<{ json: number; shards: number } | null> {
  try {
    const meta = await readModelJson(dir);
    const json = (await stat(path.join(dir, 'model.json'))).mtimeMs;
    let shards = 0;
    for (const group of meta.weightsManifest) {
      for (const p of group.paths) shards = Math.max(shards, (await stat(path.join(dir, p))).mtimeMs);
    }
    return { json, shards };
  } catch {
    return null;
  }
}
