import type Redis from "ioredis";
// The queue lock's key is written first and its expiry set by a second command; a crash in between leaves a lock
// with no TTL, and that job is never enqueued again.
export class QueueGate {
  constructor(
    private readonly redis: Redis,
    private readonly holdSeconds = 3600,
  ) {}
  async beforeEnqueue(jobName: string, queue: string, args: unknown[]): Promise<boolean> {
    const key = `worker:gate:${jobName}:${queue}:${JSON.stringify(args)}`;
    const until = Math.round(Date.now() / 1000) + this.holdSeconds + 1;
    const fresh = await this.redis.setnx(key, String(until));
    if (fresh === 1) {
      await this.redis.expire(key, this.holdSeconds + 1);
      return true;
    }
    return false;
  }
}
