// A digest job guarded by a SET NX lock whose reply is compared with null into a const, then tested: the early
// return runs only when the lock was not taken, so there is nothing to release on that path.
import { createClient } from "redis";

const redis = createClient();

export async function sendDigest(teamId: string, send: () => Promise<void>) {
  const lockKey = `digest:${teamId}:sending`;
  const acquired = (await redis.set(lockKey, "1", { NX: true, EX: 600 })) !== null;
  if (!acquired) {
    console.info(`digest for ${teamId} already sending`);
    return;
  }
  try {
    await send();
  } finally {
    await redis.del(lockKey);
  }
}
