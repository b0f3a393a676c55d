/**
 * How well a DD-GAN's discriminator tells real pairs from fakes at each step k: the part of
 * `npm run info -- --checkpoint STATE --per-step`. A step where D wins clearly (real scored
 * high, fakes low) is where the generator's output is still easy to spot; a step near chance
 * either is learned or carries too little signal for D to judge (high noise).
 */
import type { DdganTrainer } from '../core/training/ddganTrainer';

export interface StepScores {
  readonly k: number;
  readonly pairs: number;
  readonly meanReal: number;
  readonly meanFake: number;
  /** Share of real pairs with a positive logit (judged real). */
  readonly realJudgedReal: number;
  /** Share of fakes with a negative logit (judged fake). */
  readonly fakeJudgedFake: number;
}

/** Per-k summary of logits; steps without pairs are left out. */
export function summariseByStep(T: number, k: ArrayLike<number>, real: ArrayLike<number>, fake: ArrayLike<number>): StepScores[] {
  const rows: StepScores[] = [];
  for (let step = 1; step <= T; step++) {
    let pairs = 0;
    let sumReal = 0;
    let sumFake = 0;
    let realPos = 0;
    let fakeNeg = 0;
    for (let i = 0; i < k.length; i++) {
      if (k[i] !== step) continue;
      pairs++;
      sumReal += real[i];
      sumFake += fake[i];
      if (real[i] > 0) realPos++;
      if (fake[i] < 0) fakeNeg++;
    }
    if (pairs) rows.push({ k: step, pairs, meanReal: sumReal / pairs, meanFake: sumFake / pairs, realJudgedReal: realPos / pairs, fakeJudgedFake: fakeNeg / pairs });
  }
  return rows;
}

/** Scores `batches` batches of the trainer's pairs (this consumes its random stream). */
export async function discriminatorByStep(trainer: DdganTrainer, batches: number): Promise<StepScores[]> {
  const k: number[] = [];
  const real: number[] = [];
  const fake: number[] = [];
  for (let b = 0; b < batches; b++) {
    const s = await trainer.scorePairs();
    k.push(...s.k);
    real.push(...s.real);
    fake.push(...s.fake);
  }
  return summariseByStep(trainer.schedule.T, k, real, fake);
}

export function formatStepScores(rows: readonly StepScores[]): string {
  const pct = (v: number) => `${(100 * v).toFixed(0)} %`;
  return [
    '| k | pairs | mean D(real) | mean D(fake) | real judged real | fakes judged fake |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.k} | ${r.pairs} | ${r.meanReal.toFixed(2)} | ${r.meanFake.toFixed(2)} | ${pct(r.realJudgedReal)} | ${pct(r.fakeJudgedFake)} |`),
  ].join('\n');
}
