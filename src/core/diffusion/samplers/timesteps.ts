/**
 * The time grids of the samplers, as plain numbers (no tensors, so the UI thread and the
 * CLIs' flag parsing can use them). A grid lists the time index handed to the network at
 * each step, first (noisiest) to last; its length is the sampler's NFE.
 *
 * Indices follow the schedules: DD-GAN k = T … 1 (schedule.ts), DDPM t = N … 1 (ddpm.ts);
 * index 0 is the clean image in both.
 */

/** DD-GAN: every step of the generator, k = T … 1. */
export function ddganTimesteps(T: number): number[] {
  return Array.from({ length: T }, (_, i) => T - i);
}

/** Ancestral DDPM: every step of the schedule, t = N … 1. */
export function ancestralTimesteps(N: number): number[] {
  return Array.from({ length: N }, (_, i) => N - i);
}

/**
 * `count` evenly spaced steps from N down, t_i = round(i·N / count) for i = count … 1
 * (DDIM's sub-sequence; the last step is at t = round(N / count) and goes to x_0).
 * For count ≤ N the values are distinct, so the grid has `count` entries.
 */
export function ddimTimesteps(N: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > N) throw new RangeError(`DDIM needs 1..${N} steps, got ${count}`);
  const out: number[] = [];
  for (let i = count; i >= 1; i--) out.push(Math.max(1, Math.round((i * N) / count)));
  return [...new Set(out)];
}

