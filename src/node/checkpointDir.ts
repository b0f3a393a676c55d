/** Checkpoint folders on disk (Node): model.json + weight shards. */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CheckpointError, concatShards, parseCheckpoint, parseModelJson, type LoadedCheckpoint, type ModelJson } from '../core/models/checkpoint';

/** Writes atomically enough for an interrupted run: shards first, model.json last, via renames. */
export async function saveCheckpointDir(dir: string, ck: { modelJson: ModelJson; weightData: ArrayBuffer }): Promise<void> {
  await mkdir(dir, { recursive: true });
  const [group] = ck.modelJson.weightsManifest;
  const shard = path.join(dir, group.paths[0]);
  await writeFile(shard + '.tmp', new Uint8Array(ck.weightData));
  await rename(shard + '.tmp', shard);
  const json = path.join(dir, 'model.json');
  await writeFile(json + '.tmp', JSON.stringify(ck.modelJson, null, 2) + '\n');
  await rename(json + '.tmp', json);
}

export async function readModelJson(dir: string): Promise<ModelJson> {
  const file = path.join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CheckpointError(`no checkpoint at ${dir} (cannot read ${file})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${file} is not valid JSON (${(e as Error).message})`);
  }
  return parseModelJson(json);
}

export async function loadCheckpointDir(dir: string): Promise<LoadedCheckpoint> {
  const meta = await readModelJson(dir);
  const shards: ArrayBuffer[] = [];
  for (const group of meta.weightsManifest) {
    for (const p of group.paths) {
      const file = path.join(dir, p);
      let buf: Buffer;
      try {
        buf = await readFile(file);
      } catch {
        throw new CheckpointError(`weight file ${file} named in model.json is missing`);
      }
      shards.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    }
  }
  return parseCheckpoint(meta, concatShards(shards));
}

/** Writes only model.json (metrics updates), keeping the weights untouched. */
export async function updateModelJson(dir: string, update: (m: ModelJson) => ModelJson): Promise<ModelJson> {
  const next = update(await readModelJson(dir));
  const json = path.join(dir, 'model.json');
  await writeFile(json + '.tmp', JSON.stringify(next, null, 2) + '\n');
  await rename(json + '.tmp', json);
  return next;
}

/**
 * Loads a checkpoint that a running training may be rewriting. saveCheckpointDir renames the
 * shard first and model.json last, so a reader can meet a new shard with the old model.json
 * for a moment: then the shard is newer than model.json, or model.json changes while the
 * shard is read. Either way this waits and reads again (up to `attempts` times), and after
 * that returns what it read with `meta.loadWarning` set.
 */
export async function loadCheckpointDirSettled(dir: string, attempts = 5, waitMs = 1000): Promise<LoadedCheckpoint> {
  const json = path.join(dir, 'model.json');
  for (let i = 1; ; i++) {
    const before = await modificationTimes(dir);
    const ck = await loadCheckpointDir(dir);
    const after = await modificationTimes(dir);
    // A shard newer than model.json is a save in progress only if it is recent (a checkout
    // may write the files in any order).
    const midSave = after !== null && after.shards > after.json && Date.now() - after.shards < 30_000;
    const settled = before !== null && after !== null && before.json === after.json && before.shards === after.shards && !midSave;
    if (settled || i >= attempts) {
      if (!settled && before !== null) {
        ck.meta.loadWarning = `${json} kept changing while it was read; the weights may be one save ahead of model.json`;
      }
      return ck;
    }
    for (const net of Object.values(ck.networks)) net.dispose();
    for (const t of Object.values(ck.state)) t.dispose();
    await new Promise((r) => setTimeout(r, waitMs));
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
