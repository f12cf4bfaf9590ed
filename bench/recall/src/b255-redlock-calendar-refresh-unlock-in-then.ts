import Redis from "ioredis";
import Redlock from "redlock";
const redlock = new Redlock([new Redis(process.env.REDIS_URL!)]);
declare function listEnabledRosters(): Promise<Array<{ id: number }>>;
declare function syncRosterCalendar(rosterId: number): Promise<void>;
// Every server runs the nightly calendar sync; a Redlock lock lets one of them do it. The unlock is the last step of the
// callback the lock promise runs, not a finally: one calendar fetch that rejects skips it, and the lock stays held for
// its whole TTL.
export async function syncAllCalendars() {
  await redlock.lock("locks:calendar-sync", 60_000).then(async (lock) => {
    const rosters = await listEnabledRosters();
    await Promise.all(rosters.map((roster) => syncRosterCalendar(roster.id)));
    return lock.unlock();
  });
}
// Correct: the unlock is in finally.
export async function syncAllCalendarsReleased() {
  const lock = await redlock.lock("locks:calendar-sync", 60_000);
  try {
    const rosters = await listEnabledRosters();
    await Promise.all(rosters.map((roster) => syncRosterCalendar(roster.id)));
  } finally {
    await lock.unlock();
  }
}
