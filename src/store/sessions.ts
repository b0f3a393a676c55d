/**
 * Saved training sessions as the store sees them: the format and storage interface of
 * src/shared/sessions.ts, plus the check the UI runs before resuming one.
 */
import { weightsHash, type SavedSession } from '../shared/sessions';
import { settingsProblems } from '../worker/trainingSettings';

export * from '../shared/sessions';

/** The iteration a resume checkpoint's own training state says it is at (null: it does not say). */
function checkpointIteration(modelJson: unknown): number | null {
  const it = (modelJson as { trainerState?: { iteration?: unknown } } | null)?.trainerState?.iteration;
  return typeof it === 'number' ? it : null;
}

/**
 * Why a loaded session cannot be resumed as it is, in words for the user, or null when it
 * can: a record whose parts do not belong together (weights of another iteration than the
 * record says, a damaged write), or settings a run refuses (saved by an older version).
 */
export function savedSessionProblem(s: SavedSession): string | null {
  const name = `the saved session from ${s.savedAt} (${s.modelName}, iteration ${s.iteration})`;
  const weights = s.checkpoint?.weights;
  if (!(weights instanceof ArrayBuffer)) return `${name} has no weights: it cannot be resumed. Delete it.`;
  const ckIteration = checkpointIteration(s.checkpoint.modelJson);
  if (ckIteration !== null && ckIteration !== s.iteration) {
    return `${name} is damaged: its weights are those of iteration ${ckIteration}. It cannot be resumed; delete it.`;
  }
  const i = s.integrity;
  if (i && (i.iteration !== s.iteration || i.weightsBytes !== weights.byteLength || i.weightsHash !== weightsHash(weights))) {
    return `${name} is damaged (its weights do not match what was written: the save was cut short). It cannot be resumed; delete it.`;
  }
  const bad = Object.values(settingsProblems(s.settings ?? {}));
  if (bad.length > 0) return `${name} has settings no run accepts (${bad.join('; ')}): it cannot be resumed. Delete it and start a new run.`;
  return null;
}
