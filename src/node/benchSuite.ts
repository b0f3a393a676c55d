/**
 * The benchmark suite behind `npm run bench`: every Node section measured in one process on
 * one backend, so the ratios between sections (generator vs matmul, DDPM vs DD-GAN) compare
 * numbers taken under the same conditions, then the browser section (benchBrowser.ts: the
 * built app in headless Chromium on wasm, webgl and webgpu), run where Chromium exists and
 * skipped with a line that says why otherwise. The report renders to markdown
 * (BENCHMARKS.md) and to JSON (bench.json) with the machine it ran on.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageDataset } from '../core/data/dataset';
import { scheduleFromMeta } from '../core/diffusion/denoiser';
import { disposeCheckpoint, type LoadedCheckpoint, type ModelJson } from '../core/models/checkpoint';
import { defaultDiscriminatorConfig, type DiscriminatorConfig } from '../core/models/discriminator';
import { defaultEpsNetConfig, type EpsNetConfig } from '../core/models/epsNet';
import { defaultGeneratorConfig, type GeneratorConfig } from '../core/models/generator';
import { Network } from '../core/models/network';
import { Rng } from '../core/rng';
import { defaultTrainConfig, type DdganTrainConfig } from '../core/training/ddganTrainer';
import { activeNodeBackend, useNodeBackend, type NodeBackendName } from './backend';
import { benchThreads } from './benchThreads';
import { defaultThreadCount } from './wasmThreads';
import { benchGenerator } from './benchGenerator';
import { benchKernels, KERNEL_SHAPES, TINY_KERNEL_SHAPES } from './benchKernels';
import { benchSamplers } from './benchSamplers';
import { benchTraining } from './benchTraining';
import { benchBrowser, browserUnavailable, type BrowserBackend } from './benchBrowser';
import { benchWebgpu } from './benchWebgpu';
import { nodeWebGpuInfo, provideNodeWebGpu } from './webgpuNode';
import { benchMatmul, sectionMarkdown, tableMarkdown, type BenchSection, type MatmulResult } from './benchUtil';
import { loadCheckpointDir, readModelJson } from './checkpointDir';
import { loadDataset } from './data';
import { generatorOf } from '../core/diffusion/generate';
import { codeVersion } from './version';

export const SECTIONS = ['kernels', 'generator', 'samplers', 'training', 'threads', 'webgpu', 'browser'] as const;
export type SectionId = (typeof SECTIONS)[number];

export function isSectionId(s: string): s is SectionId {
  return (SECTIONS as readonly string[]).includes(s);
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The shipped generator the suite measures unless told otherwise. */
export const DEFAULT_CHECKPOINT = path.join(REPO, 'public', 'models', 'mnist-ddgan-t4');

export interface BenchSuiteOptions {
  /** Sections to run, in SECTIONS order; all when absent or empty. */
  readonly only?: readonly SectionId[];
  /** Small networks and one repeat of everything: a seconds-long check of the code paths. */
  readonly tiny?: boolean;
  /**
   * The backend of the Node sections (default wasm). On webgpu (Dawn, src/node/webgpuNode.ts)
   * the kernels section, which measures the wasm gradient kernels, is skipped.
   */
  readonly backend?: NodeBackendName;
  /** wasm threads (default: src/node/backend.ts's). */
  readonly threads?: number;
  /** Timed repeats of the short measurements (kernels, matmul, generator calls). */
  readonly repeats?: number;
  /** Generator checkpoint folder (default: the shipped one; tiny: random tiny weights). */
  readonly checkpoint?: string;
  /** A DDPM ε-network checkpoint (default: the first one found beside the generator's). */
  readonly ddpmCheckpoint?: string;
  /** The generator's training state folder, read for the discriminator config (default training/<name>). */
  readonly state?: string;
  readonly batches?: readonly number[];
  readonly samplerBatch?: number;
  /** DDPM-1000 steps actually timed. */
  readonly ddpmSteps?: number;
  readonly trainIters?: number;
  readonly trainBatch?: number;
  /** Side of the dense matmul reference (n×n by n×n). */
  readonly matmulSize?: number;
  /** webgpu section: generator batches timed on both backends (default 1, 4; tiny 1). */
  readonly webgpuBatches?: readonly number[];
  /** Browser section: backends (default wasm, webgl, webgpu). */
  readonly browserBackends?: readonly BrowserBackend[];
  /** Browser section: seconds of generation and of fine-tuning watched per backend (default 30; tiny 3). */
  readonly durationS?: number;
  /** The command line recorded in the report (default: the function call). */
  readonly command?: string;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  /** Called with each section as soon as it is measured. */
  readonly onSection?: (s: BenchSection) => void;
}

