// select-then-update through a transaction handle a function gets by unwrapping what its caller passed (issue #15,
// pattern 78): a unit of work hands out an opaque, branded context, and the adapters turn it back into the driver's
// transaction — through a project helper whose declared return type is that transaction (`OrdersTx`, an alias of
// Drizzle's `MySql2Transaction`), or by an inline assertion (`ctx as unknown as NodePgTransaction<…>`). Nothing opens
// a transaction to hand out such a value but the caller, so a locking read through it holds the row until the caller
// commits. The same read without the lock stays a lost update, and a handle the helper types as the pool (the
// `MySql2Database`) is no transaction: its FOR UPDATE ends with the statement.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** The application's port: an opaque context the unit of work passes to every adapter. */
const PORT = `export interface TxContext {
  readonly __brand: "TxContext";
}
`;

/** The infrastructure's unwrapping helper; `returns` is its declared return type. */
const unitOfWork = (returns: "ShopTx" | "ShopDb") => ({
  "src/port.ts": PORT,
  "src/unit-of-work.ts": `import type { MySql2Database, MySql2Transaction } from "drizzle-orm/mysql2";
import type { TxContext } from "./port";

export type ShopTx = MySql2Transaction<Record<string, never>, Record<string, never>>;
export type ShopDb = MySql2Database<Record<string, never>>;

export function unwrapTx(ctx: TxContext): ${returns} {
  return ctx as unknown as ${returns};
}
`,
});

/** An invoice-number allocator given the unit of work's context; `lock` is chained on the counter's read. */
const allocator = (lock: string) => `import { eq } from "drizzle-orm";
import { int, mysqlTable } from "drizzle-orm/mysql-core";
import type { TxContext } from "./port";
import { unwrapTx } from "./unit-of-work";

export const invoiceCounters = mysqlTable("invoice_counters", { id: int("id").primaryKey(), next: int("next").notNull() });

export class InvoiceNumbers {
  async allocate(ctx: TxContext): Promise<number> {
    const db = unwrapTx(ctx);
    const [counter] = await db.select().from(invoiceCounters).where(eq(invoiceCounters.id, 1))${lock};
    if (!counter) throw new Error("counter row missing");
    await db.update(invoiceCounters).set({ next: counter.next + 1 }).where(eq(invoiceCounters.id, 1));
    return counter.next;
  }
}
`;

/** The same allocator on PostgreSQL, asserting the driver's transaction type in place. */
const assertedAllocator = (type: string) => `import { eq } from "drizzle-orm";
import type { NodePgDatabase, NodePgTransaction } from "drizzle-orm/node-postgres";
import { integer, pgTable } from "drizzle-orm/pg-core";
import type { TxContext } from "./port";

export const ticketCounters = pgTable("ticket_counters", { id: integer("id").primaryKey(), next: integer("next").notNull() });

export async function nextTicket(ctx: TxContext): Promise<number> {
  const db = ctx as unknown as ${type};
  const [counter] = await db.select().from(ticketCounters).where(eq(ticketCounters.id, 1)).for("update");
  await db.update(ticketCounters).set({ next: counter!.next + 1 }).where(eq(ticketCounters.id, 1));
  return counter!.next;
}
`;

const DESPITE_OUTSIDE = "outside a transaction the lock is released when that statement ends";

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "Drizzle (MySQL): a helper typed to return the driver's transaction (an alias of MySql2Transaction), FOR UPDATE",
      files: unitOfWork("ShopTx"),
      code: allocator('.for("update")'),
    },
    {
      name: "Drizzle (PostgreSQL): the context asserted in place to be a NodePgTransaction, FOR UPDATE",
      files: { "src/port.ts": PORT },
      code: assertedAllocator("NodePgTransaction<Record<string, never>, Record<string, never>>"),
    },
  ],
  invalid: [
    {
      name: "Drizzle (MySQL): the unwrapped transaction, the counter read without a lock",
      files: unitOfWork("ShopTx"),
      code: allocator(""),
      errors: [
        {
          line: 13,
          column: 11,
          messageId: "lostUpdate",
          data: { write: "`db.update(invoiceCounters)…set(…)`", column: "`next`", line: 11 },
        },
      ],
    },
    {
      name: "Drizzle (MySQL): a helper typed to return the pool (MySql2Database), FOR UPDATE outside a transaction",
      files: unitOfWork("ShopDb"),
      code: allocator('.for("update")'),
      errors: [
        {
          line: 13,
          column: 11,
          messageId: "lostUpdateDespiteLock",
          data: { write: "`db.update(invoiceCounters)…set(…)`", column: "`next`", line: 11, lock: "`FOR UPDATE`", why: DESPITE_OUTSIDE },
        },
      ],
    },
    {
      name: "Drizzle (PostgreSQL): the context asserted to be the pool (NodePgDatabase), FOR UPDATE outside a transaction",
      files: { "src/port.ts": PORT },
      code: assertedAllocator("NodePgDatabase<Record<string, never>>"),
      errors: [
        {
          line: 11,
          column: 9,
          messageId: "lostUpdateDespiteLock",
          data: { write: "`db.update(ticketCounters)…set(…)`", column: "`next`", line: 10, lock: "`FOR UPDATE`", why: DESPITE_OUTSIDE },
        },
      ],
    },
  ],
});
