/**
 * The worker's autosave (src/worker/autosave.ts) on plain events: it records the deltas,
 * writes the session at each checkpoint with the rows and previews up to it, keeps its own
 * copies of buffers that the events transfer away, writes one at a time with the newest
 * state winning, continues a resumed session's record, and says clearly when storage is
 * full or missing. Each record says how the run stood (an interrupted run is 'running'; a
 * finished one is rewritten 'done'), carries an integrity stamp that a load checks, and a
 * save never replaces a newer iteration (another tab's).
 */
import { describe, expect, it } from 'vitest';
import { memorySessions, savedSessionProblem, type SavedSession, type SessionStorage } from '../../src/store/sessions';
import { AUTOSAVE_UNAVAILABLE, SessionRecorder, type AutosaveNotice, type RecorderRun } from '../../src/worker/autosave';
import type { TrainingProgress, TrainingSettings } from '../../src/worker/protocol';

const settings: TrainingSettings = { iterations: 10, batch: 2, lrG: 1e-4, lrD: 1e-4, r1Gamma: 0, emaDecay: 0.999, seed: 0, previewEvery: 2, previewCount: 1, checkpointEvery: 2 };
const run: RecorderRun = {
  autosave: { id: 's1', modelName: 'm', init: 'finetune' },
  data: { kind: 'pixels', name: 'uploads (2)', pixels: new Uint8Array(8).buffer, count: 2, size: 2, channels: 1 },
  settings,
  resumed: false,
};
const NOW = () => '2026-01-01T00:00:00.000Z';

const iteration = (i: number): TrainingProgress => ({
  status: 'iteration',
  stats: { iteration: i, lossD: 1, lossG: 2, r1: i % 2 ? NaN : 0.5, dReal: 0.1, dFake: -0.1, ms: 10 },
  elapsedMs: 10 * i,
  memory: { numTensors: 1, numBytes: 1 },
});
const preview = (i: number): Extract<TrainingProgress, { status: 'preview' }> => ({ status: 'preview', iteration: i, frame: new Uint8ClampedArray(16).fill(i).buffer, batch: 1, width: 2, height: 2 });
const checkpoint = (i: number): Extract<TrainingProgress, { status: 'checkpoint' }> => ({ status: 'checkpoint', iteration: i, modelJson: { i }, weights: new Float32Array([i]).buffer });

/** Detaches a buffer the way postMessage with a transfer list does. */
const detach = (b: ArrayBuffer): void => void structuredClone(b, { transfer: [b] });

/** A storage whose saves wait until released, to see what queues behind a slow write. */
function slowStorage(): { storage: SessionStorage; saved: SavedSession[]; release: () => void } {
  const inner = memorySessions();
  const saved: SavedSession[] = [];
  let waiting: (() => void)[] = [];
  return {
    storage: {
      ...inner,
      async save(s) {
        await new Promise<void>((r) => waiting.push(r));
        saved.push(s);
        await inner.save(s);
      },
    },
    saved,
    release: () => {
      const w = waiting;
      waiting = [];
      for (const r of w) r();
    },
  };
}

