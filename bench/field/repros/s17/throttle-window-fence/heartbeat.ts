// FALSE shape (unchecked-lock-acquisition, lock-release-not-guaranteed, unsafe-lock-release), session 17 held-out
// check, oneuptime Common/Server/Services/ServiceService.ts:214/244/298, Utils/Telemetry/ResourceHeartbeat.ts:178/219/280,
// Utils/Telemetry/EntityRegistry.ts:507, Services/OpenTelemetryIngestService.ts:501, Infrastructure/GlobalCache.ts:339.
// Rule that would make it silent: a `SET … NX EX` whose key is a time window (a throttle: at most one heartbeat write a
// minute), not a lock, is kept on success by design and expires; it is deleted only to re-open the window when the
// write did not happen. Nothing waits for it, no critical section is meant to run under it, and a function that uses
// one internally and returns void returns no acquisition to check.
import Cache from "./cache";

declare function writeLastSeen(id: string): Promise<boolean>;

async function touch(id: string): Promise<void> {
  let open = true;
  try {
    open = await Cache.setIfAbsent("last-seen", id, 60);
  } catch {
    open = true;
  }
  if (!open) {
    return;
  }
  const stamp = new Date().toISOString();
  const wrote = await writeLastSeen(id);
  if (!wrote) {
    console.debug(`write skipped for ${id} at ${stamp}`);
    await Cache.remove("last-seen", id);
  }
}

export async function onBatch(ids: string[]): Promise<void> {
  for (const id of ids) {
    await touch(id);
  }
}
