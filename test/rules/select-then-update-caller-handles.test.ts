// select-then-update and a helper's locking read through a connection its callers hand down. A function that runs its
// statements on a connection only when one is given (`options?.client`) puts no condition on a caller that gives none,
// and a type naming a function (`ReturnType<typeof transfer>`) neither calls it nor hands it on: neither stops the
// helper's FOR UPDATE from being credited with the transaction every other caller has open. A function that fills in
// a connection of its own when given none (`client ??= await pool.connect()`) is judged on that connection.
import { selectThenUpdate } from "../../rules/select-then-update";
import { PG_POOL_WITH_TRANSACTION } from "../helpers/pg-pool";
import { runRuleTests } from "../helpers/rule-tester";

const DB = PG_POOL_WITH_TRANSACTION;

/** `debit` locks the account and writes the balance back; `transfer` runs it on a given connection or in its own transaction. */
const LEDGER = `import type { PoolClient } from "pg";
import { withTransaction } from "./db";

async function debit(client: PoolClient, accountId: string, amount: number) {
  const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
  await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, accountId]);
}

async function debitWith(client: PoolClient, accountId: string, amount: number) {
  await debit(client, accountId, amount);
}

export async function transfer(input: { accountId: string; amount: number }, options?: { client?: PoolClient }) {
  const given = options?.client;
  if (given) return debitWith(given, input.accountId, input.amount);
  return withTransaction((client) => debitWith(client, input.accountId, input.amount));
}
`;

const CALLERS = `import { pool, withTransaction } from "./db";
import { transfer } from "./ledger";

export type TransferResult = Awaited<ReturnType<typeof transfer>>;

export async function payInvoice(accountId: string, amount: number) {
  await transfer({ accountId, amount });
}

export async function payInBatch(accountId: string, amounts: number[]) {
  await withTransaction(async (client) => {
    for (const amount of amounts) await transfer({ accountId, amount }, { client });
  });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "every caller either gives a connection in its transaction or none (the function then opens its own)",
      files: { "src/db.ts": DB, "src/callers.ts": CALLERS },
      filename: "src/ledger.ts",
      code: LEDGER,
    },
  ],
  invalid: [
    {
      name: "a caller gives a connection with no transaction open on it",
      files: {
        "src/db.ts": DB,
        "src/callers.ts": CALLERS.replace(
          "export async function payInvoice",
          `export async function refundDirect(accountId: string, amount: number) {
  const client = await pool.connect();
  try {
    await transfer({ accountId, amount: -amount }, { client });
  } finally {
    client.release();
  }
}

export async function payInvoice`,
        ),
      },
      filename: "src/ledger.ts",
      code: LEDGER,
      errors: [{ line: 6, column: 9 }],
      output: LEDGER.replace(
        '  await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, accountId]);',
        '  await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, accountId]);',
      ),
    },
    {
      name: "a helper given no connection fills one in from the pool, outside any transaction",
      files: { "src/db.ts": DB },
      filename: "src/ledger.ts",
      code: `import type { PoolClient } from "pg";
import { pool, withTransaction } from "./db";

async function debit(client: PoolClient, accountId: string, amount: number) {
  const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
  await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, accountId]);
}

async function charge(accountId: string, amount: number, client?: PoolClient) {
  client ??= await pool.connect();
  await debit(client, accountId, amount);
}

export async function payInvoice(accountId: string, amount: number) {
  await charge(accountId, amount);
}

export async function payInBatch(accountId: string, amounts: number[]) {
  await withTransaction(async (client) => {
    for (const amount of amounts) await charge(accountId, amount, client);
  });
}
`,
      errors: [{ line: 6, column: 9 }],
      output: `import type { PoolClient } from "pg";
import { pool, withTransaction } from "./db";

async function debit(client: PoolClient, accountId: string, amount: number) {
  const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
  await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, accountId]);
}

async function charge(accountId: string, amount: number, client?: PoolClient) {
  client ??= await pool.connect();
  await debit(client, accountId, amount);
}

export async function payInvoice(accountId: string, amount: number) {
  await charge(accountId, amount);
}

export async function payInBatch(accountId: string, amounts: number[]) {
  await withTransaction(async (client) => {
    for (const amount of amounts) await charge(accountId, amount, client);
  });
}
`,
    },
  ],
});
