/**
 * The worker's mode-coverage lab in Node (wasm backend, tiny networks): every recipe trains
 * a few iterations side by side, reports are well-formed deltas computed from the model's
 * samples, pause / resume / stop act between iterations, a diverging recipe is dropped with
 * a message while the others finish, and `tf.memory().numTensors` stays flat over repeated
 * runs.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modeCoverage } from '../../src/core/metrics/modes2d';
import { TOY_DATASETS } from '../../src/core/toy/data';
import { TOY_LAB_DATASETS, TOY_LAB_RECIPES, type ToyLabProgress, type ToyLabRecipeId, type ToyLabSettings } from '../../src/worker/protocol';
import { ToyLabSession, checkLabSettings, labRecipeConfig } from '../../src/worker/toyLab';
import { backend } from '../helpers';

beforeAll(() => backend('wasm'));

const TINY: ToyLabSettings = {
  dataset: 'grid25',
  recipes: [...TOY_LAB_RECIPES],
  iterations: 4,
  reportEvery: 2,
  samples: 60,
  scatter: 40,
  batch: 16,
  hidden: 8,
  layers: 1,
  seed: 7,
};

type Report = Extract<ToyLabProgress, { status: 'report' }>;

function reports(events: ToyLabProgress[], id?: ToyLabRecipeId): Report[] {
  return events.filter((e): e is Report => e.status === 'report' && (id === undefined || e.id === id));
}

function states(events: ToyLabProgress[]): string[] {
  return events.flatMap((e) => (e.status === 'state' ? [e.state] : []));
}

describe('ToyLabSession', () => {
  it('trains every recipe side by side and reports well-formed deltas from its samples', async () => {
    const before = tf.memory().numTensors;
    const events: ToyLabProgress[] = [];
    const session = new ToyLabSession(TINY);
    const result = await session.run((e) => events.push(e));
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ state: 'done', iteration: 4 });
    expect(states(events)).toEqual(['running', 'done']);

    const started = events[0];
    if (started.status !== 'started') throw new Error(`first event is ${started.status}`);
    expect(started.recipes.map((r) => r.id)).toEqual([...TOY_LAB_RECIPES]);
    expect(started.recipes.map((r) => r.T)).toEqual([null, null, 2, 4, 8]);
    for (const r of started.recipes) expect(r.generatorParams > 0 && r.discriminatorParams > 0).toBe(true);
    expect(started.real.byteLength).toBe(TINY.scatter * 2 * 4);
    expect(started.extent).toBe(5);

    // Interleaved: every recipe reports iteration 0, then 2, then 4, in the order picked.
    const order = reports(events).map((r) => `${r.id}@${r.iteration}`);
    expect(order).toEqual([0, 2, 4].flatMap((it) => TOY_LAB_RECIPES.map((id) => `${id}@${it}`)));

    for (const r of reports(events)) {
      const pts = new Float32Array(r.points);
      expect(r.n).toBe(TINY.scatter);
      expect(pts.length).toBe(2 * TINY.scatter);
      expect(pts.every(Number.isFinite)).toBe(true);
      const m = r.metrics;
      expect(m.n).toBe(TINY.samples);
      expect(m.numModes).toBe(25);
      expect(Number.isInteger(m.modesCovered) && m.modesCovered! >= 0 && m.modesCovered! <= 25).toBe(true);
      expect(m.highQualityShare! >= 0 && m.highQualityShare! <= 1).toBe(true);
      expect(Number.isNaN(m.reverseKl) || m.reverseKl! >= 0).toBe(true);
      expect(m.precision >= 0 && m.precision <= 1 && m.recall >= 0 && m.recall <= 1).toBe(true);
      expect(m.meanPointToMode! > 0 && m.meanModeToPoint! > 0).toBe(true);
      if (r.iteration === 0) expect(r.stats).toBeNull();
      else {
        expect(r.stats?.iterations).toBe(2);
        for (const v of [r.stats!.lossD, r.stats!.lossG, r.stats!.dReal, r.stats!.dFake]) expect(Number.isFinite(v)).toBe(true);
        expect(r.stats!.pReal > 0 && r.stats!.pReal < 1).toBe(true);
      }
      expect(r.memory.numTensors).toBeGreaterThan(0);
    }

    // Diffusion-GAN: its adaptive T, and the T trace as deltas (each iteration once).
    const dg = reports(events, 'diffusion-gan');
    for (const r of dg) expect(r.diffusion!.T).toBeGreaterThanOrEqual(5);
    expect(dg.map((r) => r.tTrace!.iteration)).toEqual([[], [1, 2], [3, 4]]);
    expect(dg[2].tTrace!.T.every((t) => Number.isInteger(t) && t >= 5)).toBe(true);
    for (const r of reports(events, 'gan')) expect(r.diffusion === null && r.tTrace === null && r.trajectory === null).toBe(true);

    // DD-GAN: x_T … x_0 of the plotted points, x_0 being the points themselves.
    for (const [id, T] of [['ddgan-t2', 2], ['ddgan-t4', 4], ['ddgan-t8', 8]] as const) {
      for (const r of reports(events, id)) {
        expect(r.trajectory?.T).toBe(T);
        const frames = new Float32Array(r.trajectory!.frames);
        const per = 2 * TINY.scatter;
        expect(frames.length).toBe((T + 1) * per);
        expect(Array.from(frames.subarray(T * per))).toEqual(Array.from(new Float32Array(r.points)));
        // x_T is the N(0, I) prior in model coordinates (× 1 / dataScale = 4 in data units).
        expect(frames.subarray(0, per).some((v, i) => v !== frames[T * per + i])).toBe(true);
      }
    }
  });

  it('scores the same points it sends when every sample is plotted', async () => {
    const settings = { ...TINY, recipes: ['gan'] as ToyLabRecipeId[], iterations: 2, samples: 50, scatter: 50 };
    const events: ToyLabProgress[] = [];
    const session = new ToyLabSession(settings);
    await session.run((e) => events.push(e));
    session.dispose();
    for (const r of reports(events)) {
      const m = modeCoverage(new Float32Array(r.points));
      expect(r.metrics).toMatchObject({ modesCovered: m.modesCovered, highQualityShare: m.highQualityShare });
    }
  });

  it('pauses, resumes and stops between iterations, and repeated runs leak nothing', async () => {
    const baseline = tf.memory().numTensors;
    const counts: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const settings = { ...TINY, recipes: ['gan', 'ddgan-t2'] as ToyLabRecipeId[], iterations: 1000 };
      const session = new ToyLabSession(settings);
      const events: ToyLabProgress[] = [];
      let resumed = false;
      const result = await session.run((e) => {
        events.push(e);
        if (e.status === 'report' && e.id === 'ddgan-t2' && e.iteration === 2) {
          session.pause();
          setTimeout(() => {
            resumed = true;
            session.resume();
          }, 30);
        }
        if (e.status === 'report' && e.id === 'ddgan-t2' && e.iteration === 4) session.stop();
      });
      session.dispose();
      counts.push(tf.memory().numTensors);
      expect(resumed).toBe(true);
      expect(result.state).toBe('stopped');
      expect(result.iteration).toBeLessThanOrEqual(5);
      expect(states(events)).toEqual(['running', 'paused', 'running', 'stopped']);
      // Nothing trained while paused: the iteration-2 reports are followed by iteration 3 only after the resume.
      const gan = reports(events, 'gan').map((r) => r.iteration);
      expect(gan).toEqual([0, 2, 4]);
    }
    expect(counts).toEqual([baseline, baseline, baseline]);
  });

  it('drops a diverging recipe with a message and lets the others finish', async () => {
    const before = tf.memory().numTensors;
    const settings = { ...TINY, recipes: ['gan', 'ddgan-t2'] as ToyLabRecipeId[], iterations: 6 };
    const events: ToyLabProgress[] = [];
    const session = new ToyLabSession(settings, { faultAt: { recipe: 'gan', iteration: 3 }, tickMs: 0 });
    const result = await session.run((e) => events.push(e));
    const diverged = events.filter((e) => e.status === 'diverged');
    expect(diverged).toHaveLength(1);
    expect(diverged[0]).toMatchObject({ id: 'gan', iteration: 3, message: expect.stringMatching(/GAN diverged .*injected fault.*iteration 3.*other recipes go on/) });
    expect(reports(events, 'gan').map((r) => r.iteration)).toEqual([0, 2]);
    expect(reports(events, 'ddgan-t2').map((r) => r.iteration)).toEqual([0, 2, 4, 6]);
    expect(result).toMatchObject({ state: 'done', iteration: 6 });
    // Ticks: the recipes advance in turn, never more than one iteration apart while both train.
    const ticks = events.flatMap((e) => (e.status === 'tick' ? [e.iterations] : []));
    expect(ticks.slice(0, 5)).toEqual([[1, 0], [1, 1], [2, 1], [2, 2], [3, 2]]);
    expect(ticks.at(-1)).toEqual([3, 6]);
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports what the metrics offer on each data set', async () => {
    for (const [dataset, modes] of [['ring8', 8], ['moons', null], ['swissroll', null]] as const) {
      const events: ToyLabProgress[] = [];
      const session = new ToyLabSession({ ...TINY, dataset, recipes: ['ddgan-t2'], iterations: 1 });
      await session.run((e) => events.push(e));
      session.dispose();
      const last = reports(events).pop()!;
      expect(last.iteration).toBe(1);
      expect(last.metrics.numModes).toBe(modes);
      expect(last.metrics.reverseKl === null).toBe(modes === null);
      expect(last.metrics.precision >= 0 && last.metrics.recall <= 1).toBe(true);
    }
  });

  it('checks its settings and builds each recipe from the tuned defaults', () => {
    expect(TOY_LAB_DATASETS).toEqual(TOY_DATASETS);
    expect(() => checkLabSettings({ ...TINY, recipes: [] })).toThrow(/pick at least one recipe/);
    expect(() => checkLabSettings({ ...TINY, recipes: ['gan', 'gan'] })).toThrow(/listed twice/);
    expect(() => checkLabSettings({ ...TINY, recipes: ['vae' as ToyLabRecipeId] })).toThrow(/unknown recipe "vae"/);
    expect(() => checkLabSettings({ ...TINY, dataset: 'spiral' as ToyLabSettings['dataset'] })).toThrow(/unknown toy data set "spiral"/);
    expect(() => checkLabSettings({ ...TINY, iterations: 2.5 })).toThrow(/iterations must be a whole number/);
    expect(() => checkLabSettings({ ...TINY, scatter: 100, samples: 50 })).toThrow(/cannot exceed/);
    expect(checkLabSettings(TINY)).toBe(TINY);
    const c = labRecipeConfig('ddgan-t8', TINY);
    expect(c).toMatchObject({ recipe: 'ddgan', T: 8, hiddenG: 8, hiddenD: 8, layersG: 1, batch: 16, seed: 7, dataset: 'grid25' });
    expect(labRecipeConfig('diffusion-gan', TINY)).toMatchObject({ recipe: 'diffusion-gan', tMin: 5 });
  });
});
