import type { Sql } from "postgres";
type JournalStep = { tag: string; hash: string; when: number };
declare function journalSteps(): JournalStep[];
// Every replica adopts the squashed baseline into the migration journal at start-up when its hash is not there yet:
// two replicas starting together both count zero and both insert, and the journal (no unique index on hash) keeps two
// rows for one migration.
export async function adoptBaseline(sql: Sql): Promise<void> {
  const [baseline] = journalSteps();
  const present = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations WHERE hash = ${baseline.hash}
  `;
  if (present[0].n === 0) {
    await sql`INSERT INTO drizzle.__drizzle_migrations ("hash", "created_at") VALUES (${baseline.hash}, ${baseline.when})`;
  }
}
