/**
 * Functional building blocks for the project's networks.
 *
 * A network is a plain config plus a `ParamSet` (named variables) plus a pure `apply`
 * function. Parameters are created on first use, so building a model is one forward pass
 * on a dummy batch; afterwards every call checks that the requested shape matches the
 * stored one, which is what turns "checkpoint for another architecture" into a clear error.
 *
 * All layers are NHWC. FLOPs (multiply + add = 2) of convolutions and dense layers are
 * tallied into `ctx.flops` when present, per example of the batch they run on.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';

export type Init =
  | { kind: 'he'; fanIn: number; gain?: number }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'const'; value: number };

export class ParamSet {
  readonly vars = new Map<string, tf.Variable>();
  private readonly rng: Rng;
  /** When false, a missing parameter is an error instead of being created. */
  creating = true;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  get(name: string, shape: number[], init: Init): tf.Variable {
    const existing = this.vars.get(name);
    if (existing) {
      if (!sameShape(existing.shape, shape)) {
        throw new Error(`parameter ${name} has shape [${existing.shape}] but the architecture needs [${shape}]`);
      }
      return existing;
    }
    if (!this.creating) throw new Error(`parameter ${name} [${shape}] is missing`);
    const size = shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    switch (init.kind) {
      case 'he': {
        const std = (init.gain ?? 1) * Math.sqrt(2 / init.fanIn);
        values = this.rng.normalArray(size).map((v) => v * std);
        break;
      }
      case 'zeros':
        values = new Float32Array(size);
        break;
      case 'ones':
        values = new Float32Array(size).fill(1);
        break;
      case 'const':
        values = new Float32Array(size).fill(init.value);
        break;
    }
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true, `${name}_${nextVarId++}`));
    this.vars.set(name, v);
    return v;
  }

  /** Names in creation order, which is the order of the forward pass. */
  names(): string[] {
    return [...this.vars.keys()];
  }

  list(): tf.Variable[] {
    return [...this.vars.values()];
  }

  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let nextVarId = 0;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export interface Ctx {
  readonly params: ParamSet;
  /** FLOP tally for one example; only filled when present. */
  flops?: { total: number };
}

/**
 * True when no gradient is being recorded. Inference then takes the backends' fused
 * kernels (convolution or matmul with its bias in one call, one pass over the output
 * fewer); training keeps the plain ops, whose gradients (and the R1 penalty's gradient
 * of a gradient) the project's kernels cover.
 */
export function inferenceOnly(): boolean {
  return tf.engine().state.gradientDepth === 0;
}

export function conv2d(
  ctx: Ctx,
  name: string,
  x: tf.Tensor4D,
  outChannels: number,
  opts: { kernel?: number; stride?: 1 | 2; gain?: number; bias?: boolean } = {},
): tf.Tensor4D {
  const kernel = opts.kernel ?? 3;
  const stride = opts.stride ?? 1;
  const inChannels = x.shape[3];
  const w = ctx.params.get(`${name}/w`, [kernel, kernel, inChannels, outChannels], {
    kind: 'he',
    fanIn: kernel * kernel * inChannels,
    gain: opts.gain,
  });
  const b = opts.bias === false ? null : ctx.params.get(`${name}/b`, [outChannels], { kind: 'zeros' });
  let y: tf.Tensor4D;
  if (b && inferenceOnly()) {
    y = tf.fused.conv2d({ x, filter: w as tf.Tensor4D, strides: stride, pad: 'same', bias: b });
  } else {
    y = tf.conv2d(x, w as tf.Tensor4D, stride, 'same');
    if (b) y = y.add(b);
  }
  if (ctx.flops) {
    ctx.flops.total += 2 * y.shape[1] * y.shape[2] * kernel * kernel * inChannels * outChannels;
  }
  return y;
}

export function dense(
  ctx: Ctx,
  name: string,
  x: tf.Tensor2D,
  units: number,
  opts: { gain?: number; biasInit?: number } = {},
): tf.Tensor2D {
  const inUnits = x.shape[1];
  const w = ctx.params.get(`${name}/w`, [inUnits, units], { kind: 'he', fanIn: inUnits, gain: opts.gain });
  const b = ctx.params.get(`${name}/b`, [units], { kind: 'const', value: opts.biasInit ?? 0 });
  if (ctx.flops) ctx.flops.total += 2 * inUnits * units;
  if (inferenceOnly()) return tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b }) as tf.Tensor2D;
  return tf.matMul(x, w as tf.Tensor2D).add(b) as tf.Tensor2D;
}

const groupAveragers = new Map<string, Float32Array>();

/** [c, c]: 1/(pixels·cg) where row and column fall in the same group of cg channels, else 0. */
function groupAverager(c: number, cg: number, pixels: number): tf.Tensor2D {
  const key = `${c}/${cg}/${pixels}`;
  let m = groupAveragers.get(key);
  if (!m) {
    m = new Float32Array(c * c);
    for (let i = 0; i < c; i++) {
      const g0 = i - (i % cg);
      for (let j = g0; j < g0 + cg; j++) m[i * c + j] = 1 / (pixels * cg);
    }
    groupAveragers.set(key, m);
  }
  return tf.tensor2d(m, [c, c]);
}

