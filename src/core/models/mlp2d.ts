/**
 * Small MLPs for the 2-D toy lab (25 Gaussians, ring, swiss roll, two moons): generators
 * and discriminators for the vanilla GAN, Diffusion-GAN and DD-GAN recipes of
 * `core/toy/recipes.ts`. They are registered in `network.ts` like every other kind, so a
 * toy run is a config plus named parameters, as the image models are.
 *
 * Kinds (inputs in the order the registry passes them; x are [N, 2] points in the model's
 * coordinates, see `ToyRecipeConfig.dataScale`):
 *   mlp2d-generator           G(z) → x                      (vanilla GAN, Diffusion-GAN)
 *   mlp2d-cond-generator      G(x_k, k, z) → x̂₀            (DD-GAN, DESIGN §2.2)
 *   mlp2d-discriminator       D(x) → logit                  (vanilla GAN)
 *   mlp2d-t-discriminator     D(y, t) → logit               (Diffusion-GAN, DESIGN §2.5)
 *   mlp2d-pair-discriminator  D(x_{k−1}, x_k, k) → logit    (DD-GAN)
 *
 * Step indices follow the project convention (schedule.ts): DD-GAN networks get the 1-based
 * index k of the noisier input. The Diffusion-GAN discriminator gets the diffusion step t
 * (0 = clean), as the official code feeds it.
 *
 * Every network is the same body: the inputs (points, latent, a sinusoidal embedding of the
 * step) are concatenated, then `layers` dense layers of width `hidden` with the chosen
 * activation, then a linear output layer. No normalisation layers: R1 needs a
 * second derivative through the discriminator, and these networks are too small to need it.
 *
 * Speed: tfjs-wasm 4.22 runs a matMul with a transposed operand ~8× slower than a plain one
 * (measured on the 256×128·128×128 products of these MLPs: ~1 vs ~8 GFLOP/s), and the stock
 * matMul gradient uses exactly those. `matMulFast` gives the same gradients from explicit
 * transposes (cheap copies) and plain products, which makes a training iteration ~3–4×
 * faster; its gradient is built from ordinary ops, so it stays differentiable for R1.
 */
import * as tf from '@tensorflow/tfjs';
import { sinusoidalEmbedding, swish, type Ctx } from './layers';
import { Rng } from '../rng';
import { ddganSchedule } from '../diffusion/schedule';

export type Mlp2dActivation = 'relu' | 'leakyRelu' | 'swish';

/**
 * Random Fourier features of the point inputs (Tancik et al. 2020, "Fourier features let
 * networks learn high frequency functions in low dimensional domains"): each point input u
 * (model coordinates) becomes [u, sin(2π uB), cos(2π uB)] with a fixed B ~ N(0, scale²) of
 * `features` columns drawn from `seed`. Plain MLPs learn the
 * sharp structure of the toy data (25 bumps of std 0.05) very slowly (spectral bias); with
 * these features a discriminator resolves it in a few hundred steps. B is not a parameter:
 * it is rebuilt from the config, so it never trains and needs no checkpoint entry.
 */
export interface FourierFeatures {
  readonly features: number;
  /** Std of the frequencies, cycles per data unit (inputs are divided by pointScale first). */
  readonly scale: number;
  readonly seed: number;
}

interface MlpShape {
  /** Width of every hidden layer. */
  readonly hidden: number;
  /** Number of hidden layers. */
  readonly layers: number;
  readonly activation: Mlp2dActivation;
  /** Fourier features of the point inputs (null: the raw points). Latents are never embedded. */
  readonly fourier: FourierFeatures | null;
  /**
   * Point inputs are divided by this and point outputs multiplied by it, so the layers work
   * in data units whatever the model coordinates are (the toy recipes pass their dataScale).
   */
  readonly pointScale: number;
}

export interface Mlp2dGeneratorConfig extends MlpShape {
  readonly kind: 'mlp2d-generator';
  readonly nz: number;
}

export interface Mlp2dCondGeneratorConfig extends MlpShape {
  readonly kind: 'mlp2d-cond-generator';
  /** Number of DD-GAN steps (k runs over 1..T). */
  readonly T: number;
  readonly nz: number;
  readonly tEmbedDim: number;
  /**
   * Std of the data per coordinate in model coordinates, for the skip ("preconditioned")
   * output x̂₀ = c_skip(k)·x_k + c_out(k)·F(x_k, k, z) (see `condGeneratorSkip`); null: the
   * MLP predicts x̂₀ directly.
   */
  readonly sigmaData: number | null;
}

