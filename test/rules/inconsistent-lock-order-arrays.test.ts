// inconsistent-lock-order, issue #16's array shapes. One statement that takes `pg_advisory_xact_lock` for each element
// of the array it is given (`FROM unnest($1) AS k`) takes them in the order the caller listed them: two calls with
// overlapping arrays in different orders deadlock (test/db/lock-order-unnest-pg.test.ts proves it). Valid: the
// statement orders the keys (`ORDER BY k`: PostgreSQL calls the lock function after sorting), the array is sorted
// before the call, or it has one element. A loop over sorted keys that takes an advisory lock and then updates the
// row of each key holds the previous key's row while it asks for the next key's lock: every caller goes up the keys,
// so that is no inversion (it was reported as a cycle of the loop with itself); a row outside the keys is.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { prismaProject } from "../helpers/prisma-project";
import { runRuleTests } from "../helpers/rule-tester";

/** A NestJS service reserving stock for an order's SKUs: `lock` is the statement that locks them. */
const reservation = (lock: string, before = "") => `import { Injectable } from "@nestjs/common";
import { Pool } from "pg";
@Injectable()
export class ReservationsService {
  constructor(private readonly pool: Pool) {}
  async reserve(orderId: string, skus: string[]) {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");${before}
      ${lock}
      await client.query("UPDATE stock SET reserved = reserved + 1 WHERE sku = ANY($1)", [skus]);
      await client.query("INSERT INTO reservations (order_id, skus) VALUES ($1, $2)", [orderId, skus]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    } finally {
      client.release();
    }
  }
}`;

const UNNEST = `await client.query("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest($1::text[]) AS k", [skus]);`;

/** An Express route that locks the accounts named in the request body with Prisma, then moves the balances. */
const PRISMA_ROUTE = (lock: string) => `import express from "express";
import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export const router = express.Router();
router.post("/settlements", async (req, res) => {
  const { accountIds } = req.body as { accountIds: bigint[] };
  await prisma.$transaction(async (tx) => {
    ${lock}
    await tx.account.updateMany({ where: { id: { in: accountIds } }, data: { settled: true } });
  });
  res.sendStatus(204);
});`;

const ACCOUNTS = prismaProject(`model Account {\n  id      BigInt  @id\n  balance Int\n  settled Boolean\n}\n`);

