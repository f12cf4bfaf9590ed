import Redlock from "redlock";
import Redis from "ioredis";
const redlock = new Redlock([new Redis()]);
declare function rebuildIndex(tenant: string): Promise<void>;
export async function reindex(tenant: string) {
  const lock = await redlock.acquire([`reindex:${tenant}`], 5000);
  await rebuildIndex(tenant);
  await lock.release();
}
