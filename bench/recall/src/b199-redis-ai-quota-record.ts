import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
interface QuotaRecord {
  count: number;
  tokens: number;
  resetAt: number;
}
declare function callModel(prompt: string): Promise<{ text: string; tokens: number }>;
const LIMIT = 20;
// The analysis quota is a JSON record per session: it is read, checked against the limit, and written back with the
// request counted only after the model call returns. Concurrent requests of one session all read the same record, all
// pass the limit, and each writes its own count back, so most of them are never counted.
export async function analyzeWithQuota(sessionId: string, prompt: string) {
  const key = `quota:${sessionId}`;
  const raw = await redis.get(key);
  const record: QuotaRecord = raw ? JSON.parse(raw) : { count: 0, tokens: 0, resetAt: Date.now() + 3_600_000 };
  if (record.count >= LIMIT) throw new Error("Quota exceeded");
  const result = await callModel(prompt);
  const updated: QuotaRecord = { ...record, count: record.count + 1, tokens: record.tokens + result.tokens };
  await redis.set(key, JSON.stringify(updated), "PX", Math.max(1, record.resetAt - Date.now()));
  return result.text;
}
// Correct: the request is reserved with an atomic INCR before the call; a reservation over the limit is given back.
export async function analyzeWithReservedQuota(sessionId: string, prompt: string) {
  const key = `quota-count:${sessionId}`;
  const used = await redis.incr(key);
  if (used === 1) await redis.pexpire(key, 3_600_000);
  if (used > LIMIT) {
    await redis.decr(key);
    throw new Error("Quota exceeded");
  }
  const result = await callModel(prompt);
  await redis.incrby(`quota-tokens:${sessionId}`, result.tokens);
  return result.text;
}
