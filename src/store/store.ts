/**
 * The app's state: one zustand store built from slices (STYLE habit 13), actions next to
 * the state they change (src/store/slices/*), shape in src/store/types.ts.
 *
 * The store talks to the engine only through `EngineApi` (in `StoreEnv`, injected at
 * creation), so it runs unchanged against the real worker client (main.tsx) or an
 * in-process fake (tests). It holds plain data only; no tensor code ever runs on the main
 * thread (DESIGN §1). The URL and localStorage are the caller's business (main.tsx
 * subscribes); the store never touches `location`.
 */
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BackendRequest } from '../worker/protocol';
import { makeContext } from './slices/context';
import { engineActions, initialEngine, initialProbe } from './slices/engineSlice';
import { generateActions, initialGen, initialReroll } from './slices/generateSlice';
import { initialModels, modelActions } from './slices/modelSlice';
import { initialTrain, trainActions } from './slices/trainSlice';
import { initialLab, labActions } from './slices/labSlice';
import { compareActions, initialCompare } from './slices/compareSlice';
import type { AppState, InitialSettings, StoreEnv } from './types';

export type * from './types';
export { canGenerate, isLabBusy, isTraining } from './slices/context';
export { isBatchOverLimit } from './slices/modelSlice';
export { DEFAULT_TRAINING_SETTINGS, iterationsPerSecond } from './slices/trainSlice';
export { DEFAULT_PROBE_SETTINGS } from './slices/engineSlice';
export { DEFAULT_LAB_RECIPES, DEFAULT_LAB_SETTINGS, labIteration, labSecondsLeft } from './slices/labSlice';
export { DEFAULT_COMPARE_SETTINGS, canCompare, isCompareBusy } from './slices/compareSlice';

export type AppStore = StoreApi<AppState>;

export function createAppStore(env: StoreEnv, initial: InitialSettings = {}): AppStore {
  return createStore<AppState>()((set, get) => {
    const ctx = makeContext(set, get, env);
    const { warmup: _warmup, ...models } = modelActions(ctx);
    void _warmup;
    const requested: BackendRequest = initial.backend ?? 'auto';
    return {
      engine: initialEngine(requested),
      probe: initialProbe,
      models: initialModels(initial.model ?? null),
      gen: initialGen(initial.batch ?? 4, initial.seed, initial.slowMotion ?? false, env.random),
      reroll: initialReroll,
      enlarged: null,
      train: initialTrain(),
      lab: initialLab(),
      compare: initialCompare(),
      actions: {
        ...trainActions(ctx),
        ...labActions(ctx),
        ...compareActions(ctx),
        ...engineActions(ctx),
        ...models,
        ...generateActions(ctx),
        async boot() {
          void get().actions.listSessions();
          // The backend of the link or of an earlier visit: asked for already, nothing to confirm.
          await Promise.all([get().actions.loadCatalog(), get().actions.initEngine(get().engine.requested, { confirmed: true })]);
          // Whichever finished second may have found the other not ready yet.
          const s = get();
          if (s.engine.status === 'ready' && s.models.catalogStatus === 'ready' && s.models.selected !== null && s.models.status === 'idle') {
            await get().actions.loadModel();
          }
          // A run interrupted by a reload or a crash comes back by itself (not awaited: it trains).
          void get().actions.restoreInterrupted();
        },
      },
    };
  });
}

/** React binding: subscribe a component to one slice of the store. */
export function useAppStore<T>(store: AppStore, selector: (s: AppState) => T): T {
  return useStore(store, selector);
}