export interface Mlp2dDiscriminatorConfig extends MlpShape {
  readonly kind: 'mlp2d-discriminator';
}

export interface Mlp2dTimeDiscriminatorConfig extends MlpShape {
  readonly kind: 'mlp2d-t-discriminator';
  /** Largest diffusion step it will be given (the adaptive T's upper bound). */
  readonly tMax: number;
  readonly tEmbedDim: number;
}

export interface Mlp2dPairDiscriminatorConfig extends MlpShape {
  readonly kind: 'mlp2d-pair-discriminator';
  readonly T: number;
  readonly tEmbedDim: number;
}

export type Mlp2dConfig =
  | Mlp2dGeneratorConfig
  | Mlp2dCondGeneratorConfig
  | Mlp2dDiscriminatorConfig
  | Mlp2dTimeDiscriminatorConfig
  | Mlp2dPairDiscriminatorConfig;

export const MLP2D_DEFAULT_SHAPE: MlpShape = { hidden: 128, layers: 3, activation: 'leakyRelu', fourier: null, pointScale: 1 };

const fourierCache = new Map<string, Float32Array>();

/** B [dim × features] of a Fourier-feature config, 2π included. */
export function fourierMatrix(f: FourierFeatures, dim: number): Float32Array {
  const key = `${f.features}/${f.scale}/${f.seed}/${dim}`;
  let b = fourierCache.get(key);
  if (!b) {
    b = new Rng(f.seed).normalArray(dim * f.features).map((v) => v * f.scale * 2 * Math.PI);
    fourierCache.set(key, b);
  }
  return b;
}

/**
 * The point inputs as the network's first layer sees them: raw, or each [N, 2] point input
 * with its own Fourier features. Each input gets its own B (seed + index) and is never mixed
 * with another in one feature: a feature sin(2π(b₁·x_{k−1} + b₂·x_k)) would be scrambled by
 * the noise in x_k, and the pair discriminator could not see x_{k−1}'s fine structure.
 */
export function embedPoints(shape: MlpShape, inputs: tf.Tensor2D[]): tf.Tensor2D {
  const f = shape.fourier;
  const scaled = shape.pointScale === 1 ? inputs : inputs.map((u) => u.div(shape.pointScale) as tf.Tensor2D);
  if (!f) return (scaled.length === 1 ? scaled[0] : tf.concat(scaled, 1)) as tf.Tensor2D;
  const parts: tf.Tensor2D[] = [];
  scaled.forEach((u, i) => {
    const dim = u.shape[1];
    const b = fourierMatrix({ ...f, seed: f.seed + i }, dim);
    const proj = matMulFast(u, tf.tensor2d(b, [dim, f.features]));
    parts.push(u, tf.sin(proj) as tf.Tensor2D, tf.cos(proj) as tf.Tensor2D);
  });
  return tf.concat(parts, 1) as tf.Tensor2D;
}

type MatMulFn = (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** x·w with the gradients dx = dy·wᵀ, dw = xᵀ·dy computed from explicit transposes. */
export const matMulFast: MatMulFn = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as MatMulFn;

/** A dense layer (same parameter names and init as layers.ts `dense`) on `matMulFast`. */
export function denseFast(
  ctx: Ctx,
  name: string,
  x: tf.Tensor2D,
  units: number,
  opts: { gain?: number } = {},
): tf.Tensor2D {
  const inUnits = x.shape[1];
  const w = ctx.params.get(`${name}/w`, [inUnits, units], { kind: 'he', fanIn: inUnits, gain: opts.gain });
  const b = ctx.params.get(`${name}/b`, [units], { kind: 'zeros' });
  if (ctx.flops) ctx.flops.total += 2 * inUnits * units;
  return matMulFast(x, w as tf.Tensor2D).add(b) as tf.Tensor2D;
}

function act(kind: Mlp2dActivation, x: tf.Tensor2D): tf.Tensor2D {
  switch (kind) {
    case 'relu':
      return tf.relu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, 0.2);
    case 'swish':
      return swish(x) as tf.Tensor2D;
  }
}

/**
 * The shared body: hidden layers over `input`, then a linear layer of `outUnits` (small
 * initial gain, so a fresh generator starts near the origin and a fresh discriminator near
 * logit 0).
 */
function mlpBody(ctx: Ctx, shape: MlpShape, input: tf.Tensor2D, outUnits: number): tf.Tensor2D {
  let h = input;
  for (let l = 0; l < shape.layers; l++) h = act(shape.activation, denseFast(ctx, `fc${l}`, h, shape.hidden));
  return denseFast(ctx, 'out', h, outUnits, { gain: 0.5 });
}