export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
  readonly tfjs: string;
  readonly backend: string;
  /** The backend as the run described it ("wasm (SIMD, 2 threads)", "webgpu (… adapter)"). */
  readonly backendDescription?: string;
  /** webgpu: the adapter's one-line description; null elsewhere. */
  readonly webgpuAdapter?: string | null;
  readonly wasmThreads: number | null;
  readonly wasmSimd: boolean | null;
  readonly loadAverage: readonly number[];
  readonly codeVersion: string;
}

export interface BenchReport {
  readonly machine: MachineInfo;
  readonly command: string;
  readonly tiny: boolean;
  /** The dense matmul reference in Node; null when no Node section ran. */
  readonly matmul: MatmulResult | null;
  readonly sections: readonly BenchSection[];
  /** Sections that were due but could not run here, with the reason. */
  readonly skipped: readonly { readonly id: SectionId; readonly reason: string }[];
  readonly seconds: number;
}

async function machineInfo(): Promise<MachineInfo> {
  const cpus = os.cpus();
  const backend = tf.getBackend();
  let threads: number | null = null;
  let simd: boolean | null = null;
  if (backend === 'wasm') {
    threads = getThreadsCount();
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  }
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model.trim() || 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: tf.version.tfjs,
    backend,
    backendDescription: activeNodeBackend()?.description ?? backend,
    webgpuAdapter: backend === 'webgpu' ? (nodeWebGpuInfo()?.description ?? null) : null,
    wasmThreads: threads,
    wasmSimd: simd,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    codeVersion: codeVersion(),
  };
}

/** Tiny configs: same code paths, networks small enough that a sample takes milliseconds. */
const TINY_G = defaultGeneratorConfig({ imageSize: 16, T: 2, baseChannels: 8, channelMults: [1, 2], nz: 8, zEmbedDim: 16, tEmbedDim: 16 });
const tinyD = (g: GeneratorConfig): DiscriminatorConfig =>
  defaultDiscriminatorConfig({ imageSize: g.imageSize, channels: g.channels, T: g.T, baseChannels: 8, channelMults: [1, 2], tEmbedDim: 16 });
const tinyEps = (g: GeneratorConfig): EpsNetConfig =>
  defaultEpsNetConfig({ imageSize: g.imageSize, channels: g.channels, baseChannels: 8, channelMults: [1, 2], tEmbedDim: 16 });

const rel = (p: string): string => {
  const r = path.relative(REPO, path.resolve(p));
  return r.startsWith('..') ? path.resolve(p) : r;
};

/** A DDPM checkpoint beside `dir` (same parent folder) for this image shape, if any ships. */
function findDdpmCheckpoint(dir: string, g: GeneratorConfig): string | undefined {
  const parent = path.dirname(path.resolve(dir));
  if (!existsSync(parent)) return undefined;
  for (const name of readdirSync(parent).sort()) {
    const file = path.join(parent, name, 'model.json');
    if (!existsSync(file)) continue;
    try {
      // only the networks section is needed; readModelJson validates the whole file
      const json = JSON.parse(readFileSync(file, 'utf8')) as { networks?: Record<string, { kind?: string; imageSize?: number; channels?: number }> };
      const eps = Object.values(json.networks ?? {}).find((n) => n.kind === 'ddpm-eps');
      if (eps && eps.imageSize === g.imageSize && eps.channels === g.channels) return path.join(parent, name);
    } catch {
      // an unreadable folder is not a DDPM checkpoint
    }
  }
  return undefined;
}

function epsNetOf(ck: LoadedCheckpoint): Network<EpsNetConfig> {
  const net = Object.values(ck.networks).find((n) => n.config.kind === 'ddpm-eps');
  if (!net) throw new Error(`checkpoint "${ck.meta.name}" has no DDPM ε-network`);
  return net as Network<EpsNetConfig>;
}

