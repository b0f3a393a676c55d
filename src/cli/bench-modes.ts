/**
 * npm run bench:modes [-- --seeds 3 --iters K --only gan,ddgan-t4 --json FILE]
 *
 * The 25-Gaussians mode-coverage benchmark (DESIGN §2.6, PacGAN / VEEGAN protocol): every
 * toy recipe is trained for a fixed number of iterations per seed, then 2500 samples are
 * scored with metrics/modes2d.ts (modes covered of 25, share of samples within 3 std of
 * their nearest mode, reverse KL of the mode histogram). Prints a markdown table of
 * mean ± std over the seeds, next to the published rows, and writes everything as JSON
 * with --json. Runs one training at a time on the wasm backend (one CPU core).
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_CLI_OPTIONS, BACKEND_USAGE, useBackendFromArgs } from '../node/backend';
import { formatDuration, num, parseCli } from '../node/args';
import { Rng } from '../core/rng';
import { modeCoverage } from '../core/metrics/modes2d';
import { createToyTrainer, defaultToyConfig, type ToyRecipeConfig } from '../core/toy/recipes';

interface BenchRow {
  readonly id: string;
  readonly label: string;
  readonly config: (seed: number) => ToyRecipeConfig;
}

const ROWS: readonly BenchRow[] = [
  { id: 'gan', label: 'GAN (non-saturating)', config: (seed) => defaultToyConfig('gan', { seed }) },
  { id: 'diffusion-gan', label: 'Diffusion-GAN (adaptive T)', config: (seed) => defaultToyConfig('diffusion-gan', { seed }) },
  { id: 'ddgan-t2', label: 'DD-GAN T = 2', config: (seed) => defaultToyConfig('ddgan', { seed, T: 2 }) },
  { id: 'ddgan-t4', label: 'DD-GAN T = 4', config: (seed) => defaultToyConfig('ddgan', { seed, T: 4 }) },
  { id: 'ddgan-t8', label: 'DD-GAN T = 8', config: (seed) => defaultToyConfig('ddgan', { seed, T: 8 }) },
];

/** Published 25-Gaussians rows (PacGAN, Lin et al. 2018, Table 1; DESIGN §2.6). */
const REFERENCE = [
  { label: 'GAN (published, PacGAN Table 1)', modes: 17.3, highQualityPct: 94.8 },
  { label: 'PacGAN4 (published)', modes: 24.8, highQualityPct: 93.6 },
] as const;

const DEFAULT_ITERS = 12000;
const EVAL_SAMPLES = 2500;

const usage = `usage: npm run bench:modes -- [--seeds N] [--iters K] [--only ${ROWS.map((r) => r.id).join(',')}] [--json FILE]
  --seeds N   seeds per recipe (default 3)
  --iters K   training iterations per run, one D and one G update each (default ${DEFAULT_ITERS})
  --only IDS  comma-separated subset of the recipes
  --json FILE also write the per-run results and the table as JSON
  ${BACKEND_USAGE}`;

const args = parseCli(usage, {
  ...BACKEND_CLI_OPTIONS,
  seeds: { type: 'string' },
  iters: { type: 'string' },
  only: { type: 'string' },
  json: { type: 'string' },
});
const seeds = num(args.seeds, 'seeds', 3);
const iters = num(args.iters, 'iters', DEFAULT_ITERS);
if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(iters) || iters < 1) {
  console.error(`--seeds and --iters must be whole numbers ≥ 1\n\n${usage}`);
  process.exit(2);
}
const wanted = args.only ? args.only.split(',').map((s) => s.trim()) : ROWS.map((r) => r.id);
const unknown = wanted.filter((id) => !ROWS.some((r) => r.id === id));
if (unknown.length > 0) {
  console.error(`unknown recipe ${unknown.join(', ')}; use ${ROWS.map((r) => r.id).join(', ')}`);
  process.exit(2);
}
const rows = ROWS.filter((r) => wanted.includes(r.id));

