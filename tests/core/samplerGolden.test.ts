/**
 * Golden pixels: the same seeds must draw the same samples as when the values in
 * tests/fixtures/sampler-golden.json were recorded (wasm backend, one thread). They were
 * recorded with the DD-GAN, DDPM ancestral and DDIM samplers as they stood before the
 * samplers became one interface and one pipeline (src/core/diffusion/samplers/), so the
 * test pins that the rewrite changed no pixel: shipped checkpoints through the CLI path
 * (`generateImages`), guided runs, the compare engine, a DD-GAN re-roll, the 2-D toy
 * sampler and the Diffusion-GAN trainer's chain (cases: tests/fixtures/samplerGoldenCases.ts).
 *
 * Tolerance: 1e-5 per value (absolute); the sums over all values scale it by their count.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { GOLDEN_CASES, signature, type GoldenSignature } from '../fixtures/samplerGoldenCases';

const GOLDEN: Record<string, GoldenSignature> = JSON.parse(readFileSync(new URL('../fixtures/sampler-golden.json', import.meta.url), 'utf8'));
const TOL = 1e-5;

beforeAll(() => backend('wasm'));

describe('sampler golden values', () => {
  it('has a recorded value for every case and a case for every recorded value', () => {
    expect(Object.keys(GOLDEN).sort()).toEqual(Object.keys(GOLDEN_CASES).sort());
  });

  for (const [name, run] of Object.entries(GOLDEN_CASES)) {
    it(name, { timeout: 120_000 }, async () => {
      const want = GOLDEN[name];
      const got = signature(await run());
      expect(got.length).toBe(want.length);
      const worst = Math.max(...got.slice.map((v, i) => Math.abs(v - want.slice[i])));
      expect(worst).toBeLessThanOrEqual(TOL);
      for (const key of ['sum', 'sumAbs', 'sumSq'] as const) {
        expect(Math.abs(got[key] - want[key])).toBeLessThanOrEqual(TOL * want.length);
      }
    });
  }
});
