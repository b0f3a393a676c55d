/**
 * Adam (Kingma & Ba) over a ParamSet, with its moments keyed by parameter name, so the
 * optimiser state can be saved in a checkpoint and restored bit for bit in another
 * process (tfjs's own optimisers key state by the process-unique variable name).
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamSet } from '../models/layers';

export interface AdamConfig {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

export class Adam {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  /** Number of updates applied so far (the bias correction uses it). */
  steps = 0;

  constructor(
    readonly params: ParamSet,
    public config: AdamConfig,
  ) {
    for (const [name, p] of params.vars) {
      // In a tidy: the zerosLike initial values would otherwise outlive the optimiser.
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  /** Applies one update from gradients keyed by parameter name. */
  apply(grads: Map<string, tf.Tensor>, lr = this.config.lr): void {
    this.steps++;
    const { beta1, beta2, eps } = this.config;
    const c1 = 1 - beta1 ** this.steps;
    const c2 = 1 - beta2 ** this.steps;
    const stepSize = (lr * Math.sqrt(c2)) / c1;
    tf.tidy(() => {
      for (const [name, g] of grads) {
        const p = this.params.vars.get(name);
        const m = this.m.get(name);
        const v = this.v.get(name);
        if (!p || !m || !v) throw new Error(`Adam: no parameter named ${name}`);
        const mNew = m.mul(beta1).add(g.mul(1 - beta1));
        const vNew = v.mul(beta2).add(g.square().mul(1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        p.assign(p.sub(mNew.mul(stepSize).div(vNew.sqrt().add(eps * Math.sqrt(c2)))));
      }
    });
  }

  /** The moments as named tensors (for checkpoints): `<prefix>m/<param>` and `<prefix>v/<param>`. */
  stateTensors(prefix: string): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, t] of this.m) out[`${prefix}m/${name}`] = t;
    for (const [name, t] of this.v) out[`${prefix}v/${name}`] = t;
    return out;
  }

  loadState(state: Record<string, tf.Tensor>, prefix: string, steps: number): void {
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of map) {
        const src = state[`${prefix}${kind}/${name}`];
        if (!src) throw new Error(`optimiser state ${prefix}${kind}/${name} is missing from the checkpoint`);
        t.assign(src);
      }
    }
    this.steps = steps;
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
