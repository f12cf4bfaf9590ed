declare const kv: {
  get<T>(scope: string, key: string): Promise<T | null>;
  set<T>(scope: string, key: string, value: T): Promise<void>;
};
type SessionRecord = { id: string; observationCount: number; updatedAt: string };
declare function storeObservation(sessionId: string, payload: unknown): Promise<string>;
// Each observation raises its session's counter by reading the session record, adding one in memory and writing the
// record back: observations of one session ingested concurrently all read the same count, and increments are lost.
export async function observe(sessionId: string, payload: unknown) {
  const observationId = await storeObservation(sessionId, payload);
  const session = await kv.get<SessionRecord>("sessions", sessionId);
  if (session) {
    await kv.set<SessionRecord>("sessions", sessionId, {
      ...session,
      observationCount: (session.observationCount ?? 0) + 1,
      updatedAt: new Date().toISOString(),
    });
  }
  return observationId;
}
