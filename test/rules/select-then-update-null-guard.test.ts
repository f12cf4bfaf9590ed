// select-then-update: a check that a column is NULL (`if (row.assignee !== null) throw`) is repeated in SQL as
// `assignee IS NULL`, never `assignee = NULL` (never true, so the write would never run), and a write whose WHERE already
// tests the checked column for NULL is a conditional update: two callers cannot both pass it.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const claim = (update: string) => `import { Pool } from "pg";
const pool = new Pool();

export async function claim(ticketId: string, agentId: string) {
  const { rows } = await pool.query("SELECT assignee FROM tickets WHERE id = $1", [ticketId]);
  if (rows[0].assignee !== null) throw new Error("already taken");
  ${update}
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the write's WHERE repeats the NULL test and the count is checked: a conditional update",
      code: claim(`const updated = await pool.query("UPDATE tickets SET assignee = $1 WHERE id = $2 AND assignee IS NULL", [agentId, ticketId]);
  if (updated.rowCount === 0) throw new Error("already taken");`),
    },
  ],
  invalid: [
    {
      name: "a NULL check before a plain write: the fix repeats it as IS NULL and checks the affected-row count",
      code: claim(`await pool.query("UPDATE tickets SET assignee = $1 WHERE id = $2", [agentId, ticketId]);`),
      errors: [{ line: 7, column: 9, messageId: "checkThenWrite" }],
      output:
        claim(`const updated = await pool.query("UPDATE tickets SET assignee = $1 WHERE id = $2 AND assignee IS NULL", [agentId, ticketId]);
  if (updated.rowCount === 0) throw new Error("already taken");`),
    },
  ],
});
