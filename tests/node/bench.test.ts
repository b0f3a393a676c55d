/**
 * The benchmark suite (src/cli/bench.ts, src/node/bench*.ts) on tiny configs: every Node
 * section runs, its numbers are finite and positive, bench.json parses and the markdown
 * tables have the columns the JSON names. Timings themselves are never asserted.
 *
 * The browser section needs headless Chromium and the built app (minutes, not seconds): here
 * the CLI runs as on a machine without Chromium (it is skipped with a line that says why,
 * and `--only browser` fails with that reason), and its report is checked on canned
 * measurements. `npm run bench -- --tiny --only browser` runs the real thing.
 */
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { serializeCheckpoint } from '../../src/core/models/checkpoint';
import { defaultGeneratorConfig } from '../../src/core/models/generator';
import { Network } from '../../src/core/models/network';
import { saveCheckpointDir } from '../../src/node/checkpointDir';
import { reportMarkdown, runBenchSuite, SECTIONS, type BenchReport } from '../../src/node/benchSuite';
import { browserSection, frameStats, stepLatencies, type BrowserBenchResult } from '../../src/node/benchBrowser';
import type { BenchSection, BenchTable } from '../../src/node/benchUtil';

const root = path.resolve(import.meta.dirname, '../..');
/** The CLI's environment as on a machine without Chromium. */
const NO_CHROMIUM = { ...process.env, CHROMIUM_PATH: path.join(os.tmpdir(), 'no-such-chromium') };
/** …and without a WebGPU adapter in Node (the webgpu section is tested in webgpuNode.test.ts). */
const NO_CHROMIUM_NO_GPU = { ...NO_CHROMIUM, VK_ICD_FILENAMES: path.join(os.tmpdir(), 'no-such-icd.json'), VK_DRIVER_FILES: '' };
const NODE_SECTIONS = SECTIONS.filter((s) => s !== 'browser' && s !== 'webgpu');
let tmp: string;
let checkpoint: string;

beforeAll(async () => {
  await backend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddgan-bench-'));
  checkpoint = path.join(tmp, 'tiny-g');
  const G = Network.create(
    defaultGeneratorConfig({ imageSize: 16, T: 2, baseChannels: 8, channelMults: [1, 2], nz: 8, zEmbedDim: 16, tEmbedDim: 16 }),
    3,
  );
  const meta = { name: 'tiny-g', createdAt: '2026-01-01T00:00:00.000Z', codeVersion: 'test', data: { name: 'mnist-train' }, training: { iterations: 0 } };
  await saveCheckpointDir(checkpoint, await serializeCheckpoint(meta, { generator: G }));
  G.dispose();
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The markdown tables of a document: rows of cells, header first, separator dropped. */
function markdownTables(md: string): string[][][] {
  const tables: string[][][] = [];
  let current: string[][] | null = null;
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      expect(line.endsWith('|'), line).toBe(true);
      const cells = line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
      if (!current) tables.push((current = []));
      if (!cells.every((c) => /^-+:?$/.test(c))) current.push(cells);
      else expect(current.length, 'separator right after the header').toBe(1);
    } else {
      current = null;
    }
  }
  return tables;
}

/** Every number in a section's tables is finite and positive; every row fills every column. */
function checkTable(t: BenchTable): void {
  expect(t.columns.length).toBeGreaterThan(1);
  expect(t.rows.length).toBeGreaterThan(0);
  for (const row of t.rows) {
    expect(Object.keys(row).sort()).toEqual(t.columns.map((c) => c.key).sort());
    for (const [key, v] of Object.entries(row)) {
      if (typeof v === 'number') {
        expect(Number.isFinite(v), `${key} = ${v}`).toBe(true);
        expect(v, key).toBeGreaterThan(0);
      } else {
        expect(typeof v).toBe('string');
        expect(v.length, key).toBeGreaterThan(0);
      }
    }
  }
}

/** The section's tables appear in the markdown with the same header and one line per row. */
function checkMarkdown(md: string, sections: readonly BenchSection[]): void {
  const tables = markdownTables(md);
  for (const s of sections) {
    expect(md).toContain(`## ${s.title}`);
    for (const t of s.tables) {
      const labels = t.columns.map((c) => c.label);
      const found = tables.find((m) => m[0].join('\u0000') === labels.join('\u0000'));
      expect(found, `table with columns ${labels.join(', ')}`).toBeDefined();
      expect(found!.length - 1).toBe(t.rows.length);
      for (const row of found!) expect(row.length).toBe(labels.length);
    }
  }
}

