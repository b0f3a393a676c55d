/**
 * Seeded randomness. Every sampler and trainer takes an `Rng` instead of calling a
 * global generator, so one seed reproduces one picture on one backend.
 *
 * The generator is SplitMix32 for seeding and xoshiro128** for the stream; normals come
 * from the Box–Muller transform. Values are produced on the CPU and uploaded, so the same
 * seed gives the same noise on every tfjs backend.
 */
import * as tf from '@tensorflow/tfjs';

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal draw. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  normalArray(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }

  /** A new independent stream derived from this one (for branching a sampling run). */
  fork(): Rng {
    return new Rng(this.nextU32());
  }

  /** The full state, for checkpoints that must resume the same random stream. */
  getState(): number[] {
    return [this.s0, this.s1, this.s2, this.s3, this.spare ?? NaN];
  }

  /**
   * Restores a state from `getState()` (JSON turns its NaN spare into null). Throws a
   * RangeError for anything else, above all an all-zero state: xoshiro128** would then
   * return 0 forever and `normal()` would never leave its loop.
   */
  setState(state: readonly (number | null)[]): void {
    const problem = rngStateProblem(state);
    if (problem) throw new RangeError(`random-number state ${problem}`);
    [this.s0, this.s1, this.s2, this.s3] = state.slice(0, 4).map((v) => (v as number) >>> 0);
    const spare = state[4];
    this.spare = spare === null || spare === undefined || Number.isNaN(spare) ? null : spare;
  }
}

/** What is wrong with a saved random-number state (undefined: nothing). */
export function rngStateProblem(state: unknown): string | undefined {
  if (!Array.isArray(state) || state.length < 4 || state.length > 5) return `must be a list of 4 words and a spare normal, got ${JSON.stringify(state)?.slice(0, 80)}`;
  const words = state.slice(0, 4);
  if (!words.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) return `has words that are not 32-bit unsigned integers: ${JSON.stringify(words)}`;
  if (words.every((v) => v === 0)) return 'is all zeros (the generator would only ever return 0)';
  const spare = state[4];
  if (spare !== undefined && spare !== null && !(typeof spare === 'number' && (Number.isNaN(spare) || Number.isFinite(spare)))) {
    return `has a spare normal that is not a number: ${JSON.stringify(spare)}`;
  }
  return undefined;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A tensor of standard normal noise of the given shape, drawn from `rng`. */
export function randn(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normalArray(n), shape, 'float32');
}
