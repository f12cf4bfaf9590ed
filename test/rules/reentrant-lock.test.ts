import { reentrantLock } from "../../rules/reentrant-lock";
import { annotatedLockModule, DECLARED_LOCK_MODULE, declaredLockSettings, KEYED_LOCK_MODULE } from "../helpers/lock-modules";
import { runRuleTests } from "../helpers/rule-tester";

const HANGS = "the lock is not reentrant, so the second acquisition waits for the first, which is never released: this hangs forever";
/** A `reacquired` finding: `holder` takes `lock` again while holding it since line `heldLine`. */
const reacquired = (line: number, column: number, holder: string, lock: string, heldLine: number) => ({
  line,
  column,
  messageId: "reacquired",
  data: { holder: `\`${holder}\``, lock: `\`${lock}\``, consequence: HANGS },
  related: [{ line: heldLine, message: `\`${lock}\` acquired here by \`${holder}\`` }],
});
const REFUSED = "the key is already taken by this same owner, so the second acquisition fails (or waits until the first one expires)";
const HELP = "Call a variant that assumes the lock is held, or release it before the call.";
const inventory = `import { Mutex } from "async-mutex";
export class Inventory {
  private readonly lock = new Mutex();
`;

const keyedLocks = { "src/locks.ts": KEYED_LOCK_MODULE };
const declaredLocks = { "src/lock-client.ts": DECLARED_LOCK_MODULE };
/** The declared keyed lock taken again with the same key through a call, and the declared global lock nested in itself. */
const declaredTwice = `import { locks, serially } from "./lock-client";
export async function ship(orderId: string) {
  await locks.hold(orderId, async () => {
    await pack(orderId);
  });
}
async function pack(id: string) {
  await locks.hold(id, async () => {});
}
export async function nightly() {
  await serially(async () => {
    await serially(async () => {});
  });
}`;

/** The declared acquire/release pair: the key taken again before (`again`) or after it is given back. */
const declaredTakeTwice = (again: boolean) => `import { locks } from "./lock-client";
export async function settle(orderId: string) {
  await locks.take(orderId);
  try {
    ${again ? "await locks.take(orderId);" : "await locks.give(orderId);"}
  } finally {
    ${again ? "await locks.give(orderId);" : "await locks.take(orderId);"}
  }
}`;

/** A function of the file given by name to a lock helper takes `again` inside it (a declaration and a bound method). */
const namedCallbackTwice = (again: string) => `import { withLock, withOrders } from "./locks";
async function recount() {
  await withOrders(async () => {});
}
export async function nightly() {
  await withOrders(recount);
}
export class Ledger {
  async close() {
    await withLock("ledger", this.flush.bind(this));
  }
  private async flush() {
    await withLock("${again}", async () => {});
  }
}`;

