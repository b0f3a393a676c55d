/**
 * npm run bench [-- --only kernels,generator,samplers,training,webgpu,browser] [--out DIR] [--tiny] [--repeats N] [--backend wasm|webgpu|cpu]
 * Timing tables, all measured in one run on this machine (src/node/benchSuite.ts). Sections:
 *  - kernels: the wasm conv gradient kernels against the wasm forward conv on the same
 *    shapes (GFLOP/s), and the stock Conv2DBackpropInput for contrast.
 *  - generator: the shipped DD-GAN generator per call (= per step) and per image at batch
 *    1, 16, 64; GFLOP/s as a share of the same backend's dense matmul rate.
 *  - samplers: DD-GAN T = 4 vs DDPM-1000 ancestral and DDIM-50, per image, batch 16.
 *  - training: DD-GAN training images/s at batch 32.
 *  - webgpu: WebGPU in Node (Dawn, src/node/webgpuNode.ts) against wasm in the same process:
 *    a generator call at batch 1 and 4 and a (tiny-config) DD-GAN training iteration, with
 *    how far the two backends' results agree. Runs where Node gets a WebGPU adapter (a GPU's
 *    Vulkan driver, or SwiftShader from Debian's chromium), skipped with a line otherwise.
 *  - browser: the built app in headless Chromium on wasm, webgl and webgpu (src/node/benchBrowser.ts):
 *    cold start vs repeat visit, warm time per step and per image, worker-to-canvas latency,
 *    and the main thread (long tasks, frame rate) over --duration seconds of generation and
 *    of fine-tuning. Runs where Chromium is installed; the default run skips it with a line
 *    saying why otherwise, and `--only browser` fails instead.
 * Tables go to stdout; with --out DIR also DIR/BENCHMARKS.md and DIR/bench.json.
 * --backend picks the backend of the kernels/generator/samplers/training sections (default
 * wasm; the kernels section is wasm-only and is skipped on the others).
 */
import { num, parseCli } from '../node/args';
import { BACKEND_CLI_OPTIONS, BACKEND_USAGE, useBackendFromArgs } from '../node/backend';
import { isSectionId, machineMarkdown, runBenchSuite, SECTIONS, writeBenchReport, type SectionId } from '../node/benchSuite';
import { sectionMarkdown } from '../node/benchUtil';
import { BROWSER_BACKENDS, isBrowserBackend, type BrowserBackend } from '../node/benchBrowser';

const USAGE = `usage: npm run bench [-- --only ${SECTIONS.join(',')}] [--out DIR] [--tiny] [--repeats N]
  [--checkpoint DIR] [--ddpm-checkpoint DIR] [--state DIR] [--batches 1,16,64] [--sampler-batch 16]
  [--ddpm-steps 20] [--train-iters 4] [--train-batch 32] [--matmul 1024]
  [--webgpu-batches 1,4] [--duration 30] [--browser-backends ${BROWSER_BACKENDS.join(',')}]
  ${BACKEND_USAGE}`;

const args = parseCli(USAGE, {
  ...BACKEND_CLI_OPTIONS,
  only: { type: 'string' },
  out: { type: 'string' },
  tiny: { type: 'boolean', default: false },
  repeats: { type: 'string' },
  checkpoint: { type: 'string' },
  'ddpm-checkpoint': { type: 'string' },
  state: { type: 'string' },
  batches: { type: 'string' },
  'sampler-batch': { type: 'string' },
  'ddpm-steps': { type: 'string' },
  'train-iters': { type: 'string' },
  'train-batch': { type: 'string' },
  matmul: { type: 'string' },
  'webgpu-batches': { type: 'string' },
  duration: { type: 'string' },
  'browser-backends': { type: 'string' },
});

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

const only: SectionId[] = [];
for (const s of (args.only ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
  if (!isSectionId(s)) fail(`--only: unknown section "${s}" (sections: ${SECTIONS.join(', ')})`);
  only.push(s);
}
const positiveInt = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = num(value, name, NaN);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive whole number, got "${value}"`);
  return n;
};
const batches = args.batches?.split(',').map((b) => positiveInt(b.trim(), 'batches')!);
const webgpuBatches = args['webgpu-batches']?.split(',').map((b) => positiveInt(b.trim(), 'webgpu-batches')!);
const browserBackends: BrowserBackend[] = [];
for (const b of (args['browser-backends'] ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
  if (!isBrowserBackend(b)) fail(`--browser-backends: unknown backend "${b}" (backends: ${BROWSER_BACKENDS.join(', ')})`);
  browserBackends.push(b);
}
const duration = args.duration === undefined ? undefined : num(args.duration, 'duration', NaN);
if (duration !== undefined && !(duration > 0)) fail(`--duration must be a positive number of seconds, got "${args.duration}"`);

// Checks --backend / --threads and starts that backend (a one-line message and exit if it cannot).
const backend = await useBackendFromArgs(args, USAGE);
const report = await runBenchSuite({
  only,
  tiny: args.tiny,
  backend: backend.backend,
  threads: backend.threads,
  repeats: positiveInt(args.repeats, 'repeats'),
  checkpoint: args.checkpoint,
  ddpmCheckpoint: args['ddpm-checkpoint'],
  state: args.state,
  batches,
  samplerBatch: positiveInt(args['sampler-batch'], 'sampler-batch'),
  ddpmSteps: positiveInt(args['ddpm-steps'], 'ddpm-steps'),
  trainIters: positiveInt(args['train-iters'], 'train-iters'),
  trainBatch: positiveInt(args['train-batch'], 'train-batch'),
  matmulSize: positiveInt(args.matmul, 'matmul'),
  webgpuBatches,
  browserBackends,
  durationS: duration,
  command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  log: (line) => console.error(line),
  onSection: (s) => console.log(`\n${sectionMarkdown(s)}\n`),
}).catch((e: unknown) => {
  // e.g. `--only browser` where no Chromium is installed: the message says what to do.
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
console.log(`\n${machineMarkdown(report)}`);
if (args.out) {
  const files = await writeBenchReport(args.out, report);
  console.error(`wrote ${files.markdown} and ${files.json}`);
}
