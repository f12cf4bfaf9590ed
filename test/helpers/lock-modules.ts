// Lock modules of an app's own, shared by the rule tests of the locks the project wraps itself (lock-wrappers.ts).

/** A NestJS-style lock service over Redis SET NX PX (acquire returns whether it got the lock; release checks the token),
 * and a helper that waits for a lock and returns its release function. */
export const REDIS_LOCK_MODULE = `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis();
const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
export class RedisLockService {
  private readonly tokens = new Map<string, string>();
  async acquire(key: string, ttlMs = 10_000): Promise<boolean> {
    const token = randomUUID();
    const ok = await redis.set(\`lock:\${key}\`, token, "PX", ttlMs, "NX");
    if (ok !== "OK") return false;
    this.tokens.set(key, token);
    return true;
  }
  async release(key: string): Promise<void> {
    await redis.eval(UNLOCK, 1, \`lock:\${key}\`, this.tokens.get(key) ?? "");
    this.tokens.delete(key);
  }
  async isLocked(key: string): Promise<boolean> {
    return (await redis.exists(\`lock:\${key}\`)) === 1;
  }
}
export async function lockOrder(id: string): Promise<() => Promise<void>> {
  const key = \`lock:order:\${id}\`;
  const token = randomUUID();
  while ((await redis.set(key, token, "PX", 5000, "NX")) !== "OK") await new Promise((r) => setTimeout(r, 50));
  return async () => {
    await redis.eval(UNLOCK, 1, key, token);
  };
}
export async function markProcessed(id: string): Promise<boolean> {
  return (await redis.set(\`processed:\${id}\`, "1", "NX")) === "OK";
}
`;

/** A promise-chain queue (inferred from its body) and an HTTP lease client (whose body says nothing Locksmith can read). */
export const OPAQUE_LOCK_MODULE = `export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
export class LeaseClient {
  async take(name: string): Promise<boolean> {
    const response = await fetch("https://locks.internal/take/" + name, { method: "POST" });
    return response.ok;
  }
  async give(name: string): Promise<void> {
    await fetch("https://locks.internal/give/" + name, { method: "POST" });
  }
}
`;

/** Engine settings declaring the two locks of OPAQUE_LOCK_MODULE (locksmith.json `locks`). */
export const OPAQUE_LOCK_SETTINGS = {
  runtimeImport: { mode: "package" as const, specifier: "@locksmith/runtime" },
  declaredLocks: {
    root: "/",
    entries: [
      { function: "SerialQueue.run", kind: "mutex" as const, callback: 0 },
      { function: "LeaseClient.take", kind: "lease" as const, acquires: "try" as const, releasedBy: "LeaseClient.give", key: 0 },
    ],
  },
};

/** OPAQUE_LOCK_MODULE with the same facts as OPAQUE_LOCK_SETTINGS written as `@locksmith` JSDoc tags. */
export const ANNOTATED_LOCK_MODULE = OPAQUE_LOCK_MODULE.replace(
  "  run<T>(task",
  "  /** @locksmith runs-callback mutex callback=task */\n  run<T>(task",
)
  .replace("  async take(name: string)", "  /** @locksmith try-acquires lease key=name */\n  async take(name: string)")
  .replace("  async give(name: string)", "  /** @locksmith releases */\n  async give(name: string)");

/**
 * An in-process keyed lock helper (`withLock(key, fn)` over a map of async-mutex mutexes), two helpers over one mutex
 * each that pass their callback by reference (`runExclusive(fn)`), and method decorators over them: a legacy
 * (`experimentalDecorators`) one replacing `descriptor.value`, a TC39 one returning the replacement, and a logging
 * decorator that takes no lock.
 */
export const KEYED_LOCK_MODULE = `import { Mutex } from "async-mutex";
const mutexes = new Map<string, Mutex>();
export async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  let mutex = mutexes.get(key);
  if (!mutex) {
    mutex = new Mutex();
    mutexes.set(key, mutex);
  }
  return mutex.runExclusive(fn);
}
const ordersLock = new Mutex();
const stockLock = new Mutex();
export function withOrders<T>(fn: () => Promise<T>): Promise<T> {
  return ordersLock.runExclusive(fn);
}
export function withStock<T>(fn: () => Promise<T>): Promise<T> {
  return stockLock.runExclusive(fn);
}
export function Serialized() {
  return (_target: unknown, _key: string, descriptor: PropertyDescriptor) => {
    const original = descriptor.value;
    descriptor.value = async function (this: unknown, ...args: unknown[]) {
      const release = await ordersLock.acquire();
      try {
        return await original.apply(this, args);
      } finally {
        release();
      }
    };
  };
}
export function WithLock(key: string) {
  return function (method: (...args: any[]) => Promise<any>, _context: ClassMethodDecoratorContext) {
    return async function (this: unknown, ...args: unknown[]) {
      return withLock(key, () => method.apply(this, args));
    };
  };
}
export function Logged() {
  return (_target: unknown, key: string, descriptor: PropertyDescriptor) => {
    const original = descriptor.value;
    descriptor.value = async function (this: unknown, ...args: unknown[]) {
      console.log("calling", key);
      return original.apply(this, args);
    };
  };
}
`;