runRuleTests(reentrantLock, {
  valid: [
    {
      name: "a function given by name to a lock helper takes another lock (another key) inside it",
      files: keyedLocks,
      code: namedCallbackTwice("audit")
        .replace("withOrders(recount)", "withStock(recount)")
        .replace(", withOrders }", ", withOrders, withStock }"),
    },
    {
      name: "a keyed lock helper nested with another key (another instance)",
      files: keyedLocks,
      code: `import { withLock } from "./locks";
export async function ship(orderId: string, sku: string) {
  await withLock(\`order:\${orderId}\`, async () => {
    await withLock(\`stock:\${sku}\`, async () => {});
  });
}`,
    },
    {
      name: "a keyed lock helper taken again after the first call returned",
      files: keyedLocks,
      code: `import { withLock } from "./locks";
export async function ship(orderId: string) {
  await withLock(\`order:\${orderId}\`, async () => {});
  await withLock(\`order:\${orderId}\`, async () => {});
}`,
    },
    {
      name: "a method decorated with a lock calls one decorated with another key",
      files: keyedLocks,
      code: `import { WithLock } from "./locks";
export class Ledger {
  @WithLock("ledger")
  async post() {
    await this.audit();
  }
  @WithLock("audit")
  async audit() {}
}`,
    },
    {
      name: "a helper that runs the callback without its lock when the caller already holds it (reentrant by design)",
      code: `import { Mutex } from "async-mutex";
import { AsyncLocalStorage } from "node:async_hooks";
const mutex = new Mutex();
const holding = new AsyncLocalStorage<boolean>();
export async function withJobLock<T>(fn: () => Promise<T>): Promise<T> {
  if (holding.getStore()) return fn();
  return mutex.runExclusive(() => {
    holding.enterWith(true);
    return fn();
  });
}
export async function settle() {
  await withJobLock(async () => {
    await withJobLock(async () => {});
  });
}`,
    },
    {
      name: "a decorator that runs the method without its lock when the caller already holds it",
      code: `import { Mutex } from "async-mutex";
import { AsyncLocalStorage } from "node:async_hooks";
const mutex = new Mutex();
const holding = new AsyncLocalStorage<boolean>();
export function Exclusive() {
  return (_target: unknown, _key: string, descriptor: PropertyDescriptor) => {
    const original = descriptor.value;
    descriptor.value = async function (this: unknown, ...args: unknown[]) {
      if (holding.getStore()) return original.apply(this, args);
      return mutex.runExclusive(() => {
        holding.enterWith(true);
        return original.apply(this, args);
      });
    };
  };
}
export class Ledger {
  @Exclusive()
  async post() {
    await this.settle();
  }
  @Exclusive()
  async settle() {}
}`,
    },
    {
      name: "a method decorated by a decorator that takes no lock calls a locked one",
      files: keyedLocks,
      code: `import { Logged, WithLock } from "./locks";
export class Ledger {
  @Logged()
  async post() {
    await this.settle();
  }
  @WithLock("ledger")
  async settle() {}
}`,
    },
    {
      name: "a lock helper declared reentrant in locksmith.json, taken again by its holder",
      files: declaredLocks,
      settings: declaredLockSettings(true),
      code: declaredTwice,
    },
    {
      name: "a lock helper declared reentrant by a @locksmith tag, taken again by its holder",
      files: { "src/lock-client.ts": annotatedLockModule(true) },
      code: declaredTwice,
    },
    {
      name: "a declared acquire (take) given back by its release (give) before it is taken again",
      files: declaredLocks,
      settings: declaredLockSettings(),
      code: declaredTakeTwice(false),
    },
    {
      name: "without declarations, take says nothing Locksmith reads as a lock",
      files: declaredLocks,
      code: declaredTakeTwice(true),
    },
    {
      name: "a declared keyed lock helper nested with another key",
      files: declaredLocks,
      settings: declaredLockSettings(),
      code: `import { locks } from "./lock-client";
export async function ship(orderId: string, sku: string) {
  await locks.hold(orderId, async () => {
    await locks.hold(sku, async () => {});
  });
}`,
    },
    {
      name: "released before the second acquisition",
      code: `${inventory}  async run() {
    const release = await this.lock.acquire();
    release();
    await this.lock.runExclusive(async () => {});
  }
}`,
    },
    {
      name: "two different mutexes",
      code: `import { Mutex } from "async-mutex";
const a = new Mutex();
const b = new Mutex();
export async function run() {
  await a.runExclusive(async () => {
    await b.runExclusive(async () => {});
  });
}`,
    },
    {
      name: "a callee called after the lock is released",
      code: `${inventory}  async reserve() {
    await this.lock.runExclusive(async () => {});
    await this.restock();
  }
  async restock() {
    await this.lock.runExclusive(async () => {});
  }
}`,
    },
    {
      name: "different keys of a keyed lock (argument order is another rule)",
      code: `import { LockManager } from "@locksmith/runtime";
const locks = new LockManager();
export async function run(a: string, b: string) {
  await locks.lock(a, async () => {
    await locks.lock(b, async () => {});
  });
}`,
    },
    {
      name: "two loop variables of one name, from two arrays: two keys (identity by declaration, not by text)",
      code: `import { LockManager } from "@locksmith/runtime";
const locks = new LockManager();
export async function settle(invoices: string[], payments: string[]) {
  for (const ref of invoices) {
    await locks.lock(ref, async () => {
      for (const ref of payments) {
        await locks.lock(ref, async () => {});
      }
    });
  }
}`,
    },
    {
      name: "PostgreSQL advisory locks are reentrant per session",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function run(id: number) {
  const client = await pool.connect();
  await client.query("SELECT pg_advisory_lock($1)", [id]);
  await client.query("SELECT pg_advisory_lock($1)", [id]);
  await client.query("SELECT pg_advisory_unlock_all()");
}`,
    },
    {
      name: "a recursive-looking call to a different object's method is not resolved to this one",
      code: `${inventory}  async run(other: { restock(): Promise<void> }) {
    await this.lock.runExclusive(async () => {
      await other.restock();
    });
  }
  async restock() {
    await this.lock.runExclusive(async () => {});
  }
}`,
    },
  ],
  invalid: [
    {
      name: "a function given by name to a lock helper takes the same lock again inside it (a declaration, a bound method)",
      files: keyedLocks,
      code: namedCallbackTwice("ledger"),
      errors: [
        {
          line: 6,
          column: 20,
          messageId: "reacquiredThroughCalls",
          data: { holder: "`nightly`", lock: "`ordersLock`", calls: "`recount`", consequence: HANGS },
          related: [
            { line: 6, message: "`ordersLock` acquired here by `nightly`" },
            { line: 3, message: "`ordersLock` acquired here by `recount` while `ordersLock` is held" },
          ],
        },
        {
          line: 10,
          column: 30,
          messageId: "reacquiredThroughCalls",
          data: { holder: "`Ledger.close`", lock: "`ledger`", calls: "`Ledger.flush`", consequence: HANGS },
        },
      ],
    },
    {
      name: "a keyed lock helper taken again with the same key inside its own callback",
      files: keyedLocks,
      code: `import { withLock } from "./locks";
export async function ship(orderId: string) {
  await withLock(\`order:\${orderId}\`, async () => {
    await withLock(\`order:\${orderId}\`, async () => {});
  });
}`,
      errors: [reacquired(4, 11, "ship", "order:${…}", 3)],
    },
    {
      name: "a lock helper declared in locksmith.json (not reentrant), taken again by its holder",
      files: declaredLocks,
      settings: declaredLockSettings(),
      code: declaredTwice,
      errors: [
        {
          line: 4,
          column: 11,
          messageId: "reacquiredThroughCalls",
          data: { holder: "`ship`", lock: "`LockClient.hold`", calls: "`pack`", consequence: HANGS },
          related: [
            { line: 3, message: "`LockClient.hold` acquired here by `ship`" },
            { line: 8, message: "`LockClient.hold` acquired here by `pack` while `LockClient.hold` is held" },
          ],
        },
        reacquired(12, 11, "nightly", "serially", 11),
      ],
    },
    {
      name: "a declared acquire (take) taken again by its holder with the same key",
      files: declaredLocks,
      settings: declaredLockSettings(),
      code: declaredTakeTwice(true),
      errors: [reacquired(5, 11, "settle", "LockClient.take", 3)],
    },
    {
      name: "the same helpers declared by @locksmith tags (not reentrant)",
      files: { "src/lock-client.ts": annotatedLockModule() },
      code: declaredTwice,
      errors: [
        { line: 4, column: 11, messageId: "reacquiredThroughCalls" },
        { line: 12, column: 11, messageId: "reacquired" },
      ],
    },
    {
      name: "a helper passing its callback by reference to runExclusive, called again through a function",
      files: keyedLocks,
      code: `import { withOrders } from "./locks";
export async function cancel() {
  await withOrders(async () => {
    await refund();
  });
}
async function refund() {
  await withOrders(async () => {});
}`,
      errors: [
        {
          line: 4,
          column: 11,
          messageId: "reacquiredThroughCalls",
          data: { holder: "`cancel`", lock: "`ordersLock`", calls: "`refund`", consequence: HANGS },
        },
      ],
    },
    {
      name: "a method decorated with a lock calls one decorated with the same key (TC39 decorator)",
      files: keyedLocks,
      code: `import { WithLock } from "./locks";
export class Ledger {
  @WithLock("ledger")
  async post() {
    await this.settle();
  }
  @WithLock("ledger")
  async settle() {}
}`,
      errors: [
        {
          line: 5,
          column: 11,
          messageId: "reacquiredThroughCalls",
          data: { holder: "`Ledger.post`", lock: "`ledger`", calls: "`Ledger.settle`", consequence: HANGS },
        },
      ],
    },
    {
      name: "a method decorated with a legacy decorator takes the decorator's mutex again through a helper",
      files: keyedLocks,
      code: `import { Serialized, withOrders } from "./locks";
export class Orders {
  @Serialized()
  async close() {
    await withOrders(async () => {});
  }
}`,
      errors: [
        {
          line: 5,
          column: 11,
          messageId: "reacquired",
          data: { holder: "`Orders.close`", lock: "`ordersLock`", consequence: HANGS },
        },
      ],
    },
    {
      name: "directly nested",
      code: `${inventory}  async run() {
    const release = await this.lock.acquire();
    try {
      await this.lock.runExclusive(async () => {});
    } finally {
      release();
    }
  }
}`,
      errors: [
        {
          line: 7,
          column: 13,
          endColumn: 51,
          messageId: "reacquired",
          data: { holder: "`Inventory.run`", lock: "`Inventory.lock`", consequence: HANGS },
          // The golden full message and help of this rule.
          message: `\`Inventory.run\` acquires \`Inventory.lock\` while already holding it: ${HANGS}.`,
          help: HELP,
          related: [{ line: 5, message: "`Inventory.lock` acquired here by `Inventory.run`" }],
        },
      ],
    },
    {
      name: "through a this. call",
      code: `${inventory}  async reserve(sku: string) {
    await this.lock.runExclusive(async () => {
      await this.restock(sku);
    });
  }
  async restock(sku: string) {
    await this.lock.runExclusive(async () => {
      console.log(sku);
    });
  }
}`,
      errors: [
        {
          line: 6,
          column: 13,
          messageId: "reacquiredThroughCalls",
          data: { holder: "`Inventory.reserve`", lock: "`Inventory.lock`", calls: "`Inventory.restock`", consequence: HANGS },
          message: `\`Inventory.reserve\` holds \`Inventory.lock\` and calls \`Inventory.restock\`, which acquires it again: ${HANGS}.`,
          related: [
            { line: 5 },
            { line: 10, message: "`Inventory.lock` acquired here by `Inventory.restock` while `Inventory.lock` is held" },
          ],
        },
      ],
    },
    {
      name: "through two levels of calls across files",
      files: {
        "src/audit.ts": `import { ordersLock } from "./file";
export async function audit() {
  await record();
}
async function record() {
  await ordersLock.runExclusive(async () => {});
}`,
      },
      code: `import { Mutex } from "async-mutex";
import { audit } from "./audit";
export const ordersLock = new Mutex();
export async function placeOrder() {
  await ordersLock.runExclusive(async () => {
    await audit();
  });
}`,
      errors: [
        {
          line: 6,
          column: 11,
          messageId: "reacquiredThroughCalls",
          data: { holder: "`placeOrder`", lock: "`ordersLock`", calls: "`audit`, which calls `record`", consequence: HANGS },
          related: [{ line: 5 }, { line: 3, filename: "src/audit.ts" }, { line: 6, filename: "src/audit.ts" }],
        },
      ],
    },
    {
      name: "the same key of a keyed lock, passed through a call",
      code: `import { LockManager } from "@locksmith/runtime";
const locks = new LockManager();
async function audit(accountId: string) {
  await locks.lock(accountId, async () => {});
}
export async function withdraw(id: string) {
  await locks.lock(id, async () => {
    await audit(id);
  });
}`,
      errors: [
        {
          line: 8,
          column: 11,
          messageId: "reacquiredThroughCalls",
          data: { holder: "`withdraw`", lock: "`locks[key]`", calls: "`audit`", consequence: HANGS },
        },
      ],
    },
    {
      name: "the same Redis lock key",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function run(id: string) {
  await redis.set(\`lock:job:\${id}\`, "1", "PX", 5000, "NX");
  await redis.set(\`lock:job:\${id}\`, "1", "PX", 5000, "NX");
  await redis.del(\`lock:job:\${id}\`);
}`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "reacquired",
          data: { holder: "`run`", lock: "`lock:job:${…}`", consequence: REFUSED },
        },
      ],
    },
    {
      name: "the same key, once as a member and once as the field destructured from it",
      code: `import { LockManager } from "@locksmith/runtime";
const locks = new LockManager();
export async function close(ticket: { ownerId: string }) {
  const { ownerId } = ticket;
  await locks.lock(ticket.ownerId, async () => {
    await locks.lock(ownerId, async () => {});
  });
}`,
      errors: [
        {
          line: 6,
          column: 11,
          messageId: "reacquired",
          data: { holder: "`close`", lock: "`locks[key]`", consequence: HANGS },
        },
      ],
    },
    {
      name: "the same key, passed on whole to a helper that destructures it",
      code: `import { LockManager } from "@locksmith/runtime";
const locks = new LockManager();
async function touch(ticket: { ownerId: string }) {
  const { ownerId } = ticket;
  await locks.lock(ownerId, async () => {});
}
export async function reopen(ticket: { ownerId: string }) {
  await locks.lock(ticket.ownerId, async () => {
    await touch(ticket);
  });
}`,
      errors: [
        {
          line: 9,
          column: 11,
          messageId: "reacquiredThroughCalls",
          data: { holder: "`reopen`", lock: "`locks[key]`", calls: "`touch`", consequence: HANGS },
        },
      ],
    },
  ],
});
