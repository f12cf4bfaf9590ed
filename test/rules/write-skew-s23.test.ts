// Session 23's held-out check (issue #15): a count that triggers a compaction (`if (n > 200) deleteMany({ seq: { lte:
// upTo } })`) keeps no floor: the delete removes whatever its range holds, however many rows were counted, and two runs
// remove the same rows (briefer's Yjs update log). A delete of one member named by its key after a "keep at least one"
// count is the write skew it was (two admins removing each other).
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const HEAD = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "a count over a threshold triggers a delete of a range (compaction of a log)",
      code: `${HEAD}
export async function compactJournal(ledgerId: string, upTo: number) {
  const entries = await prisma.journalEntry.count({ where: { ledgerId } });
  if (entries > 200) {
    await prisma.journalEntry.deleteMany({ where: { ledgerId, seq: { lte: upTo } } });
  }
}
`,
    },
    {
      name: "the same with the range on a timestamp (entries older than the start of the run)",
      code: `${HEAD}
export async function pruneHeartbeats(agentId: string) {
  const startedAt = new Date();
  const total = await prisma.heartbeat.count({ where: { agentId } });
  if (total <= 50) return;
  await prisma.heartbeat.deleteMany({ where: { agentId, receivedAt: { lt: startedAt } } });
}
`,
    },
  ],
  invalid: [
    {
      name: "a count kept above one before a member is deleted by its key",
      code: `${HEAD}
export async function removeMember(teamId: string, membershipId: string) {
  const members = await prisma.membership.count({ where: { teamId } });
  if (members <= 1) throw new Error("last member");
  await prisma.membership.delete({ where: { id: membershipId } });
}
`,
      errors: [{ line: 7, column: 9, messageId: "shrinks" }],
    },
  ],
});
