/** Engine slice: backend initialisation and the generator self-test (diagnostics). */
import { toSerializedError } from '../../worker/client';
import type { BackendRequest } from '../../worker/protocol';
import type { AppActions, EngineSlice, ProbeSettings, ProbeSlice } from '../types';
import type { SliceContext } from './context';

/** Small enough to finish in seconds even on a CPU-emulated WebGPU adapter. */
export const DEFAULT_PROBE_SETTINGS: ProbeSettings = { baseChannels: 8, batch: 2, seed: 0 };

export function initialEngine(requested: BackendRequest): EngineSlice {
  return { status: 'idle', requested, info: null, error: null, memory: null };
}

export const initialProbe: ProbeSlice = { status: 'idle', settings: DEFAULT_PROBE_SETTINGS, progress: null, result: null, error: null };

export function engineActions(ctx: SliceContext): Pick<AppActions, 'initEngine' | 'setProbeSettings' | 'runProbe'> {
  const { get, patch, counters, env } = ctx;
  return {
    async initEngine(backend) {
      const generation = ++counters.init;
      // Everything that lived on the old backend is gone in the worker; forget it here too.
      counters.load++;
      counters.warmup++;
      counters.run++;
      counters.reroll++;
      patch('engine', { status: 'initialising', requested: backend, error: null });
      patch('probe', { status: 'idle', result: null, error: null, progress: null });
      patch('models', { status: 'idle', result: null, warmBatches: [], warmup: null, error: null, loadedBytes: 0, totalBytes: 0 });
      patch('gen', { status: get().gen.status === 'running' ? 'cancelled' : get().gen.status, trajectory: null, stats: null, playing: false, position: 0 });
      patch('reroll', { status: 'idle', branches: [], seeds: [], fromK: null, error: null });
      ctx.set(() => ({ enlarged: null }));
      try {
        const info = await env.engine.init({ backend });
        if (generation !== counters.init) return;
        patch('engine', { status: 'ready', info });
      } catch (e) {
        if (generation === counters.init) patch('engine', { status: 'error', info: null, error: toSerializedError(e) });
        return;
      }
      const m = get().models;
      if (m.selected !== null && m.catalogStatus === 'ready') await get().actions.loadModel();
    },

    setProbeSettings(p) {
      patch('probe', { settings: { ...get().probe.settings, ...p } });
    },

    async runProbe() {
      const { engine: eng, probe } = get();
      if (eng.status !== 'ready' || probe.status === 'running') return;
      const { baseChannels, batch, seed } = probe.settings;
      // A re-init while the probe runs resets the probe slice; this probe's late answer
      // must then not reappear under the new backend.
      const generation = counters.init;
      const current = (): boolean => generation === counters.init;
      patch('probe', { status: 'running', progress: null, result: null, error: null });
      try {
        const result = await env.engine.probeGenerator(
          { config: { baseChannels }, batch, seed },
          {
            onProgress: (progress) => {
              if (current()) patch('probe', { progress });
            },
          },
        );
        if (current()) patch('probe', { status: 'done', result, progress: null });
      } catch (e) {
        if (current()) patch('probe', { status: 'error', error: toSerializedError(e), progress: null });
      }
    },
  };
}
