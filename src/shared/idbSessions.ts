/**
 * Saved training sessions in IndexedDB: one object store with the full sessions and one
 * with their summaries (so listing them never reads megabytes of weights). A save is one
 * readwrite transaction over both: it reads the stored summary, refuses to replace a newer
 * iteration (`staleSaveProblem`), and writes the record and its summary, so a tab killed
 * mid-save leaves the previous state whole (IndexedDB commits a transaction entirely or
 * not at all). ArrayBuffers are stored as they are (structured clone).
 *
 * Both threads open the same database: the engine worker writes (autosave, where the
 * structured clone of the weights costs the UI nothing), the UI lists, loads and deletes.
 */
import { StaleSaveError, staleSaveProblem, summarize, type SavedSession, type SessionStorage, type SessionSummary } from './sessions';

const DB = 'ddgan-web';
const VERSION = 1;
const FULL = 'sessions';
const SUMMARY = 'sessionSummaries';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted (storage full?)'));
  });
}

export function idbSessions(): SessionStorage {
  let dbp: Promise<IDBDatabase> | null = null;
  const db = (): Promise<IDBDatabase> => {
    dbp ??= new Promise((resolve, reject) => {
      const open = indexedDB.open(DB, VERSION);
      open.onupgradeneeded = () => {
        const d = open.result;
        if (!d.objectStoreNames.contains(FULL)) d.createObjectStore(FULL, { keyPath: 'id' });
        if (!d.objectStoreNames.contains(SUMMARY)) d.createObjectStore(SUMMARY, { keyPath: 'id' });
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error ?? new Error('IndexedDB is not available'));
    });
    return dbp;
  };
  return {
    async save(s: SavedSession) {
      const tx = (await db()).transaction([FULL, SUMMARY], 'readwrite');
      let stale: string | null = null;
      const read = tx.objectStore(SUMMARY).get(s.id) as IDBRequest<SessionSummary | undefined>;
      read.onsuccess = () => {
        stale = staleSaveProblem(read.result, s);
        if (stale) {
          tx.abort();
          return;
        }
        tx.objectStore(FULL).put(s);
        tx.objectStore(SUMMARY).put(summarize(s));
      };
      try {
        await done(tx);
      } catch (e) {
        if (stale) throw new StaleSaveError(stale);
        throw e;
      }
    },
    async list(): Promise<SessionSummary[]> {
      const tx = (await db()).transaction(SUMMARY, 'readonly');
      const all = await request(tx.objectStore(SUMMARY).getAll() as IDBRequest<SessionSummary[]>);
      return all.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
    },
    async load(id) {
      const tx = (await db()).transaction(FULL, 'readonly');
      return ((await request(tx.objectStore(FULL).get(id))) as SavedSession | undefined) ?? null;
    },
    async remove(id) {
      const tx = (await db()).transaction([FULL, SUMMARY], 'readwrite');
      tx.objectStore(FULL).delete(id);
      tx.objectStore(SUMMARY).delete(id);
      await done(tx);
    },
  };
}
