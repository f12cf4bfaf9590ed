// Session 28's held-out precision check (wt-judge). The FALSE shape fixed, written freshly:
// - a project wrapper that takes a pooled connection, sends BEGIN on it and calls the callback it is given with that
//   connection before COMMIT (`inTx(async (client) => …)`, the connection held in a `let` that starts as null): the
//   callback's statements, and the helpers it passes the connection to, run inside that transaction, so a
//   `SELECT … FOR UPDATE` there holds its row lock until the wrapper commits.
// - a Prisma `updateMany` that clears a flag on the other rows of a set (`where: { kind: read.kind, isPrimary: true,
//   NOT: { id } }`) before the row read is made the primary one: the column compared with the read value picks the
//   set, the WHERE leaves the row read out, so there is no compare-and-set whose lost race could go unnoticed.
// - a two-step Redis lock taken through the project's cache service, `redisStore.set(key, "1", 300)`: a number right after
//   the value is the TTL the helper is given (it sends SETEX), so the key expires; the two round trips stay reported
//   by unchecked-lock-acquisition.
// Beside each, the nearest real mistakes stay reported: the same wrapper without BEGIN (each statement autocommits, and
// the lock ends with the SELECT), one that commits before it calls the callback, and an `updateMany` that does
// compare the row read (by its id) with the value read, its count ignored, and the same service's SET with no TTL.
import { lockWithoutExpiry } from "../../rules/lock-without-expiry";
import { selectThenUpdate } from "../../rules/select-then-update";
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { uncheckedOptimisticUpdate } from "../../rules/unchecked-optimistic-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A pg wrapper that runs `handler` on one pooled connection; `open` and `close` are what it sends around the call. */
const wrapperFile = (open: string, close: string, order: "inside" | "after-close" = "inside") => `import { Pool, PoolClient } from "pg";
const pool = new Pool();
const LOCK_TIMEOUT_MS = Number(process.env.LOCK_TIMEOUT_MS ?? 0);

export async function inTx<T>(handler: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient | null = null;
  try {
    client = await pool.connect();
    ${open}
    if (LOCK_TIMEOUT_MS > 0) {
      await client.query(\`SET LOCAL lock_timeout TO \${LOCK_TIMEOUT_MS}\`);
    }
${
  order === "inside"
    ? `    const result = await handler(client);
    ${close}`
    : `    ${close}
    const result = await handler(client);`
}
    return result;
  } catch (err) {
    if (client) {
      await client.query("ROLLBACK").catch(() => undefined);
    }
    throw err;
  } finally {
    client?.release();
  }
}
`;

/** Ticket numbers per board, drawn from a counter row the helper locks and advances through the connection it is given. */
const TICKETS = `import type { PoolClient } from "pg";
import { inTx } from "./db";

async function nextTicketNumber(client: PoolClient, boardId: string) {
  const counter = await client.query("SELECT next_no FROM board_counters WHERE board_id = $1 FOR UPDATE", [boardId]);
  const next = Number(counter.rows[0].next_no);
  await client.query("UPDATE board_counters SET next_no = $2 WHERE board_id = $1", [boardId, next + 1]);
  return next;
}

export async function openTicket(boardId: string, title: string) {
  return inTx(async (client) => {
    const no = await nextTicketNumber(client, boardId);
    await client.query("INSERT INTO tickets (board_id, no, title) VALUES ($1, $2, $3)", [boardId, no, title]);
    return no;
  });
}
`;

/** The safe fix: the counter advanced atomically in the UPDATE. */
const FIXED = TICKETS.replace(
  `"UPDATE board_counters SET next_no = $2 WHERE board_id = $1", [boardId, next + 1]`,
  `"UPDATE board_counters SET next_no = next_no + $2 WHERE board_id = $1", [boardId, 1]`,
);

const BEGIN = `await client.query("BEGIN");`;
const COMMIT = `await client.query("COMMIT");`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a project wrapper sends BEGIN, then calls the callback with the connection before COMMIT: the FOR UPDATE holds",
      files: { "src/db.ts": wrapperFile(BEGIN, COMMIT) },
      filename: "src/tickets.ts",
      code: TICKETS,
    },
  ],
  invalid: [
    {
      name: "the same wrapper without BEGIN: every statement autocommits and the lock ends with the SELECT",
      files: { "src/db.ts": wrapperFile("// autocommit", "// nothing to commit") },
      filename: "src/tickets.ts",
      code: TICKETS,
      errors: [{ line: 7, column: 9, messageId: "lostUpdateDespiteLock" }],
      output: FIXED,
    },
    {
      name: "a wrapper that commits before it calls the callback: the callback runs outside the transaction",
      files: { "src/db.ts": wrapperFile(BEGIN, COMMIT, "after-close") },
      filename: "src/tickets.ts",
      code: TICKETS,
      errors: [{ line: 7, column: 9, messageId: "lostUpdateDespiteLock" }],
      output: FIXED,
    },
  ],
});

