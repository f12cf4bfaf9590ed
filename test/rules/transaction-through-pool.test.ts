import { transactionThroughPool } from "../../rules/transaction-through-pool";
import { runRuleTests } from "../helpers/rule-tester";

const PG_HELP =
  "Check out one connection (`const client = await pool.connect()`, mysql2: `getConnection()`), run BEGIN, the statements and COMMIT on it, and release it in `finally`; or use `withPgTransaction` / `withMySqlTransaction` from `@locksmith/runtime`.";

runRuleTests(transactionThroughPool, {
  valid: [
    {
      name: "BEGIN … COMMIT on one client checked out of the pool",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function transfer(from: string, to: string, amount: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);
    await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK");
    throw e;
  } finally {
    client.release();
  }
}`,
    },
    {
      name: "a PoolClient parameter is one connection",
      code: `import type { PoolClient } from "pg";
export async function archive(client: PoolClient, id: string) {
  await client.query("BEGIN");
  await client.query("DELETE FROM drafts WHERE id = $1", [id]);
  await client.query("COMMIT");
}`,
    },
    {
      name: "mysql2: START TRANSACTION on a connection from getConnection()",
      code: `import mysql from "mysql2/promise";
const pool = mysql.createPool({ uri: process.env.DATABASE_URL });
export async function reserve(id: number) {
  const conn = await pool.getConnection();
  try {
    await conn.query("START TRANSACTION");
    await conn.query("UPDATE seats SET taken = 1 WHERE id = ? AND taken = 0", [id]);
    await conn.query("COMMIT");
  } finally {
    conn.release();
  }
}`,
    },
    {
      name: "plain statements through the pool, no BEGIN",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function rename(id: string, name: string) {
  await pool.query("UPDATE projects SET name = $1 WHERE id = $2", [name, id]);
}`,
    },
    {
      name: "a wrapper that forwards to a client it was given, not to a pool",
      code: `import type { PoolClient } from "pg";
export function wrap(client: PoolClient) {
  return { query: (text: string, params?: unknown[]) => client.query(text, params) };
}
export async function run(client: PoolClient) {
  const db = wrap(client);
  await db.query("BEGIN");
  await db.query("COMMIT");
}`,
    },
  ],
  invalid: [
    {
      name: "pg: BEGIN, the writes and COMMIT all through the pool",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function transfer(from: string, to: string, amount: number) {
  await pool.query("BEGIN");
  try {
    await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);
    await pool.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);
    await pool.query("COMMIT");
  } catch (e) {
    await pool.query("ROLLBACK");
    throw e;
  }
}`,
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "beginThroughPool",
          message:
            "`BEGIN` is sent through the connection pool `pool`, which runs each statement on whichever connection is idle: the statements after it up to the `COMMIT` at line 8 are not one transaction (each commits on its own, and a `FOR UPDATE` lock ends with its statement), and the connection that ran `BEGIN` goes back to the pool with a transaction open, which the next caller's statements join.",
          help: PG_HELP,
          related: [{ line: 8, message: "COMMIT, through the pool: it may run on another connection" }],
        },
      ],
    },
    {
      name: "a project's db module whose query method forwards to the pool, imported elsewhere",
      files: {
        "src/config/db.ts": `import pg from "pg";
const pool = new pg.Pool();
export default {
  pool,
  query: (text: string, params?: unknown[]) => pool.query(text, params),
  connect: () => pool.connect(),
};`,
      },
      filename: "src/routes/labels.ts",
      code: `import db from "../config/db";
export async function removeLabel(id: string) {
  await db.query("BEGIN");
  await db.query("DELETE FROM task_labels WHERE label_id = $1", [id]);
  await db.query("DELETE FROM labels WHERE id = $1", [id]);
  await db.query("COMMIT");
}`,
      errors: [
        {
          line: 3,
          column: 9,
          messageId: "beginThroughPool",
          data: { begin: "`BEGIN`", pool: "`db`", until: " up to the `COMMIT` at line 6" },
        },
      ],
    },
    {
      name: "mysql2: START TRANSACTION through a pool field of a class; a row lock read through it holds nothing",
      code: `import { createPool, type Pool } from "mysql2/promise";
export class StockService {
  constructor(private readonly pool: Pool = createPool({})) {}
  async take(id: number) {
    await this.pool.query("START TRANSACTION");
    const [rows]: any = await this.pool.query("SELECT qty FROM stock WHERE id = ? FOR UPDATE", [id]);
    await this.pool.query("UPDATE stock SET qty = ? WHERE id = ?", [rows[0].qty - 1, id]);
    await this.pool.query("COMMIT");
  }
}`,
      errors: [
        {
          line: 5,
          column: 11,
          messageId: "beginThroughPool",
          data: { begin: "`START TRANSACTION`", pool: "`this.pool`", until: " up to the `COMMIT` at line 8" },
        },
      ],
    },
  ],
});
