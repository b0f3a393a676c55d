/**
 * A diverging run stops without writing (src/node/trainLoop.ts, src/cli/train-ddgan.ts, with
 * the shared checks of src/core/training/divergence.ts and the weight-scale check of
 * src/node/weightScale.ts): the last good save is never overwritten, and the message names
 * only folders that exist.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backend } from '../helpers';
import { writeTinyGanState } from '../fixtures/tinyGanState';
import { TrainingDiverged } from '../../src/core/training/imageGan';
import { runTrainingLoop, type LoopOptions } from '../../src/node/trainLoop';
import { checkWeightGrowth, weightRms } from '../../src/node/weightScale';
import { WEIGHTS_DIGEST_FIELD } from '../../src/node/checkpointDir';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
let tmp: string;
let good: string;

beforeAll(async () => {
  await backend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddgan-diverge-'));
  good = path.join(tmp, 'good');
  await writeTinyGanState(good, null, 2);
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** sha256 of every file in a folder. */
async function digests(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(dir)) out[name] = createHash('sha256').update(await readFile(path.join(dir, name))).digest('hex');
  return out;
}

function train(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tsx, ['src/cli/train.ts', '--model', 'ddgan', '--threads', '1', ...args], { cwd: root, timeout: 240_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const TINY_FRESH = ['--data', 'mnist', '--T', '1', '--g-base', '8', '--d-base', '8', '--batch', '2'];

describe('runTrainingLoop stops on a divergence without saving', () => {
  class Counting {
    constructor(public iteration: number) {}
    async step() {
      this.iteration++;
      return { iteration: this.iteration, ms: 1 };
    }
  }
  const exit = ((code: number) => {
    throw new Error(`exit ${code}`);
  }) as (code: number) => never;
  const run = async (opts: Partial<LoopOptions<{ iteration: number; ms: number }>>, start = 0) => {
    const trainer = new Counting(start);
    const saves: number[] = [];
    const errors: string[] = [];
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    let result: string;
    try {
      result = await runTrainingLoop(trainer, {
        iters: 25,
        saveEvery: 10,
        deadline: Infinity,
        imagesPerIteration: 1,
        describe: () => '',
        stateDir: '/state',
        save: async () => void saves.push(trainer.iteration),
        exit,
        ...opts,
      });
    } catch (e) {
      result = (e as Error).message;
    }
    vi.restoreAllMocks();
    return { result, saves, errors };
  };
  const divergeAt = (it: number) => (s: { iteration: number }) => {
    if (s.iteration === it) throw new TrainingDiverged(`training diverged at iteration ${it}: the D loss is 1e9`, it);
  };

  it('before the first save of a fresh run: nothing written, and no folder named', async () => {
    const r = await run({ check: divergeAt(3) });
    expect(r).toEqual({
      result: 'exit 1',
      saves: [],
      errors: ['training diverged at iteration 3: the D loss is 1e9. Stopped without saving: the run diverged before its first save, so nothing was written.'],
    });
  });

  it('after a save, or in a resumed run: names that good state, unchanged', async () => {
    expect((await run({ check: divergeAt(13) })).errors[0]).toMatch(/Stopped without saving: the last good state, \/state \(iteration 10\), is unchanged\.$/);
    const resumed = await run({ check: divergeAt(9), lastGood: { dir: '/resumed', iteration: 7 } }, 7);
    expect(resumed.saves).toEqual([]);
    expect(resumed.errors[0]).toMatch(/the last good state, \/resumed \(iteration 7\), is unchanged\.$/);
  });

  it('a save whose checks fail (non-finite or blown-up weights, collapsed samples) writes nothing more', async () => {
    const r = await run({
      save: async () => {
        throw new TrainingDiverged('training diverged at iteration 10: the weights contain a non-finite value', 10);
      },
    });
    expect(r.result).toBe('exit 1');
    expect(r.errors[0]).toMatch(/non-finite value\. Stopped without saving: the run diverged before its first save/);
  });
});

describe('weight scale', () => {
  it('a network whose weights grew more than 10× since the start has diverged', () => {
    const specs = [
      { name: 'generator/w', shape: [2], dtype: 'float32' as const },
      { name: 'discriminator/w', shape: [2], dtype: 'float32' as const },
      { name: 'state/optG/m/w', shape: [2], dtype: 'float32' as const },
    ];
    const ck = (g: number, d: number) => ({ modelJson: { weightsManifest: [{ paths: ['weights.bin'], weights: specs }] }, weightData: new Float32Array([g, -g, d, d, 1e9, 1e9]).buffer });
    const start = weightRms(ck(0.1, 0.2));
    expect(start).toEqual({ generator: expect.closeTo(0.1, 6), discriminator: expect.closeTo(0.2, 6) });
    checkWeightGrowth(start, weightRms(ck(0.5, 0.3)), 50, 0);
    expect(() => checkWeightGrowth(start, weightRms(ck(0.1, 25)), 51, 0)).toThrow(
      "training diverged at iteration 51: the discriminator's weights grew 125× since iteration 0 (RMS 0.200 → 25.0; the learning rates are too high)",
    );
  });
});

describe('npm run train on a diverging run', () => {
  it.each([
    ['lr 0.1 without R1 (finite losses of 1e5 and more)', ['--lr-g', '0.1', '--lr-d', '0.1', '--r1', '0']],
    ['--lr-g 10', ['--lr-g', '10']],
  ])('%s: stops, writes nothing, names no folder', async (name, rates) => {
    const out = path.join(tmp, `fresh-${name.replace(/\W+/g, '-')}`);
    const r = await train([...TINY_FRESH, ...rates, '--iters', '40', '--save-every', '20', '--out', path.join(out, 'model'), '--state', path.join(out, 'state')]);
    expect(r.code, r.stderr).toBe(1);
    const line = r.stderr.trim().split('\n').pop()!;
    expect(line).toMatch(/^training diverged at iteration \d+: .*Stopped without saving: the run diverged before its first save, so nothing was written\.$/);
    expect(line).not.toContain(tmp);
    expect(existsSync(out)).toBe(false);
  });

  it('--lr-g 10 on a resumed run: the resume state is left byte for byte, and the message names it', async () => {
    const state = path.join(tmp, 'resumed');
    await cp(good, state, { recursive: true });
    const before = await digests(state);
    const model = path.join(tmp, 'resumed-model');
    const r = await train(['--resume', state, '--lr-g', '10', '--lr-d', '10', '--iters', '20', '--save-every', '1', '--out', model]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(new RegExp(`^training diverged at iteration 3: .*Stopped without saving: the last good state, ${state} \\(iteration 2\\), is unchanged\\.$`));
    expect(await digests(state)).toEqual(before);
    expect(existsSync(model)).toBe(false);
  });

  it('a state with a corrupt Adam moment is refused at load; nothing is written over it or --out', async () => {
    const state = path.join(tmp, 'corrupt');
    await cp(good, state, { recursive: true });
    // one second moment set below 0, saved with a valid checksum (as a buggy writer would)
    const json = JSON.parse(await readFile(path.join(state, 'model.json'), 'utf8'));
    const weights = new Float32Array(new Uint8Array(await readFile(path.join(state, 'weights.bin'))).buffer);
    let offset = 0;
    for (const spec of json.weightsManifest[0].weights) {
      if (spec.name.startsWith('state/optD/v/')) break;
      offset += spec.shape.reduce((a: number, b: number) => a * b, 1);
    }
    weights[offset] = -0.5;
    await writeFile(path.join(state, 'weights.bin'), new Uint8Array(weights.buffer));
    json[WEIGHTS_DIGEST_FIELD] = createHash('sha256').update(new Uint8Array(weights.buffer)).digest('hex');
    await writeFile(path.join(state, 'model.json'), JSON.stringify(json));
    const before = await digests(state);
    const model = path.join(tmp, 'corrupt-model');
    const r = await train(['--resume', state, '--iters', '4', '--save-every', '1', '--out', model]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toMatch(new RegExp(`^--resume ${state}: resume state: the optimiser's second moment optD/v/\\S+ has a negative value \\(-0\\.5\\): the file is corrupt$`));
    expect(await digests(state)).toEqual(before);
    expect(existsSync(model)).toBe(false);
  });
});
