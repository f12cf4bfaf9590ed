import type { D1Database } from "@cloudflare/workers-types";
interface CalendarApi {
  createEvent(input: { hostId: string; start: string; end: string; guest: string }): Promise<string>;
}
// The overlap SELECT and the INSERT are two statements with the calendar provider's round trip between them: two
// requests for one slot both find it free and both book it (and both create a remote event).
export async function bookMeeting(db: D1Database, calendar: CalendarApi, hostId: string, start: string, end: string, guest: string) {
  const clash = await db
    .prepare("SELECT id FROM meetings WHERE host_id = ? AND state = 'confirmed' AND starts_at < ? AND ends_at > ?")
    .bind(hostId, end, start)
    .first();
  if (clash) throw new Error("slot no longer free");
  const eventId = await calendar.createEvent({ hostId, start, end, guest });
  await db
    .prepare("INSERT INTO meetings (host_id, starts_at, ends_at, guest_email, state, remote_event_id) VALUES (?, ?, ?, ?, 'confirmed', ?)")
    .bind(hostId, start, end, guest, eventId)
    .run();
  return eventId;
}
