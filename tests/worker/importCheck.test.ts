/** What an imported model file must be (src/worker/importCheck.ts): a DD-GAN generator of a size the app runs. */
import { describe, expect, it } from 'vitest';
import { importProblem } from '../../src/worker/importCheck';
import type { NetworkConfig } from '../../src/core/models/network';

const gen = (imageSize: number, channels = 1) => ({ generator: { kind: 'ddgan-generator', imageSize, channels, T: 4 } as unknown as NetworkConfig });

describe('importProblem', () => {
  it('accepts the sizes the app runs and refuses a 64×64 generator with the reason', () => {
    expect(importProblem(gen(32))).toBeNull();
    expect(importProblem(gen(16, 3))).toBeNull();
    expect(importProblem(gen(64))).toMatch(/its generator makes 64×64 images, and this app runs models of 8×8 to 32×32 pixels/);
    expect(importProblem(gen(32, 4))).toMatch(/4 channels/);
  });

  it('refuses a file without a DD-GAN generator, naming what it has', () => {
    expect(importProblem({ classifier: { kind: 'classifier' } as unknown as NetworkConfig })).toMatch(/no DD-GAN generator \(networks: classifier: classifier\)/);
  });
});