await useBackendFromArgs(args, usage);
console.error(`backend ${tf.getBackend()}, tfjs ${tf.version.tfjs}, node ${process.version}; ${rows.length} recipes × ${seeds} seeds × ${iters} iterations`);

interface RunResult {
  readonly seed: number;
  readonly modes: number;
  readonly highQualityPct: number;
  readonly reverseKl: number;
  readonly wallS: number;
  readonly trainS: number;
  readonly finalStats: unknown;
}

const results: { row: BenchRow; config: ToyRecipeConfig; runs: RunResult[] }[] = [];
const started = performance.now();
for (const row of rows) {
  const runs: RunResult[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const config = row.config(seed);
    const t0 = performance.now();
    const trainer = createToyTrainer(config);
    let last: unknown = null;
    for (let i = 0; i < iters; i++) last = await trainer.step();
    const trainS = (performance.now() - t0) / 1000;
    const { points } = await trainer.sample(EVAL_SAMPLES, new Rng(1_000_003 + seed));
    trainer.dispose();
    const wallS = (performance.now() - t0) / 1000;
    const m = modeCoverage(points);
    runs.push({ seed, modes: m.modesCovered, highQualityPct: 100 * m.highQualityShare, reverseKl: m.reverseKl, wallS, trainS, finalStats: last });
    console.error(
      `${row.id} seed ${seed}: ${m.modesCovered} modes, ${(100 * m.highQualityShare).toFixed(1)} % high quality, ` +
        `reverse KL ${m.reverseKl.toFixed(3)}, ${wallS.toFixed(1)} s (total ${formatDuration((performance.now() - started) / 1000)})`,
    );
  }
  results.push({ row, config: row.config(0), runs });
}

function meanStd(values: number[]): { mean: number; std: number } {
  const finite = values.filter(Number.isFinite);
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  const std = finite.length > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (finite.length - 1)) : 0;
  return { mean, std };
}

const fmt = (v: { mean: number; std: number }, digits: number) =>
  Number.isFinite(v.mean) ? `${v.mean.toFixed(digits)} ± ${v.std.toFixed(digits)}` : 'n/a';

const summary = results.map(({ row, config, runs }) => ({
  id: row.id,
  label: row.label,
  config,
  runs,
  modes: meanStd(runs.map((r) => r.modes)),
  highQualityPct: meanStd(runs.map((r) => r.highQualityPct)),
  reverseKl: meanStd(runs.map((r) => r.reverseKl)),
  wallS: meanStd(runs.map((r) => r.wallS)),
}));

const lines = [
  `25 Gaussians (grid spacing 2, std 0.05), ${EVAL_SAMPLES} samples per run, ${iters} iterations, ${seeds} seed${seeds > 1 ? 's' : ''} (mean ± std)`,
  '',
  '| recipe | modes (of 25) | high-quality % | reverse KL | wall time per run (s) |',
  '|---|---|---|---|---|',
  ...summary.map((s) => `| ${s.label} | ${fmt(s.modes, 1)} | ${fmt(s.highQualityPct, 1)} | ${fmt(s.reverseKl, 3)} | ${fmt(s.wallS, 1)} |`),
  ...REFERENCE.map((r) => `| ${r.label} | ${r.modes} | ${r.highQualityPct} | — | — |`),
];
console.log(lines.join('\n'));

if (args.json) {
  writeFileSync(
    args.json,
    JSON.stringify(
      {
        benchmark: '25-gaussians-mode-coverage',
        date: new Date().toISOString(),
        backend: tf.getBackend(),
        tfjs: tf.version.tfjs,
        iters,
        seeds,
        evalSamples: EVAL_SAMPLES,
        rows: summary,
        reference: REFERENCE,
        table: lines.join('\n'),
      },
      null,
      2,
    ),
  );
  console.error(`wrote ${args.json}`);
}
