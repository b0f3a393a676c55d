/** Engine slice: backend initialisation and the generator self-test (diagnostics). */
import { toSerializedError } from '../../worker/client';
import { describeAdapter, softwareAdapterReason } from '../../worker/chooseBackend';
import type { AdapterFacts, BackendRequest } from '../../worker/protocol';
import type { AppActions, EngineSlice, ProbeSettings, ProbeSlice } from '../types';
import type { SliceContext } from './context';

/** Small enough to finish in seconds even on a CPU-emulated WebGPU adapter. */
export const DEFAULT_PROBE_SETTINGS: ProbeSettings = { baseChannels: 8, batch: 2, seed: 0 };

export function initialEngine(requested: BackendRequest): EngineSlice {
  return { status: 'idle', requested, info: null, error: null, memory: null, pending: null, slowAdapter: null, remember: true };
}

/**
 * Why running `backend` on `adapter` would be slow: webgpu on a software adapter (~40× slower
 * than wasm, measured: chooseBackend.ts), as { adapter, why }; null otherwise or when unknown.
 */
export function softwareWebgpu(backend: string, adapter: AdapterFacts | undefined): { adapter: string; why: string } | null {
  if (backend !== 'webgpu' || !adapter) return null;
  const why = softwareAdapterReason(adapter);
  return why === null ? null : { adapter: describeAdapter(adapter), why };
}

export const initialProbe: ProbeSlice = { status: 'idle', settings: DEFAULT_PROBE_SETTINGS, progress: null, result: null, error: null };

export function engineActions(ctx: SliceContext): Pick<AppActions, 'initEngine' | 'cancelBackendSwitch' | 'setProbeSettings' | 'runProbe'> {
  const { get, patch, counters, env } = ctx;
  return {
    async initEngine(backend, opts = {}) {
      // Ask first before leaving a usable backend for a software-emulated GPU.
      const slow = softwareWebgpu(backend, get().engine.info?.adapter);
      if (slow && !opts.confirmed) {
        patch('engine', { pending: { backend, ...slow } });
        return;
      }
      const generation = ++counters.init;
      // Everything that lived on the old backend is gone in the worker; forget it here too.
      counters.load++;
      counters.warmup++;
      counters.run++;
      counters.reroll++;
      // A choice known to run this slowly is not remembered: the next visit starts on auto.
      patch('engine', { status: 'initialising', requested: backend, error: null, pending: null, slowAdapter: slow?.adapter ?? null, remember: slow === null });
      patch('probe', { status: 'idle', result: null, error: null, progress: null });
      patch('models', { status: 'idle', result: null, warmBatches: [], warmup: null, error: null, loadedBytes: 0, totalBytes: 0 });
      patch('gen', { status: get().gen.status === 'running' ? 'cancelled' : get().gen.status, trajectory: null, stats: null, playing: false, position: 0 });
      patch('reroll', { status: 'idle', branches: [], seeds: [], fromK: null, error: null });
      ctx.set(() => ({ enlarged: null }));
      try {
        const info = await env.engine.init({ backend });
        if (generation !== counters.init) return;
        // The adapter is known for sure now (a remembered or linked webgpu lands here too).
        const slowNow = softwareWebgpu(info.backend, info.adapter);
        patch('engine', { status: 'ready', info, slowAdapter: slowNow?.adapter ?? null, remember: slowNow === null });
      } catch (e) {
        if (generation === counters.init) patch('engine', { status: 'error', info: null, error: toSerializedError(e) });
        return;
      }
      const m = get().models;
      if (m.selected !== null && m.catalogStatus === 'ready') await get().actions.loadModel();
    },

    cancelBackendSwitch() {
      patch('engine', { pending: null });
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
