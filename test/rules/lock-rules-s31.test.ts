// Lock rules on shapes of real services (session 31, lead):
// - pattern 165: a check-then-set on a key made from a value the call generates itself (`payment_lock:${this.newId()}`,
//   the id random) races nobody: no other caller can test or set that key. The same key made from the request's id
//   is the two-step race, reported.
// - pattern 166: a release helper named `release…` in another method, given that method's own local of the same name
//   (`const lockKey = …` made differently), does not release the key a SETNX took, nor does `locks.unlock(lockKey)`
//   with such a local: a duplicate-submission guard and a throttle kept by their helpers are then no acquiring helpers
//   whose callers must test a result.
// - pattern 167: rows updated in the caller's order inside a transaction retried on a deadlock or serialization
//   failure (`withRetry(() => prisma.$transaction(…))`): the database aborts one side, which runs again, as for a cycle.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { runRuleTests } from "../helpers/rule-tester";

/** A checkout service marking a payment in progress with EXISTS then SET; `key` is the key's template. */
const checkout = (key: string) => `import Redis from "ioredis";
declare function openGatewayPayment(id: string): Promise<string>;

export class CheckoutService {
  private readonly redis = new Redis();
  private newBundleId(): string {
    return \`bundle_\${Date.now()}_\${Math.random().toString(36).slice(2)}\`;
  }
  async startBundlePayment(orderId: string) {
    const bundleId = this.newBundleId();
    const markKey = ${key};
    if (await this.redis.exists(markKey)) throw new Error("payment already running");
    await this.redis.set(markKey, "1", "EX", 300);
    try {
      return await openGatewayPayment(bundleId);
    } finally {
      await this.redis.del(markKey);
    }
  }
}
`;

/** A duplicate-submission guard in `createShow` (throws when taken), and another method releasing its own seat holds. */
const SHOWS = `import Redis from "ioredis";
declare const seats: { updateMany(filter: object, update: object): Promise<void> };
declare function insertShow(name: string): Promise<{ id: string }>;
declare function reserveSeats(showId: string, holder: string): Promise<void>;
declare function markImported(name: string): Promise<void>;
declare class CacheService { getClient(): Redis }

export class ShowService {
  constructor(private readonly cache: CacheService) {}
  async createShow(name: string, owner: string, trusted = false) {
    try {
      if (!trusted) {
        const lockKey = \`show:create:\${owner}:\${name}\`;
        const client = this.cache.getClient();
        const taken = await client.setnx(lockKey, "1");
        if (taken === 0) throw new Error("duplicate submission");
        await client.expire(lockKey, 15);
      }
      return await insertShow(name);
    } catch (error) {
      console.error(error);
      throw error;
    }
  }
  async book(showId: string, user: string) {
    const lockKey = \`seat-hold:\${showId}:\${user}:\${Date.now()}\`;
    try {
      await reserveSeats(showId, lockKey);
      await this.releaseSeatHolds(lockKey);
      return { moved: true };
    } catch (error) {
      await this.releaseSeatHolds(lockKey);
      throw error;
    }
  }
  private async releaseSeatHolds(lockKey: string) {
    await seats.updateMany({ heldBy: lockKey }, { $unset: { heldBy: 1 } });
  }
  async importShow(name: string, owner: string) {
    const show = await this.createShow(name, owner, true);
    await markImported(name);
    return { id: show.id };
  }
}
`;

/** A throttle taken and kept (never released) by `touch`, and a flush job locking and unlocking its own `lockKey`. */
const ACTIVITY = `import Redis from "ioredis";
declare function writeActivity(rows: string[]): Promise<void>;

export class KeyLock {
  constructor(private readonly redis: Redis) {}
  async lock(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(key, "1", "EX", ttlSeconds, "NX")) === "OK";
  }
  async unlock(key: string): Promise<void> {
    await this.redis.del(key);
  }
}

export class ActivityService {
  constructor(
    private readonly locks: KeyLock,
    private readonly redis: Redis,
  ) {}
  async touch(deviceId: string, at: Date): Promise<void> {
    const lockKey = \`device:touch:\${deviceId}\`;
    const acquired = await this.locks.lock(lockKey, 30);
    if (!acquired) return;
    await this.redis.zadd("device-activity", at.getTime(), deviceId);
  }
  async flush(): Promise<void> {
    const lockKey = "device-activity-flush";
    if (!(await this.locks.lock(lockKey, 60))) return;
    try {
      await writeActivity(await this.redis.zrange("device-activity", 0, -1));
    } finally {
      await this.locks.unlock(lockKey);
    }
  }
}

export class DeviceController {
  constructor(private readonly activity: ActivityService) {}
  async heartbeat(deviceId: string) {
    await this.activity.touch(deviceId, new Date());
    return { ok: true };
  }
}
`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    { name: "EXISTS then SET on a key made from an id the call generates at random", code: checkout("`pay:bundle:${bundleId}`") },
    { name: "the guard's method called with the check skipped: no try-lock result to test", code: SHOWS },
    { name: "a throttle kept by its helper, whose `lockKey` another method's own `lockKey` does not release", code: ACTIVITY },
  ],
  invalid: [
    {
      name: "the same EXISTS then SET on a key made from the order the request names",
      code: checkout("`pay:order:${orderId}`"),
      errors: [
        {
          line: 13,
          column: 11,
          messageId: "testedThenSet",
          data: { key: "`markKey`", test: "`this.redis.exists(markKey)`", line: 12, release: 17 },
        },
      ],
    },
  ],
});

/** A batch of payouts marked sent in the caller's order inside one transaction; `run` wraps the transaction. */
const payouts = (run: (tx: string) => string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function withConflictRetry<T>(work: () => Promise<T>): Promise<T>;

export async function markPayoutsSent(payoutIds: string[], batchId: string) {
  return ${run(`prisma.$transaction(async (tx) => {
    for (const payoutId of payoutIds) {
      await tx.payout.update({ where: { id: payoutId }, data: { batchId, status: "SENT" } });
    }
  })`)};
}
`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "rows updated in the caller's order in a transaction retried when it conflicts",
      code: payouts((tx) => `withConflictRetry(() =>\n    ${tx})`),
    },
  ],
  invalid: [
    {
      name: "the same loop in a transaction nothing retries",
      code: payouts((tx) => tx),
      output: payouts((tx) => tx).replace("of payoutIds)", "of [...payoutIds].sort())"),
      errors: [{ line: 8, column: 13, messageId: "callerOrderLoop" }],
    },
  ],
});
