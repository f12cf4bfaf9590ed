import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

// SQLite has one write lock for the whole database: libSQL's transactions take it at BEGIN (its default "write" mode
// is BEGIN IMMEDIATE), and a deferred one that reads and then writes fails with SQLITE_BUSY rather than losing an
// update. A read-modify-write inside a Drizzle transaction on a SQLite schema is safe; outside one it is not.

/** A board table in Drizzle's `core` dialect (`sqlite` or `pg`), and a settings merge run by `run`. */
const boards = (core: "sqlite" | "pg", run: (body: string) => string) => `import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/${core === "sqlite" ? "libsql" : "node-postgres"}";
import { ${core}Table, text } from "drizzle-orm/${core}-core";
const board = ${core}Table("board", { id: text("id").primaryKey(), settings: text("settings", { mode: "json" }).$type<Record<string, string>>() });
const db = drizzle(process.env.DB_URL as string);
export async function saveColour(boardId: string, colour: string) {
${run(`const row = await tx.select().from(board).where(eq(board.id, boardId)).get();
    if (!row) throw new Error("no board");
    await tx.update(board).set({ settings: { ...row.settings, colour } }).where(eq(board.id, boardId));`)}
}`;
/** Another writer of `board.settings` (a merge is a lost update only with a second code path writing the column). */
const resetSettings = (core: "sqlite" | "pg") => ({
  "src/reset.ts": `import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/${core === "sqlite" ? "libsql" : "node-postgres"}";
import { ${core}Table, text } from "drizzle-orm/${core}-core";
const board = ${core}Table("board", { id: text("id").primaryKey(), settings: text("settings", { mode: "json" }) });
const db = drizzle(process.env.DB_URL as string);
export async function resetSettings(boardId: string) {
  await db.update(board).set({ settings: {} }).where(eq(board.id, boardId));
}`,
});
const ALSO_WRITTEN = {
  messageId: "sharedColumnLostUpdate",
  data: { write: "`tx.update(board)…set(…)`", column: "`settings`", line: 8, writer: "`resetSettings` (reset.ts:7)" },
};
const inTransaction = (body: string) => `  await db.transaction(async (tx) => {\n    ${body}\n  });`;
const withoutTransaction = (body: string) => `  const tx = db;\n    ${body}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "Drizzle on libSQL: a JSON merge inside db.transaction",
      code: boards("sqlite", inTransaction),
      files: resetSettings("sqlite"),
    },
  ],
  invalid: [
    {
      // PostgreSQL's READ COMMITTED lets both transactions read the same settings.
      name: "Drizzle on PostgreSQL: the same merge inside db.transaction",
      code: boards("pg", inTransaction),
      files: resetSettings("pg"),
      errors: [{ line: 10, column: 11, ...ALSO_WRITTEN }],
    },
    {
      // Without a transaction, two requests interleave their read and write over the connection.
      name: "Drizzle on libSQL: the same merge outside a transaction",
      code: boards("sqlite", withoutTransaction),
      files: resetSettings("sqlite"),
      errors: [{ line: 10, column: 11, ...ALSO_WRITTEN }],
    },
  ],
});
