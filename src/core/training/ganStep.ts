/**
 * One GAN iteration, written once for every recipe, on images and on 2-D points alike
 * (DESIGN §2.2, §2.5). The recipe supplies D's inputs; this does the rest:
 *
 *   1. D step. The recipe's real and fake inputs of D (fakes made without a tape), loss
 *      softplus(−D(real)) + softplus(D(fake)), plus R1 = γ/2 · E‖∇D(real)‖² w.r.t. D's first
 *      input every `r1Every` iterations (lazy: scaled by `r1Every`, as in StyleGAN2).
 *   2. G step. The recipe's fakes, made on the tape; loss softplus(−D(fake)).
 *   With `augment`, every batch D sees in both steps goes through it first (DiffAugment).
 *   3. EMA of G (when there is a copy) with the warmed-up decay of ./ema.ts.
 *
 * Both updates are Adam steps with gradients keyed by parameter name (./adam.ts), so the
 * optimiser state is saved and restored bit for bit. Every tensor is freed before the
 * promise resolves; only plain numbers come back.
 */
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../models/network';
import { Adam } from './adam';
import { emaDecayAt, globalNorm, gradsByName, updateEma } from './ema';

/** D's inputs for the real and the fake batch; the first input is what R1 differentiates. */
export interface DiscriminatorBatch {
  readonly real: tf.Tensor[];
  readonly fake: tf.Tensor[];
}

/** What a recipe puts into a GAN iteration. */
export interface GanStepParts {
  /** D's real and fake inputs for the D step; called inside a tidy, outside any tape. */
  discriminatorBatch(): DiscriminatorBatch;
  /**
   * Draws the G step's randomness now and returns what makes D's fake inputs from it; that
   * function runs on the G step's tape, so it must be differentiable w.r.t. G.
   */
  generatorFakes(): () => tf.Tensor[];
}

export interface GanNetworks {
  readonly G: Network;
  readonly D: Network;
  /** The EMA copy of G (null: none). */
  readonly Gema: Network | null;
  readonly optG: Adam;
  readonly optD: Adam;
}

export interface GanStepOptions {
  /** Iterations done before this one (R1's schedule, the EMA warm-up). */
  readonly iteration: number;
  /** R1 weight γ (0 = off). */
  readonly r1Gamma: number;
  readonly r1Every: number;
  readonly emaDecay: number;
  /**
   * One D pass over reals and fakes concatenated instead of two passes (half the kernel
   * launches; for networks whose output per example does not depend on the rest of the
   * batch). The two choices are not bit-identical: a run keeps the one it started with.
   */
  readonly jointPass?: boolean;
  /** Measure the global gradient norms of D and G (NaN otherwise). */
  readonly gradNorms?: boolean;
  /**
   * Differentiable augmentation of D's inputs (./diffAugment.ts), applied to every real and
   * every fake batch D sees, in the D step and in the G step alike; R1 is taken w.r.t. the
   * augmented first input, what D actually sees. Absent: D sees the inputs as they are.
   */
  readonly augment?: (inputs: tf.Tensor[]) => tf.Tensor[];
  /** Measure the mean sigmoid(D) on reals and fakes (NaN otherwise). */
  readonly probabilities?: boolean;
}

export interface GanStepValues {
  readonly lossD: number;
  readonly lossG: number;
  /** The R1 penalty E‖∇D‖² before γ/2 and the lazy factor; NaN on iterations without R1. */
  readonly r1: number;
  /** Mean D logit on the real / fake batch of the D step. */
  readonly dReal: number;
  readonly dFake: number;
  /** Mean sigmoid(D) on the real / fake batch (NaN unless asked for). */
  readonly pReal: number;
  readonly pFake: number;
  readonly gradNormD: number;
  readonly gradNormG: number;
  /** Σ sign(D(real)) over the D step's real logits, and their number (Diffusion-GAN's r_d). */
  readonly realSignSum: number;
  readonly realCount: number;
  /** The EMA decay of this iteration (whether or not there is an EMA copy). */
  readonly emaDecay: number;
}

/** The two optimisers of a GAN: Adam on G's and on D's parameters, ε = 1e-8. */
export function ganOptimizers(
  G: Network,
  D: Network,
  c: { readonly lrG: number; readonly lrD: number; readonly beta1: number; readonly beta2: number },
): { optG: Adam; optD: Adam } {
  const adam = (lr: number) => ({ lr, beta1: c.beta1, beta2: c.beta2, eps: 1e-8 });
  return { optG: new Adam(G.params, adam(c.lrG)), optD: new Adam(D.params, adam(c.lrD)) };
}

