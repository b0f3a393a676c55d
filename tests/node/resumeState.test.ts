/**
 * Resume states are checked before a trainer adopts them (src/core/training/resumeStateCheck.ts,
 * src/core/rng.ts, src/node/resumeArgs.ts): each fault of the sweep is refused with one line
 * naming what is wrong, the committed states of the shipped runs still load, and a state
 * saved through the new checkpoint files resumes exactly (with and without its checksum).
 */
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { writeTinyGanState } from '../fixtures/tinyGanState';
import { Rng, rngStateProblem } from '../../src/core/rng';
import { CheckpointError, parseCheckpoint, type ModelJson } from '../../src/core/models/checkpoint';
import type { Network } from '../../src/core/models/network';
import type { EpsNetConfig } from '../../src/core/models/epsNet';
import { restoreTrainer } from '../../src/core/training/ddganState';
import { DdpmTrainer, type DdpmTrainConfig } from '../../src/core/training/ddpmTrainer';
import { checkAdamMoments, checkImageGanResumeMeta, checkOneOptimizerResumeMeta } from '../../src/core/training/resumeStateCheck';
import { WEIGHTS_DIGEST_FIELD, loadCheckpointDir, readCheckpointFiles } from '../../src/node/checkpointDir';
import { loadDataset } from '../../src/node/data';
import { usableDiscriminator } from '../../src/worker/trainingSession';
import { disposeCheckpoint } from '../../src/core/models/checkpoint';
import type { GeneratorConfig } from '../../src/core/models/generator';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
let tmp: string;
let good: string;

beforeAll(async () => {
  await backend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddgan-resume-'));
  good = path.join(tmp, 'good');
  await writeTinyGanState(good, null, 2);
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const readJson = async (dir: string): Promise<ModelJson> => JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));

/** A copy of the good state with model.json edited (the weights' checksum stays valid). */
async function edited(name: string, edit: (m: Record<string, any>) => void): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(good, dir, { recursive: true });
  const json = await readJson(dir);
  edit(json);
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

describe('the random-number state', () => {
  it('refuses an all-zero state (the normal sampler would never return) and other malformed ones', () => {
    const rng = new Rng(0);
    expect(() => rng.setState([0, 0, 0, 0, NaN])).toThrow('random-number state is all zeros');
    expect(() => rng.setState([1, 2, 3])).toThrow(RangeError);
    expect(() => rng.setState([1, 2, 3, -4, null])).toThrow(/not 32-bit unsigned integers/);
    expect(() => rng.setState([1, 2, 3, 2 ** 32, null])).toThrow(/not 32-bit unsigned integers/);
    expect(rngStateProblem([1, 0, 0, 0, null])).toBeUndefined();
    // a state as JSON keeps it (NaN spare → null) and continues the same stream
    const a = new Rng(42);
    a.normal();
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const b = new Rng(1);
    b.setState(saved);
    expect(b.normalArray(4)).toEqual(a.normalArray(4));
  });
});

