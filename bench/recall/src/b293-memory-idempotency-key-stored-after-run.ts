interface StoredReply {
  status: number;
  body: unknown;
}
interface IncomingCall {
  headers: Record<string, string | undefined>;
  body: unknown;
}
type RunStarter = (body: unknown) => Promise<StoredReply>;
// An HTTP idempotency layer: a call with an Idempotency-Key seen before is answered from the store, otherwise the
// handler runs and its reply is stored under the key. The store is only read before the handler and written after it,
// so two calls with the same key sent together both miss it and both start an agent run.
export class IdempotencyLayer {
  private readonly replies = new Map<string, StoredReply>();
  async handle(call: IncomingCall, startRun: RunStarter): Promise<StoredReply> {
    const key = call.headers["idempotency-key"];
    if (key) {
      const stored = this.replies.get(key);
      if (stored) return stored;
    }
    const reply = await startRun(call.body);
    if (key) this.replies.set(key, reply);
    return reply;
  }
}
// Correct: the key is reserved before the handler runs (no await between the test and the reservation), a second
// call with it is told to retry, and the reservation is removed when the handler fails.
export class ReservingIdempotencyLayer {
  private readonly entries = new Map<string, { state: "in_flight" } | { state: "done"; reply: StoredReply }>();
  async handle(call: IncomingCall, startRun: RunStarter): Promise<StoredReply> {
    const key = call.headers["idempotency-key"];
    if (!key) return startRun(call.body);
    const entry = this.entries.get(key);
    if (entry?.state === "done") return entry.reply;
    if (entry?.state === "in_flight") return { status: 409, body: { error: "request with this key in progress" } };
    this.entries.set(key, { state: "in_flight" });
    try {
      const reply = await startRun(call.body);
      this.entries.set(key, { state: "done", reply });
      return reply;
    } catch (err) {
      this.entries.delete(key);
      throw err;
    }
  }
}
