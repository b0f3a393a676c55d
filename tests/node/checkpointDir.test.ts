/**
 * One save is one consistent state (src/node/checkpointDir.ts): a kill at any moment of a
 * save leaves the previous save or the new one, never the weights of one with the model.json
 * of the other; weights that were changed on disk (zeroed, swapped with another save's) are
 * refused; checkpoints saved before the checksum still load.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { disposeCheckpoint, serializeCheckpoint, type LoadedCheckpoint, type ModelJson } from '../../src/core/models/checkpoint';
import { defaultClassifierConfig } from '../../src/core/models/classifier';
import { Network } from '../../src/core/models/network';
import {
  WEIGHTS_DIGEST_FIELD,
  WeightsMismatchError,
  loadCheckpointDir,
  loadCheckpointDirSettled,
  readCheckpointFiles,
  saveCheckpointDir,
  shardPaths,
  updateModelJson,
  weightsDigest,
} from '../../src/node/checkpointDir';

const root = path.resolve(import.meta.dirname, '../..');
let tmp: string;
let dirCount = 0;
const newDir = () => path.join(tmp, `ck-${dirCount++}`);

/** A checkpoint whose every weight is `iteration`, and whose model.json says so. */
async function checkpoint(iteration: number): Promise<{ modelJson: ModelJson; weightData: ArrayBuffer }> {
  const net = Network.create(defaultClassifierConfig({ baseChannels: 8, channelMults: [1, 2], featureDim: 8, groups: 2 }), 1);
  for (const v of net.params.vars.values()) v.assign(tf.fill(v.shape, iteration));
  const ck = await serializeCheckpoint({ name: 'c', createdAt: 'x', codeVersion: 'test', training: { iterations: iteration } }, { classifier: net });
  net.dispose();
  return ck;
}

/** The iteration of a loaded checkpoint, after checking that its weights are that save's. */
async function consistentIteration(ck: LoadedCheckpoint): Promise<number> {
  const it = (ck.meta.training as { iterations: number }).iterations;
  for (const v of ck.networks.classifier.params.vars.values()) expect(new Set(await v.data())).toEqual(new Set([it]));
  disposeCheckpoint(ck);
  return it;
}