/**
 * GroupNorm without affine parameters (the affine part is supplied by the caller).
 *
 * The backward pass is the closed form, per group with n elements and x̂ = (x − μ)/σ:
 *   dx = (dy − mean(dy) − x̂ · mean(dy · x̂)) / σ
 * which is 6 kernels instead of the ~20 that differentiating the moments step by step
 * launches; normalisation is a large share of the small generator's training time. It is
 * first-order only (no network in the project needs a second derivative through it: R1
 * differentiates the discriminator, which has no normalisation).
 */
export function groupNormPlain(x: tf.Tensor4D, groups: number, eps = 1e-5): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const g = Math.min(groups, c);
  if (c % g !== 0) throw new Error(`group norm: ${c} channels do not split into ${g} groups`);
  const cg = c / g;
  const grouped = [b, h * w, g, cg];
  // Mean of each group, repeated over the group's channels ([b, 1, g, cg]), as two matrix
  // products: a row of 1s sums over the pixels ([b, 1, c]), then a block-diagonal [c, c]
  // matrix averages within groups. A mean over axes [1, 3] would make the wasm backend
  // transpose the whole tensor first (~2.5× slower at these shapes), and the statistics
  // come out already widened, so they meet the full tensor in a broadcast that keeps the
  // innermost axis whole (the wasm backend's fast case).
  const groupMean = (t: tf.Tensor) =>
    tf.tidy(() => {
      const sums = tf.matMul(tf.ones([b, 1, h * w]), t.reshape([b, h * w, c]) as tf.Tensor3D).reshape([b, c]);
      return (cg === 1 ? sums.div(h * w) : tf.matMul(sums, groupAverager(c, cg, h * w))).reshape([b, 1, g, cg]);
    });
  const norm = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const [xHat, invStd] = tf.tidy(() => {
      const xg = input.reshape(grouped);
      const centered = xg.sub(groupMean(xg));
      const inv = tf.rsqrt(groupMean(centered.square()).add(eps));
      return [centered.mul(inv), inv];
    });
    save([xHat, invStd]);
    return {
      value: xHat.reshape([b, h, w, c]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, inv] = saved;
        const dyg = dy.reshape(grouped);
        const meanDy = groupMean(dyg);
        const meanDyXh = groupMean(dyg.mul(xh));
        return dyg.sub(meanDy).sub(xh.mul(meanDyXh)).mul(inv).reshape([b, h, w, c]);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return norm(x) as tf.Tensor4D;
}

/** GroupNorm with learned per-channel scale and shift. */
export function groupNorm(ctx: Ctx, name: string, x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const c = x.shape[3];
  const gamma = ctx.params.get(`${name}/gamma`, [c], { kind: 'ones' });
  const beta = ctx.params.get(`${name}/beta`, [c], { kind: 'zeros' });
  return groupNormPlain(x, groups).mul(gamma).add(beta);
}

/**
 * Adaptive group norm: GroupNorm without affine, then (1 + γ(w))·h + β(w), where w is the
 * mapped latent code. γ starts at 0 so the layer starts as a plain GroupNorm.
 */
export function adaptiveGroupNorm(ctx: Ctx, name: string, x: tf.Tensor4D, w: tf.Tensor2D, groups: number): tf.Tensor4D {
  const c = x.shape[3];
  const style = dense(ctx, `${name}/style`, w, 2 * c, { gain: 0.1 });
  const [gamma, beta] = tf.split(style, 2, 1);
  const b = x.shape[0];
  return groupNormPlain(x, groups)
    .mul(gamma.add(1).reshape([b, 1, 1, c]))
    .add(beta.reshape([b, 1, 1, c]));
}

/** Sinusoidal embedding of a (float) step index, as in the Transformer / DDPM. */
export function sinusoidalEmbedding(k: tf.Tensor1D, dim: number, maxPositions = 10000): tf.Tensor2D {
  const half = Math.floor(dim / 2);
  const freqs = new Float32Array(half);
  const scale = Math.log(maxPositions) / Math.max(1, half - 1);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp(-scale * i);
  const args = k.cast('float32').reshape([-1, 1]).mul(tf.tensor2d(freqs, [1, half]));
  return tf.concat([tf.sin(args), tf.cos(args)], 1) as tf.Tensor2D;
}

export function swish(x: tf.Tensor): tf.Tensor {
  return x.mul(tf.sigmoid(x));
}

/** Nearest-neighbour 2× upsampling by broadcasting (its gradient is a plain sum). */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return x
    .reshape([b, h, 1, w, 1, c])
    .mul(tf.ones([1, 1, 2, 1, 2, 1]))
    .reshape([b, 2 * h, 2 * w, c]) as tf.Tensor4D;
}

/**
 * 2× average pooling as reshape + mean: unlike tf.avgPool, its gradient is itself
 * differentiable, which the R1 penalty (a gradient of a gradient) needs.
 */
export function avgPool2x(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return x.reshape([b, h / 2, 2, w / 2, 2, c]).mean([2, 4]) as tf.Tensor4D;
}
