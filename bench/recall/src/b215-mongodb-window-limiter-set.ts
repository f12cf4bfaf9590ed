import { MongoClient } from "mongodb";
const client = new MongoClient(process.env.MONGODB_URI!);
const windows = client.db("app").collection<{ key: string; windowStart: Date; hits: number }>("limiter_windows");
class TooManyRequests extends Error {}
// The limiter reads the caller's current window, checks its hit count and writes the count back plus one with `$set`.
// Parallel requests all read 4 of 5, all pass and all write 5: a burst goes through far past the limit.
export async function consumeHit(key: string, limit: number, windowMs: number) {
  const now = Date.now();
  const windowStart = new Date(now - (now % windowMs));
  const current = await windows.findOne({ key, windowStart });
  const hits = current ? current.hits : 0;
  if (hits >= limit) throw new TooManyRequests();
  await windows.updateOne({ key, windowStart }, { $set: { hits: hits + 1 } }, { upsert: true });
}
// Correct: the hit is counted with an atomic `$inc` and the decision reads the count the update returns.
export async function consumeHitAtomic(key: string, limit: number, windowMs: number) {
  const now = Date.now();
  const windowStart = new Date(now - (now % windowMs));
  const updated = await windows.findOneAndUpdate({ key, windowStart }, { $inc: { hits: 1 } }, { upsert: true, returnDocument: "after" });
  if (!updated || updated.hits > limit) throw new TooManyRequests();
}
