/**
 * The worker's training run in Node (wasm backend, a tiny 16×16 model, batch 2): events are
 * deltas in order, pause / step / resume / stop act between iterations, a divergence stops
 * the run and a rollback restores the last good checkpoint, a resume checkpoint restarts
 * at the same iteration, and nothing leaks. The last checkpoint always comes before the
 * final state (so 'done' never finds the old weights), checkpoints also come on a time
 * interval, and a divergence that stays finite (lr 0.1, no R1: exploding losses, samples
 * collapsing to one colour) stops the run without a bad checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageDataset } from '../../src/core/data/dataset';
import { Network } from '../../src/core/models/network';
import type { TrainingProgress, TrainingSettings } from '../../src/worker/protocol';
import { TrainingSession, buildTrainer, checkSettings } from '../../src/worker/trainingSession';
import { TINY_CONFIG } from '../fixtures/tinyCheckpoint';
import { backend } from '../helpers';

const S = TINY_CONFIG.imageSize;
const settings: TrainingSettings = {
  iterations: 4,
  batch: 2,
  lrG: 1e-4,
  lrD: 1e-4,
  r1Gamma: 0.05,
  emaDecay: 0.999,
  seed: 3,
  previewEvery: 2,
  previewCount: 2,
  checkpointEvery: 2,
};

function data(): ImageDataset {
  const pixels = new Uint8Array(4 * S * S);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
  return { name: 'test', pixels, count: 4, size: S, channels: 1 };
}

// wasm, as the worker uses here (with the project's training kernels and the comparison
// gradients R1 needs); the cpu backend is ~10× slower for these steps.
beforeAll(() => backend('wasm'));

function collect(): { events: TrainingProgress[]; emit: (p: TrainingProgress) => void } {
  const events: TrainingProgress[] = [];
  return { events, emit: (p) => events.push(p) };
}

describe('TrainingSession', () => {
  it('fine-tunes to the target with deltas, previews and checkpoints, and leaks nothing', async () => {
    const base = Network.create(TINY_CONFIG, 1);
    const before = tf.memory().numTensors;
    const built = buildTrainer({ kind: 'finetune' }, base, data(), settings);
    expect(built.note).toMatch(/D starts fresh/);
    const session = new TrainingSession(built.trainer, data(), { settings, name: 't' });
    const { events, emit } = collect();
    const result = await session.run(emit, { init: 'finetune', note: built.note });
    session.dispose();
    expect(result.state).toBe('done');
    expect(result.iteration).toBe(4);
    const its = events.flatMap((e) => (e.status === 'iteration' ? [e.stats.iteration] : []));
    expect(its).toEqual([1, 2, 3, 4]);
    expect(events.filter((e) => e.status === 'preview').map((e) => (e.status === 'preview' ? e.iteration : -1))).toEqual([0, 2, 4]);
    expect(events.filter((e) => e.status === 'checkpoint').map((e) => (e.status === 'checkpoint' ? e.iteration : -1))).toEqual([0, 2, 4]);
    // 'done' comes after the final checkpoint: the UI holds the final weights when it sees it.
    const lastCk = events.map((e) => e.status).lastIndexOf('checkpoint');
    const done = events.findIndex((e) => e.status === 'state' && e.state === 'done');
    expect(lastCk).toBeGreaterThanOrEqual(0);
    expect(done).toBeGreaterThan(lastCk);
    expect(events.slice(done + 1)).toEqual([]);
    for (const e of events) if (e.status === 'iteration') expect(Number.isFinite(e.stats.lossD) && Number.isFinite(e.stats.lossG)).toBe(true);
    const preview = events.find((e) => e.status === 'preview');
    expect(preview?.status === 'preview' && preview.frame.byteLength).toBe(2 * S * S * 4);
    // Built-in data (the default): no nearest-upload pairs.
    expect(preview && 'nearest' in preview).toBe(false);
    // The base network is cloned, not adopted; everything the run made is freed.
    expect(tf.memory().numTensors).toBe(before);
    base.dispose();
  });

  it('on uploads, names each preview sample’s nearest training image, and leaks nothing', async () => {
    const base = Network.create(TINY_CONFIG, 1);
    const before = tf.memory().numTensors;
    const one = { ...settings, iterations: 2, r1Gamma: 0 };
    const built = buildTrainer({ kind: 'finetune' }, base, data(), one);
    const session = new TrainingSession(built.trainer, data(), { settings: one, name: 't', nearestUploads: true });
    const { events, emit } = collect();
    await session.run(emit, { init: 'finetune', note: built.note });
    session.dispose();
    const previews = events.flatMap((e) => (e.status === 'preview' ? [e] : []));
    expect(previews.map((p) => p.iteration)).toEqual([0, 2]);
    for (const p of previews) {
      expect(p.nearest).toHaveLength(one.previewCount);
      for (const i of p.nearest!) expect(Number.isInteger(i) && i >= 0 && i < data().count).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
    base.dispose();
  });

  it('pauses, steps one iteration at a time, resumes and stops between iterations', async () => {
    // R1 off in the control tests: its double backprop triples a step's time on the cpu backend.
    const fast = { ...settings, iterations: 100, r1Gamma: 0 };
    const built = buildTrainer({ kind: 'scratch' }, Network.create(TINY_CONFIG, 1), data(), fast);
    let session!: TrainingSession;
    const { events, emit } = collect();
    let pausedAt = -1;
    const emitAndControl = (p: TrainingProgress): void => {
      emit(p);
      if (p.status === 'iteration' && p.stats.iteration === 1) {
        session.pause();
        pausedAt = 1;
        // Two steps while paused, then stop.
        setTimeout(() => session.step(), 5);
        setTimeout(() => session.step(), 10);
      }
      if (p.status === 'iteration' && p.stats.iteration === 3) setTimeout(() => session.stop(), 5);
    };
    session = new TrainingSession(built.trainer, data(), { settings: fast, name: 't' });
    const result = await session.run(emitAndControl, { init: 'scratch', note: '' });
    session.dispose();
    expect(pausedAt).toBe(1);
    expect(result.state).toBe('stopped');
    expect(result.iteration).toBe(3);
    const states = events.flatMap((e) => (e.status === 'state' ? [e.state] : []));
    expect(states).toEqual(['running', 'paused', 'stopped']);
    // Stopping saves where it stopped, so a resumed session continues at iteration 3, and
    // that checkpoint is sent before the 'stopped' state.
    expect(events.flatMap((e) => (e.status === 'checkpoint' ? [e.iteration] : []))).toEqual([0, 2, 3]);
    expect(events.map((e) => e.status).lastIndexOf('checkpoint')).toBeLessThan(events.findIndex((e) => e.status === 'state' && e.state === 'stopped'));
  });

  it('stops on divergence, rolls back to the last good checkpoint, and resumes from a saved checkpoint', async () => {
    const s = { ...settings, iterations: 5, r1Gamma: 0 };
    const built = buildTrainer({ kind: 'scratch' }, Network.create(TINY_CONFIG, 1), data(), s);
    let session!: TrainingSession;
    const { events, emit } = collect();
    session = new TrainingSession(built.trainer, data(), { settings: s, name: 't', faultAt: 3 });
    const run = session.run((p) => {
      emit(p);
      if (p.status === 'state' && p.state === 'diverged') {
        setTimeout(() => {
          session.rollback();
          expect(session.iteration).toBe(2);
          session.resume();
        }, 5);
      }
    }, { init: 'scratch', note: '' });
    const result = await run;
    const diverged = events.find((e) => e.status === 'state' && e.state === 'diverged');
    expect(diverged?.status === 'state' && diverged.message).toMatch(/diverged at iteration 3.*roll back.*iteration 2/);
    expect(diverged?.status === 'state' && diverged.lastGoodIteration).toBe(2);
    expect(result).toMatchObject({ state: 'done', iteration: 5 });
    const lastCk = events.filter((e) => e.status === 'checkpoint').pop();
    session.dispose();

    // A saved checkpoint resumes at its iteration.
    if (lastCk?.status !== 'checkpoint') throw new Error('no checkpoint');
    const resumed = buildTrainer({ kind: 'resume', modelJson: lastCk.modelJson, weights: lastCk.weights }, null, data(), { ...s, iterations: 6 });
    expect(resumed.trainer.iteration).toBe(5);
    const r2 = new TrainingSession(resumed.trainer, data(), { settings: { ...s, iterations: 6 }, name: 't' });
    const res2 = await r2.run(() => undefined, { init: 'resume', note: '' });
    r2.dispose();
    expect(res2).toMatchObject({ state: 'done', iteration: 6 });
  });

  it('trains the Diffusion-GAN recipe when asked, reports T_dg and r_d, and a resume keeps the saved recipe', async () => {
    const s: TrainingSettings = { ...settings, recipe: 'diffusion-gan', iterations: 2, r1Gamma: 0 };
    const base = Network.create(TINY_CONFIG, 1);
    const before = tf.memory().numTensors;
    const built = buildTrainer({ kind: 'finetune' }, base, data(), s);
    expect(built.trainer.recipe).toBe('diffusion-gan');
    expect(built.trainer.D.config.kind).toBe('diffusion-gan-discriminator');
    expect(built.note).toMatch(/Diffusion-GAN/);
    const session = new TrainingSession(built.trainer, data(), { settings: s, name: 't' });
    const { events, emit } = collect();
    const result = await session.run(emit, { init: 'finetune', note: built.note });
    session.dispose();
    expect(result).toMatchObject({ state: 'done', iteration: 2 });
    const started = events.find((e) => e.status === 'started');
    expect(started?.status === 'started' && started.recipe).toBe('diffusion-gan');
    const its = events.flatMap((e) => (e.status === 'iteration' ? [e.stats] : []));
    expect(its.map((st) => st.diffusionT)).toEqual([10, 10]);
    expect(its.map((st) => Number.isNaN(st.rd))).toEqual([true, true]); // no update within 2 iterations (adaptEvery 4)
    expect(events.filter((e) => e.status === 'preview')).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(before);

    // Its checkpoint resumes as Diffusion-GAN, whatever the settings' recipe says.
    const lastCk = events.filter((e) => e.status === 'checkpoint').pop();
    if (lastCk?.status !== 'checkpoint') throw new Error('no checkpoint');
    const resumed = buildTrainer({ kind: 'resume', modelJson: lastCk.modelJson, weights: lastCk.weights }, null, data(), { ...s, recipe: 'ddgan', iterations: 3 });
    expect(resumed.trainer.recipe).toBe('diffusion-gan');
    expect(resumed.trainer.iteration).toBe(2);
    resumed.trainer.dispose();
    base.dispose();
  });

  it('a DD-GAN run says so and sends no Diffusion-GAN numbers; an absent recipe is DD-GAN', async () => {
    const s = { ...settings, iterations: 1, r1Gamma: 0 };
    expect(checkSettings(s).recipe).toBe('ddgan');
    const built = buildTrainer({ kind: 'scratch' }, Network.create(TINY_CONFIG, 1), data(), s);
    expect(built.trainer.recipe).toBe('ddgan');
    expect(built.trainer.D.config.kind).toBe('ddgan-discriminator');
    const session = new TrainingSession(built.trainer, data(), { settings: s, name: 't' });
    const { events, emit } = collect();
    await session.run(emit, { init: 'scratch', note: built.note });
    session.dispose();
    const started = events.find((e) => e.status === 'started');
    expect(started?.status === 'started' && started.recipe).toBe('ddgan');
    const it1 = events.find((e) => e.status === 'iteration');
    expect(it1?.status === 'iteration' && 'diffusionT' in it1.stats).toBe(false);
  });

  it('rejects an unknown recipe as a bad request that names the choices', () => {
    const bad = { ...settings, recipe: 'wgan' } as unknown as TrainingSettings;
    let caught: unknown;
    try {
      checkSettings(bad);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'bad-request' });
    expect(String((caught as Error).message)).toMatch(/recipe must be one of "ddgan", "diffusion-gan", got "wgan"/);
    expect(() => buildTrainer({ kind: 'finetune' }, null, data(), bad)).toThrow(/recipe must be one of/);
  });

  it('fine-tunes with augmentation and from the model’s own discriminator when it ships a fitting one', async () => {
    const G = Network.create(TINY_CONFIG, 1);
    const s = { ...settings, iterations: 1, augment: ['translation', 'color'] as const };
    expect(checkSettings(s).augment).toEqual(['color', 'translation']);
    expect(checkSettings(settings).augment).toEqual([]);
    expect(() => checkSettings({ ...settings, augment: ['flip'] } as unknown as TrainingSettings)).toThrow(/training setting augment must be a list of color, translation, cutout, got \["flip"\]/);
    // The model's D: the same kind, size, channels and T as the run needs.
    const scratch = buildTrainer({ kind: 'scratch' }, G, data(), s);
    const baseD = scratch.trainer.D;
    const built = buildTrainer({ kind: 'finetune' }, G, data(), s, baseD);
    try {
      expect(built.note).toMatch(/discriminator from the model’s own/);
      expect(built.trainer.D).not.toBe(baseD);
      for (const [name, v] of baseD.params.vars) expect(Array.from(built.trainer.D.params.vars.get(name)!.dataSync())).toEqual(Array.from(v.dataSync()));
      expect(built.trainer.config.augment).toEqual(['color', 'translation']);
      const stats = await built.trainer.step();
      expect(Number.isFinite(stats.lossD)).toBe(true);
      // A D for another step count does not fit: D starts fresh, and the note says so.
      const otherT = Network.create({ ...baseD.config, T: TINY_CONFIG.T + 1 } as never, 4);
      const fresh = buildTrainer({ kind: 'finetune' }, G, data(), s, otherT);
      expect(fresh.note).toMatch(/carries no discriminator for this recipe, so D starts fresh/);
      fresh.trainer.dispose();
      otherT.dispose();
    } finally {
      built.trainer.dispose();
      scratch.trainer.dispose();
      G.dispose();
    }
  });

  it('rejects out-of-range settings and a corrupt resume file with clear messages', () => {
    expect(() => checkSettings({ ...settings, batch: 0 })).toThrow(/batch must be a whole number from 1 to 64, not 0/);
    // A fractional batch never reaches tfjs (its shape error, and a session that cannot resume).
    expect(() => checkSettings({ ...settings, batch: 2.5 })).toThrow(/batch must be a whole number from 1 to 64, not 2.5/);
    expect(() => buildTrainer({ kind: 'resume', modelJson: { format: 'nope' }, weights: new ArrayBuffer(4) }, null, data(), settings)).toThrow(/cannot be resumed: model.json has format "nope"/);
    expect(() => buildTrainer({ kind: 'finetune' }, null, data(), settings)).toThrow(/no model is loaded/);
  });

  it('also checkpoints on a time interval, whatever checkpointEvery says', async () => {
    const s = { ...settings, iterations: 3, r1Gamma: 0, checkpointEvery: 1000 };
    const built = buildTrainer({ kind: 'scratch' }, Network.create(TINY_CONFIG, 1), data(), s);
    let clock = 0;
    // Each reading of this clock is 5 s after the one before: every iteration is past the 4 s interval.
    const session = new TrainingSession(built.trainer, data(), { settings: s, name: 't', now: () => (clock += 5000) });
    const { events, emit } = collect();
    await session.run(emit, { init: 'scratch', note: '' });
    session.dispose();
    expect(events.flatMap((e) => (e.status === 'checkpoint' ? [e.iteration] : []))).toEqual([0, 1, 2, 3]);
  });

  it('stops a divergence that stays finite (lr 0.1, no R1) with a clear message, and never sends a checkpoint of it', async () => {
    const s: TrainingSettings = { ...settings, iterations: 30, lrG: 0.1, lrD: 0.1, r1Gamma: 0, previewEvery: 10, checkpointEvery: 1 };
    const built = buildTrainer({ kind: 'scratch' }, Network.create(TINY_CONFIG, 1), data(), s);
    let session!: TrainingSession;
    const { events, emit } = collect();
    session = new TrainingSession(built.trainer, data(), { settings: s, name: 't' });
    const result = await session.run((p) => {
      emit(p);
      if (p.status === 'state' && p.state === 'diverged') setTimeout(() => session.stop(), 5);
    }, { init: 'scratch', note: '' });
    session.dispose();
    const diverged = events.find((e) => e.status === 'state' && e.state === 'diverged');
    if (diverged?.status !== 'state') throw new Error(`no divergence reported: ${JSON.stringify(result)}`);
    expect(diverged.message).toMatch(/training diverged at iteration \d+: .*(is [0-9.e+]+, against about|collapsed to one constant colour).*roll back to the last good checkpoint/);
    // Never 'done': the run ends 'stopped', at the iteration it diverged, well before 30.
    expect(result.state).toBe('stopped');
    expect(diverged.iteration).toBeLessThan(10);
    const cks = events.flatMap((e) => (e.status === 'checkpoint' ? [e.iteration] : []));
    expect(Math.max(...cks)).toBeLessThan(diverged.iteration);
    expect(diverged.lastGoodIteration).toBe(Math.max(...cks));
  });

  it('catches samples collapsed to one colour even when the losses look bounded', async () => {
    // Loss checks off: only the samples can tell.
    const s: TrainingSettings = { ...settings, iterations: 30, lrG: 0.1, lrD: 0.1, r1Gamma: 0, previewEvery: 1, checkpointEvery: 1000 };
    const built = buildTrainer({ kind: 'scratch' }, Network.create(TINY_CONFIG, 1), data(), s);
    let session!: TrainingSession;
    const { events, emit } = collect();
    session = new TrainingSession(built.trainer, data(), { settings: s, name: 't', divergence: { factor: Infinity, floor: Infinity, ceiling: Infinity, window: 5, minStd: 0.01 } });
    const result = await session.run((p) => {
      emit(p);
      if (p.status === 'state' && p.state === 'diverged') setTimeout(() => session.stop(), 5);
    }, { init: 'scratch', note: '' });
    session.dispose();
    const diverged = events.find((e) => e.status === 'state' && e.state === 'diverged');
    if (diverged?.status !== 'state') throw new Error(`no divergence reported: ${JSON.stringify(result)}`);
    expect(diverged.message).toMatch(/samples collapsed to one constant colour/);
    expect(result.state).toBe('stopped');
    // No checkpoint of the collapsed weights.
    const cks = events.flatMap((e) => (e.status === 'checkpoint' ? [e.iteration] : []));
    expect(Math.max(...cks)).toBeLessThan(diverged.iteration);
    expect(diverged.lastGoodIteration).toBe(Math.max(...cks));
  });

  it('saves on request (the page is being hidden or left), also while paused', async () => {
    const s = { ...settings, iterations: 100, r1Gamma: 0, checkpointEvery: 1000 };
    const built = buildTrainer({ kind: 'scratch' }, Network.create(TINY_CONFIG, 1), data(), s);
    let session!: TrainingSession;
    const { events, emit } = collect();
    session = new TrainingSession(built.trainer, data(), { settings: s, name: 't', checkpointMs: 1e9 });
    const run = session.run((p) => {
      emit(p);
      if (p.status === 'iteration' && p.stats.iteration === 2) session.pause();
      if (p.status === 'state' && p.state === 'paused') setTimeout(() => session.requestSave(), 5);
      if (p.status === 'checkpoint' && p.iteration === 2) setTimeout(() => session.stop(), 5);
    }, { init: 'scratch', note: '' });
    await run;
    session.dispose();
    expect(events.flatMap((e) => (e.status === 'checkpoint' ? [e.iteration] : []))).toEqual([0, 2]);
  });
});
