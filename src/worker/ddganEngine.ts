/**
 * The DD-GAN engine in-process: one loaded generator, its schedule, the step history of the
 * last run, and the four things the app does with them (warm up, generate, re-roll,
 * report memory). The worker's `Engine` (engine.ts) holds one instance;
 * tests drive an instance directly in Node (STYLE habit 7).
 *
 * Every sampling call goes through core `sampleDdgan`, which awaits `onStep` between steps:
 * that is where frames are read back (`await data()`, never `dataSync()`: DESIGN §4),
 * encoded and handed out, and where an abort signal lands.
 *
 * Memory: each step's tensors are disposed by the sampler once `onStep` resolves; the
 * history is kept as Float32Arrays on the CPU side, not as tensors, so nothing here holds
 * GPU memory between requests except the generator's weights.
 *
 * Batch limit: `measureBatchLimit` finds the largest batch whose largest tensor the backend
 * can hold (batchLimit.ts); warm-ups and runs over it are refused with that reason instead
 * of failing inside tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { isBackendName } from '../core/backend';
import { ddganPosteriorStep } from '../core/diffusion/samplers/ddganPosterior';
import { sampleDdgan, type DdganStep } from '../core/diffusion/ddganSampler';
import { ddganSchedule, type DdganSchedule } from '../core/diffusion/schedule';
import { disposeCheckpoint, type LoadedCheckpoint } from '../core/models/checkpoint';
import type { GeneratorConfig } from '../core/models/generator';
import type { Network } from '../core/models/network';
import { Rng, randn } from '../core/rng';
import { batchLimitFor, batchOverLimit, perExampleBytes, tensorLimitsFor, type KernelShapes, type ProfiledRun } from './batchLimit';
import { EngineFailure } from './errors';
import { encodeRgba, type FrameShape } from './frames';
import { sleep, throwIfAborted } from './jobs';
import {
  MAX_BATCH,
  MAX_BRANCHES,
  branchSeed,
  type BatchLimit,
  type EngineMemory,
  type GenerateParams,
  type GenerateResult,
  type ModelInfo,
  type RerollParams,
  type RerollResult,
  type StepProgress,
  type TensorLimit,
  type WarmupProgress,
  type WarmupResult,
} from './protocol';

/** Receives a step; the frames' buffers are handed over (the engine keeps no reference). */
export type StepSink = (step: StepProgress) => void;

interface LoadedModel {
  readonly info: ModelInfo;
  readonly generator: Network<GeneratorConfig>;
  /** The model's own discriminator, when it ships one (fine-tuning starts D from it). */
  readonly discriminator: Network | null;
  readonly schedule: DdganSchedule;
}

/** The float states x_k of the last finished generate, for re-rolls; xs[k] for k = 0..T. */
interface History {
  readonly seed: number;
  readonly batch: number;
  readonly xs: readonly Float32Array[];
}

const MAX_MIN_STEP_MS = 5000;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function badRequest(message: string): never {
  throw new EngineFailure('bad-request', message);
}

export function checkBatch(batch: unknown): number {
  if (!isInt(batch) || batch < 1 || batch > MAX_BATCH) badRequest(`batch must be an integer in 1..${MAX_BATCH}, got ${JSON.stringify(batch)}`);
  return batch;
}

function checkSeed(seed: unknown): number {
  if (!isInt(seed) || seed < 0 || seed > 0xffffffff) badRequest(`seed must be an integer in 0..4294967295, got ${JSON.stringify(seed)}`);
  return seed;
}

function checkMinStepMs(ms: unknown): number {
  if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_MIN_STEP_MS)) badRequest(`minStepMs must be a number in 0..${MAX_MIN_STEP_MS}, got ${JSON.stringify(ms)}`);
  return ms;
}

/** The two batch sizes one sampling step is profiled at (their difference isolates the batch). */
const PROFILE_BATCHES = [1, 2] as const;

/** What tfjs-backend-webgpu exposes of its shader pipelines (read, never written). */
type PipelineBackend = { pipelineCache?: Record<string, unknown>; checkCompileCompletionAsync?: () => Promise<void> };

