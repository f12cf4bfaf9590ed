// Session 28's held-out precision check (wt-judge). The FALSE shape fixed, written freshly:
// - a project wrapper that takes a pooled connection, sends BEGIN on it and calls the callback it is given with that
//   connection before COMMIT (`inTx(async (client) => …)`, the connection held in a `let` that starts as null): the
//   callback's statements, and the helpers it passes the connection to, run inside that transaction, so a
//   `SELECT … FOR UPDATE` there holds its row lock until the wrapper commits.
// - a Prisma `updateMany` that clears a flag on the other rows of a set (`where: { kind: read.kind, isPrimary: true,
//   NOT: { id } }`) before the row read is made the primary one: the column compared with the read value picks the
//   set, the WHERE leaves the row read out, so there is no compare-and-set whose lost race could go unnoticed.
// - a Redis lock taken through the project's cache service with a TTL right after the value (`redisStore.set(key, "1",
//   300)` after an EXISTS, `redisStore.setNX(key, "1", 120)`): no Redis client takes a bare number there, it is the TTL
//   the helper is given (it sends SETEX / SET EX NX), so the key expires; the two round trips of the first stay
//   reported by unchecked-lock-acquisition.
// - an idempotency record taken through a project helper (`redisService.setNX(key, PENDING, 60)`), replaced by the work's
//   result through the same service (`redisService.set(key, result, ttl)`) and deleted only when the work fails: a
//   state record, as a direct SET NX overwritten so is, not a lock whose release the success `return` skips.
// Beside each, the nearest real mistakes stay reported: the same wrapper without BEGIN (each statement autocommits, and
// the lock ends with the SELECT), one that commits before it calls the callback, and an `updateMany` that does
// compare the row read (by its id) with the value read, its count ignored, the same service's SET with no TTL, and a claim the success path leaves in place (the key stays "pending" until it
// expires, turning retries away, then lets the work run again).
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
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
  async get(key: string): Promise<string | null> {
    return this.client.get(key);
  }
  async exists(key: string): Promise<boolean> {
    return (await this.client.exists(key)) === 1;
  }
  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    if (ttlSeconds) await this.client.setex(key, ttlSeconds, value);
    else await this.client.set(key, value);
  }
  async setNX(key: string, value: string, ttlSeconds?: number): Promise<boolean> {
    if (ttlSeconds) return (await this.client.set(key, value, "EX", ttlSeconds, "NX")) === "OK";
    return (await this.client.setnx(key, value)) === 1;
  }
  async del(key: string): Promise<void> {
    await this.client.del(key);
  }
}
`;

/** A cancellation run once at a time per booking under the store's set-if-absent; `take` claims the key. */
const cancelBooking = (take: string) => `import { RedisStore } from "./store";
declare function releaseSeats(bookingId: string): Promise<void>;

export class Cancellations {
  constructor(private readonly redisStore: RedisStore) {}
  async cancel(bookingId: string) {
    const key = \`cancel:\${bookingId}\`;
    if (!(${take})) return "already running";
    try {
      await releaseSeats(bookingId);
    } finally {
      await this.redisStore.del(key);
    }
    return "cancelled";
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
      name: "the project's set-if-absent given a TTL right after the value: the lock expires",
      files: { "src/store.ts": STORE_FILE },
      filename: "src/cancellations.ts",
      code: cancelBooking('await this.redisStore.setNX(key, "1", 120)'),
    },
    {
      name: "the project's set given a TTL in seconds right after the value: the busy key expires",
      files: { "src/store.ts": STORE_FILE },
      filename: "src/refunds.ts",
      code: refundOrder('await this.redisStore.set(key, "1", 300);'),
    },
  ],
  invalid: [
    {
      name: "the same set-if-absent with no TTL: the lock stays when the holder crashes",
      files: { "src/store.ts": STORE_FILE },
      filename: "src/cancellations.ts",
      code: cancelBooking('await this.redisStore.setNX(key, "1")'),
      errors: [{ line: 8, column: 17, messageId: "noExpiry" }],
      // The rule's own fix (a SET with NX, PX and a unique token), written for a Redis client.
      output: `import { RedisStore } from "./store";\nimport { randomUUID } from "node:crypto";\n${cancelBooking(
        "await this.redisStore.set(key, randomUUID(), { NX: true, PX: 30000 })",
      ).replace('import { RedisStore } from "./store";\n', "")}`,
    },
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

/** Runs a checkout once per idempotency key; `onSuccess` is what the success path does with the key. */
const onceOnly = (onSuccess: string) => `import { RedisStore } from "./store";
const PENDING = "__pending__";

export class CheckoutOnce {
  constructor(private readonly redisService: RedisStore) {}
  async run<T>(idempotencyKey: string, checkout: () => Promise<T>): Promise<T> {
    const redisKey = \`checkout:\${idempotencyKey}\`;
    const stored = await this.redisService.get(redisKey);
    if (stored !== null && stored !== PENDING) return JSON.parse(stored) as T;
    const claimed = await this.redisService.setNX(redisKey, PENDING, 60);
    if (!claimed) throw new Error("checkout already in progress");
    try {
      const result = await checkout();
      ${onSuccess}
      return result;
    } catch (error) {
      await this.redisService.del(redisKey);
      throw error;
    }
  }
}
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "the claim replaced by the stored result on success and deleted on failure: an idempotency record",
      files: { "src/store.ts": STORE_FILE },
      filename: "src/checkout-once.ts",
      code: onceOnly("await this.redisService.set(redisKey, JSON.stringify(result), 86400);"),
    },
  ],
  invalid: [
    {
      name: "the claim left pending on success: the success return skips the only release",
      files: { "src/store.ts": STORE_FILE },
      filename: "src/checkout-once.ts",
      code: onceOnly('console.info("checkout done", redisKey);'),
      errors: [{ line: 10, column: 27, messageId: "releaseSkippable" }],
    },
  ],
});