describe('SessionRecorder', () => {
  it('writes the session at each checkpoint, with the rows and previews up to it, from its own copies', async () => {
    const sessions = memorySessions();
    const notices: AutosaveNotice[] = [];
    const rec = await SessionRecorder.start(sessions, run, (n) => notices.push(n), NOW);
    const events: TrainingProgress[] = [preview(0), checkpoint(0), iteration(1), iteration(2), preview(2), checkpoint(2), iteration(3)];
    for (const e of events) {
      rec.observe(e);
      // The event goes to the UI with its buffers transferred.
      if (e.status === 'preview') detach(e.frame);
      if (e.status === 'checkpoint') detach(e.weights);
    }
    await rec.flush();
    const s = await sessions.load('s1');
    expect(s).toMatchObject({ iteration: 2, targetIterations: 10, modelName: 'm', dataLabel: '2 uploaded images', init: 'finetune', savedAt: NOW(), settings });
    expect(s!.series.iteration).toEqual([1, 2]);
    expect(s!.series.r1).toEqual([null, 0.5]);
    expect(s!.previews.map((p) => [p.iteration, new Uint8Array(p.frame)[0]])).toEqual([
      [0, 0],
      [2, 2],
    ]);
    expect([...new Float32Array(s!.checkpoint.weights)]).toEqual([2]);
    expect(s!.bytes).toBe(4 + 8 + 2 * 16);
    expect((await sessions.list()).map((x) => x.id)).toEqual(['s1']);
    expect(notices.map((n) => `${n.state}@${n.iteration}`)).toEqual(['saving@0', 'saved@0', 'saving@2', 'saved@2']);
  });

  it('writes one at a time, and the newest checkpoint wins over ones that waited', async () => {
    const { storage, saved, release } = slowStorage();
    const notices: AutosaveNotice[] = [];
    const rec = await SessionRecorder.start(storage, run, (n) => notices.push(n), NOW);
    rec.observe(checkpoint(0));
    rec.observe(checkpoint(2));
    rec.observe(checkpoint(4));
    const flushed = rec.flush();
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 0));
      release();
    }
    await flushed;
    expect(saved.map((s) => s.iteration)).toEqual([0, 4]);
    expect(notices.at(-1)).toMatchObject({ state: 'saved', iteration: 4 });
  });

  it('continues the rows and previews of a resumed session', async () => {
    const sessions = memorySessions();
    const first = await SessionRecorder.start(sessions, run, () => undefined, NOW);
    for (const e of [preview(0), iteration(1), iteration(2), preview(2), iteration(3), checkpoint(2)]) first.observe(e);
    await first.flush();
    const again = await SessionRecorder.start(sessions, { ...run, resumed: true }, () => undefined, NOW);
    for (const e of [preview(2), iteration(3), iteration(4), preview(4), checkpoint(4)]) again.observe(e);
    await again.flush();
    const s = await sessions.load('s1');
    expect(s!.series.iteration).toEqual([1, 2, 3, 4]);
    expect(s!.previews.map((p) => p.iteration)).toEqual([0, 2, 4]);
  });

  it('says when storage is full, and once when there is none, without stopping the run', async () => {
    const full: SessionStorage = {
      ...memorySessions(),
      save: async () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      },
    };
    const notices: AutosaveNotice[] = [];
    const rec = await SessionRecorder.start(full, run, (n) => notices.push(n), NOW);
    rec.observe(checkpoint(0));
    await rec.flush();
    expect(notices.at(-1)).toMatchObject({ state: 'error', iteration: 0 });
    expect(notices.at(-1)!.message).toMatch(/storage is full.*Delete old saved sessions/);

    const none: AutosaveNotice[] = [];
    const off = await SessionRecorder.start(null, run, (n) => none.push(n), NOW);
    off.observe(checkpoint(0));
    off.observe(checkpoint(2));
    await off.flush();
    expect(none).toEqual([{ status: 'autosave', state: 'error', iteration: 0, message: AUTOSAVE_UNAVAILABLE }]);
  });

  it('records how the run stands: running while it trains, then done over the same checkpoint', async () => {
    const sessions = memorySessions();
    const rec = await SessionRecorder.start(sessions, run, () => undefined, NOW);
    const state = (st: 'running' | 'done' | 'paused'): TrainingProgress => ({ status: 'state', state: st, iteration: 2, message: null, lastGoodIteration: 2 });
    for (const e of [state('running'), checkpoint(0), iteration(1), iteration(2), checkpoint(2)]) rec.observe(e);
    await rec.flush();
    // An interrupted run: the page went away here.
    expect((await sessions.list())[0]).toMatchObject({ iteration: 2, state: 'running' });
    rec.observe(state('done'));
    await rec.flush();
    const s = await sessions.load('s1');
    expect(s).toMatchObject({ iteration: 2, state: 'done' });
    expect([...new Float32Array(s!.checkpoint.weights)]).toEqual([2]);
    expect(s!.integrity).toMatchObject({ iteration: 2, weightsBytes: 4 });
    expect(savedSessionProblem(s!)).toBeNull();
  });

  it('a record whose weights are not the ones written (a save cut short) is refused with a clear message', async () => {
    const sessions = memorySessions();
    const rec = await SessionRecorder.start(sessions, run, () => undefined, NOW);
    rec.observe(checkpoint(2));
    await rec.flush();
    const s = (await sessions.load('s1'))!;
    // Weights of another write under the iteration-2 record.
    const torn: SavedSession = { ...s, checkpoint: { ...s.checkpoint, weights: new Float32Array([1]).buffer } };
    expect(savedSessionProblem(torn)).toMatch(/is damaged \(its weights do not match what was written: the save was cut short\)\. It cannot be resumed; delete it/);
    // Weights whose own training state says another iteration.
    const mixed: SavedSession = { ...s, checkpoint: { modelJson: { trainerState: { iteration: 8 } }, weights: s.checkpoint.weights } };
    expect(savedSessionProblem(mixed)).toMatch(/its weights are those of iteration 8/);
  });

  it('never lets an older iteration replace a newer one (two tabs on one session), and says so', async () => {
    const sessions = memorySessions();
    const a = await SessionRecorder.start(sessions, run, () => undefined, NOW);
    a.observe(checkpoint(78));
    await a.flush();
    const notices: AutosaveNotice[] = [];
    const b = await SessionRecorder.start(sessions, run, (n) => notices.push(n), NOW);
    b.observe(checkpoint(70));
    await b.flush();
    expect((await sessions.load('s1'))!.iteration).toBe(78);
    expect(notices.at(-1)).toMatchObject({ state: 'error', iteration: 70 });
    expect(notices.at(-1)!.message).toMatch(/autosave stopped: not saved: this session already holds iteration 78 .*newer than 70/);
  });
});