/**
 * A lock service whose body says nothing Locksmith recognises (HTTP calls to a lock server): a lock only when declared.
 * `hold(name, work)` runs `work` under the lock named `name`, `take(name)` waits for it and `give(name)` gives it back;
 * `serially(work)` runs `work` under one lock for every call.
 */
export const DECLARED_LOCK_MODULE = `export class LockClient {
  async hold<T>(name: string, work: () => Promise<T>): Promise<T> {
    await fetch("https://locks.internal/take/" + name, { method: "POST" });
    try {
      return await work();
    } finally {
      await fetch("https://locks.internal/give/" + name, { method: "POST" });
    }
  }
  async take(name: string): Promise<void> {
    await fetch("https://locks.internal/take/" + name, { method: "POST" });
  }
  async give(name: string): Promise<void> {
    await fetch("https://locks.internal/give/" + name, { method: "POST" });
  }
}
export const locks = new LockClient();
export async function serially<T>(work: () => Promise<T>): Promise<T> {
  await fetch("https://locks.internal/take/global", { method: "POST" });
  try {
    return await work();
  } finally {
    await fetch("https://locks.internal/give/global", { method: "POST" });
  }
}
`;

/** Engine settings declaring DECLARED_LOCK_MODULE's locks (locksmith.json `locks`), optionally as reentrant. */
export function declaredLockSettings(reentrant = false) {
  const extra = reentrant ? { reentrant: true } : {};
  return {
    runtimeImport: { mode: "package" as const, specifier: "@locksmith/runtime" },
    declaredLocks: {
      root: "/",
      entries: [
        { function: "LockClient.hold", kind: "mutex" as const, key: 0, callback: 1, ...extra },
        {
          function: "LockClient.take",
          kind: "mutex" as const,
          key: 0,
          acquires: "blocking" as const,
          releasedBy: "LockClient.give",
          ...extra,
        },
        { function: "serially", kind: "mutex" as const, callback: 0, ...extra },
      ],
    },
  };
}

/** DECLARED_LOCK_MODULE with the same facts written as `@locksmith` JSDoc tags. */
export function annotatedLockModule(reentrant = false): string {
  const flag = reentrant ? " reentrant" : "";
  return DECLARED_LOCK_MODULE.replace(
    "  async hold<T>",
    `  /** @locksmith runs-callback mutex key=name callback=work${flag} */\n  async hold<T>`,
  )
    .replace("  async take(name", `  /** @locksmith acquires mutex key=name${flag} */\n  async take(name`)
    .replace("  async give(name", "  /** @locksmith releases */\n  async give(name")
    .replace(
      "export async function serially",
      `/** @locksmith runs-callback mutex callback=work${flag} */\nexport async function serially`,
    );
}

/**
 * Two jobs nesting DECLARED_LOCK_MODULE's keyed lock taken by `take` and given back by `give`: `pack` takes `orders`
 * then `stock`, `count` the two given.
 */
export const declaredTakeJobs = (count: [string, string]) => `import { locks } from "./lock-client";
${takeNested("pack", ["orders", "stock"])}
${takeNested("count", count)}
`;
const takeNested = (job: string, keys: [string, string]) => `export async function ${job}() {
  await locks.take("${keys[0]}");
  try {
    await locks.take("${keys[1]}");
    await locks.give("${keys[1]}");
  } finally {
    await locks.give("${keys[0]}");
  }
}`;

/** Two jobs nesting DECLARED_LOCK_MODULE's keyed lock: `ship` takes `orders` then `stock`, `restock` the two given. */
export const declaredLockJobs = (restock: [string, string]) => `import { locks } from "./lock-client";
export async function ship() {
  await locks.hold("orders", async () => {
    await locks.hold("stock", async () => {});
  });
}
export async function restock() {
  await locks.hold("${restock[0]}", async () => {
    await locks.hold("${restock[1]}", async () => {});
  });
}
`;

/**
 * A lock client shipped by a package (`lockkit`, its declaration file only): `hold(name, work)` runs `work` under the
 * lock `name` on a lock server. Nothing in it says so unless declared, in locksmith.json or by the tag it may ship.
 */
export function packagedLockClient(tagged = false): Record<string, string> {
  const tag = tagged ? "  /** @locksmith runs-callback mutex key=name callback=work */\n" : "";
  return {
    "node_modules/lockkit/index.d.ts": `export declare class LockClient {\n${tag}  hold<T>(name: string, work: () => Promise<T>): Promise<T>;\n}\n`,
    "src/lock-client.ts": `import { LockClient } from "lockkit";\nexport const locks = new LockClient();\n`,
  };
}
