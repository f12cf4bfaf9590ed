// select-then-update: false alarms of the session-13/14 held-out sets still reported at the start of session 15, each
// written afresh next to a look-alike that stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A forum thread's counters refreshed after a reply or a vote; `likes` is the value written for the vote count. */
const threadCounters = (votes: string) => `import { and, count, eq, sql } from "drizzle-orm";
import { db } from "./db";
import { threads, votes } from "./schema";

export async function refreshThreadCounters(threadId: string): Promise<void> {
  const answers = db.select({ n: count() }).from(threads).where(eq(threads.parentId, threadId));
  const upvotes = db
    .select({ n: count() })
    .from(votes)
    .where(and(eq(votes.threadId, threadId), eq(votes.up, true)));
  const [thread] = await db.select().from(threads).where(eq(threads.id, threadId));
  if (!thread) return;
  await db
    .update(threads)
    .set({ answers: sql\`(\${answers})\`, votes: ${votes} })
    .where(eq(threads.id, threadId));
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "counts written by subqueries: the select builders are never awaited, only embedded in the UPDATE's sql, which counts inside the statement",
      code: threadCounters("sql`(${upvotes})`"),
      filename: "src/threads/counters.ts",
    },
  ],
  invalid: [
    {
      name: "the same UPDATE, but the vote count is the awaited row's value plus one: two refreshes add one to the same value",
      code: threadCounters("thread.votes + 1"),
      filename: "src/threads/counters.ts",
      errors: [{ line: 13, column: 9, messageId: "lostUpdate" }],
    },
  ],
});
