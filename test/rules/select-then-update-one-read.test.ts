// select-then-update: one read deciding several writes of the same table in one function is one race, fixed once (lock
// the row at the read, or make the writes atomic). It is reported at one write, the first that writes a value computed
// from the read (else the first write), with the other writes as related locations.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const SETTLE = `import { Pool } from "pg";
const pool = new Pool();

export async function settle(invoiceId: string, paid: number) {
  const { rows } = await pool.query("SELECT balance FROM invoices WHERE id = $1", [invoiceId]);
  const invoice = rows[0];
  if (invoice.balance - paid <= 0) {
    await pool.query("UPDATE invoices SET balance = 0, status = 'paid' WHERE id = $1", [invoiceId]);
  } else {
    await pool.query("UPDATE invoices SET balance = $1 WHERE id = $2", [invoice.balance - paid, invoiceId]);
  }
}
`;

const ASSIGN = `import { Pool } from "pg";
const pool = new Pool();

export async function assign(ticketId: string, agentId: string, urgent: boolean) {
  const { rows } = await pool.query("SELECT assignee FROM tickets WHERE id = $1", [ticketId]);
  if (rows[0].assignee !== null) throw new Error("already taken");
  if (urgent) {
    await pool.query("UPDATE tickets SET assignee = $1, priority = 'high' WHERE id = $2", [agentId, ticketId]);
  } else {
    await pool.query("UPDATE tickets SET assignee = $1 WHERE id = $2", [agentId, ticketId]);
  }
}
`;

runRuleTests(selectThenUpdate, {
  valid: [],
  invalid: [
    {
      name: "one balance read deciding a settling write and a partial payment: reported once, at the write computed from the read",
      code: SETTLE,
      errors: [
        {
          line: 10,
          column: 11,
          messageId: "lostUpdate",
          related: [
            { line: 5, message: "value read here" },
            { line: 8, message: "also written from the same read here" },
          ],
        },
      ],
    },
    {
      name: "one check that a ticket is free deciding two claiming writes: reported once, at the first, the second related",
      code: ASSIGN,
      errors: [
        {
          line: 8,
          column: 11,
          messageId: "checkThenWrite",
          related: [
            { line: 5, message: "value read here and checked at line 6" },
            { line: 10, message: "also written from the same read here" },
          ],
        },
      ],
    },
  ],
});