describe('npm run bench --tiny', () => {
  it('the CLI measures every section, prints the tables and writes BENCHMARKS.md and bench.json', async () => {
    const out = path.join(tmp, 'out');
    const { stdout, stderr } = await promisify(execFile)('npx', ['tsx', 'src/cli/bench.ts', '--tiny', '--checkpoint', checkpoint, '--out', out], {
      cwd: root,
      env: NO_CHROMIUM_NO_GPU,
    });
    const report = JSON.parse(await readFile(path.join(out, 'bench.json'), 'utf8')) as BenchReport;
    expect(report.sections.map((s) => s.id)).toEqual(NODE_SECTIONS);
    // Without Chromium the browser section is skipped, and says so; so is webgpu without an adapter.
    expect(report.skipped).toEqual([
      { id: 'webgpu', reason: expect.stringMatching(/no-such-icd\.json/) },
      { id: 'browser', reason: expect.stringMatching(/no Chromium at .*no-such-chromium/) },
    ]);
    expect(stderr).toMatch(/browser: skipped: no Chromium/);
    expect(report.tiny).toBe(true);
    expect(report.command).toContain('--tiny');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.cpu.length).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.machine.tfjs).toBe(tf.version.tfjs);
    expect(Number.isNaN(Date.parse(report.machine.date))).toBe(false);
    expect(report.matmul!.gflops).toBeGreaterThan(0);
    for (const s of report.sections) s.tables.forEach(checkTable);

    const byId = Object.fromEntries(report.sections.map((s) => [s.id, s]));
    // generator: one row per batch size, FLOPs from the network
    expect(byId.generator.tables[0].rows.map((r) => r.batch)).toEqual([1, 2]);
    expect(byId.generator.data.flopsPerCall).toBeGreaterThan(0);
    expect(String(byId.generator.data.source)).toContain('tiny-g');
    // samplers: DD-GAN, then every DDPM sampler of the list (DDIM-50, DPM-Solver++ 20, ancestral), and the ratios
    expect(byId.samplers.tables[0].rows.map((r) => r.nfe)).toEqual([2, 50, 20, 1000]);
    expect(Object.keys(byId.samplers.data.overDdgan as object)).toEqual(['DDIM-50 (η = 0)', 'DPM-Solver++(2M)-20', 'DDPM-1000 ancestral']);
    for (const key of ['ddpmOverDdgan', 'ddimOverDdgan']) {
      const v = byId.samplers.data[key] as number;
      expect(Number.isFinite(v) && v > 0, key).toBe(true);
    }
    expect(byId.samplers.notes.join(' ')).toContain('randomly initialised');
    expect(byId.training.tables[0].rows[0].imagesPerSecond).toBeGreaterThan(0);
    // threads: the same workloads at 1 and N threads, each in a child process whose pool really runs N
    expect(byId.threads.data.threads).toBeGreaterThanOrEqual(2);
    expect((byId.threads.data.many as { threads: number }).threads).toBe(byId.threads.data.threads);
    expect(byId.threads.tables[0].rows.map((r) => String(r.workload).split(' ')[0])).toEqual(['dense', 'conv', 'conv', 'conv', 'generator', 'DD-GAN']);
    for (const r of byId.threads.tables[0].rows) expect(Number(r.speedup)).toBeGreaterThan(0);

    const md = await readFile(path.join(out, 'BENCHMARKS.md'), 'utf8');
    expect(md.startsWith('# Benchmarks\n')).toBe(true);
    for (const what of ['CPU', 'Node', 'tfjs', 'date']) expect(md).toMatch(new RegExp(`^\\| ${what} \\|`, 'm'));
    expect(md).toMatch(/^\| browser section \| skipped: no Chromium/m);
    checkMarkdown(md, report.sections);
    // stdout carries the same section tables
    checkMarkdown(stdout, report.sections);
  });

  it('--only runs just the chosen sections, in process, and leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const report = await runBenchSuite({ tiny: true, only: ['training', 'samplers'] });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.sections.map((s) => s.id)).toEqual(['samplers', 'training']);
    for (const s of report.sections) s.tables.forEach(checkTable);
    checkMarkdown(reportMarkdown(report), report.sections);
  });
});