/** Runs one D update, one G update and the EMA; resolves with plain numbers. */
export async function ganStep(nets: GanNetworks, parts: GanStepParts, opts: GanStepOptions): Promise<GanStepValues> {
  const { G, D, optG, optD } = nets;
  const { iteration, r1Gamma, r1Every } = opts;
  const doR1 = r1Gamma > 0 && iteration % r1Every === 0;
  const nan = () => tf.scalar(NaN);

  // 1. discriminator
  const d = tf.tidy(() => {
    const batch = parts.discriminatorBatch();
    const augment = opts.augment ?? ((inputs: tf.Tensor[]) => inputs);
    const real = augment(batch.real);
    const fake = augment(batch.fake);
    let r1: tf.Scalar = nan();
    let realLogits: tf.Tensor = nan();
    let fakeLogits: tf.Tensor = nan();
    const both = opts.jointPass ? real.map((r, i) => tf.concat([r, fake[i]], 0)) : null;
    const { value, grads } = tf.variableGrads(() => {
      const [dReal, dFake] = both ? tf.split(D.apply(...both), 2) : [D.apply(...real), D.apply(...fake)];
      let loss = tf.softplus(dReal.neg()).mean().add(tf.softplus(dFake).mean());
      if (doR1) {
        const gradReal = tf.grad((x: tf.Tensor) => D.apply(x, ...real.slice(1)).sum())(real[0]);
        const perExample = Array.from({ length: gradReal.rank - 1 }, (_, i) => i + 1);
        const penalty = gradReal.square().sum(perExample).mean();
        r1 = tf.keep(penalty) as tf.Scalar;
        loss = loss.add(penalty.mul((r1Gamma / 2) * r1Every));
      }
      // Kept past the tape's scope (and so past this tidy): freed below.
      realLogits = tf.keep(dReal);
      fakeLogits = tf.keep(dFake);
      return loss as tf.Scalar;
    }, D.params.list());
    const named = gradsByName(D, grads);
    optD.apply(named);
    const out = {
      lossD: value,
      r1,
      dReal: realLogits.mean(),
      dFake: fakeLogits.mean(),
      pReal: opts.probabilities ? tf.sigmoid(realLogits).mean() : nan(),
      pFake: opts.probabilities ? tf.sigmoid(fakeLogits).mean() : nan(),
      gradNormD: opts.gradNorms ? globalNorm(named) : nan(),
      realSignSum: tf.sign(realLogits).sum(),
    };
    const realCount = realLogits.size;
    realLogits.dispose();
    fakeLogits.dispose();
    return { tensors: out, realCount };
  });

  // 2. generator
  const g = tf.tidy(() => {
    const fakes = parts.generatorFakes();
    const augment = opts.augment ?? ((inputs: tf.Tensor[]) => inputs);
    const { value, grads } = tf.variableGrads(() => tf.softplus(D.apply(...augment(fakes())).neg()).mean() as tf.Scalar, G.params.list());
    const named = gradsByName(G, grads);
    optG.apply(named);
    return { lossG: value, gradNormG: opts.gradNorms ? globalNorm(named) : nan() };
  });

  // 3. EMA
  const emaDecay = emaDecayAt(opts.emaDecay, iteration);
  if (nets.Gema) updateEma(nets.Gema, G, emaDecay);

  const scalars = { ...d.tensors, ...g };
  const keys = Object.keys(scalars) as (keyof typeof scalars)[];
  const values = await Promise.all(keys.map((k) => scalars[k].data()));
  tf.dispose(Object.values(scalars));
  const read = Object.fromEntries(keys.map((k, i) => [k, values[i][0]])) as Record<keyof typeof scalars, number>;
  return { ...read, realCount: d.realCount, emaDecay };
}

/**
 * Throws TrainingDiverged naming the first of `values` that is not finite:
 * "<what> diverged at iteration <i>: <key> is <value>".
 */
export function checkFinite(what: string, iteration: number, values: Readonly<Record<string, number>>): void {
  for (const [key, v] of Object.entries(values)) {
    if (!Number.isFinite(v)) throw new TrainingDiverged(`${what} diverged at iteration ${iteration}: ${key} is ${v}`, iteration);
  }
}

export class TrainingDiverged extends Error {
  readonly code = 'training-diverged';
  constructor(
    message: string,
    readonly iteration: number,
  ) {
    super(message);
    this.name = 'TrainingDiverged';
  }
}
