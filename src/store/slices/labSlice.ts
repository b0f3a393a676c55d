/**
 * Mode-coverage lab slice: the lab's choices (data set, recipes, budget, network size) and
 * the live view of a run. The worker sends deltas only: per recipe, a report every N
 * iterations (the newest samples replace the previous ones; Diffusion-GAN's T trace is
 * appended in place, columnar, for uPlot) and a message if the recipe diverges.
 */
import { toSerializedError } from '../../worker/client';
import { TOY_LAB_RECIPES, type ToyLabProgress, type ToyLabRecipeId, type ToyLabSettings } from '../../worker/protocol';
import type { AppActions, LabRecipeView, LabSettingsFields, LabSlice, LabTrace } from '../types';
import { isLabBusy, isTraining, type SliceContext } from './context';

export const DEFAULT_LAB_SETTINGS: LabSettingsFields = {
  iterations: 2000,
  reportEvery: 100,
  samples: 2500,
  scatter: 1000,
  batch: 256,
  hidden: 128,
  layers: 3,
  seed: 0,
};

export const DEFAULT_LAB_RECIPES: readonly ToyLabRecipeId[] = ['gan', 'diffusion-gan', 'ddgan-t4'];

export function emptyTrace(): LabTrace {
  return { iteration: [], T: [] };
}

export function initialLab(): LabSlice {
  return {
    dataset: 'grid25',
    recipes: DEFAULT_LAB_RECIPES,
    settings: DEFAULT_LAB_SETTINGS,
    status: 'idle',
    error: null,
    run: null,
    results: [],
    trace: emptyTrace(),
    traceLength: 0,
    trained: {},
    chainStep: {},
    elapsedMs: 0,
    memory: null,
  };
}

/** Iterations every live recipe has trained (the slowest one's). */
export function labIteration(lab: Pick<LabSlice, 'results' | 'trained'>): number {
  const live = lab.results.filter((r) => r.diverged === null);
  return live.length === 0 ? 0 : Math.min(...live.map((r) => Math.max(r.iteration, lab.trained[r.id] ?? 0)));
}

/**
 * Seconds of training left at the recipes' recent speed (the mean iteration time of their
 * latest reports); NaN before every live recipe has one.
 */
export function labSecondsLeft(lab: Pick<LabSlice, 'results' | 'trained'>, budget: number): number {
  let ms = 0;
  for (const r of lab.results) {
    if (r.diverged) continue;
    if (!r.stats) return NaN;
    ms += Math.max(0, budget - Math.max(r.iteration, lab.trained[r.id] ?? 0)) * r.stats.ms;
  }
  return ms / 1000;
}

type LabActions = Pick<AppActions, 'setLabDataset' | 'toggleLabRecipe' | 'setLabSettings' | 'startLab' | 'pauseLab' | 'resumeLab' | 'stopLab' | 'setChainStep'>;

export function labActions(ctx: SliceContext): LabActions {
  const { get, env } = ctx;
  const patch = (p: Partial<LabSlice>): void => ctx.patch('lab', p);
  let runId = 0;

  const update = (id: ToyLabRecipeId, fn: (r: LabRecipeView) => LabRecipeView): void => {
    patch({ results: get().lab.results.map((r) => (r.id === id ? fn(r) : r)) });
  };

  const onProgress = (run: number) => (p: ToyLabProgress): void => {
    if (run !== runId) return;
    switch (p.status) {
      case 'started':
        patch({
          run: { dataset: p.dataset, iterations: p.iterations, extent: p.extent, real: new Float32Array(p.real) },
          results: p.recipes.map((r) => ({
            ...r,
            iteration: 0,
            reports: 0,
            points: null,
            metrics: null,
            stats: null,
            diffusion: null,
            trajectory: null,
            trainMs: 0,
            diverged: null,
          })),
        });
        return;
      case 'report': {
        if (p.tTrace) {
          const t = get().lab.trace;
          t.iteration.push(...p.tTrace.iteration);
          t.T.push(...p.tTrace.T);
          patch({ traceLength: t.iteration.length });
        }
        update(p.id, (r) => ({
          ...r,
          iteration: p.iteration,
          reports: r.reports + 1,
          points: new Float32Array(p.points),
          metrics: p.metrics,
          stats: p.stats ?? r.stats,
          diffusion: p.diffusion,
          trajectory: p.trajectory ? { T: p.trajectory.T, frames: new Float32Array(p.trajectory.frames) } : null,
          trainMs: p.trainMs,
        }));
        patch({ memory: p.memory });
        return;
      }
      case 'tick': {
        const ids = get().lab.results.map((r) => r.id);
        patch({ trained: Object.fromEntries(ids.map((id, i) => [id, p.iterations[i] ?? 0])), elapsedMs: p.elapsedMs });
        return;
      }
      case 'diverged':
        update(p.id, (r) => ({ ...r, diverged: { iteration: p.iteration, message: p.message } }));
        return;
      case 'state':
        patch({ status: p.state });
        return;
      default: {
        const unhandled: never = p;
        void unhandled;
      }
    }
  };

  const control = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      patch({ error: toSerializedError(e) });
    }
  };

  return {
    setLabDataset(dataset) {
      if (!isLabBusy(get())) patch({ dataset });
    },

    toggleLabRecipe(id, on) {
      if (isLabBusy(get())) return;
      const picked = new Set(get().lab.recipes);
      if (on) picked.add(id);
      else picked.delete(id);
      // Always in the table's order, so the plots keep their places.
      patch({ recipes: TOY_LAB_RECIPES.filter((r) => picked.has(r)) });
    },

    setLabSettings(p) {
      if (!isLabBusy(get())) patch({ settings: { ...get().lab.settings, ...p } });
    },

    setChainStep(id, step) {
      const next = { ...get().lab.chainStep };
      if (step === null) delete next[id];
      else next[id] = step;
      patch({ chainStep: next });
    },

    async startLab() {
      const s = get();
      if (isLabBusy(s) || isTraining(s) || s.engine.status !== 'ready') return;
      const { dataset, recipes } = s.lab;
      if (recipes.length === 0) {
        patch({ status: 'error', error: { name: 'BadRequestError', code: 'bad-request', message: 'pick at least one recipe to train' } });
        return;
      }
      const scatter = Math.min(s.lab.settings.scatter, s.lab.settings.samples);
      const settings: ToyLabSettings = { ...s.lab.settings, scatter, dataset, recipes };
      const id = ++runId;
      patch({ status: 'starting', error: null, run: null, results: [], trace: emptyTrace(), traceLength: 0, trained: {}, chainStep: {}, elapsedMs: 0, memory: null });
      try {
        const result = await env.engine.startToyLab({ settings }, { onProgress: onProgress(id) });
        if (id === runId) patch({ status: result.state, elapsedMs: result.elapsedMs, memory: result.memory });
      } catch (e) {
        if (id === runId) patch({ status: 'error', error: toSerializedError(e) });
      }
    },

    pauseLab: () => control(() => env.engine.pauseToyLab({})),
    resumeLab: () => control(() => env.engine.resumeToyLab({})),
    stopLab: () => control(() => env.engine.stopToyLab({})),
  };
}
