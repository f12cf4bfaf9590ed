import knexFactory from "knex";
const knex = knexFactory({ client: "pg", connection: process.env.DATABASE_URL });
interface QueuedEvent {
  id: string;
  payload: unknown;
}
declare function runEventHandler(type: string, subType: string, events: QueuedEvent[]): Promise<void>;
// Without Redis, the event queue locks an event type by inserting a row into its lock table (the code is the primary
// key), and unlocks it by deleting the row.
async function acquireLock(code: string): Promise<boolean> {
  try {
    await knex("event_queue_locks").insert({ code, created_at: new Date() });
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "23505") return false;
    throw err;
  }
}
async function releaseLock(code: string) {
  await knex("event_queue_locks").where({ code }).delete();
}
// Processing an event type takes the lock, runs the handler over the open events and releases the lock. The release
// is the last statement: when the handler throws, the row stays, and since the lock row has no expiry the event type
// is never processed again until someone deletes it by hand.
export async function processEventType(type: string, subType: string) {
  const code = `${type}##${subType}`;
  if (!(await acquireLock(code))) return;
  const events: QueuedEvent[] = await knex("event_queue").where({ type, sub_type: subType, status: "open" });
  await runEventHandler(type, subType, events);
  await releaseLock(code);
}
// Correct: the release is in a finally.
export async function processEventTypeSafely(type: string, subType: string) {
  const code = `${type}##${subType}`;
  if (!(await acquireLock(code))) return;
  try {
    const events: QueuedEvent[] = await knex("event_queue").where({ type, sub_type: subType, status: "open" });
    await runEventHandler(type, subType, events);
  } finally {
    await releaseLock(code);
  }
}
