import { createClient } from "redis";
const redis = createClient({ url: process.env.REDIS_URL });
declare function streamBlob(id: string): Promise<void>;
// A shared file's metadata is a Redis hash: its download count and its download limit. When a download finishes the
// handler reads the hash, adds one to the count it read and stores that number back. Two downloads finishing together
// read the same count, both store count + 1, and the file outlives its limit by one download per collision.
export async function finishDownload(fileId: string) {
  await streamBlob(fileId);
  const meta = await redis.hGetAll(`share:${fileId}`);
  const downloads = Number(meta.downloads ?? 0) + 1;
  if (downloads >= Number(meta.limit ?? 1)) {
    await redis.del(`share:${fileId}`);
    return;
  }
  await redis.hSet(`share:${fileId}`, "downloads", downloads);
}
// Correct: the count is raised in Redis, and the limit is tested on the value HINCRBY hands back.
export async function finishDownloadCounted(fileId: string) {
  await streamBlob(fileId);
  const downloads = await redis.hIncrBy(`share:${fileId}`, "downloads", 1);
  const limit = Number((await redis.hGet(`share:${fileId}`, "limit")) ?? 1);
  if (downloads >= limit) await redis.del(`share:${fileId}`);
}
