import { and, eq, sql } from "drizzle-orm";
import { db } from "../db";
import { incidents } from "../db/schema";
// Select by fingerprint, insert when none: two ingestions carrying one new fingerprint both find none, both insert,
// and the second hits the (project, fingerprint) unique index, failing its whole batch with a 500.
export async function recordIncident(projectId: string, fingerprint: string, title: string, seenAt: Date) {
  const [existing] = await db
    .select({ id: incidents.id })
    .from(incidents)
    .where(and(eq(incidents.projectId, projectId), eq(incidents.fingerprint, fingerprint)))
    .limit(1);
  if (existing) {
    await db.update(incidents).set({ lastSeen: seenAt, occurrences: sql`${incidents.occurrences} + 1` }).where(eq(incidents.id, existing.id));
    return existing.id;
  }
  const [created] = await db.insert(incidents).values({ projectId, fingerprint, title, firstSeen: seenAt, lastSeen: seenAt, occurrences: 1 }).returning({ id: incidents.id });
  return created.id;
}
// Correct: one upsert on the unique index.
export async function recordIncidentUpsert(projectId: string, fingerprint: string, title: string, seenAt: Date) {
  const [row] = await db
    .insert(incidents)
    .values({ projectId, fingerprint, title, firstSeen: seenAt, lastSeen: seenAt, occurrences: 1 })
    .onConflictDoUpdate({ target: [incidents.projectId, incidents.fingerprint], set: { lastSeen: seenAt, occurrences: sql`${incidents.occurrences} + 1` } })
    .returning({ id: incidents.id });
  return row.id;
}
