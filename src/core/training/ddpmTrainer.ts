/**
 * DDPM training (Ho et al. 2020): t ~ U{1..N}, x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε, loss ‖ε − ε_θ(x_t, t)‖²,
 * Adam with global-norm gradient clipping at 1, and an EMA of the weights (warmed up like
 * the DD-GAN trainer's). All randomness from one Rng, part of the resumable state.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, randn } from '../rng';
import { Network } from '../models/network';
import type { EpsNetConfig } from '../models/epsNet';
import { batchTensor, randomIndices, type ImageDataset } from '../data/dataset';
import { ddpmSchedule, type DdpmSchedule } from '../diffusion/ddpm';
import { loadOneOptimizerState, oneOptimizerStateJson, oneOptimizerStateTensors, type OneOptimizerStateJson } from './trainerState';
import { Adam } from './adam';
import { TrainingDiverged } from './ganStep';
import { emaDecayAt, globalNorm, gradsByName, updateEma } from './ema';

export interface DdpmTrainConfig {
  readonly batch: number;
  readonly lr: number;
  readonly emaDecay: number;
  readonly gradClip: number;
  readonly flip: boolean;
  readonly seed: number;
}

export function defaultDdpmTrainConfig(overrides: Partial<DdpmTrainConfig> = {}): DdpmTrainConfig {
  return { batch: 32, lr: 5e-4, emaDecay: 0.999, gradClip: 1, flip: false, seed: 0, ...overrides };
}

export interface DdpmStepStats {
  readonly iteration: number;
  readonly loss: number;
  readonly gradNorm: number;
  readonly emaDecay: number;
  readonly ms: number;
}

export class DdpmTrainer {
  readonly schedule: DdpmSchedule;
  readonly opt: Adam;
  readonly rng: Rng;
  iteration = 0;

  constructor(
    readonly net: Network<EpsNetConfig>,
    readonly netEma: Network<EpsNetConfig>,
    readonly data: ImageDataset,
    readonly config: DdpmTrainConfig,
  ) {
    if (data.size !== net.config.imageSize || data.channels !== net.config.channels) {
      throw new Error(`data are ${data.size}×${data.size}×${data.channels}, the model ${net.config.imageSize}×${net.config.imageSize}×${net.config.channels}`);
    }
    this.schedule = ddpmSchedule(net.config.steps);
    this.opt = new Adam(net.params, { lr: config.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    this.rng = new Rng(config.seed);
  }

  static create(netConfig: EpsNetConfig, data: ImageDataset, config: DdpmTrainConfig): DdpmTrainer {
    const net = Network.create(netConfig, config.seed * 2 + 1);
    return new DdpmTrainer(net, net.clone(), data, config);
  }

  async step(): Promise<DdpmStepStats> {
    const t0 = performance.now();
    const { batch, flip, gradClip } = this.config;
    const { N, alphaBars } = this.schedule;
    const cfg = this.net.config;
    const shape = [batch, cfg.imageSize, cfg.imageSize, cfg.channels];
    const idx = randomIndices(this.data.count, batch, this.rng);
    const flips = flip ? Array.from({ length: batch }, () => this.rng.uniform() < 0.5) : undefined;
    const ts = Array.from({ length: batch }, () => 1 + this.rng.int(N));
    const [loss, norm] = tf.tidy(() => {
      const x0 = batchTensor(this.data, idx, flips);
      const eps = randn(shape, this.rng);
      const a = tf.tensor(ts.map((t) => Math.sqrt(alphaBars[t])), [batch, 1, 1, 1]);
      const b = tf.tensor(ts.map((t) => Math.sqrt(1 - alphaBars[t])), [batch, 1, 1, 1]);
      const xT = x0.mul(a).add(eps.mul(b));
      const tVec = tf.tensor1d(ts, 'int32');
      const { value, grads } = tf.variableGrads(() => this.net.apply(xT, tVec).sub(eps).square().mean() as tf.Scalar, this.net.params.list());
      const named = gradsByName(this.net, grads);
      const gNorm = globalNorm(named);
      // clip by global norm: scale = min(1, clip / norm)
      const scale = tf.minimum(tf.scalar(1), tf.scalar(gradClip).div(gNorm.add(1e-12)));
      for (const [name, g] of named) named.set(name, g.mul(scale));
      this.opt.apply(named);
      return [value, gNorm];
    });
    const decay = emaDecayAt(this.config.emaDecay, this.iteration);
    updateEma(this.netEma, this.net, decay);
    const [l, n] = await Promise.all([loss.data(), norm.data()]);
    tf.dispose([loss, norm]);
    const iteration = ++this.iteration;
    if (!Number.isFinite(l[0])) throw new TrainingDiverged(`training diverged at iteration ${iteration}: loss is ${l[0]}`, iteration);
    return { iteration, loss: l[0], gradNorm: n[0], emaDecay: decay, ms: performance.now() - t0 };
  }

  stateTensors(): Record<string, tf.Tensor> {
    return oneOptimizerStateTensors(this);
  }

  stateJson(): OneOptimizerStateJson {
    return oneOptimizerStateJson(this);
  }

  loadState(json: OneOptimizerStateJson, tensors: Record<string, tf.Tensor>): void {
    loadOneOptimizerState(this, json, tensors);
  }

  dispose(): void {
    this.opt.dispose();
    this.net.dispose();
    this.netEma.dispose();
  }
}