export function mlp2dGeneratorApply(ctx: Ctx, cfg: Mlp2dGeneratorConfig, z: tf.Tensor2D): tf.Tensor2D {
  return mlpBody(ctx, cfg, z, 2).mul(cfg.pointScale);
}

/**
 * The skip coefficients of the preconditioned DD-GAN generator, k = 0..T (index 0 unused).
 * As in EDM (Karras et al. 2022), written for the VP marginal x_k = √ᾱ_k x₀ + √(1−ᾱ_k) ε
 * and data of std σ_d:
 *   c_skip = √ᾱ_k σ_d² / (ᾱ_k σ_d² + 1 − ᾱ_k)   the linear least-squares estimate of x₀ from x_k
 *   c_out  = σ_d √(1 − ᾱ_k) / √(ᾱ_k σ_d² + 1 − ᾱ_k)   the std of that estimate's error
 * so the MLP only supplies a unit-scale correction. At the last step (k = 1, little noise)
 * G starts as a mild denoiser of x_1 instead of having to learn the identity map to within
 * the 0.05 width of a mode, which is what a plain MLP output spent most of a short run on.
 */
export function condGeneratorSkip(T: number, sigmaData: number): { cSkip: Float64Array; cOut: Float64Array } {
  const s = ddganSchedule(T);
  const cSkip = new Float64Array(T + 1);
  const cOut = new Float64Array(T + 1);
  const vd = sigmaData * sigmaData;
  for (let k = 1; k <= T; k++) {
    const ab = s.alphaBars[k];
    const denom = ab * vd + 1 - ab;
    cSkip[k] = (Math.sqrt(ab) * vd) / denom;
    cOut[k] = (sigmaData * Math.sqrt(1 - ab)) / Math.sqrt(denom);
  }
  return { cSkip, cOut };
}

/** G(x_k, k, z) → x̂₀. `k` holds the 1-based step of x_k. */
export function mlp2dCondGeneratorApply(
  ctx: Ctx,
  cfg: Mlp2dCondGeneratorConfig,
  xK: tf.Tensor2D,
  k: tf.Tensor1D,
  z: tf.Tensor2D,
): tf.Tensor2D {
  const temb = sinusoidalEmbedding(k, cfg.tEmbedDim, 4 * cfg.T);
  const out = mlpBody(ctx, cfg, tf.concat([embedPoints(cfg, [xK]), z, temb], 1) as tf.Tensor2D, 2);
  if (cfg.sigmaData === null) return out.mul(cfg.pointScale);
  const { cSkip, cOut } = condGeneratorSkip(cfg.T, cfg.sigmaData);
  const table = (c: Float64Array) => tf.gather(tf.tensor1d(Array.from(c), 'float32'), k).reshape([-1, 1]);
  return xK.mul(table(cSkip)).add(out.mul(table(cOut))) as tf.Tensor2D;
}

export function mlp2dDiscriminatorApply(ctx: Ctx, cfg: Mlp2dDiscriminatorConfig, x: tf.Tensor2D): tf.Tensor1D {
  return mlpBody(ctx, cfg, embedPoints(cfg, [x]), 1).reshape([-1]) as tf.Tensor1D;
}

/** D(y, t) → logit, t the diffusion step of y (0 = clean). */
export function mlp2dTimeDiscriminatorApply(
  ctx: Ctx,
  cfg: Mlp2dTimeDiscriminatorConfig,
  y: tf.Tensor2D,
  t: tf.Tensor1D,
): tf.Tensor1D {
  const temb = sinusoidalEmbedding(t, cfg.tEmbedDim, 4 * cfg.tMax);
  return mlpBody(ctx, cfg, tf.concat([embedPoints(cfg, [y]), temb], 1) as tf.Tensor2D, 1).reshape([-1]) as tf.Tensor1D;
}

/** D(x_{k−1}, x_k, k) → logit. */
export function mlp2dPairDiscriminatorApply(
  ctx: Ctx,
  cfg: Mlp2dPairDiscriminatorConfig,
  xPrev: tf.Tensor2D,
  xK: tf.Tensor2D,
  k: tf.Tensor1D,
): tf.Tensor1D {
  const temb = sinusoidalEmbedding(k, cfg.tEmbedDim, 4 * cfg.T);
  const points = embedPoints(cfg, [xPrev, xK]);
  return mlpBody(ctx, cfg, tf.concat([points, temb], 1) as tf.Tensor2D, 1).reshape([-1]) as tf.Tensor1D;
}