beforeAll(async () => {
  await backend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddgan-ckdir-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('saveCheckpointDir / loadCheckpointDir', () => {
  it('records the weights checksum in model.json and verifies it on load', async () => {
    const dir = newDir();
    const ck = await checkpoint(1);
    await saveCheckpointDir(dir, ck);
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(json[WEIGHTS_DIGEST_FIELD]).toBe(weightsDigest(ck.weightData));
    expect((await readCheckpointFiles(dir)).verified).toBe(true);
    expect(await consistentIteration(await loadCheckpointDir(dir))).toBe(1);
  });

  it('a kill between the weights and model.json renames loads as the new save, not a mix', async () => {
    const dir = newDir();
    await saveCheckpointDir(dir, await checkpoint(1));
    await saveCheckpointDir(dir, await checkpoint(2), { interruptAfter: 'weights' });
    // on disk: new weights.bin, old model.json, new model.json.tmp
    expect(JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')).training.iterations).toBe(1);
    const ck = await loadCheckpointDir(dir);
    expect(ck.meta.loadWarning).toMatch(/a save was interrupted/);
    expect(await consistentIteration(ck)).toBe(2);
    // the next save completes normally
    await saveCheckpointDir(dir, await checkpoint(3));
    expect(await consistentIteration(await loadCheckpointDir(dir))).toBe(3);
  });

  it('a kill before the renames loads as the previous save', async () => {
    const dir = newDir();
    await saveCheckpointDir(dir, await checkpoint(1));
    await saveCheckpointDir(dir, await checkpoint(2), { interruptAfter: 'staged' });
    expect(await consistentIteration(await loadCheckpointDir(dir))).toBe(1);
  });

  it('a kill during the first save leaves that save (after the weights rename) or no checkpoint at all', async () => {
    const a = newDir();
    await saveCheckpointDir(a, await checkpoint(5), { interruptAfter: 'weights' });
    expect(existsSync(path.join(a, 'model.json'))).toBe(false);
    expect(await consistentIteration(await loadCheckpointDir(a))).toBe(5);
    const b = newDir();
    await saveCheckpointDir(b, await checkpoint(5), { interruptAfter: 'staged' });
    await expect(loadCheckpointDir(b)).rejects.toThrow(`no checkpoint at ${b}`);
  });

  it('writes weights over the shard size in several shards, and a kill among their renames loads as the new save', async () => {
    expect(shardPaths(16 * 1024 * 1024)).toEqual(['weights.bin']);
    expect(shardPaths(16 * 1024 * 1024 + 1)).toEqual(['weights-1-of-2.bin', 'weights-2-of-2.bin']);
    const dir = newDir();
    const first = await checkpoint(1);
    const shardBytes = Math.ceil(first.weightData.byteLength / 3);
    await saveCheckpointDir(dir, first, { shardBytes });
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['weights-1-of-3.bin', 'weights-2-of-3.bin', 'weights-3-of-3.bin']);
    const sizes = await Promise.all(json.weightsManifest[0].paths.map(async (p: string) => (await readFile(path.join(dir, p))).length));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(shardBytes);
    expect(sizes.reduce((a: number, b: number) => a + b, 0)).toBe(first.weightData.byteLength);
    expect(await consistentIteration(await loadCheckpointDir(dir))).toBe(1);
    // Killed after the first shard's rename: new shard 1, old shards 2 and 3 (new ones staged).
    await saveCheckpointDir(dir, await checkpoint(2), { shardBytes, interruptAfter: 'shard' });
    const ck = await loadCheckpointDir(dir);
    expect(ck.meta.loadWarning).toMatch(/a save was interrupted/);
    expect(await consistentIteration(ck)).toBe(2);
    await saveCheckpointDir(dir, await checkpoint(3), { shardBytes });
    expect(await consistentIteration(await loadCheckpointDir(dir))).toBe(3);
  });

  it('zeroed weights, or the weights of another save with the same shapes, are refused', async () => {
    const dir = newDir();
    const other = newDir();
    await saveCheckpointDir(dir, await checkpoint(1));
    await saveCheckpointDir(other, await checkpoint(2));
    const bytes = (await readFile(path.join(dir, 'weights.bin'))).length;
    await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(bytes));
    await expect(loadCheckpointDir(dir)).rejects.toThrow(WeightsMismatchError);
    await expect(loadCheckpointDir(dir)).rejects.toThrow(/weights\.bin does not match .*model\.json: the weights' SHA-256 is [0-9a-f]{12}…, model\.json records [0-9a-f]{12}…/);
    await copyFile(path.join(other, 'weights.bin'), path.join(dir, 'weights.bin'));
    await expect(loadCheckpointDir(dir)).rejects.toThrow(/does not match/);
  });

  it('a checkpoint saved before the checksum loads as before, and the first new save over it is atomic too', async () => {
    const dir = newDir();
    const ck = await checkpoint(7);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(ck.modelJson));
    await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(ck.weightData));
    expect((await readCheckpointFiles(dir)).verified).toBe(false);
    expect(await consistentIteration(await loadCheckpointDir(dir))).toBe(7);
    await saveCheckpointDir(dir, await checkpoint(8), { interruptAfter: 'weights' });
    expect(await consistentIteration(await loadCheckpointDir(dir))).toBe(8);
  });

  it('the shipped models and the committed resume states (saved before the checksum) still load', async () => {
    for (const dir of ['public/models/mnist-ddgan-t4', 'training/mnist-ddgan-t4']) {
      const files = await readCheckpointFiles(path.join(root, dir));
      expect(files.meta.weightsManifest[0].paths).toEqual(['weights.bin']);
    }
  });

  it('updateModelJson keeps the checksum, so the checkpoint still loads', async () => {
    const dir = newDir();
    await saveCheckpointDir(dir, await checkpoint(4));
    await updateModelJson(dir, (m) => ({ ...m, metrics: { x: 1 } }));
    const ck = await loadCheckpointDir(dir);
    expect(ck.meta.metrics).toEqual({ x: 1 });
    expect(await consistentIteration(ck)).toBe(4);
  });

  it('a reader that meets a save in progress waits for it (loadCheckpointDirSettled)', async () => {
    const dir = newDir();
    await saveCheckpointDir(dir, await checkpoint(1));
    const good = await readFile(path.join(dir, 'weights.bin'));
    await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(good.length));
    setTimeout(() => void writeFile(path.join(dir, 'weights.bin'), good), 150);
    expect(await consistentIteration(await loadCheckpointDirSettled(dir, 20, 50))).toBe(1);
  });

  it('SIGKILL at random moments of a stream of saves always leaves one consistent save', async () => {
    const src = path.join(tmp, 'stream-src');
    await mkdir(src, { recursive: true });
    const count = 3;
    for (let i = 0; i < count; i++) {
      const ck = await checkpoint(i + 1);
      await writeFile(path.join(src, `ck-${i}.json`), JSON.stringify(ck.modelJson));
      await writeFile(path.join(src, `ck-${i}.bin`), new Uint8Array(ck.weightData));
    }
    // One folder saved in one shard, another in three (every other kill).
    const dirs = [newDir(), newDir()];
    const shardBytes = String(Math.ceil((await readFile(path.join(src, 'ck-0.bin'))).length / 3));
    const seen = new Set<number>();
    for (const [i, delayMs] of [0, 40, 90, 170, 260, 60].entries()) {
      const dir = dirs[i % 2];
      const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['tests/fixtures/saveLoop.ts', dir, src, String(count), ...(i % 2 ? [shardBytes] : [])], {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => child.stdout!.on('data', (d) => String(d).includes('ready') && resolve()));
      await new Promise((r) => setTimeout(r, delayMs + Math.random() * 30));
      const exited = new Promise((r) => child.on('exit', r));
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      if (!existsSync(path.join(dir, 'model.json')) && !existsSync(path.join(dir, 'model.json.tmp'))) continue;
      seen.add(await consistentIteration(await loadCheckpointDir(dir)));
    }
    expect(seen.size).toBeGreaterThan(0);
  });
});
