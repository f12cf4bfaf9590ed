import { createClient } from "redis";
const redis = createClient({ url: process.env.REDIS_URL });
type IdempotencyRecord = { status: "processing" | "complete"; fingerprint: string; response?: unknown };
// The idempotency middleware looks the key up, answers 409 while a request with that key is processing, and otherwise
// marks it processing with a plain SETEX before running the handler. Two requests with the same key both find nothing,
// both SETEX the in-flight record (the second silently overwrites the first) and both run the handler: the duplicate
// the middleware exists to stop goes through, and neither caller sees a 409.
export async function withIdempotency(key: string, fingerprint: string, handler: () => Promise<unknown>) {
  const stored = await redis.get(`idempotency:${key}`);
  if (stored) {
    const record = JSON.parse(stored) as IdempotencyRecord;
    if (record.status === "processing") return { status: 409 };
    return { status: 200, body: record.response };
  }
  await redis.setEx(`idempotency:${key}`, 86_400, JSON.stringify({ status: "processing", fingerprint }));
  const response = await handler();
  await redis.setEx(`idempotency:${key}`, 86_400, JSON.stringify({ status: "complete", fingerprint, response }));
  return { status: 200, body: response };
}
// Correct: the in-flight record is written with NX, and only the request that wrote it runs the handler.
export async function withIdempotencyClaimed(key: string, fingerprint: string, handler: () => Promise<unknown>) {
  const claimed = await redis.set(`idempotency:${key}`, JSON.stringify({ status: "processing", fingerprint }), {
    NX: true,
    EX: 86_400,
  });
  if (claimed !== "OK") {
    const stored = await redis.get(`idempotency:${key}`);
    const record = stored ? (JSON.parse(stored) as IdempotencyRecord) : undefined;
    if (!record || record.status === "processing") return { status: 409 };
    return { status: 200, body: record.response };
  }
  const response = await handler();
  await redis.set(`idempotency:${key}`, JSON.stringify({ status: "complete", fingerprint, response }), { EX: 86_400 });
  return { status: 200, body: response };
}
