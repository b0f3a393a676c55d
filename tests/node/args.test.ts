/**
 * Flag validation of the CLIs (src/node/args.ts, src/node/cliFlags.ts): every bad value of
 * the fault sweep is refused up front with one line and exit status 2, before any backend
 * starts, and an uncaught error prints one line (its message), not a stack and the wasm
 * backend's minified source.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/core/data/catalog';
import { UsageError, checkFlags, errorLine, int, intIn, listOf, oneOf, parseArgv, positive, real } from '../../src/node/args';
import {
  EVAL_FLAGS,
  INFO_FLAGS,
  SAMPLE_FLAGS,
  TRAIN_CLASSIFIER_FLAGS,
  TRAIN_DDGAN_FLAGS,
  TRAIN_DDPM_FLAGS,
  TRAIN_NOISY_CLASSIFIER_FLAGS,
  groupNormProblem,
} from '../../src/node/cliFlags';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(tsx, args, { cwd: root, timeout: 120_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** The message checkFlags gives for one flag value, or 'ok'. */
function verdict(spec: Parameters<typeof checkFlags>[1], flag: string, value: string): string {
  try {
    checkFlags({ [flag]: value }, spec);
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
}

describe('declarative flag rules', () => {
  it('reads whole numbers, numbers, choices and lists, with defaults', () => {
    const spec = { batch: [int(1, 512), 32], lr: positive(), T: [intIn([1, 2, 4, 8]), 4], recipe: oneOf(['a', 'b']), w: listOf(real({ min: 0 })) } as const;
    expect(checkFlags({}, spec)).toEqual({ batch: 32, lr: undefined, T: 4, recipe: undefined, w: undefined });
    expect(checkFlags({ batch: '64', lr: '1e-4', T: '2', recipe: 'b', w: '1, 2,0' }, spec)).toEqual({ batch: 64, lr: 1e-4, T: 2, recipe: 'b', w: [1, 2, 0] });
    expect(() => checkFlags({ batch: '' }, spec)).toThrow('--batch : use a whole number from 1 to 512');
    expect(() => checkFlags({ lr: '0' }, spec)).toThrow('--lr 0: use a number above 0');
    expect(() => checkFlags({ lr: 'Infinity' }, spec)).toThrow('--lr Infinity: use a number above 0');
    expect(() => checkFlags({ recipe: 'c' }, spec)).toThrow('--recipe c: use one of a, b');
    expect(() => checkFlags({ w: '1,-1' }, spec)).toThrow('--w 1,-1: use comma-separated values, each a number ≥ 0');
    expect(real({ min: 0, below: 1 }).expects).toBe('a number ≥ 0 and < 1');
  });

  it('refuses every bad value of the fault sweep, naming the flag, the value and what to use', () => {
    const cases: [Parameters<typeof checkFlags>[1], string, string, string][] = [
      [TRAIN_DDGAN_FLAGS, 'batch', '0', '--batch 0: use a whole number from 1 to 512'],
      [TRAIN_DDGAN_FLAGS, 'batch', '-1', '--batch -1: use a whole number from 1 to 512'],
      [TRAIN_DDGAN_FLAGS, 'batch', '1.5', '--batch 1.5: use a whole number from 1 to 512'],
      [TRAIN_DDGAN_FLAGS, 'batch', '100000', '--batch 100000: use a whole number from 1 to 512'],
      [TRAIN_DDGAN_FLAGS, 'iters', '-5', '--iters -5: use a whole number from 1 to 100000000'],
      [TRAIN_DDGAN_FLAGS, 'iters', '0', '--iters 0: use a whole number from 1 to 100000000'],
      [TRAIN_DDGAN_FLAGS, 'save-every', '0', '--save-every 0: use a whole number ≥ 1'],
      [TRAIN_DDGAN_FLAGS, 'T', '3', '--T 3: use one of 1, 2, 4, 8'],
      [TRAIN_DDGAN_FLAGS, 'lr-g', '-1e-4', '--lr-g -1e-4: use a number above 0'],
      [TRAIN_DDGAN_FLAGS, 'r1', '-1', '--r1 -1: use a number ≥ 0'],
      [TRAIN_DDGAN_FLAGS, 'ema', '1', '--ema 1: use a number ≥ 0 and < 1'],
      [TRAIN_DDGAN_FLAGS, 'minutes', '0', '--minutes 0: use a number above 0'],
      [TRAIN_DDGAN_FLAGS, 'seed', '-1', '--seed -1: use a whole number from 0 to 4294967295'],
      [TRAIN_DDGAN_FLAGS, 'recipe', 'gan', '--recipe gan: use one of ddgan, diffusion-gan'],
      [TRAIN_DDGAN_FLAGS, 'g-base', '0', '--g-base 0: use a whole number from 1 to 256'],
      [TRAIN_DDPM_FLAGS, 'batch', '0', '--batch 0: use a whole number from 1 to 512'],
      [TRAIN_DDPM_FLAGS, 'save-every', '0', '--save-every 0: use a whole number ≥ 1'],
      [TRAIN_CLASSIFIER_FLAGS, 'iters', '-5', '--iters -5: use a whole number from 1 to 100000000'],
      [TRAIN_NOISY_CLASSIFIER_FLAGS, 'lr', '0', '--lr 0: use a number above 0'],
      [SAMPLE_FLAGS, 'n', '0', '--n 0: use a whole number from 1 to 100000'],
      [SAMPLE_FLAGS, 'batch', '1.5', '--batch 1.5: use a whole number from 1 to 1000'],
      [EVAL_FLAGS, 'n', '-5', '--n -5: use a whole number from 4 to 100000'],
      [EVAL_FLAGS, 'step-counts', '50,0', '--step-counts 50,0: use comma-separated values, each a whole number from 1 to 1000'],
      [INFO_FLAGS, 'pairs', '0', '--pairs 0: use a whole number from 1 to 100000'],
    ];
    for (const [spec, flag, value, message] of cases) expect(verdict(spec, flag, value), `--${flag} ${value}`).toBe(message);
    for (const [spec, flag, value] of [
      [TRAIN_DDGAN_FLAGS, 'batch', '32'],
      [TRAIN_DDGAN_FLAGS, 'T', '8'],
      [TRAIN_DDGAN_FLAGS, 'lr-g', '10'],
      [TRAIN_DDGAN_FLAGS, 'step-weights', '1,2,1,1'],
      [EVAL_FLAGS, 'scales', '0,1,2,5,10'],
    ] as const) {
      expect(verdict(spec, flag, value)).toBe('ok');
    }
  });

  it('base channel counts must split into the group norms', () => {
    expect(groupNormProblem({ baseChannels: 16, channelMults: [1, 2, 2], groups: 8 })).toBeUndefined();
    expect(groupNormProblem({ baseChannels: 4, channelMults: [1, 2, 2], groups: 8 })).toBeUndefined();
    expect(groupNormProblem({ baseChannels: 12, channelMults: [1, 2, 2], groups: 8 })).toMatch(/^12 channels do not split into 8 groups/);
  });

  it('takes a negative number as a flag value, so that validation (not parseArgs) answers', () => {
    const options = { n: { type: 'string' }, frames: { type: 'boolean' } } as const;
    expect(parseArgv(options, ['--n', '-5', '--frames'])).toMatchObject({ n: '-5', frames: true });
    expect(parseArgv(options, ['--n=-0.5'])).toMatchObject({ n: '-0.5' });
    expect(() => parseArgv(options, ['--nope'])).toThrow("Unknown option '--nope' (--help lists the options)");
    expect(() => parseArgv(options, ['--n'])).toThrow(UsageError);
  });

  it('an uncaught error is one line: the message, whitespace folded', () => {
    expect(errorLine(new Error('weights are 10 bytes\n  but model.json describes 20'))).toBe('weights are 10 bytes but model.json describes 20');
    expect(errorLine('boom')).toBe('uncaught string: boom');
    expect(errorLine(new Error('x'.repeat(1000))).length).toBeLessThanOrEqual(400);
  });
});

describe('the CLIs refuse bad flags before the backend starts (one line, exit 2)', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ddgan-args-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it.each([
    [['src/cli/train.ts', '--model', 'ddgan', '--out', 'OUT', '--batch', '0'], '--batch 0: use a whole number from 1 to 512'],
    [['src/cli/train.ts', '--model', 'ddgan', '--out', 'OUT', '--data', 'nope'], `--data nope: use ${Object.keys(DATASETS).join(', ')} or a folder of images; no folder ${path.join(root, 'nope')} exists`],
    [['src/cli/train.ts', '--model', 'ddgan', '--out', 'OUT', '--init', 'public/models/mnist-ddgan-t4', '--data', 'mnist', '--T', '2'], '--T 2: not with --init: the architecture (T included) is the --init checkpoint’s'],
    [['src/cli/train.ts', '--model', 'ddgan', '--out', 'OUT', '--iters', '-5'], '--iters -5: use a whole number from 1 to 100000000'],
    [['src/cli/train.ts', '--model', 'ddpm', '--out', 'OUT', '--save-every', '0'], '--save-every 0: use a whole number ≥ 1'],
    [['src/cli/train.ts', '--model', 'ddgan', '--out', 'OUT', '--T', '3'], '--T 3: use one of 1, 2, 4, 8'],
    [['src/cli/sample.ts', '--checkpoint', 'public/models/mnist-ddgan-t4', '--out', 'OUT', '--batch', '100000'], '--batch 100000: use a whole number from 1 to 1000'],
    [['src/cli/eval.ts', '--checkpoint', 'public/models/mnist-ddgan-t4', '--n', '-5'], '--n -5: use a whole number from 4 to 100000'],
    [['src/cli/info.ts', '--checkpoint', '/nonexistent'], '--checkpoint /nonexistent: no checkpoint at /nonexistent (cannot read /nonexistent/model.json)'],
  ])('%j', async (args, message) => {
    const r = await run(args.map((a) => (a === 'OUT' ? path.join(tmp, 'out') : a)));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(message);
    // nothing started and nothing was written
    expect(r.stdout + r.stderr).not.toMatch(/backend:/);
    await expect(readFile(path.join(tmp, 'out', 'model.json'))).rejects.toThrow();
  });

  it('an error after the backend started is one line with exit 1; DEBUG=1 adds the stack', async () => {
    // a checkpoint from before checksums whose weights file is truncated
    const dir = path.join(tmp, 'truncated');
    await mkdir(dir, { recursive: true });
    const meta = JSON.parse(await readFile(path.join(root, 'public/models/mnist-ddgan-t4/model.json'), 'utf8'));
    delete meta.weightsSha256;
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(meta));
    await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(1000));
    const r = await run(['src/cli/info.ts', '--checkpoint', dir, '--threads', '1']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual(['backend: wasm (SIMD, 1 thread)', expect.stringMatching(/^weights are 1000 bytes but model.json describes \d+ bytes/)]);
    const debug = await run(['src/cli/info.ts', '--checkpoint', dir, '--threads', '1'], { DEBUG: '1' });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/at parseCheckpoint/);
    expect(debug.stderr.length).toBeLessThan(5000);
  });
});
