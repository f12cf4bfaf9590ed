// Transaction wrappers that hand their callback on to another project wrapper (`inTransaction(name, fn)` calling
// `runInTx((tx) => fn(tx))`, which calls `prisma.$transaction`): the callback runs in the innermost wrapper's
// transaction, so a `FOR UPDATE` read through its handle holds the row until the write. The lint runs on a Program, so
// the wrappers are resolved across files as in a project.
import { selectThenUpdate } from "../../rules/select-then-update";
import { PG_POOL_WITH_TRANSACTION } from "../helpers/pg-pool";
import { runRuleTests } from "../helpers/rule-tester";

const WRAPPERS = `import { Prisma, PrismaClient } from "@prisma/client";

export const prisma = new PrismaClient();
type Work<T> = (tx: Prisma.TransactionClient) => Promise<T>;

export async function runInTx<T>(fn: Work<T>, options?: { isolationLevel?: Prisma.TransactionIsolationLevel }): Promise<T> {
  return prisma.$transaction((tx) => fn(tx), options);
}

export async function inTransaction<T>(name: string, fnOrLevel: Work<T> | Prisma.TransactionIsolationLevel, maybeFn?: Work<T>): Promise<T> {
  const fn = (typeof fnOrLevel === "function" ? fnOrLevel : maybeFn) as Work<T>;
  console.debug("transaction", name);
  return runInTx((tx) => fn(tx));
}

declare function inSpan<T>(name: string, work: () => Promise<T>): Promise<T>;

/** Overloads: traced(name, fn, options) or traced(fn, options); the named form runs the callback in a span. */
export async function traced<T>(nameOrFn: string | Work<T>, fnOrOptions?: Work<T> | { timeout?: number }): Promise<T> {
  if (typeof nameOrFn === "string") {
    return inSpan(nameOrFn, async () => {
      const fn = fnOrOptions as Work<T>;
      return runInTx((client) => fn(client));
    });
  }
  return runInTx(nameOrFn, { isolationLevel: "Serializable" });
}

export async function notATransaction<T>(fn: Work<T>): Promise<T> {
  console.debug("no transaction here");
  return fn(prisma);
}

export async function throughNothing<T>(fn: Work<T>): Promise<T> {
  return notATransaction((tx) => fn(tx));
}
`;

/** A stock reservation whose read and write go through the callback's handle of the wrapper `wrapper`. */
const reserve = (wrapper: string, read: string) => `import { ${wrapper} } from "./wrappers";

export async function reserve(itemId: string, quantity: number) {
  return ${wrapper}("reserve", async (tx) => {
    ${read}
    if (!item || item.stock < quantity) throw new Error("out of stock");
    await tx.item.update({ where: { id: itemId }, data: { stock: item.stock - quantity } });
  });
}
`;

const LOCKING_READ = "const [item] = await tx.$queryRaw<{ stock: number }[]>`SELECT stock FROM items WHERE id = ${itemId} FOR UPDATE`;";
const PLAIN_READ = "const item = await tx.item.findUnique({ where: { id: itemId } });";

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a FOR UPDATE read through a wrapper that hands its callback to another wrapper (two calls down to $transaction)",
      files: { "wrappers.ts": WRAPPERS },
      filename: "reserve.ts",
      code: reserve("inTransaction", LOCKING_READ),
    },
    {
      name: "the same through an overloaded wrapper whose named form hands the callback on inside a span",
      files: { "wrappers.ts": WRAPPERS },
      filename: "reserve.ts",
      code: reserve("traced", LOCKING_READ),
    },
  ],
  invalid: [
    {
      name: "a plain read in the nested wrapper's transaction: no row lock, a lost update",
      files: { "wrappers.ts": WRAPPERS },
      filename: "reserve.ts",
      code: reserve("inTransaction", PLAIN_READ),
      errors: [{ line: 7, column: 11 }],
    },
    {
      name: "a FOR UPDATE read through a function that hands its callback to one that opens no transaction",
      files: { "wrappers.ts": WRAPPERS },
      filename: "reserve.ts",
      code: reserve("throughNothing", LOCKING_READ).replace('throughNothing("reserve", ', "throughNothing("),
      errors: [{ line: 7, column: 11 }],
    },
  ],
});

