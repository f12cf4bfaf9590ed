// select-then-update: shapes judged false in the session-11 held-out check and still reported at its end (issue #15),
// each as a rule a reviewer states in one sentence, each next to a look-alike that stays reported.
// - A write in the `else` of a test that the column already equals the value written (`if (row.choice === choice)
//   { … } else update(choice)`) is skipped only where it would change nothing: a no-change shortcut, as an early exit
//   is. The same `else` of a test against another value stays reported.
// - A set-once column given in both branches of a conditional spread (`...(keep ? { leftAt: m.leftAt ?? new Date() } :
//   { leftAt: null })`) beside constants is set once as a plain `leftAt: m.leftAt ?? new Date()` is: every caller writes
//   an equivalent value. A counter written beside it from the read stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A visitor's vote on a poll on node-postgres: the same choice again withdraws it, another one replaces it. */
const castVote = (test: string) => `import { Pool } from "pg";
const pool = new Pool();

export async function castVote(pollId: number, voterKey: string, choice: string) {
  const found = await pool.query("SELECT choice FROM poll_vote WHERE poll_id = $1 AND voter_key = $2", [pollId, voterKey]);
  if (found.rows.length === 0) return null;
  if (${test}) {
    await pool.query("DELETE FROM poll_vote WHERE poll_id = $1 AND voter_key = $2", [pollId, voterKey]);
    return null;
  } else {
    await pool.query("UPDATE poll_vote SET choice = $3 WHERE poll_id = $1 AND voter_key = $2", [pollId, voterKey, choice]);
    return choice;
  }
}`;

/** A member removed from a team on Prisma: the leaving time kept (or set now) unless the history is dropped; `extra` is written beside. */
const removeMember = (extra = "") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function removeMember(memberId: string, dropHistory: boolean) {
  const member = await prisma.member.findFirst({ where: { id: memberId } });
  if (!member) throw new Error("no such member");
  if (member.role === "owner") throw new Error("the owner cannot be removed");
  await prisma.member.update({
    where: { id: memberId },
    data: { active: false, ${extra}...(dropHistory ? { leftAt: null } : { leftAt: member.leftAt ?? new Date() }) },
  });
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the vote is replaced in the else of a test that it already holds the new choice",
      code: castVote("found.rows[0].choice === choice"),
    },
    {
      name: "a leaving time set once in one branch of a conditional spread, cleared in the other, beside a constant",
      code: removeMember(),
    },
  ],
  invalid: [
    {
      name: "the vote is replaced in the else of a test of another value: a check-then-write",
      code: castVote('found.rows[0].choice === "closed"'),
      errors: [{ line: 11, column: 11, messageId: "checkThenWrite" }],
    },
    {
      name: "the same removal also counts the member's removals from the value read: a lost update",
      code: removeMember("removals: member.removals + 1, "),
      errors: [{ line: 8, column: 9, messageId: "lostUpdate" }],
    },
  ],
});
