/**
 * Ctrl-C saves: SIGINT to the whole process group (what a terminal sends) mid-run, through
 * the real launchers, `tsx` and `npm run train` (src/node/tsxRelay.ts, src/node/trainLoop.ts).
 * Before the fix tsx answered the busy trainer with SIGKILL within ~80 ms and nothing was
 * saved. Now the run finishes its iteration, saves one consistent state and exits cleanly.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImageGanResumeMeta } from '../../src/core/training/resumeStateCheck';
import { readCheckpointFiles } from '../../src/node/checkpointDir';
import { withoutTsxPreflight } from '../../src/node/tsxRelay';

const root = path.resolve(import.meta.dirname, '../..');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddgan-sigint-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Starts a tiny run in a process group of its own, sends SIGINT to the group right after the
 * first periodic save (the trainer is then in its next step), and waits until every process
 * of the group has exited.
 */
async function interruptedRun(name: string, launcher: 'tsx' | 'npm') {
  const out = path.join(tmp, name);
  const flags = ['--model', 'ddgan', '--data', 'mnist', '--T', '1', '--g-base', '8', '--d-base', '8', '--batch', '2', '--threads', '1'];
  const dirs = ['--iters', '100000', '--save-every', '3', '--out', path.join(out, 'model'), '--state', path.join(out, 'state')];
  const [cmd, args] =
    launcher === 'npm' ? ['npm', ['run', 'train', '--', ...flags, ...dirs]] : [path.join(root, 'node_modules/.bin/tsx'), ['src/cli/train.ts', ...flags, ...dirs]];
  const child = spawn(cmd, args, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 180_000;
  while (!existsSync(path.join(out, 'state', 'preview.png'))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no first save:\n${output}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const sentAt = Date.now();
  process.kill(-child.pid!, 'SIGINT');
  const status = await exit;
  while (groupAlive(child.pid!)) {
    if (Date.now() > deadline) throw new Error(`the group did not exit:\n${output}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { status, output, out, ms: Date.now() - sentAt };
}

/** The state and the model saved on Ctrl-C: one consistent save at the iteration the run reported. */
async function expectSavedAt(out: string, output: string): Promise<void> {
  expect(output).toContain('SIGINT: finishing this iteration and saving…');
  const iteration = Number(/interrupted at iteration (\d+);/.exec(output)?.[1]);
  expect(iteration, output).toBeGreaterThan(3);
  expect(output).not.toContain('stopping without saving');
  const state = await readCheckpointFiles(path.join(out, 'state'));
  expect(state.verified).toBe(true);
  expect(checkImageGanResumeMeta(state.meta).iteration).toBe(iteration);
  const model = await readCheckpointFiles(path.join(out, 'model'));
  expect(model.verified).toBe(true);
  expect((model.meta.training as { iterations: number }).iterations).toBe(iteration);
  expect(await readFile(path.join(out, 'state', 'preview.png'))).toBeTruthy();
}

describe('Ctrl-C (SIGINT to the process group) saves the run', () => {
  it('under the tsx CLI: saves and exits 0', async () => {
    const { status, output, out } = await interruptedRun('tsx', 'tsx');
    expect(status, output).toEqual({ code: 0, signal: null });
    await expectSavedAt(out, output);
  });

  it('under npm run train: saves, and every process of the run exits', async () => {
    const { output, out } = await interruptedRun('npm', 'npm');
    // npm's own status follows its shell (dash), which SIGINT ends: not the trainer's to choose
    await expectSavedAt(out, output);
  });

  it('finds tsx’s preflight among the node options', () => {
    const loader = ['--import', 'file:///r/node_modules/tsx/dist/loader.mjs'];
    expect(withoutTsxPreflight(['--require', '/r/node_modules/tsx/dist/preflight.cjs', ...loader])).toEqual(loader);
    expect(withoutTsxPreflight(['--require=/r/node_modules/tsx/dist/preflight.cjs', ...loader])).toEqual(loader);
    expect(withoutTsxPreflight(loader)).toBeNull();
  });
});
