/**
 * The message protocol between the UI thread and the engine worker: the envelope (ids,
 * the command table, events, errors, the inbox guard) in envelope.ts, and one file per
 * feature with its params, results and progress payloads.
 *
 * Everything here is plain data (structured-clone safe, JSON safe): no classes, no tensors,
 * no functions. Images cross as RGBA8 frames (src/worker/frames.ts) in ArrayBuffers that are
 * *transferred*, not copied: a step event owns its buffers, and the worker keeps no reference
 * to them after posting. The worker keeps its own float copy of each x_k for re-rolls.
 *
 * Cancellation: a newer `generate`, `reroll`, `compare`, `loadModel`, `warmup` or `init`
 * supersedes any sampling request still running or queued; that request answers with an
 * error of code 'cancelled' at its next step boundary. `cancel` does the same on demand.
 *
 * These files must stay free of runtime imports from tfjs: the UI imports them, and the main
 * thread never loads tensor code (DESIGN §1). Plain names and constants come from src/shared;
 * core types are imported as types only, which the compiler erases.
 */
export * from './envelope';
export * from './backend';
export * from './model';
export * from './generate';
export * from './uploads';
export * from './train';
export * from './toyLab';
export * from './compare';