describe('resume-state checks on model.json (no tensors needed)', () => {
  it('names what is wrong, one line each', async () => {
    const meta = await readJson(good);
    expect(checkImageGanResumeMeta(meta).iteration).toBe(2);
    const bad = (edit: (m: Record<string, any>) => void) => {
      const m = structuredClone(meta) as Record<string, any>;
      edit(m);
      try {
        checkImageGanResumeMeta(m);
        return 'accepted';
      } catch (e) {
        expect(e).toBeInstanceOf(CheckpointError);
        expect((e as Error).message).not.toContain('\n');
        return (e as Error).message;
      }
    };
    expect(bad((m) => (m.trainerState.iteration = -1))).toBe('resume state: trainerState.iteration is -1: it must be a whole number ≥ 0');
    expect(bad((m) => (m.trainerState.iteration = 0))).toBe('resume state: trainerState.iteration is 0 but training.iterations is 2: the file was edited or mixed from two saves');
    expect(bad((m) => delete m.trainerState)).toBe('resume state: model.json has no trainerState (the iteration, the random stream and the optimiser step counts)');
    expect(bad((m) => (m.trainerState.rng = [0, 0, 0, 0, null]))).toBe('resume state: trainerState.rng is all zeros (the generator would only ever return 0)');
    expect(bad((m) => (m.trainerState.optGSteps = 3))).toBe('resume state: trainerState.optGSteps is 3, more optimiser steps than the 2 iterations');
    expect(bad((m) => (m.trainerState.optDSteps = 'x'))).toBe('resume state: trainerState.optDSteps is "x": it must be a whole number ≥ 0');
    expect(bad((m) => (m.trainConfig.batch = 0))).toBe('resume state: trainConfig.batch is 0: it must be a whole number ≥ 1');
    expect(bad((m) => (m.trainConfig.lrG = -1))).toBe('resume state: trainConfig.lrG is -1: it must be a number above 0');
    expect(bad((m) => (m.trainConfig.recipe = 'gan'))).toBe('resume state: trainConfig.recipe is "gan": this trainer knows ddgan and diffusion-gan');
    expect(bad((m) => delete m.networks.discriminator)).toMatch(/^resume state: a DD-GAN resume state holds the networks generator, discriminator, generatorEma; this one has generator, generatorEma/);
  });

  it('the shipped colour base carries its own discriminator, the one fine-tuning starts from, and it is the run’s', async () => {
    const shipped = await loadCheckpointDir(path.join(root, 'public/models/emoji-ddgan-t4'));
    const state = await loadCheckpointDir(path.join(root, 'training/emoji-ddgan-t4'));
    try {
      const G = shipped.networks.generator as Network<GeneratorConfig>;
      const D = usableDiscriminator(shipped.networks.discriminator, G.config, 'ddgan');
      expect(D).not.toBeNull();
      for (const [name, v] of D!.params.vars) expect(Array.from(v.dataSync())).toEqual(Array.from(state.networks.discriminator.params.vars.get(name)!.dataSync()));
    } finally {
      disposeCheckpoint(shipped);
      disposeCheckpoint(state);
    }
  });

  it('the committed resume states of the shipped runs pass, and load into trainers at their iteration', async () => {
    for (const name of ['mnist-ddgan-t4', 'mnist-ddgan-t2', 'mnist-ddgan-t1', 'emoji-ddgan-t4']) {
      const dir = path.join(root, 'training', name);
      const ck = await loadCheckpointDir(dir);
      const trainer = restoreTrainer(ck, await loadDataset((ck.meta.data as { name: string }).name));
      expect(trainer.iteration).toBe((ck.meta.trainerState as { iteration: number }).iteration);
      trainer.dispose();
    }
    const ddpm = await loadCheckpointDir(path.join(root, 'training/mnist-ddpm'));
    const json = checkOneOptimizerResumeMeta(ddpm.meta, ['net', 'netEma'], 'DDPM');
    const trainer = new DdpmTrainer(ddpm.networks.net as Network<EpsNetConfig>, ddpm.networks.netEma as Network<EpsNetConfig>, await loadDataset('mnist-train'), ddpm.meta.trainConfig as DdpmTrainConfig);
    trainer.loadState(json, ddpm.state);
    expect(trainer.iteration).toBe(8000);
    tf.dispose(Object.values(ddpm.state));
    trainer.dispose();
    const guide = await loadCheckpointDir(path.join(root, 'training/mnist-noisy-classifier'));
    expect(checkOneOptimizerResumeMeta(guide.meta, ['classifier'], 'noise-aware classifier').iteration).toBe(3000);
    checkAdamMoments(guide.stateValues!, { beta1: 0.9, beta2: 0.999 });
    for (const t of Object.values(guide.state)) t.dispose();
    for (const n of Object.values(guide.networks)) n.dispose();
  });
});

