/**
 * The exponential moving average of a network's weights, and gradients keyed by parameter
 * name: the two pieces every trainer's update shares.
 *
 * Runs here are thousands of iterations, not hundreds of thousands, so the decay is warmed
 * up: min(decay, (1+i)/(10+i)) at iteration i (DESIGN §2.2). A fixed 0.999 would still hold
 * most of the random initial weights after a few hundred iterations.
 */
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../models/network';

/** The decay used after iteration `iteration` (0-based: the count before it) of a run. */
export function emaDecayAt(emaDecay: number, iteration: number): number {
  return Math.min(emaDecay, (1 + iteration) / (10 + iteration));
}

/** ema ← decay · ema + (1 − decay) · source, parameter by parameter (same architecture). */
export function updateEma(ema: Network, source: Network, decay: number): void {
  tf.tidy(() => {
    for (const [name, v] of ema.params.vars) {
      const src = source.params.vars.get(name);
      if (!src) throw new Error(`EMA: the source network has no parameter named ${name}`);
      v.assign(v.mul(decay).add(src.mul(1 - decay)));
    }
  });
}

/**
 * `tf.variableGrads` keys gradients by the tf.Variable's process-unique name; this keys
 * them by the network's parameter name (what Adam and checkpoints use). Parameters without
 * a gradient are left out.
 */
export function gradsByName(net: Network, grads: tf.NamedTensorMap): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, v] of net.params.vars) {
    const g = grads[v.name];
    if (g) out.set(name, g);
  }
  return out;
}

/** √(Σ ‖g‖²) over a set of gradients. */
export function globalNorm(grads: Map<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.addN([...grads.values()].map((g) => g.square().sum())).sqrt() as tf.Scalar);
}
