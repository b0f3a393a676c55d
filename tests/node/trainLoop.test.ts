/**
 * The shared command-line training loop (src/node/trainLoop.ts): when it saves, when it
 * stops, and what it reports.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runTrainingLoop, type LoopOptions } from '../../src/node/trainLoop';

class CountingTrainer {
  readonly steps: number[] = [];
  constructor(public iteration: number) {}
  async step(): Promise<{ iteration: number; ms: number }> {
    this.iteration++;
    this.steps.push(this.iteration);
    return { iteration: this.iteration, ms: 1 };
  }
}

function options(trainer: CountingTrainer, saves: number[], overrides: Partial<LoopOptions<{ iteration: number; ms: number }>> = {}) {
  return {
    iters: 25,
    saveEvery: 10,
    deadline: Infinity,
    imagesPerIteration: 4,
    save: async () => {
      saves.push(trainer.iteration);
    },
    describe: () => 'loss 0',
    stateDir: '/nowhere',
    ...overrides,
  };
}

describe('runTrainingLoop', () => {
  beforeEach(() => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('steps to the target, saving every saveEvery iterations and once at the end', async () => {
    const trainer = new CountingTrainer(0);
    const saves: number[] = [];
    expect(await runTrainingLoop(trainer, options(trainer, saves))).toBe('done');
    expect(trainer.iteration).toBe(25);
    expect(saves).toEqual([10, 20, 25]);
  });

  it('does not save twice when the target falls on a periodic save', async () => {
    const trainer = new CountingTrainer(3);
    const saves: number[] = [];
    await runTrainingLoop(trainer, options(trainer, saves, { iters: 20 }));
    expect(trainer.steps[0]).toBe(4);
    expect(saves).toEqual([10, 20]);
  });

  it('a run resumed at its target takes no step but still writes the model once', async () => {
    const trainer = new CountingTrainer(25);
    const saves: number[] = [];
    expect(await runTrainingLoop(trainer, options(trainer, saves))).toBe('done');
    expect(trainer.steps).toEqual([]);
    expect(saves).toEqual([25]);
  });

  it('a passed deadline stops before the next step and saves', async () => {
    const trainer = new CountingTrainer(7);
    const saves: number[] = [];
    expect(await runTrainingLoop(trainer, options(trainer, saves, { deadline: Date.now() - 1 }))).toBe('time limit reached');
    expect(trainer.steps).toEqual([]);
    expect(saves).toEqual([7]);
  });

  it('prints a progress line every 10 iterations and at the target', async () => {
    const log = vi.mocked(console.log);
    const trainer = new CountingTrainer(0);
    await runTrainingLoop(trainer, options(trainer, [], { iters: 12, flopsPerIteration: 2e6 }));
    const lines = log.mock.calls.map((c) => String(c[0]));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^it 10\/12 \| loss 0 \| 4000\.0 img\/s 2\.0 GFLOP\/s \| ETA /);
    expect(lines[1]).toMatch(/^it 12\/12 /);
  });
});
