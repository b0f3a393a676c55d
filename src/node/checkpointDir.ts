/** Checkpoint folders on disk (Node): model.json + weight shards. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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