/** Random pixels in the model's shape (training speed does not depend on pixel values). */
function syntheticDataset(size: number, channels: number, count = 256): ImageDataset {
  const rng = new Rng(7);
  const pixels = new Uint8Array(count * size * size * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
  return { name: 'synthetic', pixels, count, size, channels };
}

function trainConfigFrom(meta: ModelJson | undefined, batch: number): DdganTrainConfig {
  const stored = (meta?.training as { config?: Partial<DdganTrainConfig> } | undefined)?.config;
  return defaultTrainConfig({ ...(stored ?? {}), batch });
}

export async function runBenchSuite(opts: BenchSuiteOptions = {}): Promise<BenchReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const tiny = !!opts.tiny;
  const want = new Set<SectionId>(opts.only?.length ? opts.only : SECTIONS);
  const repeats = opts.repeats ?? (tiny ? 1 : 5);
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`repeats must be a positive whole number, got ${repeats}`);
  const longRepeats = Math.max(1, Math.ceil(repeats / 2));
  const warmupCalls = tiny ? 1 : 20;

  const mainBackend: NodeBackendName = opts.backend ?? 'wasm';
  // wasm threads: the caller's, else those of the wasm backend this process already runs.
  const current = activeNodeBackend();
  let wasmThreads = opts.threads ?? (current?.backend === 'wasm' ? current.threads : undefined);
  const switchTo = async (name: NodeBackendName) => {
    const r = await useNodeBackend(name, name === 'wasm' ? { threads: wasmThreads } : {});
    if (r.backend === 'wasm') wasmThreads = r.threads;
    return r;
  };
  await switchTo(mainBackend);
  const machine = await machineInfo();
  const sections: BenchSection[] = [];
  const done = (s: BenchSection) => {
    sections.push(s);
    opts.onSection?.(s);
  };

  const skipped: { id: SectionId; reason: string }[] = [];
  const explicit = !!opts.only?.length;
  // Checked first: asked for by name, a browser section that cannot run is an error.
  const noBrowser = want.has('browser') ? browserUnavailable() : null;
  if (noBrowser && explicit) throw new Error(`the browser section cannot run: ${noBrowser}`);
  // The kernels section measures the project's wasm gradient kernels: wasm runs only.
  if (want.has('kernels') && mainBackend !== 'wasm') {
    const reason = `it measures the wasm gradient kernels; this run's backend is ${mainBackend}`;
    if (explicit) throw new Error(`the kernels section cannot run: ${reason}`);
    want.delete('kernels');
    skipped.push({ id: 'kernels', reason });
  }
  // webgpu against wasm: needs a WebGPU adapter in Node (Dawn over a Vulkan driver).
  if (want.has('webgpu')) {
    let reason: string | null = null;
    try {
      await provideNodeWebGpu();
    } catch (e) {
      reason = (e as Error).message;
    }
    if (reason && explicit) throw new Error(`the webgpu section cannot run: ${reason}`);
    if (reason) {
      log(`webgpu: skipped: ${reason}`);
      want.delete('webgpu');
      skipped.push({ id: 'webgpu', reason });
    }
  }

  let matmul: MatmulResult | null = null;
  const nodeSections = SECTIONS.filter((s) => s !== 'browser' && want.has(s));
  if (nodeSections.length) {
    const matmulSize = opts.matmulSize ?? (tiny ? 64 : 1024);
    log(`dense matmul ${matmulSize}³ …`);
    matmul = await benchMatmul(matmulSize, repeats);
  }

  if (want.has('kernels')) {
    log('kernels …');
    done(await benchKernels(repeats, tiny ? TINY_KERNEL_SHAPES : KERNEL_SHAPES));
  }

  if (want.has('generator') || want.has('samplers') || want.has('training') || want.has('webgpu')) {
    let ck: LoadedCheckpoint | undefined;
    let G: Network<GeneratorConfig>;
    let source: string;
    const ckDir = opts.checkpoint ?? (tiny ? undefined : DEFAULT_CHECKPOINT);
    if (ckDir) {
      ck = await loadCheckpointDir(ckDir);
      G = generatorOf(ck);
      source = `checkpoint ${rel(ckDir)} (${ck.meta.name}, ${String((ck.meta.training as { iterations?: number } | undefined)?.iterations ?? '?')} iterations)`;
    } else {
      G = Network.create(TINY_G, 1);
      source = 'random weights (tiny test config)';
    }
    const gCfg = G.config;
    try {
      if (want.has('generator')) {
        log('generator …');
        done(
          await benchGenerator(G, {
            source,
            batches: opts.batches ?? (tiny ? [1, 2] : [1, 16, 64]),
            callRepeats: repeats,
            sampleRepeats: longRepeats,
            matmul: matmul!,
            warmupCalls,
          }),
        );
      }

      if (want.has('samplers')) {
        log('samplers …');
        const ddpmDir = opts.ddpmCheckpoint ?? (ckDir && !tiny ? findDdpmCheckpoint(ckDir, gCfg) : undefined);
        let epsCk: LoadedCheckpoint | undefined;
        let eps: Network<EpsNetConfig>;
        let epsSource: string;
        if (ddpmDir) {
          epsCk = await loadCheckpointDir(ddpmDir);
          eps = epsNetOf(epsCk);
          epsSource = `checkpoint ${rel(ddpmDir)}`;
        } else {
          const cfg = tiny ? tinyEps(gCfg) : defaultEpsNetConfig({ imageSize: gCfg.imageSize, channels: gCfg.channels });
          eps = Network.create(cfg, 2);
          epsSource = `no trained DDPM checkpoint ships, so a randomly initialised ε-network of the ${tiny ? 'tiny test' : 'default'} config (defaultEpsNetConfig)`;
        }
        try {
          done(
            await benchSamplers(G, eps, {
              batch: opts.samplerBatch ?? (tiny ? 2 : 16),
              generatorSource: source,
              epsSource,
              epsSchedule: epsCk ? scheduleFromMeta(epsCk.meta, eps.config) : undefined,
              fullTimedSteps: opts.ddpmSteps ?? (tiny ? 2 : 20),
              fewTimedSteps: tiny ? 2 : 50,
              repeats: longRepeats,
              warmupCalls,
            }),
          );
        } finally {
          if (epsCk) disposeCheckpoint(epsCk);
          else eps.dispose();
        }
      }

      if (want.has('training')) {
        log('training …');
        const notes: string[] = [`Generator config: ${source}.`];
        let dCfg: DiscriminatorConfig | undefined;
        const stateDir = opts.state ?? (ck ? path.join(REPO, 'training', path.basename(path.resolve(ckDir!))) : undefined);
        if (stateDir && existsSync(path.join(stateDir, 'model.json'))) {
          const stateMeta = await readModelJson(stateDir);
          const d = stateMeta.networks.discriminator;
          if (d?.kind === 'ddgan-discriminator') {
            dCfg = d as DiscriminatorConfig;
            notes.push(`Discriminator config: the training state ${rel(stateDir)}.`);
          }
        }
        if (!dCfg) {
          dCfg = tiny
            ? tinyD(gCfg)
            : defaultDiscriminatorConfig({ imageSize: gCfg.imageSize, channels: gCfg.channels, T: gCfg.T, baseChannels: 24 });
          notes.push(`Discriminator config: no training state found, so the ${tiny ? 'tiny test' : 'default'} config with base ${dCfg.baseChannels} channels.`);
        }
        let data: ImageDataset;
        const dataName = (ck?.meta.data as { name?: string } | undefined)?.name;
        if (tiny || !dataName) {
          data = syntheticDataset(gCfg.imageSize, gCfg.channels);
          notes.push('Data: random pixels of the model\'s shape (the time of a step does not depend on pixel values).');
        } else {
          try {
            const loaded = await loadDataset(dataName);
            if (loaded.size !== gCfg.imageSize || loaded.channels !== gCfg.channels) throw new Error(`${dataName} does not match the model's shape`);
            data = loaded;
            notes.push(`Data: ${dataName} (${loaded.count.toLocaleString('en-US')} images).`);
          } catch (e) {
            data = syntheticDataset(gCfg.imageSize, gCfg.channels);
            notes.push(`Data: random pixels (${(e as Error).message}); the time of a step does not depend on pixel values.`);
          }
        }
        const trainConfig = trainConfigFrom(ck?.meta, opts.trainBatch ?? (tiny ? 4 : 32));
        const storedSettings = ck?.meta.training && (ck.meta.training as { config?: unknown }).config;
        notes.push(
          `Training settings: ${storedSettings ? 'those stored in the checkpoint' : 'the trainer defaults'} (R1 γ = ${trainConfig.r1Gamma} every ${trainConfig.r1Every} iterations), batch ${trainConfig.batch}.`,
        );
        done(
          await benchTraining(gCfg, dCfg, data, {
            trainConfig,
            warmupIters: 1,
            iters: opts.trainIters ?? (tiny ? 1 : 4),
            sources: notes,
            matmul: matmul!,
          }),
        );
      }

      if (want.has('webgpu')) {
        log('webgpu against wasm …');
        try {
          const tinyTrainG = { ...TINY_G, channels: gCfg.channels };
          done(
            await benchWebgpu({
              use: async (name) => (await switchTo(name)).description,
              generator: gCfg,
              generatorSource: ck ? `the ${ck.meta.name}` : 'the tiny test',
              generatorBatches: opts.webgpuBatches ?? (tiny ? [1] : [1, 4]),
              callRepeats: Math.min(repeats, 3),
              trainG: tinyTrainG,
              trainD: tinyD(tinyTrainG),
              trainConfig: defaultTrainConfig({ batch: tiny ? 2 : 4 }),
              trainIters: tiny ? 1 : 2,
              data: syntheticDataset(tinyTrainG.imageSize, tinyTrainG.channels),
              notes: [
                `The training networks are the tiny test configs whatever the run (a software adapter is too slow for the shipped ones); data: random pixels.`,
                ...(nodeWebGpuInfo()?.software
                  ? ['On this software adapter tfjs-backend-webgpu uses its tiled matmul shader for every matmul (WEBGPU_MATMUL_PROGRAM_TYPE = 3, set by src/node/webgpuNode.ts): its default for small outputs, a workgroup reduction, ran ~5× slower on SwiftShader.']
                  : []),
              ],
            }),
          );
        } finally {
          await switchTo(mainBackend);
        }
      }
    } finally {
      if (ck) disposeCheckpoint(ck);
      else G.dispose();
    }
  }

  if (want.has('threads')) {
    const count = Math.min(8, defaultThreadCount());
    if (count < 2) {
      const reason = 'this machine has one logical core';
      if (explicit) throw new Error(`the threads section cannot run: ${reason}`);
      log(`threads: skipped: ${reason}`);
      skipped.push({ id: 'threads', reason });
    } else {
      log(`threads: 1 against ${count} (a child process each) …`);
      done(await benchThreads(count, { tiny, repeats: opts.repeats }));
    }
  }

  if (want.has('browser')) {
    if (noBrowser) {
      log(`browser: skipped: ${noBrowser}`);
      skipped.push({ id: 'browser', reason: noBrowser });
    } else {
      log('browser …');
      done(await benchBrowser({ tiny, backends: opts.browserBackends, durationS: opts.durationS, repeats: opts.repeats, log }));
    }
  }

  return {
    machine,
    command: opts.command ?? `runBenchSuite(${JSON.stringify({ ...opts, log: undefined, onSection: undefined })})`,
    tiny,
    matmul,
    sections,
    skipped,
    seconds: (performance.now() - t0) / 1000,
  };
}

