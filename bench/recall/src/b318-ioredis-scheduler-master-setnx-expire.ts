import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
export class QueueScheduler {
  constructor(
    private readonly name: string,
    private readonly masterLockTimeout = 60,
  ) {}
  private get masterKey() {
    return "resque:scheduler_leader_lock";
  }
  // Each scheduler polls to become (or stay) the leader. It takes the key with SETNX and only then gives it a TTL with a
  // second command: a scheduler that dies between the two leaves a leader key with no expiry, and no scheduler ever
  // becomes leader again until someone deletes it by hand.
  async tryForLeader(): Promise<boolean> {
    const taken = await redis.setnx(this.masterKey, this.name);
    if (taken === 1) {
      await redis.expire(this.masterKey, this.masterLockTimeout);
      return true;
    }
    const holder = await redis.get(this.masterKey);
    if (holder === this.name) {
      await redis.expire(this.masterKey, this.masterLockTimeout);
      return true;
    }
    return false;
  }
}
