type SessionEntry = { sessionId: string; totalTokens: number; model: string; updatedAt: number };
type SessionStore = Record<string, SessionEntry>;
// Takes the store file's lock, re-reads the file, applies the mutation and writes the file back.
declare function updateSessionStore(path: string, mutate: (store: SessionStore) => void): Promise<void>;
// After an agent run, the session's new entry is computed from the caller's in-memory snapshot of the store and only
// the assignment runs under the store's lock: two agents sharing the store both start from the same snapshot, and the
// later write overwrites the other's entry with one computed from stale data.
export async function recordRun(storePath: string, snapshot: SessionStore, key: string, run: { tokens: number; model: string }) {
  const current = snapshot[key] ?? { sessionId: key, totalTokens: 0, model: run.model, updatedAt: 0 };
  const next: SessionEntry = {
    ...current,
    totalTokens: current.totalTokens + run.tokens,
    model: run.model,
    updatedAt: Date.now(),
  };
  await updateSessionStore(storePath, (store) => {
    store[key] = next;
  });
  snapshot[key] = next;
}
// Correct: the entry is computed inside the mutation, from the store the lock holder has just re-read.
export async function recordRunLocked(storePath: string, snapshot: SessionStore, key: string, run: { tokens: number; model: string }) {
  await updateSessionStore(storePath, (store) => {
    const current = store[key] ?? { sessionId: key, totalTokens: 0, model: run.model, updatedAt: 0 };
    store[key] = { ...current, totalTokens: current.totalTokens + run.tokens, model: run.model, updatedAt: Date.now() };
    snapshot[key] = store[key];
  });
}
