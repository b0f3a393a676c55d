/**
 * Generate slice: settings (batch, seed, slow motion), the streamed run, scrubbing and
 * playback, re-roll branches, and the enlarged sample. Frames arrive as transferred RGBA
 * buffers and are appended by reference (history.ts); scrubbing never calls the engine.
 */
import { toSerializedError } from '../../worker/client';
import type { StepProgress } from '../../worker/protocol';
import { branchFrom, clampPosition, emptyTrajectory, kOfPosition, makeFrame, positionOfK, withFinal, withStep, type Trajectory } from '../history';
import { DEFAULT_BRANCHES, SLOW_MOTION_MS, randomSeed, type BatchSize } from '../settings';
import type { AppActions, GenerateSlice, RerollSlice } from '../types';
import { canGenerate, type SliceContext } from './context';

export function initialGen(batch: BatchSize, seed: number | undefined, slowMotion: boolean, random: () => number): GenerateSlice {
  return {
    status: 'idle',
    batch,
    seed: seed ?? randomSeed(random),
    // A seed in the link means "reproduce this picture": keep it until the user asks otherwise.
    randomSeed: seed === undefined,
    // The seed on screen is the one the first Generate uses, drawn or not.
    seedUsed: false,
    slowMotion,
    trajectory: null,
    position: 0,
    view: 'xk',
    follow: true,
    playing: false,
    stats: null,
    error: null,
    count: 0,
    batchNotice: null,
  };
}

export const initialReroll: RerollSlice = { status: 'idle', fromK: null, branchCount: DEFAULT_BRANCHES, branches: [], seeds: [], error: null };

const frameOf = (buf: ArrayBuffer) => makeFrame(new Uint8ClampedArray(buf));

function addStep(t: Trajectory, p: StepProgress): Trajectory {
  return withStep(t, p.k, frameOf(p.xK), frameOf(p.x0Pred), p.ms);
}

type GenActions = Pick<
  AppActions,
  'setSeed' | 'setRandomSeed' | 'setSlowMotion' | 'generate' | 'stop' | 'setPosition' | 'stepPosition' | 'setView' | 'setPlaying' | 'setBranchCount' | 'reroll' | 'enlarge' | 'closeEnlarged'
>;

export function generateActions(ctx: SliceContext): GenActions {
  const { get, set, patch, counters, env } = ctx;
  const minStepMs = (): number => (get().gen.slowMotion ? SLOW_MOTION_MS : 0);

  return {
    setSeed(seed) {
      patch('gen', { seed, randomSeed: false, seedUsed: false });
    },
    setRandomSeed(on) {
      patch('gen', { randomSeed: on });
    },
    setSlowMotion(on) {
      patch('gen', { slowMotion: on });
    },

    async generate() {
      const s = get();
      const model = s.models.result?.model;
      if (!canGenerate(s) || !model) return;
      // The seed field is what runs: a fresh seed only replaces one that already made a picture.
      const seed = s.gen.randomSeed && s.gen.seedUsed ? randomSeed(env.random) : s.gen.seed;
      const modelName = s.models.imported === null ? s.models.selected : null;
      const run = ++counters.run;
      counters.reroll++;
      const current = (): boolean => run === counters.run;
      const { batch } = s.gen;
      patch('gen', {
        status: 'running',
        seed,
        seedUsed: true,
        trajectory: emptyTrajectory(model.T, batch, model.imageSize, model.imageSize),
        position: 0,
        follow: true,
        playing: false,
        error: null,
      });
      patch('reroll', { status: 'idle', branches: [], seeds: [], fromK: null, error: null });
      set(() => ({ enlarged: null }));
      try {
        const r = await env.engine.generate(
          { batch, seed, minStepMs: minStepMs() },
          {
            onProgress: (p) => {
              if (!current()) return;
              const g = get().gen;
              if (!g.trajectory) return;
              const trajectory = addStep(g.trajectory, p);
              patch('gen', { trajectory, position: g.follow ? positionOfK(p.T, p.k) : g.position });
            },
          },
        );
        if (!current()) return;
        const g = get().gen;
        if (!g.trajectory) return;
        patch('gen', {
          status: 'done',
          trajectory: withFinal(g.trajectory, frameOf(r.x0)),
          position: g.follow ? r.T : g.position,
          stats: { model: modelName, seed: r.seed, batch: r.batch, backend: r.backend, stepMs: r.stepMs, totalMs: r.totalMs },
          count: g.count + 1,
        });
        patch('engine', { memory: r.memory });
      } catch (e) {
        if (!current()) return;
        const error = toSerializedError(e);
        patch('gen', { status: error.code === 'cancelled' ? 'cancelled' : 'error', error: error.code === 'cancelled' ? null : error });
      }
    },

    async stop() {
      await env.engine.cancel({}).catch(() => undefined);
    },

    setPosition(position) {
      const t = get().gen.trajectory;
      if (!t) return;
      patch('gen', { position: clampPosition(t.T, position), follow: false });
    },
    stepPosition(delta) {
      const g = get().gen;
      if (!g.trajectory) return;
      patch('gen', { position: clampPosition(g.trajectory.T, g.position + delta), follow: false });
    },
    setView(view) {
      patch('gen', { view });
    },
    setPlaying(on) {
      const g = get().gen;
      if (!g.trajectory) return;
      // Play from the start when at the end, like any player.
      patch('gen', on ? { playing: true, follow: false, position: g.position >= g.trajectory.T ? 0 : g.position } : { playing: false });
    },

    setBranchCount(n) {
      patch('reroll', { branchCount: Math.max(1, Math.min(8, Math.round(n))) });
    },

    async reroll(fromKArg) {
      const s = get();
      const parent = s.gen.trajectory;
      if (!parent || s.gen.status !== 'done' || !canGenerate(s)) return;
      const fromK = fromKArg ?? Math.max(1, kOfPosition(parent.T, s.gen.position));
      if (!Number.isInteger(fromK) || fromK < 1 || fromK > parent.T) return;
      const n = s.reroll.branchCount;
      const seed = randomSeed(env.random);
      const run = ++counters.reroll;
      const current = (): boolean => run === counters.reroll;
      const start = branchFrom(parent, fromK);
      patch('reroll', { status: 'running', fromK, branches: Array.from({ length: n }, () => start), seeds: [], error: null });
      // Show where the branches end up; scrub back to see where they agree.
      patch('gen', { position: parent.T, follow: false, playing: false });
      try {
        const r = await env.engine.reroll(
          { fromK, branches: n, seed, minStepMs: minStepMs() },
          {
            onProgress: (p) => {
              if (!current()) return;
              const branches = get().reroll.branches.slice();
              branches[p.branch] = addStep(branches[p.branch], p);
              patch('reroll', { branches });
            },
          },
        );
        if (!current()) return;
        const branches = get().reroll.branches.map((b, i) => withFinal(b, frameOf(r.branches[i].x0)));
        patch('reroll', { status: 'done', branches, seeds: r.branches.map((b) => b.seed) });
        patch('engine', { memory: r.memory });
      } catch (e) {
        if (!current()) return;
        const error = toSerializedError(e);
        patch('reroll', { status: error.code === 'cancelled' ? 'cancelled' : 'error', error: error.code === 'cancelled' ? null : error });
      }
    },

    enlarge(source, sample) {
      set(() => ({ enlarged: { source, sample } }));
    },
    closeEnlarged() {
      set(() => ({ enlarged: null }));
    },
  };
}