/**
 * Waits for the webgpu pipelines created since `before` (compile-only mode leaves them as
 * promises in `pipelineCache`; counting them is the only progress tfjs offers), reporting
 * (done, total) at once, then at most every 50 ms as they finish, and at the end. Returns
 * how many there were.
 */
async function awaitNewPipelines(backend: PipelineBackend, before: ReadonlySet<string>, report: (done: number, total: number) => void, now: () => number): Promise<number> {
  const pending = Object.entries(backend.pipelineCache ?? {})
    .filter(([key]) => !before.has(key))
    .map(([, p]) => p);
  let done = 0;
  const total = pending.length;
  report(done, total);
  let lastPost = now();
  await Promise.all(
    pending.map((p) =>
      Promise.resolve(p).then(() => {
        done++;
        // Tens of programs finish in bursts: one message per 50 ms is plenty for a bar.
        if (done === total || now() - lastPost > 50) {
          lastPost = now();
          report(done, total);
        }
      }),
    ),
  );
  await backend.checkCompileCompletionAsync?.();
  return total;
}

/** The per-tensor limits of the backend tfjs runs on now (batchLimit.ts, `tensorLimitsFor`). */
export function currentTensorLimits(): TensorLimit[] {
  const name = tf.getBackend();
  if (!isBackendName(name)) return [];
  if (name === 'webgpu') {
    // tfjs-backend-webgpu requests the adapter's maxima for both limits when it creates
    // the device, so the device's limits are the adapter's.
    const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
    return tensorLimitsFor('webgpu', { gpu: device?.limits ?? null });
  }
  if (name === 'webgl') return tensorLimitsFor('webgl', { webglMaxTextureSize: tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE') });
  return tensorLimitsFor(name);
}

/**
 * Whether the backend lowers every windowed convolution to a matrix product over a
 * materialised im2col copy (batchLimit.ts, step 2, says why webgpu normally does not).
 */
function im2colAtEveryBatch(): boolean {
  switch (tf.getBackend()) {
    case 'webgl':
      return tf.env().getBool('WEBGL_CONV_IM2COL');
    case 'webgpu':
      return tf.env().getBool('WEBGPU_CONV_SEPARATE_IM2COL_SHADER');
    default:
      return false;
  }
}

export class DdganEngine {
  private model: LoadedModel | null = null;
  private history: History | null = null;
  private readonly warmed = new Set<number>();
  private limit: BatchLimit | null = null;
  /**
   * Shaders the batch-limit measurement compiled on webgpu (and the time it took), not yet
   * reported: the next warm-up adds them to its own, so the load's compile figures stay whole.
   */
  private measuredCompile = { shaders: 0, ms: 0 };

  constructor(private readonly now: () => number = () => performance.now()) {}

  get loaded(): ModelInfo | null {
    return this.model?.info ?? null;
  }

  /** The loaded generator (training clones it; callers must not dispose it). */
  get generatorNetwork(): Network<GeneratorConfig> | null {
    return this.model?.generator ?? null;
  }

  /** The loaded model's discriminator, if it ships one (training clones it; do not dispose). */
  get discriminatorNetwork(): Network | null {
    return this.model?.discriminator ?? null;
  }

  isWarm(batch: number): boolean {
    return this.warmed.has(batch);
  }

  /** The loaded model's batch limit on this backend, once measured (null before). */
  get batchLimit(): BatchLimit | null {
    return this.limit;
  }

  memory(): EngineMemory {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes };
  }

  /**
   * Takes ownership of a loaded checkpoint: keeps its generator and its discriminator (when it
   * ships one, for fine-tuning), disposes everything else.
   * Throws 'model-load-failed' (after disposing the checkpoint) if it has no DD-GAN generator.
   */
  adopt(name: string, ck: LoadedCheckpoint): ModelInfo {
    this.unload();
    const gen = ck.networks.generator;
    if (!gen || gen.config.kind !== 'ddgan-generator') {
      disposeCheckpoint(ck);
      const kinds = Object.entries(ck.networks).map(([k, n]) => `${k}: ${n.config.kind}`);
      throw new EngineFailure('model-load-failed', `${name} has no DD-GAN generator (networks: ${kinds.join(', ') || 'none'})`);
    }
    const discriminator = ck.networks.discriminator ?? null;
    for (const [key, net] of Object.entries(ck.networks)) if (key !== 'generator' && key !== 'discriminator') net.dispose();
    for (const t of Object.values(ck.state)) t.dispose();
    const generator = gen as Network<GeneratorConfig>;
    const cfg = generator.config;
    const info: ModelInfo = {
      name,
      T: cfg.T,
      imageSize: cfg.imageSize,
      channels: cfg.channels,
      nz: cfg.nz,
      // (No flopsPerExample() here: it runs a forward pass, seconds on a software GPU.)
      paramCount: generator.paramCount(),
    };
    this.model = { info, generator, discriminator, schedule: ddganSchedule(cfg.T) };
    return info;
  }

  /** Frees the generator and forgets the history (a new backend or model starts clean). */
  unload(): void {
    this.model?.generator.dispose();
    this.model?.discriminator?.dispose();
    this.model = null;
    this.history = null;
    this.warmed.clear();
    this.limit = null;
    this.measuredCompile = { shaders: 0, ms: 0 };
  }

  private requireModel(): LoadedModel {
    if (!this.model) throw new EngineFailure('no-model', 'no model is loaded: load one from the model list first');
    return this.model;
  }

  private shape(batch: number): FrameShape & { tensor: [number, number, number, number] } {
    const cfg = this.requireModel().generator.config;
    return { batch, height: cfg.imageSize, width: cfg.imageSize, channels: cfg.channels, tensor: [batch, cfg.imageSize, cfg.imageSize, cfg.channels] };
  }

  /** A batch the model can run here: in 1..MAX_BATCH and within the measured limit. */
  private checkBatch(batchIn: unknown): number {
    const batch = checkBatch(batchIn);
    const why = batchOverLimit(this.limit, batch);
    if (why) throw new EngineFailure('bad-request', `batch ${batch} is too large for the ${tf.getBackend()} backend: ${why}; the largest usable batch is ${this.limit?.maxBatch}`);
    return batch;
  }

  /**
   * One sampling step at `batch` (x̂₀ = G(x_k, k, z), then x_{k−1} from the posterior) on
   * seeded inputs, everything disposed: what the shader compilation and the batch-limit
   * measurement trace.
   */
  private stepOnce(batch: number): void {
    const { generator, schedule } = this.requireModel();
    const s = this.shape(batch);
    tf.tidy(() => {
      const rng = new Rng(1);
      const xK = randn([...s.tensor], rng) as tf.Tensor4D;
      const z = randn([batch, generator.config.nz], rng) as tf.Tensor2D;
      const k = Math.min(2, schedule.T);
      const pred = generator.apply(xK, tf.fill([batch], k, 'int32'), z) as tf.Tensor4D;
      ddganPosteriorStep(schedule, pred, k, xK, { noise: randn([...s.tensor], rng) });
    });
  }

  /**
   * Measures the largest batch the loaded model can run on this backend: one step profiled
   * at batch 1 and 2 (`tf.profile` records every kernel's shapes), the largest tensor's bytes
   * per example from the difference (plus im2col copies where the backend makes them),
   * divided into the smallest of `limits`. On webgpu the step is traced in compile-only
   * mode: tensors get their shapes (and small buffers), no kernel runs, and most shaders it
   * compiles are ones the warm-up needs anyway. Remembered until the model or backend
   * changes; later warm-ups and runs are checked against it.
   */
  async measureBatchLimit(limits: readonly TensorLimit[] = currentTensorLimits(), onProgress?: (p: WarmupProgress) => void): Promise<BatchLimit> {
    this.requireModel();
    // Reported at once: on a software WebGPU adapter the shaders traced here take tens of seconds.
    onProgress?.({ status: 'warmup', phase: 'measure', done: 0, total: 0 });
    let done = 0;
    let total = 0;
    const report = (d: number, t: number): void => onProgress?.({ status: 'warmup', phase: 'measure', done: done + d, total: total + t });
    const runs: ProfiledRun[] = [];
    for (const batch of PROFILE_BATCHES) {
      const { kernels, shaders } = await this.profileStep(batch, report);
      runs.push({ batch, kernels });
      done += shaders;
      total += shaders;
    }
    this.limit = batchLimitFor(perExampleBytes(runs[0], runs[1], { im2col: im2colAtEveryBatch() }), limits);
    return this.limit;
  }

  /** One profiled step; on webgpu its new shaders are compiled (reported) before it returns. */
  private async profileStep(batch: number, report: (done: number, total: number) => void): Promise<{ kernels: KernelShapes[]; shaders: number }> {
    const backend = tf.backend() as unknown as PipelineBackend;
    const compileOnly = tf.getBackend() === 'webgpu' && typeof backend.checkCompileCompletionAsync === 'function';
    const shadersBefore = new Set(Object.keys(backend.pipelineCache ?? {}));
    const tc = this.now();
    const info = await tf.profile(() => {
      // Only for the synchronous trace: nothing else may run kernels in compile-only mode.
      if (compileOnly) tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
      try {
        this.stepOnce(batch);
      } finally {
        if (compileOnly) tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
      }
    });
    // Pipelines compiled in that mode stay promises until they resolve, and a kernel
    // dispatched before then would throw.
    let shaders = 0;
    if (compileOnly) {
      shaders = await awaitNewPipelines(backend, shadersBefore, report, () => this.now());
      this.measuredCompile.shaders += shaders;
      this.measuredCompile.ms += this.now() - tc;
    }
    return { kernels: info.kernels.map((k) => ({ name: k.name, inputShapes: k.inputShapes, outputShapes: k.outputShapes })), shaders };
  }

  /**
   * Compiles and runs everything a generate at `batch` will use, so the first real Generate
   * is not the one that pays for it. On webgpu, first compiles the generator's and the
   * posterior's shaders in parallel (tfjs WEBGPU_ENGINE_COMPILE_ONLY, then
   * checkCompileCompletionAsync), reporting shaders done / total; then, on every backend,
   * one full sampler run at `batch`, reporting steps done / T.
   */
  async warmup(batchIn: number, onProgress: (p: WarmupProgress) => void, signal?: AbortSignal): Promise<WarmupResult> {
    const batch = this.checkBatch(batchIn);
    const { generator, schedule } = this.requireModel();
    const T = schedule.T;
    const t0 = this.now();
    let compileMs = 0;
    let shaders = 0;
    if (tf.getBackend() === 'webgpu') {
      const tc = this.now();
      shaders = await this.compileWebgpu(batch, onProgress);
      compileMs = this.now() - tc;
      // what the batch-limit measurement compiled for this load belongs to its warm-up
      shaders += this.measuredCompile.shaders;
      compileMs += this.measuredCompile.ms;
      this.measuredCompile = { shaders: 0, ms: 0 };
      throwIfAborted(signal);
    }
    const tr = this.now();
    let done = 0;
    onProgress({ status: 'warmup', phase: 'run', done, total: T });
    const x0 = await sampleDdgan(generator, schedule, {
      batch,
      rng: new Rng(0x5eed),
      signal,
      onStep: async (step) => {
        // Reading back forces the step to finish, so progress follows the real work.
        await step.x0Pred.data();
        onProgress({ status: 'warmup', phase: 'run', done: ++done, total: T });
      },
    });
    try {
      await x0.data();
    } finally {
      x0.dispose();
    }
    const firstRunMs = this.now() - tr;
    this.warmed.add(batch);
    return { batch, compileMs, shaders, firstRunMs, ms: this.now() - t0 };
  }

  /** Parallel shader compilation on webgpu; returns the number of new programs. */
  private async compileWebgpu(batch: number, onProgress: (p: WarmupProgress) => void): Promise<number> {
    const backend = tf.backend() as unknown as PipelineBackend;
    if (typeof backend.checkCompileCompletionAsync !== 'function') return 0;
    const before = new Set(Object.keys(backend.pipelineCache ?? {}));
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
    try {
      this.stepOnce(batch);
    } finally {
      tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
    }
    return awaitNewPipelines(backend, before, (done, total) => onProgress({ status: 'warmup', phase: 'compile', done, total }), () => this.now());
  }

  /** One sampling run from x_T, streaming every step; remembers its states for re-rolls. */
  async generate(params: GenerateParams, onStep: StepSink, signal?: AbortSignal): Promise<Omit<GenerateResult, 'backend'>> {
    const batch = this.checkBatch(params.batch);
    const seed = checkSeed(params.seed);
    const minStepMs = checkMinStepMs(params.minStepMs);
    const T = this.requireModel().schedule.T;
    throwIfAborted(signal);
    const xs: Float32Array[] = new Array(T + 1);
    const run = await this.run(0, batch, new Rng(seed), minStepMs, onStep, signal, undefined, (k, xK) => {
      xs[k] = xK;
    });
    xs[0] = run.x0Values;
    this.history = { seed, batch, xs };
    const s = this.shape(batch);
    return { seed, batch, width: s.width, height: s.height, T, x0: run.x0.buffer, stepMs: run.stepMs, totalMs: run.totalMs, memory: this.memory() };
  }

  /**
   * Re-roll from step k: for each branch, start from the stored x_k of the last generate and
   * sample x_{k−1} … x_0 with a fresh random stream (new z and posterior noise). The first
   * step event of each branch carries x_k re-encoded from the stored floats, so the UI can
   * check that the kept prefix is identical instead of assuming it.
   */
  async reroll(params: RerollParams, onStep: StepSink, signal?: AbortSignal): Promise<RerollResult> {
    const { schedule } = this.requireModel();
    const h = this.history;
    if (!h) throw new EngineFailure('no-history', 'nothing to re-roll yet: generate first (a new model or backend starts a new history)');
    const T = schedule.T;
    const fromK = params.fromK;
    if (!isInt(fromK) || fromK < 1 || fromK > T) badRequest(`fromK must be an integer in 1..${T}, got ${JSON.stringify(fromK)}`);
    const n = params.branches;
    if (!isInt(n) || n < 1 || n > MAX_BRANCHES) badRequest(`branches must be an integer in 1..${MAX_BRANCHES}, got ${JSON.stringify(n)}`);
    const seed = checkSeed(params.seed);
    const minStepMs = checkMinStepMs(params.minStepMs);
    const s = this.shape(h.batch);
    const branches: RerollResult['branches'][number][] = [];
    for (let b = 0; b < n; b++) {
      throwIfAborted(signal);
      const bSeed = branchSeed(seed, b);
      const start = tf.tensor4d(h.xs[fromK], s.tensor);
      try {
        const run = await this.run(b, h.batch, new Rng(bSeed), minStepMs, onStep, signal, { k: fromK, xK: start });
        branches.push({ seed: bSeed, x0: run.x0.buffer, stepMs: run.stepMs });
      } finally {
        start.dispose();
      }
    }
    return { fromK, parentSeed: h.seed, batch: h.batch, width: s.width, height: s.height, T, branches, memory: this.memory() };
  }

  /** The shared sampling loop of generate and reroll. */
  private async run(
    branch: number,
    batch: number,
    rng: Rng,
    minStepMs: number,
    onStep: StepSink,
    signal: AbortSignal | undefined,
    start?: { k: number; xK: tf.Tensor4D },
    keep?: (k: number, xK: Float32Array) => void,
  ): Promise<{ x0: Uint8ClampedArray<ArrayBuffer>; x0Values: Float32Array; stepMs: number[]; totalMs: number }> {
    const { generator, schedule } = this.requireModel();
    const s = this.shape(batch);
    const stepMs: number[] = [];
    let computeMs = 0;
    let stepStart = this.now();
    const x = await sampleDdgan(generator, schedule, {
      batch,
      rng,
      signal,
      start,
      onStep: async (step: DdganStep) => {
        const [xK, x0Pred] = await Promise.all([step.xK.data(), step.x0Pred.data()]);
        const ms = this.now() - stepStart;
        stepMs.push(ms);
        computeMs += ms;
        // A copy: backends may hand out their own backing store.
        keep?.(step.k, new Float32Array(xK as Float32Array));
        onStep({ status: 'step', branch, k: step.k, T: step.T, xK: encodeRgba(xK, s).buffer, x0Pred: encodeRgba(x0Pred, s).buffer, ms });
        await sleep(minStepMs - ms, signal);
        stepStart = this.now();
      },
    });
    let values: Float32Array;
    try {
      values = new Float32Array((await x.data()) as Float32Array);
    } finally {
      x.dispose();
    }
    computeMs += this.now() - stepStart;
    return { x0: encodeRgba(values, s), x0Values: values, stepMs, totalMs: computeMs };
  }
}
