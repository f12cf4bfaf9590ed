import Redis from "ioredis";

const redis = new Redis();

async function takeLock(name: string, seconds: number): Promise<boolean> {
  return (await redis.set(name, "1", "EX", seconds, "NX")) === "OK";
}

async function dropLock(name: string): Promise<void> {
  await redis.del(name);
}

declare function refreshMetadata(contract: string): Promise<void>;
declare function requeue(contract: string, forced: boolean): Promise<void>;

// A forced refresh skips the per-contract lock; the lock is dropped only where it was taken (not forced).
export async function onRefresh(contract: string, forced: boolean): Promise<void> {
  if (forced || (await takeLock(`refresh:${contract}`, 300))) {
    if (await takeLock("refresh-tick", 1)) {
      await refreshMetadata(contract);
    } else {
      if (!forced) {
        await dropLock(`refresh:${contract}`);
      }
      await requeue(contract, forced);
    }
  }
}