describe('npm run bench: the browser section', () => {
  it('--only browser fails with the reason where there is no Chromium', async () => {
    const run = promisify(execFile)('npx', ['tsx', 'src/cli/bench.ts', '--tiny', '--only', 'browser'], { cwd: root, env: NO_CHROMIUM });
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/the browser section cannot run: no Chromium at .*ensure-chromium/) });
  });

  it('pairs each step event with the first frame after its draw, and counts frames and gaps', () => {
    const rec = { steps: [{ sent: 90, arrived: 100 }, { sent: 190, arrived: 200 }, { sent: 5, arrived: 10 }], draws: [105, 230], frames: [100, 116, 133, 250] };
    expect(stepLatencies(rec, 50)).toEqual([116 - 90, 250 - 190]);
    expect(frameStats([0, 100, 150, 400], 0, 500)).toEqual({ fps: 8, longestGapMs: 250 });
  });

  it('renders canned measurements into tables whose markdown matches the JSON', () => {
    const cold = { readyMs: 2000, downloadMs: 300, warmupMs: 500, compileMs: 0, shaders: 0, firstImageMs: 200, totalMs: 2300, weightsFrom: 'network' as const };
    const result: BrowserBenchResult = {
      model: 'm',
      browser: 'HeadlessChrome/156',
      durationS: 3,
      results: [
        {
          requested: 'wasm',
          backend: 'wasm',
          adapter: '',
          cold,
          repeat: { ...cold, downloadMs: 20, weightsFrom: 'cache' },
          warm: [{ batch: 1, runs: 3, stepMs: 20, stepsPerRun: 4, runMs: 85, clickToDoneMs: 120, latencyMedianMs: 18, latencyMaxMs: 40, frames: 12 }],
          mainThread: [
            { phase: 'generation', batch: 1, seconds: 3, longTasks: 0, longestTaskMs: NaN, framesPerSecond: 60, longestFrameGapMs: 33, work: 30, workUnit: 'images', stopMs: NaN },
            { phase: 'fine-tuning', batch: 8, seconds: 3, longTasks: 1, longestTaskMs: 70, framesPerSecond: 58, longestFrameGapMs: 80, work: 4, workUnit: 'iterations', stopMs: 120 },
          ],
          problems: [],
        },
        {
          requested: 'webgpu',
          backend: 'webgpu',
          adapter: 'google · swiftshader (software fallback)',
          cold: { ...cold, compileMs: 7000, shaders: 7 },
          repeat: { ...cold, compileMs: 6000, shaders: 7, weightsFrom: 'cache' },
          warm: [{ batch: 1, runs: 2, stepMs: 700, stepsPerRun: 4, runMs: 2900, clickToDoneMs: 3000, latencyMedianMs: NaN, latencyMaxMs: NaN, frames: 0 }],
          mainThread: [],
          problems: ['[page error] boom'],
        },
      ],
      failures: [{ backend: 'webgl', message: 'engine init failed' }],
    };
    const s = browserSection(result);
    expect(s.id).toBe('browser');
    expect(s.tables.map((t) => t.rows.length)).toEqual([4, 2, 2]);
    for (const t of s.tables) {
      for (const row of t.rows) {
        expect(Object.keys(row).sort()).toEqual(t.columns.map((c) => c.key).sort());
        for (const v of Object.values(row)) expect(typeof v === 'string' ? v.length > 0 : Number.isFinite(v) && v >= 0).toBe(true);
      }
    }
    expect(s.tables[0].rows[2].compile).toBe('7000 ms, 7 shaders');
    expect(s.tables[0].rows.map((r) => r.weightsFrom)).toEqual(['network', 'cache', 'network', 'cache']);
    expect(s.tables[2].rows.map((r) => r.stopMs)).toEqual(['–', 120]);
    expect(s.tables[1].rows[1].latencyMedianMs).toBe('–');
    // click → done over T steps of the worker: 120 / (4 × 20)
    expect(s.tables[1].rows[0].clickToDoneOverSteps).toBeCloseTo(1.5, 9);
    expect(s.tables[2].rows[0].longestTaskMs).toBe('–');
    const notes = s.notes.join('\n');
    expect(notes).toMatch(/webgl: not measured: engine init failed/);
    expect(notes).toMatch(/swiftshader/);
    expect(notes).toMatch(/webgpu: the page reported 1 problem/);
    const machine: BenchReport['machine'] = {
      date: '2026-01-01T00:00:00.000Z', cpu: 'cpu', cores: 2, memoryGiB: 1, platform: 'linux', node: 'v20', tfjs: '4.22.0', backend: 'wasm',
      wasmThreads: 1, wasmSimd: true, loadAverage: [1, 1, 1], codeVersion: 'test',
    };
    const md = reportMarkdown({ machine, command: 'x', tiny: true, matmul: null, sections: [s], skipped: [], seconds: 1 });
    expect(md).not.toMatch(/dense matmul/);
    checkMarkdown(md, [s]);
  });

  it('puts wasm at 1 and N threads side by side, as times and ratios', () => {
    const row = (requested: number, runMs: number, trainMsPerIteration: number) => ({
      requested, threads: requested, why: `${requested} threads`, batch: 64, runs: 5, runMs, trainIterations: 5, trainBatch: 8, trainMsPerIteration,
    });
    const result: BrowserBenchResult = {
      model: 'm', browser: 'HeadlessChrome/156', durationS: 3, results: [], failures: [],
      threads: { rows: [row(1, 1000, 2000), { ...row(2, 600, NaN), threads: 1 }], loadAverage: [0.5, 0.75] },
    };
    const s = browserSection(result);
    expect(s.tables).toHaveLength(1);
    const [one, two] = s.tables[0].rows;
    expect(one).toMatchObject({ threads: '1', generateSpeedup: 1, trainSpeedup: 1 });
    expect(two).toMatchObject({ threads: '1 (asked 2)', trainMs: '–', trainSpeedup: '–' });
    expect(two.generateSpeedup).toBeCloseTo(1000 / 600, 9);
    for (const r of s.tables[0].rows) expect(Object.keys(r).sort()).toEqual(s.tables[0].columns.map((c) => c.key).sort());
    expect(s.notes.join('\n')).toMatch(/load average 0\.50 → 0\.75/);
  });
});
