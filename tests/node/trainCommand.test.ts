/**
 * The one driver of `npm run train` (src/node/trainCommand.ts), run in-process on a made-up
 * model kind: what it writes and when, how it resumes, and what it refuses.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { backend } from '../helpers';
import { CheckpointError, serializeCheckpoint, type LoadedCheckpoint, type ModelJson } from '../../src/core/models/checkpoint';
import { defaultClassifierConfig } from '../../src/core/models/classifier';
import { Network } from '../../src/core/models/network';
import { int, positive, text } from '../../src/node/args';
import { readCheckpointFiles } from '../../src/node/checkpointDir';
import { runTrainCommand, type StepStats, type TrainSession, type TrainSpec } from '../../src/node/trainCommand';

const FLAGS = {
  model: text(),
  out: text(),
  minutes: positive(),
  iters: [int(1), 25],
  state: text(),
  resume: text(),
  'save-every': [int(1), 10],
  poison: int(1),
} as const;

const CONFIG = defaultClassifierConfig({ baseChannels: 4, channelMults: [1], featureDim: 8, groups: 2 });

interface Calls {
  created: number;
  restoredAt: number[];
  scored: boolean[];
  saves: number[];
  disposed: number;
}

/** A kind whose "training" counts iterations; --poison N makes its weights NaN from iteration N on. */
function countingSpec(calls: Calls, resumable = true): TrainSpec<typeof FLAGS, StepStats> {
  const session = (net: Network, start: number, poison: number | undefined): TrainSession<StepStats> => {
    let iteration = start;
    return {
      trainer: {
        get iteration() {
          return iteration;
        },
        async step() {
          iteration++;
          if (poison !== undefined && iteration === poison) {
            const [, v] = [...net.params.vars][0];
            v.assign(tf.fill(v.shape, NaN));
          }
          return { iteration, ms: 2 };
        },
      },
      imagesPerIteration: 4,
      banner: 'counting kind',
      describe: () => 'loss 0',
      async score(final) {
        calls.scored.push(final);
      },
      async checkpoints(progress) {
        const meta = { name: 'counting', createdAt: '', codeVersion: 'test', training: { iterations: iteration, wallSeconds: progress.wallSeconds } };
        calls.saves.push(iteration);
        return {
          model: await serializeCheckpoint(meta, { net }),
          ...(resumable ? { state: await serializeCheckpoint({ ...meta, trainerState: { iteration } }, { net }) } : {}),
        };
      },
      async preview() {
        return { images: { data: new Float32Array(4 * 4).fill(0.5), count: 4, size: 2, channels: 1 }, cols: 2, scale: 1 };
      },
      dispose: () => {
        calls.disposed++;
        net.dispose();
      },
    };
  };
  return {
    model: 'counting',
    usage: 'usage: counting --out DIR',
    flags: FLAGS,
    ...(resumable
      ? {
          resume: {
            defaultDir: (out: string) => `${out}.state`,
            check: (meta: ModelJson) => {
              const it = (meta.trainerState as { iteration?: unknown } | undefined)?.iteration;
              if (typeof it !== 'number') throw new CheckpointError('resume state: no iteration');
              return { iteration: it };
            },
          },
        }
      : {}),
    async plan({ f }) {
      return {
        iters: f.iters,
        async create() {
          calls.created++;
          return session(Network.create(CONFIG, 1), 0, f.poison);
        },
        restore(ck: LoadedCheckpoint, state) {
          calls.restoredAt.push(state.iteration);
          return session(ck.networks.net, state.iteration, f.poison);
        },
      };
    },
  };
}

