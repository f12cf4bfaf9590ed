// select-then-update in a function that is given the caller's transaction as a parameter typed as its handle
// (issue #16, "transactions that arrive from outside"): TypeORM's `QueryRunner`, Kysely's `Transaction<DB>`, Drizzle's
// `PgTransaction` / `MySqlTransaction`; and a pg `PoolClient` (any handle) that every caller passes after running
// BEGIN on it. The code runs inside that transaction, so a locking read through the handle holds the row until the
// caller commits; the same read without the lock is still a lost update, and so is a locking read when one caller
// passes a client with no transaction open (autocommit: the lock ends with the statement).
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const PURSE_ENTITY = {
  "src/purse.entity.ts": `import { Column, Entity, PrimaryColumn } from "typeorm";
@Entity()
export class Purse {
  @PrimaryColumn() id!: string;
  @Column() balance!: number;
}
`,
};

/** A NestJS service method given the controller's QueryRunner; `lock` is the read's lock option. */
const purseService = (lock: string) => `import { Injectable } from "@nestjs/common";
import type { QueryRunner } from "typeorm";
import { Purse } from "./purse.entity";

@Injectable()
export class PursesService {
  async spend(queryRunner: QueryRunner, id: string, amount: number) {
    const purse = await queryRunner.manager.findOneOrFail(Purse, { where: { id }${lock} });
    if (purse.balance < amount) throw new Error("insufficient balance");
    purse.balance -= amount;
    await queryRunner.manager.save(purse);
  }
}
`;

/** An Express route's stock helper given the Kysely transaction; `lock` is chained on the read. */
const kyselyStock = (lock: string) => `import type { Transaction } from "kysely";
import type { DB } from "./db";

export async function pickItems(trx: Transaction<DB>, sku: string, quantity: number) {
  const item = await trx.selectFrom("stock_items").select(["on_hand"]).where("sku", "=", sku)${lock}.executeTakeFirstOrThrow();
  if (item.on_hand < quantity) throw new Error("not enough stock");
  await trx.updateTable("stock_items").set({ on_hand: item.on_hand - quantity }).where("sku", "=", sku).execute();
}
`;

const KYSELY_DB = { "src/db.ts": `export interface DB { stock_items: { sku: string; on_hand: number } }\n` };

/** A Next.js server action's helper given the Drizzle transaction (`dialect` pg or mysql); `lock` is chained on the read. */
const drizzleSeats = (dialect: "pg" | "mysql", lock: string) => {
  const [core, table, tx] = dialect === "pg" ? ["pg-core", "pgTable", "PgTransaction"] : ["mysql-core", "mysqlTable", "MySqlTransaction"];
  return `import { eq } from "drizzle-orm";
import { ${table}, integer, text, type ${tx} } from "drizzle-orm/${core}";

export const events = ${table}("events", { id: text("id").primaryKey(), seatsLeft: integer("seats_left").notNull() });

export async function holdSeats(tx: ${tx}<any, any, any>, eventId: string, seats: number) {
  const [event] = await tx.select().from(events).where(eq(events.id, eventId))${lock};
  if (!event || event.seatsLeft < seats) return { ok: false as const };
  await tx.update(events).set({ seatsLeft: event.seatsLeft - seats }).where(eq(events.id, eventId));
  return { ok: true as const };
}
`;
};

/** A pg helper given a client by its callers; it locks the row itself. */
const PG_LEDGER = `import type { PoolClient } from "pg";

export async function debitAccount(client: PoolClient, accountId: string, amount: number) {
  const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
  if (rows[0].balance < amount) throw new Error("insufficient funds");
  await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, accountId]);
}
`;

/** Express routes calling the helper: `payout` runs BEGIN first; `refund`'s body is `refund`. */
const pgRoutes = (refund: string) => ({
  "src/routes.ts": `import { Pool } from "pg";
import type { Request, Response } from "express";
import { debitAccount } from "./file";

const pool = new Pool();

export async function payout(req: Request, res: Response) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await debitAccount(client, req.params.id, Number(req.body.amount));
    await client.query("INSERT INTO payouts (account_id, amount) VALUES ($1, $2)", [req.params.id, req.body.amount]);
    await client.query("COMMIT");
    res.sendStatus(204);
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}

export async function fee(req: Request, res: Response) {
${refund}
  res.sendStatus(204);
}
`,
});

const FEE_IN_TRANSACTION = `  const client = await pool.connect();
  await client.query("BEGIN");
  await debitAccount(client, req.params.id, 1);
  await client.query("COMMIT");
  client.release();`;

const FEE_WITHOUT_BEGIN = `  const client = await pool.connect();
  await debitAccount(client, req.params.id, 1);
  client.release();`;

const lost = (write: string, column: string, line: number) => ({ messageId: "lostUpdate", data: { write, column, line } });

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "TypeORM (NestJS): the controller's QueryRunner, a pessimistic_write read through its manager",
      files: PURSE_ENTITY,
      code: purseService(`, lock: { mode: "pessimistic_write" }`),
    },
    {
      name: "Kysely (Express): the route's Transaction<DB>, the row read with forUpdate()",
      files: KYSELY_DB,
      code: kyselyStock(".forUpdate()"),
    },
    { name: 'Drizzle (Next.js): a PgTransaction parameter, the row read with .for("update")', code: drizzleSeats("pg", '.for("update")') },
    {
      name: 'Drizzle (Next.js): a MySqlTransaction parameter, the row read with .for("update")',
      code: drizzleSeats("mysql", '.for("update")'),
    },
    {
      name: "pg (Express): a PoolClient helper's FOR UPDATE, where every caller passes the client it ran BEGIN on",
      files: pgRoutes(FEE_IN_TRANSACTION),
      code: PG_LEDGER,
    },
  ],
  invalid: [
    {
      name: "pg (Express): the same helper, and one caller passes a client it ran no BEGIN on",
      files: pgRoutes(FEE_WITHOUT_BEGIN),
      code: PG_LEDGER,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "lostUpdateDespiteLock",
          data: {
            write: "`UPDATE accounts SET balance = $1`",
            column: "`balance`",
            line: 4,
            lock: "`FOR UPDATE`",
            why: "outside a transaction the lock is released when that statement ends",
          },
        },
      ],
      output: PG_LEDGER.replace(
        '  await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, accountId]);',
        `  const updated = await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", [amount, accountId]);
  if (updated.rowCount === 0) throw new Error("insufficient funds");`,
      ),
    },
    {
      name: "TypeORM (NestJS): the controller's QueryRunner, the read without a lock",
      files: PURSE_ENTITY,
      code: purseService(""),
      errors: [{ line: 11, column: 11, ...lost("`queryRunner.manager.save(…)`", "`balance`", 8) }],
    },
    {
      name: "Kysely (Express): the route's Transaction<DB>, the read without a lock",
      files: KYSELY_DB,
      code: kyselyStock(""),
      errors: [{ line: 7, column: 9, ...lost('`trx.updateTable("stock_items")…set(…)`', "`on_hand`", 5) }],
    },
    {
      name: "Drizzle (Next.js): a PgTransaction parameter, the read without a lock",
      code: drizzleSeats("pg", ""),
      errors: [{ line: 9, column: 9, ...lost("`tx.update(events)…set(…)`", "`seatsLeft`", 7) }],
    },
  ],
});
