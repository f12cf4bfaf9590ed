// select-then-update, session 30 field fixes (wt-field). Each valid case is a FALSE finding's shape from the judged
// corpus, written afresh; each invalid case is its twin that still races.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/**
 * Pattern 156: a board's lane settings re-read and written by a helper two calls below a transaction that first
 * updated the board row (the parent the lane's lookup names by `boardId`). The handles are untyped (`tx: any`), so
 * only the transaction callback is a transaction scope; the middle handler has none of its own.
 */
const boardOps = (opener: string, other = "") => `import { drizzle } from "drizzle-orm/node-postgres";
import { and, eq } from "drizzle-orm";
import { jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
const boards = pgTable("boards", { id: text("id").primaryKey(), updatedAt: timestamp("updated_at") });
const lanes = pgTable("lanes", { id: text("id").primaryKey(), boardId: text("board_id"), settings: jsonb("settings") });
const db = drizzle(process.env.DATABASE_URL!);

async function refreshLane(tx: any, boardId: string, laneId: string, cards: string[]) {
  const rows = await tx.select({ settings: lanes.settings }).from(lanes).where(and(eq(lanes.id, laneId), eq(lanes.boardId, boardId))).limit(1);
  if (rows.length > 0) {
    await tx
      .update(lanes)
      .set({ settings: { ...rows[0].settings, cards } })
      .where(and(eq(lanes.id, laneId), eq(lanes.boardId, boardId)));
  }
}

async function handleCardMove(tx: any, boardId: string, payload: { laneId: string; cards: string[] }) {
  await refreshLane(tx, boardId, payload.laneId, payload.cards);
}

export async function applyBoardOp(boardId: string, payload: { laneId: string; cards: string[] }) {
  await db.transaction(async (tx) => {
${opener}
    await handleCardMove(tx, boardId, payload);
  });
}
${other}`;

/** Another writer of the lane's settings, so that the merge is not a single-writer form (pattern 10). */
const resetLane = `
export async function resetLane(laneId: string) {
  await db.update(lanes).set({ settings: {} }).where(eq(lanes.id, laneId));
}
`;

const lockBoard = "    await tx.update(boards).set({ updatedAt: new Date() }).where(eq(boards.id, boardId));";

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a helper two calls below a transaction that updated the parent row first (untyped handles)",
      filename: "src/boards.ts",
      code: boardOps(lockBoard, resetLane),
    },
  ],
  invalid: [
    {
      name: "the same helper when the transaction updates no parent row",
      filename: "src/boards.ts",
      code: boardOps("", resetLane),
      errors: [{ line: 11, column: 11, messageId: "sharedColumnLostUpdate" }],
    },
    {
      name: "the parent row updated, but the handler also called outside any transaction",
      filename: "src/boards.ts",
      code: boardOps(
        lockBoard,
        resetLane +
          "\nexport async function quickMove(boardId: string, payload: { laneId: string; cards: string[] }) {\n  await handleCardMove(db, boardId, payload);\n}\n",
      ),
      errors: [{ line: 11, column: 11, messageId: "sharedColumnLostUpdate" }],
    },
  ],
});
