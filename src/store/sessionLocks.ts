/**
 * One tab per saved session. A tab that trains a session holds its lock for the whole run
 * (Web Locks API: the browser releases it when the tab closes, reloads or crashes), so a
 * second tab can neither resume it (two runs would write the same record, and the older
 * iteration could win) nor delete it under the running one. Where the browser has no Web
 * Locks, there is no lock (a single tab is all that such a browser is expected to run).
 *
 * The storage adds the second guard: a save never replaces a newer iteration (sessions.ts).
 */

export interface SessionLocks {
  /** Takes the lock of session `id` for this tab; null when another tab holds it. Call the result to release it. */
  acquire(id: string): Promise<(() => void) | null>;
  /** True when no tab holds the lock of session `id`. */
  isFree(id: string): Promise<boolean>;
}

const lockName = (id: string): string => `ddgan-web-session:${id}`;

/** The Web Locks implementation, or null where the browser has none. */
export function webSessionLocks(locks: LockManager | undefined = typeof navigator !== 'undefined' ? navigator.locks : undefined): SessionLocks | null {
  if (!locks) return null;
  return {
    acquire(id) {
      return new Promise((resolve, reject) => {
        locks
          .request(lockName(id), { ifAvailable: true }, (lock) => {
            if (!lock) {
              resolve(null);
              return undefined;
            }
            // Held until released (or the tab goes away).
            return new Promise<void>((release) => resolve(release));
          })
          .catch(reject);
      });
    },
    async isFree(id) {
      const state = await locks.query();
      return !(state.held ?? []).some((l) => l.name === lockName(id));
    },
  };
}

/** Locks shared by the stores made with the same object: two "tabs" in one test. */
export function memorySessionLocks(): SessionLocks {
  const held = new Set<string>();
  return {
    async acquire(id) {
      if (held.has(id)) return null;
      held.add(id);
      let released = false;
      return () => {
        if (!released) held.delete(id);
        released = true;
      };
    },
    async isFree(id) {
      return !held.has(id);
    },
  };
}