/** A shop's primary pickup point of a kind made `pointId`; `clear` is the write that runs first. */
const makePrimary = (clear: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function makePrimaryPickupPoint(shopId: string, pointId: string) {
  const point = await prisma.pickupPoint.findUnique({ where: { id: pointId } });
  if (!point || point.shopId !== shopId) throw new Error("pickup point not found");
  await ${clear};
  await prisma.pickupPoint.update({ where: { id: pointId }, data: { isPrimary: true } });
}
`;

runRuleTests(uncheckedOptimisticUpdate, {
  valid: [
    {
      name: "the other rows of the set cleared (NOT the row read): the kind read picks the set, nothing is compared-and-set",
      code: makePrimary(
        "prisma.pickupPoint.updateMany({ where: { shopId, kind: point.kind, isPrimary: true, NOT: { id: pointId } }, data: { isPrimary: false } })",
      ),
    },
  ],
  invalid: [
    {
      name: "the row read itself written only while its kind is the one read, the count ignored",
      code: makePrimary(
        "prisma.pickupPoint.updateMany({ where: { id: pointId, kind: point.kind }, data: { isPrimary: false, label: `${point.kind} (old)` } })",
      ),
      errors: [{ line: 7, column: 9, messageId: "uncheckedAfterRead" }],
      output: makePrimary(
        "prisma.pickupPoint.updateMany({ where: { id: pointId, kind: point.kind }, data: { isPrimary: false, label: `${point.kind} (old)` } })",
      )
        .replace('import { PrismaClient } from "@prisma/client";\n', '$&import { ConflictError } from "@locksmith/runtime";\n')
        .replace(
          /  await (prisma\.pickupPoint\.updateMany\(.*\));/,
          '  const updated = await $1;\n  if (updated.count === 0) throw new ConflictError("pickuppoint changed concurrently");',
        ),
    },
  ],
});

/** A project cache service over ioredis whose `set` takes an optional TTL in seconds and sends SETEX with it. */
const STORE_FILE = `import Redis from "ioredis";

export class RedisStore {
  private readonly client = new Redis();
  async exists(key: string): Promise<boolean> {
    return (await this.client.exists(key)) === 1;
  }
  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    if (ttlSeconds) await this.client.setex(key, ttlSeconds, value);
    else await this.client.set(key, value);
  }
  async del(key: string): Promise<void> {
    await this.client.del(key);
  }
}
`;

/** A refund guarded by a busy key of the store; `take` marks it. */
const refundOrder = (take: string) => `import { RedisStore } from "./store";
declare function callGateway(orderId: string): Promise<void>;

export class Refunds {
  constructor(private readonly redisStore: RedisStore) {}
  async refund(orderId: string) {
    const key = \`refund:\${orderId}\`;
    if (await this.redisStore.exists(key)) throw new Error("refund already running");
    ${take}
    try {
      await callGateway(orderId);
    } finally {
      await this.redisStore.del(key);
    }
  }
}
`;

runRuleTests(lockWithoutExpiry, {
  valid: [
    {
      name: "the project's set given a TTL in seconds right after the value: the busy key expires",
      files: { "src/store.ts": STORE_FILE },
      filename: "src/refunds.ts",
      code: refundOrder('await this.redisStore.set(key, "1", 300);'),
    },
  ],
  invalid: [
    {
      name: "the same set with no TTL: the busy key stays when the holder crashes",
      files: { "src/store.ts": STORE_FILE },
      filename: "src/refunds.ts",
      code: refundOrder('await this.redisStore.set(key, "1");'),
      errors: [{ line: 9, column: 11, messageId: "flagNoExpiry" }],
    },
  ],
});

runRuleTests(uncheckedLockAcquisition, {
  valid: [],
  invalid: [
    {
      name: "with the TTL the two round trips (EXISTS, then SET) still let two refunds both find the key free",
      files: { "src/store.ts": STORE_FILE },
      filename: "src/refunds.ts",
      code: refundOrder('await this.redisStore.set(key, "1", 300);'),
      errors: [{ line: 9, column: 11 }],
    },
  ],
});
