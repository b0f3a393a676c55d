/**
 * The envelope of the protocol between the UI thread and the engine worker:
 *
 *   UI ──Command──▶ worker        { id, type, params }
 *   UI ◀──Event─── worker         { id, kind: 'result' | 'error' | 'progress', … }
 *
 * Every command type is declared once, in `CommandSpecs` (its params, its result and its
 * progress payload, each from its feature's file). The wire unions below are derived from
 * that table, so a `switch` on `type` or `kind` narrows, and adding a command without
 * handling it is a compile error in the engine (its handler table is a mapped type over the
 * same keys). Errors cross the boundary as `{ name, code, message }` and are rebuilt on the
 * client as `EngineError` (see client.ts).
 */
import type { EngineMemory, InitParams, InitResult, MemoryParams, ProbeGeneratorParams, ProbeGeneratorResult, ProbeProgress } from './backend';
import type { CompareParams, CompareProgress, CompareResult } from './compare';
import type { CancelParams, CancelResult, GenerateParams, GenerateResult, RerollParams, RerollResult, StepProgress } from './generate';
import type { ImportModelParams, LoadModelParams, LoadModelProgress, LoadModelResult, WarmupParams, WarmupProgress, WarmupResult } from './model';
import type { StartToyLabParams, StartToyLabResult, ToyLabControlParams, ToyLabControlResult, ToyLabProgress } from './toyLab';
import type { StartTrainingParams, StartTrainingResult, TrainingControlParams, TrainingControlResult, TrainingProgress } from './train';
import type { DecodeImagesParams, DecodeImagesResult } from './uploads';

/** Correlation id of one request; the reply events carry the same id. */
export type RequestId = number | string;

/** One entry per command: `params` in, `result` out, `progress` while it runs. */
export interface CommandSpecs {
  init: { params: InitParams; result: InitResult; progress: never };
  probeGenerator: { params: ProbeGeneratorParams; result: ProbeGeneratorResult; progress: ProbeProgress };
  loadModel: { params: LoadModelParams; result: LoadModelResult; progress: LoadModelProgress };
  warmup: { params: WarmupParams; result: WarmupResult; progress: WarmupProgress };
  generate: { params: GenerateParams; result: GenerateResult; progress: StepProgress };
  reroll: { params: RerollParams; result: RerollResult; progress: StepProgress };
  cancel: { params: CancelParams; result: CancelResult; progress: never };
  memory: { params: MemoryParams; result: EngineMemory; progress: never };
  decodeImages: { params: DecodeImagesParams; result: DecodeImagesResult; progress: never };
  startTraining: { params: StartTrainingParams; result: StartTrainingResult; progress: TrainingProgress };
  pauseTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  resumeTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  stepTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  stopTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  /** Loads a model file in place of the current model (like loadModel, from bytes). */
  importModel: { params: ImportModelParams; result: LoadModelResult; progress: WarmupProgress };
  /** After a divergence: restore the last good checkpoint and pause there. */
  rollbackTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  /** Writes a resume checkpoint (autosave) now, at the next iteration boundary: the page is being hidden or left. */
  saveTraining: { params: TrainingControlParams; result: TrainingControlResult; progress: never };
  /** Trains the chosen toy recipes side by side until the budget or a stop (holds the queue). */
  startToyLab: { params: StartToyLabParams; result: StartToyLabResult; progress: ToyLabProgress };
  pauseToyLab: { params: ToyLabControlParams; result: ToyLabControlResult; progress: never };
  resumeToyLab: { params: ToyLabControlParams; result: ToyLabControlResult; progress: never };
  stopToyLab: { params: ToyLabControlParams; result: ToyLabControlResult; progress: never };
  /** Samples the same seed through several checkpoints and samplers, row by row or in turns. */
  compare: { params: CompareParams; result: CompareResult; progress: CompareProgress };
}

export type CommandType = keyof CommandSpecs;
export type ParamsOf<K extends CommandType> = CommandSpecs[K]['params'];
export type ResultOf<K extends CommandType> = CommandSpecs[K]['result'];
export type ProgressOf<K extends CommandType> = CommandSpecs[K]['progress'];

export const COMMAND_TYPES = [
  'init',
  'probeGenerator',
  'loadModel',
  'warmup',
  'generate',
  'reroll',
  'cancel',
  'memory',
  'decodeImages',
  'startTraining',
  'pauseTraining',
  'resumeTraining',
  'stepTraining',
  'stopTraining',
  'rollbackTraining',
  'saveTraining',
  'importModel',
  'startToyLab',
  'pauseToyLab',
  'resumeToyLab',
  'stopToyLab',
  'compare',
] as const satisfies readonly CommandType[];

/**
 * Commands answered on arrival, outside the serial queue: `startTraining` and `startToyLab`
 * hold the queue for the whole run, so their controls must not wait behind them;
 * `decodeImages` uses no tfjs (OffscreenCanvas only), so uploads decode while a run trains.
 */
