import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
// A per-client request counter for a fixed window: INCR, and PEXPIRE only when the INCR created the key (it answered 1).
// The two commands are separate round trips: a process that dies, or a PEXPIRE that fails on a reconnect, between them
// leaves the counter with no TTL. Every later request sees a count above 1 and never sets one, so the client is
// throttled for good once it reaches the limit.
export async function allowRequest(clientId: string, windowMs: number, limit: number) {
  const key = `throttle:${clientId}`;
  const count = await redis.incr(key);
  if (count === 1) {
    await redis.pexpire(key, windowMs);
  }
  return count <= limit;
}
const INCR_WITH_TTL = `local n = redis.call("INCR", KEYS[1])
if n == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
return n`;
// Correct: one Lua script increments and sets the TTL of a new counter in the same atomic step.
export async function allowRequestAtomic(clientId: string, windowMs: number, limit: number) {
  const count = Number(await redis.eval(INCR_WITH_TTL, 1, `throttle:${clientId}`, windowMs));
  return count <= limit;
}
