// select-then-update, session-16 held-out false alarms, each written afresh next to a look-alike that stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const HEADER = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
`;

const tagUse = (onConflict: string) => `import { Pool } from "pg";
const pool = new Pool();

export async function recordTagUse(tag: string) {
  const row = (await pool.query("SELECT id, hits FROM tags WHERE slug = $1", [tag])).rows[0];
  const hits = (row?.hits ?? 0) + 1;
  const saved = await pool.query(
    "INSERT INTO tags (slug, hits) VALUES ($1, $2) ON CONFLICT (slug) DO UPDATE SET ${onConflict} RETURNING id",
    [tag, hits],
  );
  return saved.rows[0]?.id;
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "an upsert whose conflict update increments the stored count: the value computed from the read lands only on a first insert",
      code: tagUse("hits = tags.hits + 1"),
    },
    {
      name: "a counter set to a COUNT taken in the same Promise.all as the row: each destructured name holds its own promise's value",
      code: `${HEADER}
export async function refreshOpenTasks(boardId: string) {
  const [board, open] = await Promise.all([
    prisma.board.findUnique({ where: { id: boardId } }),
    prisma.task.count({ where: { boardId, done: false } }),
  ]);
  if (board && board.openTasks !== open) {
    await prisma.board.update({ where: { id: board.id }, data: { openTasks: open } });
  }
}
`,
    },
  ],
  invalid: [
    {
      name: "an upsert whose conflict update takes the proposed count (EXCLUDED.hits): the count computed from the read overwrites the row",
      code: tagUse("hits = EXCLUDED.hits"),
      errors: [{ line: 7, column: 23, messageId: "insertFromRead" }],
    },
    {
      name: "a counter incremented from the row read in a Promise.all beside another read: the value read is written back",
      code: `${HEADER}
export async function addOpenTask(boardId: string, ownerId: string) {
  const [board, owner] = await Promise.all([
    prisma.board.findUnique({ where: { id: boardId } }),
    prisma.member.findUnique({ where: { id: ownerId } }),
  ]);
  if (!board || !owner) throw new Error("not found");
  await prisma.board.update({ where: { id: board.id }, data: { openTasks: board.openTasks + 1 } });
}
`,
      errors: [{ line: 10, column: 9, messageId: "lostUpdate" }],
      output: `${HEADER}
export async function addOpenTask(boardId: string, ownerId: string) {
  const [board, owner] = await Promise.all([
    prisma.board.findUnique({ where: { id: boardId } }),
    prisma.member.findUnique({ where: { id: ownerId } }),
  ]);
  if (!board || !owner) throw new Error("not found");
  await prisma.board.update({ where: { id: board.id }, data: { openTasks: { increment: 1 } } });
}
`,
    },
  ],
});
