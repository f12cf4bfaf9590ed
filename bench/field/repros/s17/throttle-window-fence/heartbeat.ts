// FALSE shape (unchecked-lock-acquisition, lock-release-not-guaranteed, unsafe-lock-release), session 17 held-out
// check, oneuptime Common/Server/Services/ServiceService.ts:214/244/298, Utils/Telemetry/ResourceHeartbeat.ts:178/219/280,
// Utils/Telemetry/EntityRegistry.ts:507, Services/OpenTelemetryIngestService.ts:501, Infrastructure/GlobalCache.ts:339.
// Rule that would make it silent: a `SET … NX EX` whose key is a time window (a throttle: at most one heartbeat write a
// minute), not a lock, is kept on success by design and expires; it is deleted only to re-open the window when the
// write did not happen. Nothing waits for it, no critical section is meant to run under it, and a function that uses
// one internally and returns void returns no acquisition to check.
import Cache from "./cache";

declare function writeLastSeen(id: string, withMeta: boolean): Promise<boolean>;
declare function runOnce(key: string, fn: () => Promise<void>): Promise<void>;

export class Beats {
  async touch(id: string, meta?: string): Promise<void> {
    await runOnce(`beat:${id}`, async () => {
      await this.writeOnce(id, meta);
    });
  }

  private async writeOnce(id: string, meta?: string): Promise<void> {
    let writeLiveness = true;
    try {
      writeLiveness = await Cache.setIfAbsent("last-seen", id, 60);
    } catch {
      writeLiveness = true;
    }
    let writeMeta = false;
    if (meta) {
      try {
        writeMeta = await Cache.setIfAbsent("meta-window", id, 600);
      } catch {
        writeMeta = false;
      }
    }
    if (!writeLiveness && !writeMeta) {
      return;
    }
    const wrote = await writeLastSeen(id, writeMeta);
    if (!wrote && writeMeta) {
      await Cache.remove("meta-window", id);
    }
  }
}
