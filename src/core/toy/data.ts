/**
 * Seeded 2-D toy distributions for the mode-coverage lab (DESIGN §2.6, §3 "Toy 2-D").
 *
 * Every sampler draws from the caller's `Rng` and returns n points as a row-major
 * Float32Array [n × 2]. All four fit roughly in [−5, 5]²:
 *
 *   grid25     25 Gaussians, means (i, j) for i, j ∈ {−4, −2, 0, 2, 4}, std 0.05, equal
 *              weights: exactly the PacGAN / VEEGAN benchmark of §2.6 (the means and std are
 *              those of `metrics/modes2d.ts`, which evaluates it).
 *   ring8      8 Gaussians evenly spaced on a circle of radius 4 (the first at angle 0), std
 *              0.05. The classic "ring" of the unrolled-GAN paper (Metz et al. 2017) has
 *              radius 2 and std 0.02; here it is scaled ×2 to share the grid's extent and
 *              given the grid's std, so the same 3-std mode-coverage metric applies to it.
 *   swissroll  the 2-D swiss roll (scikit-learn's make_swiss_roll, coordinates x and z):
 *              θ = 1.5π(1 + 2u), u ~ U(0, 1), point θ(cos θ, sin θ) / 3.5 (radius 1.35 to
 *              4.04), plus isotropic Gaussian noise of std 0.1.
 *   moons      two interleaving half circles (scikit-learn's make_moons), centred and scaled
 *              ×2.5: upper (cos θ, sin θ), lower (1 − cos θ, 0.5 − sin θ), θ ~ U(0, π),
 *              shifted by (−0.5, −0.25), then ×2.5 (x ∈ [−3.75, 3.75], y ∈ [−1.9, 1.9]),
 *              plus noise of std 0.1. Each point picks a moon with probability ½.
 */
import { Rng } from '../rng';
import { GRID25_STD, grid25Means } from '../metrics/modes2d';
import { TOY_DATASETS, isToyDatasetName, type ToyDatasetName } from '../../shared/datasets';

export { TOY_DATASETS, isToyDatasetName, type ToyDatasetName };

export interface ToyDatasetInfo {
  readonly name: ToyDatasetName;
  readonly label: string;
  readonly description: string;
  /** Mixture means, row-major [M × 2], for the datasets that are Gaussian mixtures. */
  readonly modeMeans: Float64Array | null;
  /** Std of each mixture component (for the 3-std high-quality test). */
  readonly modeStd: number | null;
  /** A square that holds (almost) all the data: [−extent, extent]². */
  readonly extent: number;
}

export interface ToySamples {
  /** Row-major [n × 2]. */
  readonly points: Float32Array;
  readonly n: number;
  readonly info: ToyDatasetInfo;
}

export const RING8_RADIUS = 4;
export const RING8_STD = 0.05;
const SWISS_SCALE = 1 / 3.5;
const SWISS_NOISE = 0.1;
const MOONS_SCALE = 2.5;
const MOONS_NOISE = 0.1;

/** The 8 ring means, row-major [8 × 2]. */
export function ring8Means(): Float64Array {
  const out = new Float64Array(16);
  for (let m = 0; m < 8; m++) {
    const a = (2 * Math.PI * m) / 8;
    out[2 * m] = RING8_RADIUS * Math.cos(a);
    out[2 * m + 1] = RING8_RADIUS * Math.sin(a);
  }
  return out;
}

export function toyDatasetInfo(name: ToyDatasetName): ToyDatasetInfo {
  switch (name) {
    case 'grid25':
      return {
        name,
        label: '25 Gaussians',
        description: '25 Gaussians on a 5×5 grid, means (i, j) for i, j ∈ {−4, −2, 0, 2, 4}, std 0.05 (PacGAN / VEEGAN benchmark)',
        modeMeans: grid25Means(),
        modeStd: GRID25_STD,
        extent: 5,
      };
    case 'ring8':
      return {
        name,
        label: 'Ring of 8 Gaussians',
        description: '8 Gaussians evenly spaced on a circle of radius 4, std 0.05 (the unrolled-GAN ring, scaled ×2)',
        modeMeans: ring8Means(),
        modeStd: RING8_STD,
        extent: 5,
      };
    case 'swissroll':
      return {
        name,
        label: 'Swiss roll',
        description: 'swiss roll θ(cos θ, sin θ)/3.5, θ ∈ [1.5π, 4.5π], noise std 0.1',
        modeMeans: null,
        modeStd: null,
        extent: 5,
      };
    case 'moons':
      return {
        name,
        label: 'Two moons',
        description: 'two interleaving half circles (make_moons) centred and scaled ×2.5, noise std 0.1',
        modeMeans: null,
        modeStd: null,
        extent: 5,
      };
  }
}

function sampleMixture(means: Float64Array, std: number, n: number, rng: Rng, out: Float32Array): void {
  const m = means.length / 2;
  for (let i = 0; i < n; i++) {
    const c = rng.int(m);
    out[2 * i] = means[2 * c] + std * rng.normal();
    out[2 * i + 1] = means[2 * c + 1] + std * rng.normal();
  }
}

const stdCache = new Map<ToyDatasetName, number>();

/**
 * Root-mean-square per coordinate of a dataset (about its mean), estimated once from 20,000
 * points of a fixed seed: √8 ≈ 2.83 for the grid, 2.83 for the ring.
 */
export function toyDataStd(name: ToyDatasetName): number {
  let std = stdCache.get(name);
  if (std === undefined) {
    const { points, n } = sampleToy(name, 20000, new Rng(0x5eed));
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      sx += points[2 * i];
      sy += points[2 * i + 1];
    }
    const mx = sx / n;
    const my = sy / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (points[2 * i] - mx) ** 2 + (points[2 * i + 1] - my) ** 2;
    std = Math.sqrt(v / (2 * n));
    stdCache.set(name, std);
  }
  return std;
}

/** Draws n points of `name` from `rng`. */
export function sampleToy(name: ToyDatasetName, n: number, rng: Rng): ToySamples {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a whole number ≥ 0, got ${n}`);
  const info = toyDatasetInfo(name);
  const points = new Float32Array(2 * n);
  switch (name) {
    case 'grid25':
    case 'ring8':
      sampleMixture(info.modeMeans!, info.modeStd!, n, rng, points);
      break;
    case 'swissroll':
      for (let i = 0; i < n; i++) {
        const theta = 1.5 * Math.PI * (1 + 2 * rng.uniform());
        points[2 * i] = theta * Math.cos(theta) * SWISS_SCALE + SWISS_NOISE * rng.normal();
        points[2 * i + 1] = theta * Math.sin(theta) * SWISS_SCALE + SWISS_NOISE * rng.normal();
      }
      break;
    case 'moons':
      for (let i = 0; i < n; i++) {
        const theta = Math.PI * rng.uniform();
        const upper = rng.uniform() < 0.5;
        const x = upper ? Math.cos(theta) : 1 - Math.cos(theta);
        const y = upper ? Math.sin(theta) : 0.5 - Math.sin(theta);
        points[2 * i] = (x - 0.5) * MOONS_SCALE + MOONS_NOISE * rng.normal();
        points[2 * i + 1] = (y - 0.25) * MOONS_SCALE + MOONS_NOISE * rng.normal();
      }
      break;
  }
  return { points, n, info };
}
