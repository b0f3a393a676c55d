/**
 * What every slice's actions share: the store's set/get, the injected environment, and the
 * request counters that let a superseded request's late answer be ignored.
 */
import type { AppState, GetState, SetState, StoreEnv } from '../types';

export interface Counters {
  /** Bumped by every initEngine. */
  init: number;
  /** Bumped by every model load and by every init (a load belongs to one backend). */
  load: number;
  /** Bumped by every warm-up, load and init. */
  warmup: number;
  /** Bumped by every generate, load and init. */
  run: number;
  /** Bumped by every re-roll and every generate, load and init. */
  reroll: number;
}

export interface SliceContext {
  readonly set: SetState;
  readonly get: GetState;
  readonly env: StoreEnv;
  readonly counters: Counters;
  patch<K extends Exclude<keyof AppState, 'actions' | 'enlarged'>>(key: K, value: Partial<AppState[K]>): void;
}

export function makeContext(set: SetState, get: GetState, env: StoreEnv): SliceContext {
  return {
    set,
    get,
    env,
    counters: { init: 0, load: 0, warmup: 0, run: 0, reroll: 0 },
    patch(key, value) {
      set((s) => ({ [key]: { ...s[key], ...value } }) as Partial<AppState>);
    },
  };
}

/** True when the engine has a model ready and warmed up for the chosen batch size. */
export function canGenerate(s: AppState): boolean {
  return s.engine.status === 'ready' && s.models.status === 'ready' && s.models.warmBatches.includes(s.gen.batch) && !isTraining(s) && !isLabBusy(s);
}

/** A training run holds the worker's queue: sampling would wait for it to end. */
export function isTraining(s: AppState): boolean {
  const st = s.train.status;
  return st === 'starting' || st === 'running' || st === 'paused' || st === 'diverged';
}

/** A lab run holds the worker's queue too (starting, running or paused). */
export function isLabBusy(s: AppState): boolean {
  const st = s.lab.status;
  return st === 'starting' || st === 'running' || st === 'paused';
}