export function machineMarkdown(report: BenchReport): string {
  const m = report.machine;
  const wasm = m.backend === 'wasm' ? `, SIMD ${m.wasmSimd ? 'on' : 'off'}, ${m.wasmThreads} thread${m.wasmThreads === 1 ? '' : 's'}` : '';
  return tableMarkdown({
    columns: [
      { key: 'what', label: 'machine' },
      { key: 'value', label: 'value' },
    ],
    rows: [
      { what: 'date', value: m.date },
      { what: 'CPU', value: `${m.cpu}, ${m.cores} cores` },
      { what: 'memory', value: `${m.memoryGiB} GiB` },
      { what: 'OS', value: m.platform },
      { what: 'Node', value: m.node },
      { what: 'tfjs', value: `${m.tfjs}, backend ${m.backend}${wasm}${m.webgpuAdapter ? `, adapter ${m.webgpuAdapter}` : ''}` },
      { what: 'load average at start (1, 5, 15 min)', value: m.loadAverage.join(', ') },
      { what: 'code', value: m.codeVersion },
      { what: 'command', value: `\`${report.command}\`${report.tiny ? ' (tiny test configs)' : ''}` },
      ...(report.matmul ? [{ what: 'dense matmul', value: `${report.matmul.n}×${report.matmul.n}×${report.matmul.n}: ${report.matmul.gflops.toFixed(1)} GFLOP/s` }] : []),
      ...report.skipped.map((s) => ({ what: `${s.id} section`, value: `skipped: ${s.reason}` })),
      { what: 'wall time', value: `${report.seconds.toFixed(0)} s` },
    ],
  });
}

export function reportMarkdown(report: BenchReport): string {
  return [
    '# Benchmarks',
    'Measured by `npm run bench` (src/cli/bench.ts) on the machine below, the Node sections in one process and the browser section in headless Chromium; every ratio compares numbers from the same run. ' +
      'Timings depend on the machine and on what else it runs (see the load average); rerun `npm run bench -- --out .` to refresh this file.',
    machineMarkdown(report),
    ...report.sections.map(sectionMarkdown),
  ].join('\n\n') + '\n';
}

/** Writes DIR/BENCHMARKS.md and DIR/bench.json; returns their paths. */
export async function writeBenchReport(dir: string, report: BenchReport): Promise<{ markdown: string; json: string }> {
  await mkdir(dir, { recursive: true });
  const markdown = path.join(dir, 'BENCHMARKS.md');
  const json = path.join(dir, 'bench.json');
  await writeFile(markdown, reportMarkdown(report));
  await writeFile(json, JSON.stringify(report, null, 2) + '\n');
  return { markdown, json };
}
