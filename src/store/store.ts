/**
 * The app's state: one zustand store, actions next to the state they change (STYLE habit 13).
 *
 * The store talks to the engine only through `EngineApi`, injected at creation, so it runs
 * unchanged against the real worker client (main.tsx) or an in-process fake (tests). It holds
 * plain data only; no tensor code ever runs on the main thread (DESIGN §1).
 *
 * Later slices (generate, scrub, train) are meant to join as more keys built the same way.
 */
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { toSerializedError } from '../worker/client';
import type { BackendRequest, EngineApi, InitResult, ProbeGeneratorResult, ProbeProgress, SerializedError } from '../worker/protocol';

export type EngineStatus = 'idle' | 'initialising' | 'ready' | 'error';
export type ProbeStatus = 'idle' | 'running' | 'done' | 'error';

export interface ProbeSettings {
  readonly baseChannels: number;
  readonly batch: number;
  readonly seed: number;
}

/** Small enough to finish in seconds even on a CPU-emulated WebGPU adapter. */
export const DEFAULT_PROBE_SETTINGS: ProbeSettings = { baseChannels: 8, batch: 2, seed: 0 };

export interface EngineSlice {
  readonly status: EngineStatus;
  readonly requested: BackendRequest;
  readonly info: InitResult | null;
  readonly error: SerializedError | null;
}

export interface ProbeSlice {
  readonly status: ProbeStatus;
  readonly settings: ProbeSettings;
  readonly progress: ProbeProgress | null;
  readonly result: ProbeGeneratorResult | null;
  readonly error: SerializedError | null;
}

export interface AppActions {
  /** (Re)initialises the engine on `backend`; the latest call wins if several overlap. */
  initEngine(backend: BackendRequest): Promise<void>;
  setProbeSettings(patch: Partial<ProbeSettings>): void;
  /** Runs the generator self-test with the current settings (no-op unless ready and idle). */
  runProbe(): Promise<void>;
}

export interface AppState {
  readonly engine: EngineSlice;
  readonly probe: ProbeSlice;
  readonly actions: AppActions;
}

export type AppStore = StoreApi<AppState>;

export function createAppStore(engine: EngineApi): AppStore {
  // Tags each init so a slow, superseded init cannot overwrite a newer one's outcome.
  let initGeneration = 0;

  return createStore<AppState>()((set, get) => {
    const setEngine = (patch: Partial<EngineSlice>): void => set((s) => ({ engine: { ...s.engine, ...patch } }));
    const setProbe = (patch: Partial<ProbeSlice>): void => set((s) => ({ probe: { ...s.probe, ...patch } }));

    return {
      engine: { status: 'idle', requested: 'auto', info: null, error: null },
      probe: { status: 'idle', settings: DEFAULT_PROBE_SETTINGS, progress: null, result: null, error: null },
      actions: {
        async initEngine(backend) {
          const generation = ++initGeneration;
          setEngine({ status: 'initialising', requested: backend, error: null });
          // A probe result belongs to the backend it ran on; a new backend starts clean.
          setProbe({ status: 'idle', result: null, error: null, progress: null });
          try {
            const info = await engine.init({ backend });
            if (generation === initGeneration) setEngine({ status: 'ready', info });
          } catch (e) {
            if (generation === initGeneration) setEngine({ status: 'error', info: null, error: toSerializedError(e) });
          }
        },

        setProbeSettings(patch) {
          setProbe({ settings: { ...get().probe.settings, ...patch } });
        },

        async runProbe() {
          const { engine: eng, probe } = get();
          if (eng.status !== 'ready' || probe.status === 'running') return;
          const { baseChannels, batch, seed } = probe.settings;
          // A re-init while the probe runs resets the probe slice; this probe's late answer
          // must then not reappear under the new backend.
          const generation = initGeneration;
          const current = (): boolean => generation === initGeneration;
          setProbe({ status: 'running', progress: null, result: null, error: null });
          try {
            const result = await engine.probeGenerator(
              { config: { baseChannels }, batch, seed },
              {
                onProgress: (progress) => {
                  if (current()) setProbe({ progress });
                },
              },
            );
            if (current()) setProbe({ status: 'done', result, progress: null });
          } catch (e) {
            if (current()) setProbe({ status: 'error', error: toSerializedError(e), progress: null });
          }
        },
      },
    };
  });
}

/** React binding: subscribe a component to one slice of the store. */
export function useAppStore<T>(store: AppStore, selector: (s: AppState) => T): T {
  return useStore(store, selector);
}
