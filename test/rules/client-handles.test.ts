// The client a statement runs through, however the code reaches it: a local (`db`), a field (`this.db`) or a property
// of an options object (`deps.db`, `params.client`). Drizzle's and Supabase's builders are read on any of them, and a
// raw `query` is sent on the object whose method it is (`params.client`), not on the object holding it (`params`):
// a helper given `{ client }` inside a caller's transaction runs its locking read and its write in that transaction.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A pg helper given its connection in an options object, and the callers that give it one. */
const pgOptions = (callers: string) => `import { Pool, type PoolClient } from "pg";

const pool = new Pool();

async function inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}

async function reserveSeats(params: { client: PoolClient; showId: string; seats: number }) {
  const { rows } = await params.client.query("SELECT free FROM shows WHERE id = $1 FOR UPDATE", [params.showId]);
  if (rows[0].free < params.seats) throw new Error("sold out");
  await params.client.query("UPDATE shows SET free = $1 WHERE id = $2", [rows[0].free - params.seats, params.showId]);
}
${callers}
`;

const DRIZZLE = `import { eq, sql } from "drizzle-orm";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";

export const tickets = pgTable("tickets", { id: text("id").primaryKey(), left: integer("left").notNull() });
`;

const KNEX = `import type { Knex } from "knex";
`;

/** A credit service holding its Supabase client in a field; `charge` checks the balance read, then runs `write`. */
const creditService = (write: string) => `import type { SupabaseClient } from "@supabase/supabase-js";

export class CreditService {
  constructor(private readonly supabase: SupabaseClient) {}
  async charge(userId: string, cost: number) {
    const { data } = await this.supabase.from("credits").select("balance").eq("user_id", userId).single();
    if (!data || data.balance < cost) throw new Error("not enough credits");
    ${write}
  }
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a pg helper reading FOR UPDATE through `params.client`, every caller passing its transaction's client",
      code: pgOptions(`export async function book(showId: string, seats: number) {
  await inTransaction((client) => reserveSeats({ client, showId, seats }));
}`),
    },
    {
      name: "Drizzle through a field: the new count computed by the database, the read an existence check",
      code: `${DRIZZLE}
export class TicketService {
  constructor(private readonly db: NodePgDatabase) {}
  async take(id: string) {
    const [row] = await this.db.select().from(tickets).where(eq(tickets.id, id));
    if (!row) throw new Error("no such ticket");
    await this.db.update(tickets).set({ left: sql\`\${tickets.left} - 1\` }).where(eq(tickets.id, id));
  }
}
`,
    },
    {
      name: "Drizzle through an options object: read FOR UPDATE in the transaction that writes",
      code: `${DRIZZLE}
export async function take(deps: { db: NodePgDatabase }, id: string) {
  await deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(tickets).where(eq(tickets.id, id)).for("update");
    if (!row || row.left === 0) throw new Error("none left");
    await tx.update(tickets).set({ left: row.left - 1 }).where(eq(tickets.id, id));
  });
}
`,
    },
    {
      name: "Supabase through a field: the charge made by a database function",
      code: creditService(`await this.supabase.rpc("charge_credits", { user_id: userId, cost });`),
    },
    {
      name: "knex through a transaction property of the options: read FOR UPDATE, then written",
      code: `${KNEX}
export async function debit(deps: { trx: Knex.Transaction }, id: string, amount: number) {
  const row = await deps.trx("accounts").where({ id }).forUpdate().first();
  if (!row || row.balance < amount) throw new Error("insufficient");
  await deps.trx("accounts").where({ id }).update({ balance: row.balance - amount });
}
`,
    },
  ],
  invalid: [
    {
      name: "the pg helper given a client on which no transaction is open",
      code: pgOptions(`export async function book(showId: string, seats: number) {
  const client = await pool.connect();
  try {
    await reserveSeats({ client, showId, seats });
  } finally {
    client.release();
  }
}`),
      errors: [{ line: 23, column: 9 }],
      // The atomic update carries the check, on the same client.
      output: pgOptions(`export async function book(showId: string, seats: number) {
  const client = await pool.connect();
  try {
    await reserveSeats({ client, showId, seats });
  } finally {
    client.release();
  }
}`).replace(
        '  await params.client.query("UPDATE shows SET free = $1 WHERE id = $2", [rows[0].free - params.seats, params.showId]);',
        `  const updated = await params.client.query("UPDATE shows SET free = free - $1 WHERE id = $2 AND free >= $1", [params.seats, params.showId]);
  if (updated.rowCount === 0) throw new Error("sold out");`,
      ),
    },
    {
      name: "Drizzle through a field: the count read, then written back less one",
      code: `${DRIZZLE}
export class TicketService {
  constructor(private readonly db: NodePgDatabase) {}
  async take(id: string) {
    const [row] = await this.db.select().from(tickets).where(eq(tickets.id, id));
    if (!row || row.left === 0) throw new Error("none left");
    await this.db.update(tickets).set({ left: row.left - 1 }).where(eq(tickets.id, id));
  }
}
`,
      errors: [{ line: 12, column: 11 }],
    },
    {
      name: "Drizzle through a field, the table named through the schema's namespace",
      code: `import { eq } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import * as schema from "./schema";

export class TicketService {
  constructor(private readonly db: NodePgDatabase<typeof schema>) {}
  async take(id: string) {
    const [row] = await this.db.select().from(schema.tickets).where(eq(schema.tickets.id, id));
    if (!row || row.left === 0) throw new Error("none left");
    await this.db.update(schema.tickets).set({ left: row.left - 1 }).where(eq(schema.tickets.id, id));
  }
}
`,
      files: {
        "schema.ts": `import { integer, pgTable, text } from "drizzle-orm/pg-core";
export const tickets = pgTable("tickets", { id: text("id").primaryKey(), left: integer("left").notNull() });
`,
      },
      errors: [{ line: 10, column: 11 }],
    },
    {
      name: "Drizzle through an options object: the count read, then written back less one",
      code: `${DRIZZLE}
export async function take(deps: { db: NodePgDatabase }, id: string) {
  const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, id));
  if (!row || row.left === 0) throw new Error("none left");
  await deps.db.update(tickets).set({ left: row.left - 1 }).where(eq(tickets.id, id));
}
`,
      errors: [{ line: 10, column: 9 }],
    },
    {
      name: "Supabase through a field: the balance read, then written back less the cost",
      code: creditService(`await this.supabase.from("credits").update({ balance: data.balance - cost }).eq("user_id", userId);`),
      errors: [{ line: 8, column: 11 }],
    },
    {
      name: "knex through a property of the options, no transaction: read, then written back",
      code: `${KNEX}
export async function debit(deps: { knex: Knex }, id: string, amount: number) {
  const row = await deps.knex("accounts").where({ id }).first();
  if (!row || row.balance < amount) throw new Error("insufficient");
  await deps.knex("accounts").where({ id }).update({ balance: row.balance - amount });
}
`,
      errors: [{ line: 6, column: 9 }],
    },
  ],
});
