/**
 * The generator health check behind `probeGenerator`: builds a DD-GAN generator from a
 * config (defaults plus the request's overrides), runs one seeded forward pass, reads it
 * back with `await data()` and reports output statistics, timings and tf.memory() before
 * and after (equal unless something leaked).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../core/backend';
import { defaultGeneratorConfig, validateGeneratorConfig, type GeneratorConfig } from '../core/models/generator';
import { Network } from '../core/models/network';
import { Rng, randn } from '../core/rng';
import { EngineFailure, messageOf } from './errors';
import type { GeneratorOverrides, ProbeGeneratorParams, ProbeGeneratorResult, ProgressOf } from './protocol';

const POSITIVE_INT_FIELDS = ['imageSize', 'channels', 'T', 'baseChannels', 'nz', 'zEmbedDim', 'tEmbedDim', 'groups'] as const;

export const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * Checks the override fields one by one (a message is untrusted input: a string where a
 * number belongs would otherwise surface as a shape error deep inside tfjs).
 */
function checkOverrides(config: GeneratorOverrides): GeneratorOverrides {
  const known = new Set<string>([...POSITIVE_INT_FIELDS, 'channelMults', 'resBlocksPerLevel']);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) throw new EngineFailure('bad-request', `unknown generator config field "${key}"`);
  }
  for (const key of POSITIVE_INT_FIELDS) {
    const v = config[key];
    if (v !== undefined && !isPositiveInt(v)) throw new EngineFailure('bad-request', `generator config ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const r = config.resBlocksPerLevel;
  if (r !== undefined && !(Number.isInteger(r) && r >= 0)) {
    throw new EngineFailure('bad-request', `generator config resBlocksPerLevel must be an integer ≥ 0, got ${JSON.stringify(r)}`);
  }
  const m = config.channelMults;
  if (m !== undefined && !(Array.isArray(m) && m.length > 0 && m.every(isPositiveInt))) {
    throw new EngineFailure('bad-request', `generator config channelMults must be a non-empty list of positive integers, got ${JSON.stringify(m)}`);
  }
  return config;
}

const MAX_PROBE_BATCH = 64;

export async function probeGenerator(backend: BackendName, params: ProbeGeneratorParams, progress: (p: ProgressOf<'probeGenerator'>) => void): Promise<ProbeGeneratorResult> {
  const { batch, seed } = params;
  if (!isPositiveInt(batch) || batch > MAX_PROBE_BATCH) {
    throw new EngineFailure('bad-request', `batch must be an integer in 1..${MAX_PROBE_BATCH}, got ${JSON.stringify(batch)}`);
  }
  if (!Number.isInteger(seed)) throw new EngineFailure('bad-request', `seed must be an integer, got ${JSON.stringify(seed)}`);
  if (typeof params.config !== 'object' || params.config === null) throw new EngineFailure('bad-request', 'config must be an object');

  const config: GeneratorConfig = defaultGeneratorConfig(checkOverrides(params.config));
  try {
    validateGeneratorConfig(config);
  } catch (e) {
    throw new EngineFailure('invalid-config', messageOf(e));
  }

  const total = 3;
  const numTensorsBefore = tf.memory().numTensors;
  progress({ status: 'stage', stage: 'build', index: 0, total });
  const tBuild = performance.now();
  const net = Network.create(config, seed);
  // On GPU backends this is dispatch time: the build pass may still be running and is then
  // paid for inside forwardMs. The probe is a health check, not a benchmark.
  const buildMs = performance.now() - tBuild;
  let measured: Omit<ProbeGeneratorResult, 'backend' | 'config' | 'buildMs' | 'numTensorsBefore' | 'numTensorsAfter'>;
  try {
    measured = await forwardOnce(net, config, batch, seed, (stage, index) => progress({ status: 'stage', stage, index, total }));
  } finally {
    net.dispose();
  }
  // Counted after the network's variables are gone: equal to numTensorsBefore unless
  // something leaked.
  const numTensorsAfter = tf.memory().numTensors;
  return { backend, config, buildMs, numTensorsBefore, numTensorsAfter, ...measured };
}

/** One forward pass on seeded inputs, read back with `await data()`, plus output statistics. */
async function forwardOnce(
  net: Network<GeneratorConfig>,
  config: GeneratorConfig,
  batch: number,
  seed: number,
  stage: (stage: 'forward' | 'readback', index: number) => void,
) {
  // Inputs come from their own stream so they do not depend on how many parameters the
  // architecture drew from the weight stream.
  const rng = new Rng((seed ^ 0x9e3779b9) >>> 0);
  stage('forward', 1);
  const tForward = performance.now();
  const out = tf.tidy(() => {
    // x_k ~ N(0, I) is what the sampler feeds at its first step; k cycles T, T−1, …, 1
    // over the batch so several time embeddings are exercised in one pass.
    const xK = randn([batch, config.imageSize, config.imageSize, config.channels], rng);
    const k = tf.tensor1d(
      Array.from({ length: batch }, (_, i) => config.T - (i % config.T)),
      'int32',
    );
    const z = randn([batch, config.nz], rng);
    return net.apply(xK, k, z);
  });
  const outputShape = out.shape.slice();
  let values: Float32Array | Int32Array | Uint8Array;
  try {
    stage('readback', 2);
    values = await out.data();
  } finally {
    out.dispose();
  }
  const forwardMs = performance.now() - tForward;

  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let nonFinite = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const finite = values.length - nonFinite;
  return {
    outputShape,
    min: finite > 0 ? min : NaN,
    max: finite > 0 ? max : NaN,
    mean: finite > 0 ? sum / finite : NaN,
    nonFinite,
    paramCount: net.paramCount(),
    flopsPerImage: net.flopsPerExample(),
    forwardMs,
  };
}