/** A NestJS ledger service crediting each account of a batch inside one Prisma transaction, `keys` being the loop's collection. */
const ledger = (keys: string, write = "where: { id }") => `import { Injectable } from "@nestjs/common";
import { PrismaClient } from "@prisma/client";
@Injectable()
export class LedgerService {
  constructor(private readonly prisma: PrismaClient) {}
  async credit(ids: string[], treasuryId: string, amount: number) {
    await this.prisma.$transaction(async (tx) => {
      for (const id of ${keys}) {
        await tx.$executeRaw\`SELECT pg_advisory_xact_lock(hashtext(\${id}))\`;
        await tx.account.update({ ${write}, data: { balance: { increment: amount } } });
      }
    });
  }
}`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "the statement sorts the keys (ORDER BY k): the locks are taken in key order",
      code: reservation(`await client.query("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest($1::text[]) AS k ORDER BY k", [skus]);`),
    },
    {
      name: "the array is sorted before the statement",
      code: reservation(
        `await client.query("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest($1::text[]) AS k", [ordered]);`,
        `\n      const ordered = [...skus].sort();`,
      ),
    },
    {
      name: "an array of one key: one lock",
      code: reservation(`await client.query("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest($1::text[]) AS k", [[orderId]]);`),
    },
    {
      name: "a try lock over the array waits for nothing",
      code: reservation(`await client.query("SELECT pg_try_advisory_xact_lock(hashtext(k)) FROM unnest($1::text[]) AS k", [skus]);`),
    },
    {
      name: "Prisma: the array sorted in the statement",
      root: ACCOUNTS,
      code: PRISMA_ROUTE("await tx.$executeRaw`SELECT pg_advisory_xact_lock(k) FROM unnest(${accountIds}::bigint[]) AS k ORDER BY k`;"),
    },
    {
      name: "a sorted per-key loop of advisory locks on a PoolClient the caller began",
      code: `import type { PoolClient } from "pg";
export async function lockSkus(client: PoolClient, skus: string[]) {
  for (const sku of [...skus].sort()) await client.query("select pg_advisory_xact_lock(hashtext($1))", [sku]);
}`,
    },
    {
      name: "a loop over sorted keys: each turn's lock and row come after the previous turn's, in key order",
      root: ACCOUNTS,
      code: ledger("[...ids].sort()"),
    },
    {
      name: "a loop over a local sorted before it",
      root: ACCOUNTS,
      code: ledger("ordered").replace("await this.prisma", "const ordered = ids.toSorted();\n    await this.prisma"),
    },
  ],
  invalid: [
    {
      // lock-class.ts: `unnest($1) AS k` locks each element of the array, keyed by it: the same class as one advisory
      // lock keyed by a value (`pg_advisory_xact_lock($1)`), not a constant lock named \`k\`.
      name: "advisory locks over an array (unnest) after a row, one advisory lock by key before the row elsewhere: a cycle",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function settle(accountId: number, batchId: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [accountId]);
    await client.query("UPDATE batches SET settled = true WHERE id = $1", [batchId]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}
export async function reopen(accountIds: number[], batchId: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE batches SET settled = false WHERE id = $1", [batchId]);
    await client.query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k ORDER BY k", [accountIds]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
      errors: [
        {
          line: 8,
          column: 11,
          messageId: "cycle",
          data: {
            here: "\`settle\` acquires \`batches rows\` while holding \`advisory lock\`",
            elsewhere: "\`reopen\` acquires \`advisory lock\` while holding \`batches rows\`",
            parties: "Two tasks running these at once",
            outcome: "wait for the other until the database detects the deadlock and aborts one of them with an error",
          },
        },
        {
          line: 19,
          column: 11,
          messageId: "cycle",
          data: {
            here: "\`reopen\` acquires \`advisory lock\` while holding \`batches rows\`",
            elsewhere: "\`settle\` acquires \`batches rows\` while holding \`advisory lock\`",
            parties: "Two tasks running these at once",
            outcome: "wait for the other until the database detects the deadlock and aborts one of them with an error",
          },
        },
      ],
    },
    {
      name: "unnest over the caller's array: the fix sorts it",
      code: reservation(UNNEST),
      errors: [
        {
          line: 10,
          column: 13,
          messageId: "callerOrderStatement",
          data: {
            holder: "`ReservationsService.reserve`",
            lock: "PostgreSQL advisory lock (`pg_advisory_xact_lock`)",
            keys: "`skus`",
            outcome: "wait for a key the other holds until the database detects the deadlock and aborts one of them with an error",
          },
          help: /ORDER BY k/,
          related: [{ line: 10, message: "`skus` as the caller passed it, not sorted" }],
        },
      ],
      output: reservation(UNNEST.replace("[skus]", "[[...skus].sort()]")),
    },
    {
      name: "unnest as a set-returning argument of the lock function, result read: a suggestion, not a fix",
      code: reservation(`const { rowCount } = await client.query("SELECT pg_advisory_xact_lock(unnest($1::bigint[]))", [skus]);`),
      errors: [
        {
          line: 10,
          column: 34,
          messageId: "callerOrderStatement",
          suggestions: [
            {
              title: "Sort `skus` first",
              output: reservation(
                `const { rowCount } = await client.query("SELECT pg_advisory_xact_lock(unnest($1::bigint[]))", [[...skus].sort()]);`,
              ),
            },
          ],
        },
      ],
    },
    {
      name: "Prisma: the request body's ids locked in the client's order",
      root: ACCOUNTS,
      code: PRISMA_ROUTE("await tx.$executeRaw`SELECT pg_advisory_xact_lock(k) FROM unnest(${accountIds}::bigint[]) AS k`;"),
      errors: [
        {
          line: 8,
          column: 11,
          messageId: "callerOrderStatement",
          related: [{ line: 8, message: "`accountIds` as the caller passed it, not sorted" }],
        },
      ],
      output: PRISMA_ROUTE("await tx.$executeRaw`SELECT pg_advisory_xact_lock(k) FROM unnest(${[...accountIds].sort()}::bigint[]) AS k`;"),
    },
    {
      name: "the same loop over the caller's order: each key's lock and row in the caller's order",
      root: ACCOUNTS,
      code: ledger("ids"),
      errors: [
        { line: 9, column: 15, messageId: "cycle" },
        { line: 9, column: 15, messageId: "callerOrderLoop" },
        { line: 10, column: 15, messageId: "callerOrderLoop" },
      ],
    },
    {
      name: "a loop over sorted keys that updates one row outside the keys: held from the first turn while the next key's lock is asked for",
      root: ACCOUNTS,
      code: ledger("[...ids].sort()", "where: { id: treasuryId }"),
      errors: [{ line: 9, column: 15, messageId: "cycle" }],
    },
  ],
});
