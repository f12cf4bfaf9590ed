// FALSE shape (reentrant-lock), session 17 held-out check, oneuptime Common/Server/Utils/Monitor/MonitorResource.ts:941
// and :1188 (Semaphore.lock in Common/Server/Infrastructure/Semaphore.ts keys the Redis mutex `namespace + "-" + key`).
// Rule that would make it silent: a lock helper that builds its key from a namespace and a key takes different locks for
// the same key under two namespaces; the inner acquisition is another lock, not this owner's own one taken again.
import { Mutex } from "redis-semaphore";
import { acquire, release } from "./locks";

declare function insertStatusRow(checkId: string, status: string): Promise<void>;
declare function probe(checkId: string): Promise<string>;

export async function recordStatus(checkId: string, status: string): Promise<void> {
  const mutex = await acquire({ key: checkId, namespace: "StatusHistory.record" });
  try {
    await insertStatusRow(checkId, status);
  } finally {
    await release(mutex);
  }
}

export async function runCheck(checkId: string): Promise<void> {
  let mutex: Mutex | null = null;
  mutex = await acquire({ key: checkId, namespace: "CheckRunner.run" });
  try {
    const status = await probe(checkId);
    await recordStatus(checkId, status);
  } finally {
    await release(mutex);
  }
}