export const IMMEDIATE_COMMANDS: readonly CommandType[] = [
  'cancel',
  'decodeImages',
  'pauseTraining',
  'resumeTraining',
  'stepTraining',
  'stopTraining',
  'rollbackTraining',
  'saveTraining',
  'pauseToyLab',
  'resumeToyLab',
  'stopToyLab',
];

/** Commands that supersede (cancel) any sampling request still running or queued. */
export const SUPERSEDING_COMMANDS: readonly CommandType[] = ['init', 'loadModel', 'importModel', 'warmup', 'generate', 'reroll', 'compare', 'cancel'];

/** Commands that run sampling and can therefore be cancelled. */
export const CANCELLABLE_COMMANDS: readonly CommandType[] = ['loadModel', 'importModel', 'warmup', 'generate', 'reroll', 'compare'];

/** UI → worker. A union over `type`, so `switch (cmd.type)` narrows `params`. */
export type Command = { [K in CommandType]: { readonly id: RequestId; readonly type: K; readonly params: ParamsOf<K> } }[CommandType];

// ─── errors ─────────────────────────────────────────────────────────────────────────────

/**
 * Literal error codes (STYLE habit 10). The UI can branch on them; the message says what
 * to do about it.
 */
export const ERROR_CODES = [
  /** The message is not a well-formed command (unknown type, bad params). */
  'bad-request',
  /** The generator config does not describe a buildable network. */
  'invalid-config',
  /** The requested backend could not be initialised here. */
  'backend-unavailable',
  /** A model command arrived before a successful `init`. */
  'not-initialised',
  /** The checkpoint could not be fetched or is not a usable DD-GAN generator. */
  'model-load-failed',
  /** A sampling command arrived before a model was loaded. */
  'no-model',
  /** A re-roll arrived before any generate finished on the loaded model. */
  'no-history',
  /** A newer request (or `cancel`) superseded this one; not a failure. */
  'cancelled',
  /** The worker script failed to load or crashed (reported by the client). */
  'worker-crashed',
  /** The client was disposed while the request was in flight. */
  'disposed',
  /** An uploaded file or a built-in data set could not be turned into training data. */
  'bad-data',
  /** A training command that needs a run arrived when there is none (or a second run). */
  'no-training',
  /** Anything else: a bug or an unexpected runtime failure. */
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && (ERROR_CODES as readonly string[]).includes(s);
}

/** The form in which an error crosses the worker boundary. */
export interface SerializedError {
  readonly name: string;
  readonly code: ErrorCode;
  readonly message: string;
}

// ─── events ─────────────────────────────────────────────────────────────────────────────

export type EngineResultEvent = { [K in CommandType]: { readonly id: RequestId; readonly kind: 'result'; readonly type: K; readonly result: ResultOf<K> } }[CommandType];

export type EngineProgressEvent = {
  [K in CommandType]: { readonly id: RequestId; readonly kind: 'progress'; readonly type: K; readonly progress: ProgressOf<K> };
}[CommandType];

export interface EngineErrorEvent {
  readonly id: RequestId;
  readonly kind: 'error';
  /** Absent when the command was too malformed to have a type. */
  readonly type?: CommandType;
  readonly error: SerializedError;
}

/** worker → UI. `switch (ev.kind)` narrows to one of the three. */
export type EngineEvent = EngineResultEvent | EngineProgressEvent | EngineErrorEvent;

// ─── the API both sides implement ───────────────────────────────────────────────────────

export interface RequestOptions<K extends CommandType> {
  onProgress?: (progress: ProgressOf<K>) => void;
}

/**
 * The engine as the UI sees it: one async method per command. `EngineClient` implements it
 * over postMessage; tests can implement it in-process with a fake (STYLE habit 7).
 */
export type EngineApi = {
  [K in CommandType]: (params: ParamsOf<K>, opts?: RequestOptions<K>) => Promise<ResultOf<K>>;
};

// ─── runtime guards for the worker's inbox ──────────────────────────────────────────────

/**
 * Checks the envelope of an incoming message (id + known type + params object). Param
 * fields are validated by each handler, which knows what it needs.
 */
export function parseCommand(data: unknown): { ok: true; command: Command } | { ok: false; id: RequestId; message: string } {
  if (typeof data !== 'object' || data === null) return { ok: false, id: -1, message: 'message is not an object' };
  const rec = data as Record<string, unknown>;
  const id = rec.id;
  if (typeof id !== 'number' && typeof id !== 'string') return { ok: false, id: -1, message: 'message has no numeric or string id' };
  const type = rec.type;
  if (typeof type !== 'string' || !(COMMAND_TYPES as readonly string[]).includes(type)) {
    return { ok: false, id, message: `unknown command type ${JSON.stringify(type)}; expected one of ${COMMAND_TYPES.join(', ')}` };
  }
  if (typeof rec.params !== 'object' || rec.params === null) return { ok: false, id, message: `command ${type} has no params object` };
  // The envelope is checked; the params' fields are the handler's business.
  return { ok: true, command: data as Command };
}