describe('runTrainCommand', () => {
  let tmp: string;
  let calls: Calls;
  const lines: string[] = [];
  const exitCodes: number[] = [];
  const run = (spec: TrainSpec<typeof FLAGS, StepStats>, argv: string[]) =>
    runTrainCommand(spec, {
      argv,
      startBackend: async () => undefined,
      log: (line) => lines.push(line),
      exit: (code) => {
        exitCodes.push(code);
        throw new Error(`exit ${code}`);
      },
    });

  beforeAll(async () => {
    await backend('cpu');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'train-command-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });
  beforeEach(() => {
    calls = { created: 0, restoredAt: [], scored: [], saves: [], disposed: 0 };
    lines.length = 0;
    exitCodes.length = 0;
    vi.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a fresh run steps to --iters, saving every --save-every and at the end: model, state and preview', async () => {
    const out = path.join(tmp, 'fresh');
    expect(await run(countingSpec(calls), ['--out', out, '--iters', '25', '--save-every', '10'])).toBe('done');
    expect(calls.created).toBe(1);
    // The first serialisation is the start's weight scale, before any step.
    expect(calls.saves).toEqual([0, 10, 20, 25]);
    expect(calls.scored).toEqual([false, false, true]);
    expect(calls.disposed).toBe(1);
    const state = await readCheckpointFiles(`${out}.state`);
    expect(state.meta.trainerState).toEqual({ iteration: 25 });
    expect((await readCheckpointFiles(out)).meta.training).toMatchObject({ iterations: 25 });
    expect(existsSync(path.join(`${out}.state`, 'preview.png'))).toBe(true);
    expect(lines).toEqual(['counting kind', `done at iteration 25; model: ${out}; resume state: ${out}.state`]);
  });

  it('--resume continues from the saved iteration into the same folder, with the run time so far', async () => {
    const out = path.join(tmp, 'resumed');
    await run(countingSpec(calls), ['--out', out, '--iters', '12']);
    calls = { created: 0, restoredAt: [], scored: [], saves: [], disposed: 0 };
    lines.length = 0;
    expect(await run(countingSpec(calls), ['--out', out, '--resume', `${out}.state`, '--iters', '30'])).toBe('done');
    expect(calls.created).toBe(0);
    expect(calls.restoredAt).toEqual([12]);
    expect(calls.saves).toEqual([20, 30]);
    expect(lines[0]).toMatch(/^resumed resumed at iteration 12 \(0m00s of training so far\)$/);
    expect((await readCheckpointFiles(`${out}.state`)).meta.trainerState).toEqual({ iteration: 30 });
    const training = (await readCheckpointFiles(out)).meta.training as { wallSeconds: number };
    // 12 + 18 steps of 2 ms each, all sessions together.
    expect(training.wallSeconds).toBeCloseTo(0.06, 6);
  });

  it('--iters below the resume state is a usage error before the backend starts', async () => {
    const out = path.join(tmp, 'backwards');
    await run(countingSpec(calls), ['--out', out, '--iters', '5']);
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`process.exit ${code}`);
    }) as never);
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    const started = vi.fn(async () => undefined);
    await expect(
      runTrainCommand(countingSpec(calls), { argv: ['--out', out, '--resume', `${out}.state`, '--iters', '3'], startBackend: started, log: () => {} }),
    ).rejects.toThrow('process.exit 2');
    expect(exit).toHaveBeenCalledWith(2);
    expect(stderr.mock.calls[0][0]).toBe(`--iters 3: the state at ${out}.state is already at iteration 5; use --iters 5 or more`);
    expect(started).not.toHaveBeenCalled();
  });

  it('a save with weights that are not finite is refused: nothing of it is written', async () => {
    const out = path.join(tmp, 'poisoned');
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(run(countingSpec(calls), ['--out', out, '--iters', '30', '--save-every', '10', '--poison', '15'])).rejects.toThrow('exit 1');
    expect(exitCodes).toEqual([1]);
    expect((await readCheckpointFiles(`${out}.state`)).meta.trainerState).toEqual({ iteration: 10 });
    expect((await readCheckpointFiles(out)).meta.training).toMatchObject({ iterations: 10 });
  });

  it('a kind without a resume state saves its model once, at the end', async () => {
    const out = path.join(tmp, 'once');
    expect(await run(countingSpec(calls, false), ['--out', out, '--iters', '25'])).toBe('done');
    expect(calls.saves).toEqual([25]);
    expect(calls.scored).toEqual([true]);
    expect(existsSync(`${out}.state`)).toBe(false);
    expect(existsSync(path.join(out, 'preview.png'))).toBe(true);
    expect(JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8')).training.iterations).toBe(25);
    expect(lines.at(-1)).toBe(`done at iteration 25; model: ${out}`);
  });
});

describe('the DDPM spec through the driver', () => {
  let tmp: string;
  const quiet = { startBackend: async () => undefined, log: () => {} };

  beforeAll(async () => {
    await backend('wasm');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'train-ddpm-spec-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });
  beforeEach(() => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a run stopped at 2 and resumed to 3 saves the same resume state as one run to 3', async () => {
    const { DDPM_TRAINING } = await import('../../src/node/trainSpecs/ddpm');
    const common = ['--data', 'mnist', '--batch', '2', '--base', '8', '--seed', '3'];
    const whole = path.join(tmp, 'whole');
    const split = path.join(tmp, 'split');
    await runTrainCommand(DDPM_TRAINING, { ...quiet, argv: [...common, '--out', whole, '--iters', '3'] });
    await runTrainCommand(DDPM_TRAINING, { ...quiet, argv: [...common, '--out', split, '--iters', '2'] });
    await runTrainCommand(DDPM_TRAINING, { ...quiet, argv: ['--out', split, '--resume', `${split}.state`, '--iters', '3'] });
    const a = await readCheckpointFiles(`${whole}.state`);
    const b = await readCheckpointFiles(`${split}.state`);
    expect(b.meta.trainerState).toEqual(a.meta.trainerState);
    expect(Buffer.from(b.weightData).equals(Buffer.from(a.weightData))).toBe(true);
    expect((await readCheckpointFiles(split)).meta.networks.eps).toEqual((await readCheckpointFiles(whole)).meta.networks.eps);
    expect(existsSync(path.join(`${split}.state`, 'preview.png'))).toBe(true);
  });
});
