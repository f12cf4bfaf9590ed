// FALSE shape (lock-release-not-guaranteed), session 17 held-out check, oneuptime
// Common/Server/Services/AlertGroupingEngineService.ts:395 and IncidentGroupingEngineService.ts:443.
// Rule that would make it silent: a release inside the `finally` of the try that holds the lock runs on every path; a
// log call in that finally before the release, with an argument also evaluated inside the try (`x?.toString()`), does
// not make the release conditional (without the log line in the finally the same code is silent on e7f8945).
import { Mutex } from "redis-semaphore";
import Locks from "./locks";

interface Signal {
  id: string;
  teamId?: { toString(): string };
}

declare function findOpenBatch(key: string): Promise<string | null>;
declare function createBatch(key: string, signal: Signal): Promise<string>;

export async function attachToBatch(signal: Signal, key: string): Promise<string> {
  let mutex: Mutex | null = null;
  try {
    mutex = await Locks.lock({ key, namespace: "batches", lockTimeout: 30000 });
    console.debug(`locked ${key} for ${signal.id}`, { team: signal.teamId?.toString() });
    const open = await findOpenBatch(key);
    if (open) return open;
    return await createBatch(key, signal);
  } finally {
    if (mutex) {
      try {
        console.debug(`releasing ${key} for ${signal.id}`, { team: signal.teamId?.toString() });
        await Locks.release(mutex);
      } catch (err) {
        console.error(`could not release ${key}: ${err}`);
      }
    }
  }
}
