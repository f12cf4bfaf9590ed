// select-then-update, session 16: Drizzle inserts are writes (bench/recall b85, and session 15's held-out
// missed-count-plus-one-number): a number computed from a count read and inserted, and an upsert whose conflict branch
// writes a value read plus one; each next to a correct look-alike that stays silent.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A ticket numbered after the project's tickets counted; `value` is what is inserted as `seq`, into `table`. */
const numberTicket = (table: string, value: string) => `import { eq, sql } from "drizzle-orm";
import { db } from "./db";
import { tickets, ticketStats } from "./schema";
export async function openTicket(projectId: string, title: string) {
  const counted = await db.select({ n: sql<number>\`count(*)\` }).from(tickets).where(eq(tickets.projectId, projectId));
  await db.insert(${table}).values({ projectId, title, seq: ${value} });
}
`;

/** A page's revision upserted on its slug; `revision` is the conflict branch's new revision. */
const savePage = (revision: string) => `import { eq, sql } from "drizzle-orm";
import { db } from "./db";
import { pages } from "./schema";
export async function savePage(slug: string, body: string) {
  const [page] = await db.select({ revision: pages.revision }).from(pages).where(eq(pages.slug, slug));
  const next = (page?.revision ?? 0) + 1;
  await db
    .insert(pages)
    .values({ slug, body, revision: 1 })
    .onConflictDoUpdate({ target: pages.slug, set: { body, revision: ${revision} } });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "Drizzle: the count copied as it was read into another table is what a later call would insert too",
      code: numberTicket("ticketStats", "Number(counted[0].n)"),
      filename: "src/tickets.ts",
    },
    {
      name: "Drizzle: the upsert's conflict branch raises the revision in the database (sql`${pages.revision} + 1`)",
      code: savePage("sql`${pages.revision} + 1`"),
      filename: "src/pages.ts",
    },
  ],
  invalid: [
    {
      name: "Drizzle: count(*) + 1 of the project's tickets inserted as the ticket's number",
      code: numberTicket("tickets", "Number(counted[0].n) + 1"),
      filename: "src/tickets.ts",
      errors: [
        { line: 6, column: 9, messageId: "insertFromRead", data: { write: "`db.insert(tickets).values(…)`", column: "`n`", line: 5 } },
      ],
    },
    {
      name: "Drizzle: the revision read plus one, written by the upsert's conflict branch (onConflictDoUpdate set)",
      code: savePage("next"),
      filename: "src/pages.ts",
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`db.insert(pages)…onConflictDoUpdate(…)`", column: "`revision`", line: 5 },
        },
      ],
    },
  ],
});