// A command runner that opens the transaction through a BEGIN wrapper and runs the command's `execute` property with
// the connection in an object (`params.execute({ client })`); the command unpacks it (`async ({ client }) => …`).
const PG_RUNNER = `${PG_POOL_WITH_TRANSACTION}
export async function runCommand<T>(params: { tenantId: string; onStart?: () => void; execute: (context: { client: PoolClient; tenantId: string }) => Promise<T> }): Promise<T> {
  return withTransaction(async (client) => {
    params.onStart?.();
    await client.query("SELECT set_config('app.tenant', $1, true)", [params.tenantId]);
    return params.execute({ client, tenantId: params.tenantId });
  });
}

export async function runWithoutTransaction<T>(params: { execute: (context: { client: PoolClient }) => Promise<T> }): Promise<T> {
  const client = await pool.connect();
  try {
    return await params.execute({ client });
  } finally {
    client.release();
  }
}
`;

/** A stock helper taking its connection as a positional parameter: a locking read, then the write. */
const TAKE_STOCK = `async function takeStock(client: PoolClient, itemId: string, quantity: number) {
  const { rows } = await client.query("SELECT on_hand FROM stock WHERE item_id = $1 FOR UPDATE", [itemId]);
  if (rows[0].on_hand < quantity) throw new Error("insufficient stock");
  await client.query("UPDATE stock SET on_hand = $1 WHERE item_id = $2", [rows[0].on_hand - quantity, itemId]);
}`;

/** A shipment run by `runner`, whose execute callback runs `body` (with `helper` declared above it). */
const ship = (runner: string, body: string, helper = "") => `import type { PoolClient } from "pg";
import { ${runner} } from "./runner";
${helper}
export async function ship(tenantId: string, itemId: string, quantity: number) {
  return ${runner}({
    tenantId,
    execute: async ({ client }: { client: PoolClient }) => {
      ${body}
    },
  });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a command's execute callback run in the runner's transaction: the helper's FOR UPDATE holds until COMMIT",
      files: { "runner.ts": PG_RUNNER },
      filename: "ship.ts",
      code: ship("runCommand", "await takeStock(client, itemId, quantity);", TAKE_STOCK),
    },
    {
      name: "the command's context taken whole, the connection reached as a property of it",
      files: { "runner.ts": PG_RUNNER },
      filename: "ship.ts",
      code: ship("runCommand", "await takeStock(context.client, itemId, quantity);", TAKE_STOCK).replace(
        "async ({ client }: { client: PoolClient })",
        "async (context: { client: PoolClient })",
      ),
    },
    {
      name: "the locking read and write written in the execute callback itself",
      files: { "runner.ts": PG_RUNNER },
      filename: "ship.ts",
      code: ship(
        "runCommand",
        `const { rows } = await client.query("SELECT on_hand FROM stock WHERE item_id = $1 FOR UPDATE", [itemId]);
      await client.query("UPDATE stock SET on_hand = $1 WHERE item_id = $2", [rows[0].on_hand - quantity, itemId]);`,
      ),
    },
  ],
  invalid: [
    {
      name: "the same command given to a runner that opens no transaction: the FOR UPDATE ends with its statement",
      files: { "runner.ts": PG_RUNNER },
      filename: "ship.ts",
      code: ship("runWithoutTransaction", "await takeStock(client, itemId, quantity);", TAKE_STOCK).replace("    tenantId,\n", ""),
      errors: [{ line: 6, column: 9 }],
      // The atomic update carries the stock check.
      output: ship("runWithoutTransaction", "await takeStock(client, itemId, quantity);", TAKE_STOCK)
        .replace("    tenantId,\n", "")
        .replace(
          '  await client.query("UPDATE stock SET on_hand = $1 WHERE item_id = $2", [rows[0].on_hand - quantity, itemId]);',
          `  const updated = await client.query("UPDATE stock SET on_hand = on_hand - $1 WHERE item_id = $2 AND on_hand >= $1", [quantity, itemId]);
  if (updated.rowCount === 0) throw new Error("insufficient stock");`,
        ),
    },
  ],
});
