// select-then-update, issue #16: a `PoolClient` after the caller's `BEGIN` followed through helpers more than one level.
// `debitRow(client, …)` locks the wallet row (`FOR UPDATE`) and writes it back through the client it is given; it is
// called only by `debit(client, …)`, which only passes the client on, and that only by a route handler that sent
// `BEGIN` on it: the lock lasts until the handler commits, so the read-modify-write is serialised. Look-alike: the same
// helpers under a handler that sends no `BEGIN` run each statement in autocommit, and the lock ends with the SELECT.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** An Express payments module: the route handler runs `begin` on its client, then calls the two-level helper chain. */
const payments = (begin: string, commit: string) => `import express from "express";
import type { Pool, PoolClient } from "pg";

async function debitRow(client: PoolClient, walletId: string, amount: number) {
  const { rows } = await client.query("SELECT balance FROM wallets WHERE id = $1 FOR UPDATE", [walletId]);
  if (rows[0].balance < amount) throw new Error("insufficient funds");
  await client.query("UPDATE wallets SET balance = $1 WHERE id = $2", [rows[0].balance - amount, walletId]);
}

async function debit(client: PoolClient, walletId: string, amount: number) {
  await debitRow(client, walletId, amount);
}

export function paymentsRouter(pool: Pool) {
  const router = express.Router();
  router.post("/wallets/:id/debit", async (req, res) => {
    const client = await pool.connect();
    try {
      ${begin}
      await debit(client, req.params.id, Number(req.body.amount));
      ${commit}
      res.sendStatus(204);
    } finally {
      client.release();
    }
  });
  return router;
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the handler's BEGIN reaches the locking read two helpers down",
      code: payments(`await client.query("BEGIN");`, `await client.query("COMMIT");`),
    },
  ],
  invalid: [
    {
      name: "no BEGIN in the handler: the FOR UPDATE ends with its own statement",
      code: payments(`// no transaction`, `// autocommit`),
      errors: [{ line: 7, column: 9, messageId: "lostUpdateDespiteLock" }],
      output: payments(`// no transaction`, `// autocommit`).replace(
        `  await client.query("UPDATE wallets SET balance = $1 WHERE id = $2", [rows[0].balance - amount, walletId]);`,
        `  const updated = await client.query("UPDATE wallets SET balance = balance - $1 WHERE id = $2 AND balance >= $1", [amount, walletId]);
  if (updated.rowCount === 0) throw new Error("insufficient funds");`,
      ),
    },
  ],
});