describe('Adam moments', () => {
  it('a negative second moment, or a first moment its second moment does not allow, is refused', async () => {
    const files = await readCheckpointFiles(good);
    const corrupt = async (key: string, value: number) => {
      const ck = parseCheckpoint(files.meta, files.weightData);
      const t = ck.state[key];
      ck.state[key] = tf.fill(t.shape, value);
      ck.stateValues![key] = new Float32Array(t.size).fill(value);
      t.dispose();
      try {
        restoreTrainer(ck, await loadDataset('mnist-train')).dispose();
        return 'accepted';
      } catch (e) {
        for (const n of Object.values(ck.networks)) n.dispose();
        for (const s of Object.values(ck.state)) s.dispose();
        return (e as Error).message;
      }
    };
    const v = files.meta.weightsManifest[0].weights.map((w) => w.name).find((n) => n.startsWith('state/optG/v/'))!.slice('state/'.length);
    expect(await corrupt(v, -1)).toMatch(/^resume state: the optimiser's second moment optG\/v\/.* has a negative value \(-1\): the file is corrupt$/);
    expect(await corrupt(v.replace('/v/', '/m/'), 1e30)).toMatch(/^resume state: the optimiser's first moment optG\/m\/.* is larger than its second moment allows/);
    expect(await corrupt(v, 1e-3)).toBe('accepted');
  });
});

describe('exact resume through the checkpoint files', () => {
  it('with the checksum and, as states saved before it, without', async () => {
    const data = await loadDataset('mnist-train');
    // the reference: the uninterrupted run's third step
    const ref = path.join(tmp, 'ref');
    await writeTinyGanState(ref, null, 3);
    const expected = (await readJson(ref)).trainerState;
    for (const withDigest of [true, false]) {
      const dir = await edited(`exact-${withDigest}`, (m) => {
        if (!withDigest) delete m[WEIGHTS_DIGEST_FIELD];
      });
      const trainer = restoreTrainer(await loadCheckpointDir(dir), data);
      expect(trainer.iteration).toBe(2);
      await trainer.step();
      expect(JSON.parse(JSON.stringify(trainer.stateJson()))).toEqual(expected);
      const refCk = await loadCheckpointDir(ref);
      for (const [name, v] of trainer.G.params.vars) expect(Array.from(await v.data())).toEqual(Array.from(await refCk.networks.generator.params.vars.get(name)!.data()));
      for (const n of Object.values(refCk.networks)) n.dispose();
      for (const s of Object.values(refCk.state)) s.dispose();
      trainer.dispose();
    }
  });
});

describe('npm run train -- --resume: a bad state is one line, exit 2, before the backend starts', () => {
  const train = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(tsx, ['src/cli/train.ts', '--model', 'ddgan', '--threads', '1', ...args], { cwd: root, timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });

  it.each([
    ['iteration -1', (m: Record<string, any>) => (m.trainerState.iteration = -1), /trainerState\.iteration is -1: it must be a whole number ≥ 0$/],
    ['all-zero random stream', (m: Record<string, any>) => (m.trainerState.rng = [0, 0, 0, 0, null]), /trainerState\.rng is all zeros/],
    ['no trainerState', (m: Record<string, any>) => delete m.trainerState, /model\.json has no trainerState/],
  ])('%s', async (name, edit, message) => {
    const dir = await edited(`cli-${name.replace(/\W+/g, '-')}`, edit);
    const before = await readFile(path.join(dir, 'model.json'));
    const r = await train(['--resume', dir, '--iters', '10', '--out', path.join(tmp, 'never')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^--resume ${dir}: resume state: `));
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stdout + r.stderr).not.toMatch(/backend:/);
    expect(await readFile(path.join(dir, 'model.json'))).toEqual(before);
  });

  it('zeroed weights of the right size', async () => {
    const dir = await edited('cli-zeroed', () => {});
    const size = (await readFile(path.join(dir, 'weights.bin'))).length;
    await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(size));
    const r = await train(['--resume', dir, '--iters', '10', '--out', path.join(tmp, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^--resume ${dir}: .*weights\\.bin does not match .*model\\.json`));
  });

  it('another --data than the state was trained on, and --iters below its iteration', async () => {
    const data = await train(['--resume', good, '--data', 'emoji', '--out', path.join(tmp, 'never')]);
    expect(data.code).toBe(2);
    expect(data.stderr.trim()).toBe(`--data emoji: the state at ${good} was trained on mnist-train; leave --data out to continue on it`);
    const iters = await train(['--resume', good, '--iters', '1', '--out', path.join(tmp, 'never')]);
    expect(iters.code).toBe(2);
    expect(iters.stderr.trim()).toBe(`--iters 1: the state at ${good} is already at iteration 2; use --iters 2 or more`);
  });
});
