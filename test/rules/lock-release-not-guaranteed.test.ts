import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { ANNOTATED_LOCK_MODULE, OPAQUE_LOCK_MODULE, OPAQUE_LOCK_SETTINGS, REDIS_LOCK_MODULE } from "../helpers/lock-modules";
import { runRuleTests } from "../helpers/rule-tester";

const mutex = `import { Mutex } from "async-mutex";
const mutex = new Mutex();
`;
const declarations = `declare function charge(amount: number): Promise<void>;
declare function audit(): Promise<void>;
`;

const tryCatchRedis = `import Redis from "ioredis";
const redis = new Redis();
declare function tryCatch<T>(p: Promise<T>): Promise<[Error, undefined] | [undefined, T]>;
declare function pull(id: string): Promise<boolean>;
`;
const inTurn = (tryAroundLoop: boolean) => `import { LockManager } from "@locksmith/runtime";
const locks = new LockManager();
declare function work(): Promise<void>;
type Held = Awaited<ReturnType<LockManager["acquire"]>>;
export async function inTurn(keys: string[]) {
  const held: Held[] = [];
  ${tryAroundLoop ? "try {\n    " : ""}for (const k of [...keys].sort()) held.push(await locks.acquire(k, { timeoutMs: 1000 }));
  ${tryAroundLoop ? "  " : "try {\n    "}await work();
  } finally {
    for (const h of held) h.release();
  }
}`;
const FOREVER = "the lock is never released, and every later acquisition waits forever";
const UNTIL_EXPIRY = "the lock stays held until it expires, and every other process waits for it meanwhile";
/** A try-lock (SET NX, a project's try-once helper) is waited for by nobody: while it leaks, the others' attempts fail. */
const TRY_UNTIL_EXPIRY = "the lock stays held until it expires, and meanwhile every other attempt to take it fails";
const SESSION =
  "the lock stays held for as long as the database session lives (a pooled connection can live for hours), and everyone else waits";
const MUTEX = { lock: "`mutex`", consequence: FOREVER };
const busy = `declare function pullFeed(id: string): Promise<void>;
`;
/** A loader that serialises its fetches behind a mutex (which makes its callers candidates for lock helpers). */
const serialLoader = `import { Mutex } from "async-mutex";
const fetches = new Mutex();
declare function fetchPrice(sku: string): Promise<number | undefined>;
declare function storePrice(sku: string, amount: number): Promise<void>;
async function loadPrice(sku: string): Promise<number | undefined> {
  return await fetches.runExclusive(() => fetchPrice(sku));
}
`;
/** A WebSocket viewer whose per-connection marker is deleted in catch; `onBadFrame` handles a frame that does not parse. */
const viewer = (onBadFrame: string) => `declare function checkTicket(ticket: string): Promise<void>;
declare function ticketOf(frame: string): string;
interface Socket {
  close(code: number): void;
  send(data: string): void;
}
export class Viewer {
  private readonly admitted = new Set<string>();
  constructor(private readonly socket: Socket) {}
  onEnter = async (frame: string, stage: string) => {
    try {
      if (this.admitted.has(stage)) return;
      this.admitted.add(stage);
      const ticket = ticketOf(frame);
      try {
        await checkTicket(ticket);
        this.socket.send(\`admitted \${stage}\`);
      } catch {
        this.admitted.delete(stage);
      }
    } catch (error) {
      console.error(error);
      ${onBadFrame}
    }
  };
}`;
/** A connect de-duplication Map of tenants; `connect` is the body of the work stored under the tenant. */
const tenants = (connect: string) => `${serialLoader}export class Tenants {
  private readonly linking = new Map<string, Promise<number>>();
  async link(tenant: string): Promise<number> {
    if (this.linking.has(tenant)) {
      return await this.linking.get(tenant)!;
    }
    const connect = async () => {
${connect}
    };
    const pending = connect();
    this.linking.set(tenant, pending);
    return await pending;
  }
  async rate(tenant: string): Promise<number> {
    const linked = await this.link(tenant);
    return linked * 2;
  }
}`;
/** A janitor whose sweep hands each active stream's lease to its replication and marks each stopped stream's key
 * busy while its purge runs; `job` is the purge's promise. */
const janitor = (job: string) => `declare function purge(id: number): Promise<void>;
declare function replicate(lease: { release(): Promise<void> }): Promise<void>;
declare function listActive(): Promise<Array<{ id: number; lock(): Promise<{ release(): Promise<void> }> }>>;
declare function listStopped(): Promise<Array<{ id: number }>>;
export class Janitor {
  private readonly purging = new Map<number, Promise<void>>();
  private readonly running = new Map<number, Promise<void>>();
  async tick() {
    const result = await this.sweep();
    console.log(result.swept);
  }
  private async sweep() {
    for (const stream of await listActive()) this.running.set(stream.id, replicate(await stream.lock()));
    const stopped = await listStopped();
    for (const stream of stopped) {
      if (this.purging.has(stream.id)) {
        continue;
      }
      const job = ${job};
      this.purging.set(stream.id, job);
    }
    return { swept: stopped.length };
  }
}`;
const BUSY_KEY = "the key stays marked busy, and every later call for it is turned away until the process restarts";

/** A refund that leaves early through a helper of the file (`body`), before the work whose release is in finally. */
const refund = (helper: string, body: string) => `${mutex}${declarations}function ${helper}() {
  ${body}
}
export async function refund(amount: number) {
  await mutex.acquire();
  if (amount <= 0) {
    ${helper}();
    return;
  }
  try {
    await charge(-amount);
  } finally {
    mutex.release();
  }
}`;
/** A first acquisition released in finally, then a second acquisition of the same mutex. */
const twiceHead = `${mutex}${declarations}export async function twice(amount: number) {
  await mutex.acquire();
  try {
    await charge(amount);
  } finally {
    mutex.release();
  }
  await mutex.acquire();
`;
const claimModule = `import Redis from "ioredis";
const redis = new Redis();
const claimKey = (streamId: string, part: number) => \`stream-append:\${streamId}:\${part}\`;
export async function claimAppend(streamId: string, part: number): Promise<boolean> {
  return (await redis.set(claimKey(streamId, part), "1", "EX", 86_400, "NX")) === "OK";
}
export async function giveUpAppendClaim(streamId: string, part: number): Promise<void> {
  await redis.del(claimKey(streamId, part));
}`;
const appendHead = `import { claimAppend, giveUpAppendClaim } from "./claims";
declare function appendPart(streamId: string, part: number, body: string): Promise<void>;
export async function append(streamId: string, part: number, body: string) {
  if (!(await claimAppend(streamId, part))) return { duplicate: true };
`;

/** A lock helper that ignores SETNX's answer and always reports success (the actionhero cache-lock shape). */
const alwaysYesLocks = `import Redis from "ioredis";
const redis = new Redis();
declare function countQueuedReports(): Promise<number>;
declare function renderReports(): Promise<void>;
export class ReportLocks {
  async lock(name: string, holder: string): Promise<boolean> {
    await redis.setnx(\`report-lock:\${name}\`, holder);
    await redis.expire(\`report-lock:\${name}\`, 30);
    return true;
  }
  async unlock(name: string, holder: string) {
    await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end", 1, \`report-lock:\${name}\`, holder);
  }
}
`;
runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      // The helper always answers true, but the caller's own test reads a false answer as "not taken": nothing to release there.
      name: "a return on the branch where the caller's test of a lock helper's answer says the lock was not taken",
      code: `${alwaysYesLocks}export async function renderNightly(locks: ReportLocks, workerId: string) {
  if (!(await locks.lock("nightly", workerId))) return;
  try {
    await renderReports();
  } finally {
    await locks.unlock("nightly", workerId);
  }
}`,
    },
    {
      // The handle goes into \`pending\`, which the returned lease's release gives back: releasing is the caller's job.
      name: "a lock adapter that acquires, keeps the release function in another variable and returns a lease owning it",
      code: `import { Mutex } from "async-mutex";
const queueMutex = new Mutex();
export async function reserveQueue() {
  let release: () => void;
  if (queueMutex.isLocked()) throw new Error("queue busy");
  release = await queueMutex.acquire();
  let pending: (() => void) | undefined = release;
  return {
    release() {
      pending?.();
      pending = undefined;
    },
  };
}`,
    },
    {
      // The caller that finds the key present deletes and re-adds it (moves it to the end): a lock's turned-away caller
      // never gives back another caller's key, so the Set is a cache of recent keys, not a set of busy ones.
      name: "an LRU de-duplication Set: a key already present is refreshed and skipped, the oldest evicted by size",
      code: `${busy}const recentEvents = new Set<string>();
export async function trackOnce(eventKey: string, enabled: boolean) {
  if (recentEvents.has(eventKey)) {
    recentEvents.delete(eventKey);
    recentEvents.add(eventKey);
    return;
  }
  recentEvents.add(eventKey);
  if (recentEvents.size > 500) {
    const oldest = recentEvents.values().next().value;
    if (oldest) recentEvents.delete(oldest);
  }
  if (!enabled) return;
  await pullFeed(eventKey);
}`,
    },
    {
      // The Set is made by each call of resolveAll: it turns away a prompt seen before in the same walk (a cycle), not
      // another caller, so an error that leaves a key in it leaves nothing busy for anyone else.
      name: "a recursive walk's visited Set, made by the call that walks, left with a key when a cycle throws",
      code: `declare function dependenciesOf(id: string): Promise<string[]>;
export async function resolveAll(rootId: string): Promise<string[]> {
  const visiting = new Set<string>();
  const order: string[] = [];
  const visit = async (id: string): Promise<void> => {
    if (visiting.has(id)) throw new Error(\`cycle at \${id}\`);
    visiting.add(id);
    for (const dep of await dependenciesOf(id)) await visit(dep);
    visiting.delete(id);
    order.push(id);
  };
  await visit(rootId);
  return order;
}`,
    },
    {
      // The release runs on every path where the lock is still this caller's: when the key holds another value, the
      // lock has expired and is not this caller's to release.
      name: "release in finally under a check that the key still holds this caller's token",
      code: `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const cache = new Redis();
export async function underLock<T>(name: string, body: () => Promise<T>): Promise<T | null> {
  const token = randomUUID();
  const ok = await cache.set(name, token, "EX", 30, "NX");
  if (!ok) return null;
  try {
    return await body();
  } finally {
    const holder = await cache.get(name);
    if (holder === token) await cache.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, name, token);
  }
}`,
    },
    {
      name: "a lock object taken through a const alias and released through the field it aliases",
      code: `import { Mutex } from "async-mutex";
export class Ledger {
  private readonly mutex = new Mutex();
  async post(entry: string): Promise<void> {
    const m = this.mutex;
    await m.acquire();
    try {
      await fetch("https://ledger.example.com/" + entry);
    } finally {
      this.mutex.release();
    }
  }
}`,
    },
    {
      name: "Redis SET NX keyed by a key-building helper, released with the same call in finally",
      code: `import Redis from "ioredis";
const redis = new Redis();
const lockKey = (projectId: string) => \`reaper:lock:\${projectId}\`;
export async function reap(projectId: string): Promise<number> {
  const locked = await redis.set(lockKey(projectId), "1", "EX", 60, "NX");
  if (locked === null) return 0;
  try {
    const ids = await redis.zrangebyscore(\`sessions:\${projectId}\`, 0, Date.now() - 1_800_000);
    return ids.length;
  } finally {
    await redis.del(lockKey(projectId));
  }
}`,
    },
    {
      name: "a TC39 method decorator awaits the wrapped method before its finally releases",
      code: `${mutex}export function Exclusive() {
  return function (method: (...args: any[]) => any, _context: ClassMethodDecoratorContext) {
    return async function (this: unknown, ...args: unknown[]) {
      const release = await mutex.acquire();
      try {
        return await method.apply(this, args);
      } finally {
        release();
      }
    };
  };
}`,
    },
    {
      name: "keys taken in turn inside the try whose finally releases them",
      code: inTurn(true),
    },
    {
      name: "Promise.all of acquisitions that cannot fail (no timeout), or allSettled, loses no handle",
      code: `import { LockManager } from "@locksmith/runtime";
const locks = new LockManager();
declare function work(): Promise<void>;
export async function all(keys: string[]) {
  const held = await Promise.all(keys.map((k) => locks.acquire(k)));
  try {
    await work();
  } finally {
    for (const h of held) h.release();
  }
}`,
    },
    {
      name: "a once-per-window throttle: an expiring constant under a key not named as a lock, kept when the work is done",
      code: `${tryCatchRedis}export async function revalidate(id: string): Promise<void> {
  const key = \`revalidate:\${id}\`;
  const [setError, acquired] = await tryCatch(redis.set(key, "1", "EX", 60, "NX"));
  if (setError) return;
  if (acquired !== "OK") return;
  if (await pull(id)) return;
  await redis.del(key);
}`,
    },
    {
      name: "a promise-chain queue that stores a chain recovering from a failed task",
      code: `export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}`,
    },
    {
      name: "a promise field chained with then(ok, failed) recovers too; a chain that runs no parameter is not a queue",
      code: `declare function refresh(): Promise<void>;
export class Cache {
  private tail: Promise<void> = Promise.resolve();
  private ready: Promise<void> = Promise.resolve();
  run(task: () => Promise<void>): Promise<void> {
    this.tail = this.tail.then(task, task);
    return this.tail;
  }
  reload(): Promise<void> {
    this.ready = this.ready.then(() => refresh());
    return this.ready;
  }
}`,
    },
    {
      name: "a Set of busy keys released in finally",
      code: `${busy}export class FeedSync {
  private readonly running = new Set<string>();
  async sync(feedId: string): Promise<boolean> {
    if (this.running.has(feedId)) return false;
    this.running.add(feedId);
    try {
      await pullFeed(feedId);
    } finally {
      this.running.delete(feedId);
    }
    return true;
  }
}`,
    },
    {
      name: "a toggle of a Set (has then delete, else add) turns nobody away; a synchronous function cannot interleave",
      code: `export function toggle(open: Set<string>, id: string): Set<string> {
  const next = new Set(open);
  if (next.has(id)) {
    next.delete(id);
  } else {
    next.add(id);
  }
  return next;
}
const marks = new Set<string>();
export function mark(id: string): boolean {
  if (marks.has(id)) return false;
  marks.add(id);
  if (id.length > 10) return false;
  marks.delete(id);
  return true;
}`,
    },
    {
      name: "a Set add without a has-guard first is bookkeeping, not a lock",
      code: `${busy}const seen = new Set<string>();
export async function record(id: string) {
  seen.add(id);
  await pullFeed(id);
  seen.delete(id);
}`,
    },
    {
      name: "a read-through cache Map: filled after the read on a miss, served on a hit, deleted to invalidate: no busy key",
      code: `${serialLoader}export class PriceBook {
  private readonly prices = new Map<string, number>();
  async price(sku: string): Promise<number | undefined> {
    if (this.prices.has(sku)) {
      return this.prices.get(sku);
    }
    const fetched = await loadPrice(sku);
    if (fetched === undefined) return undefined;
    this.prices.set(sku, fetched);
    return fetched;
  }
  async reprice(sku: string, amount: number): Promise<void> {
    await storePrice(sku, amount);
    this.prices.delete(sku);
  }
  async quote(sku: string, qty: number): Promise<number> {
    const unit = await this.price(sku);
    return (unit ?? 0) * qty;
  }
}`,
    },
    {
      name: "a connect de-duplication Map whose work deletes the entry in its own finally: callers hold nothing",
      code: tenants(`      try {
        return (await loadPrice(tenant)) ?? 0;
      } finally {
        this.linking.delete(tenant);
      }`),
    },
    {
      name: "a per-connection marker kept on success, deleted in catch, and a throw before that lands in a catch closing the socket",
      code: viewer("this.socket.close(4400);"),
    },
    {
      name: "a lease declared by @locksmith JSDoc tags, given back in finally",
      code: `import { LeaseClient } from "./opaque-locks";
${declarations}const leases = new LeaseClient();
export async function payout(id: string) {
  if (!(await leases.take(id))) return;
  try {
    await charge(1);
  } finally {
    await leases.give(id);
  }
}
`,
      files: { "src/opaque-locks.ts": ANNOTATED_LOCK_MODULE },
    },
    {
      name: "return await inside try: finally runs after the work settles",
      code: `${mutex}export async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const release = await mutex.acquire();
  try {
    return await work();
  } finally {
    release();
  }
}`,
    },
    {
      name: "a call of an unresolved import (dependencies not installed) returned inside try says nothing about a promise",
      code: `${mutex}import { NextResponse } from "next-server-not-installed";
export async function handler() {
  const release = await mutex.acquire();
  try {
    return NextResponse.json({ ok: true });
  } finally {
    release();
  }
}`,
    },
    {
      name: "a synchronous value returned inside try is complete when finally releases",
      code: `${mutex}export async function counted(read: () => number): Promise<number> {
  const release = await mutex.acquire();
  try {
    return read() + 1;
  } finally {
    release();
  }
}`,
    },
    {
      name: "a promise returned from a try whose finally does not release this lock",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  try {
    await charge(amount);
  } finally {
    release();
  }
  try {
    return audit();
  } finally {
    console.log("done");
  }
}`,
    },
    {
      name: "release in finally (async-mutex)",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  try {
    await charge(amount);
  } finally {
    release();
  }
}`,
    },
    {
      name: "acquire inside try, release in finally",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  let release: (() => void) | undefined;
  try {
    release = await mutex.acquire();
    await charge(amount);
  } finally {
    release?.();
  }
}`,
    },
    {
      name: "scoped form releases by itself",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  await mutex.runExclusive(async () => {
    await charge(amount);
  });
}`,
    },
    {
      name: "await using with the runtime's handle",
      code: `import { Mutex } from "@locksmith/runtime";
const mutex = new Mutex();
${declarations}export async function pay(amount: number) {
  await using lock = await mutex.acquire();
  await charge(amount);
}`,
    },
    {
      name: "handle returned to the caller (ownership moves)",
      code: `${mutex}export async function lockAccounts() {
  const release = await mutex.acquire();
  return release;
}`,
    },
    {
      name: "transaction-scoped advisory lock is released by COMMIT",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function run(id: number) {
  const client = await pool.connect();
  await client.query("BEGIN");
  await client.query("SELECT pg_advisory_xact_lock($1)", [id]);
  await client.query("UPDATE jobs SET state = 'done' WHERE id = $1", [id]);
  await client.query("COMMIT");
  client.release();
}`,
    },
    {
      name: "lock() and unlock() in different methods of a class",
      code: `${mutex}export class Session {
  async begin() {
    await mutex.acquire();
  }
  end() {
    mutex.release();
  }
}`,
    },
    {
      name: "released in a promise's finally callback",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  return charge(amount).finally(() => release());
}`,
    },
    {
      name: "released on both ways out of try/catch",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  try {
    await charge(amount);
    release();
  } catch (error) {
    release();
    throw error;
  }
}`,
    },
    {
      name: "released in the catch before an early return and after the try: every way out releases",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  try {
    await charge(amount);
  } catch (error) {
    release();
    return false;
  }
  release();
  await audit();
  return true;
}`,
    },
    {
      name: "released before the early return on its own branch, and in finally on the other",
      code: `${mutex}${declarations}export async function pay(amount: number, cached?: boolean) {
  const release = await mutex.acquire();
  if (cached) {
    release();
    return true;
  }
  try {
    await charge(amount);
  } finally {
    release();
  }
  return true;
}`,
    },
    {
      name: "a spin loop around SET NX: released in finally once the loop has taken it",
      code: `import Redis from "ioredis";
const redis = new Redis();
${declarations}export async function settle(id: string) {
  while (!(await redis.set(\`lock:settle:\${id}\`, "1", "PX", 5000, "NX"))) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    await charge(1);
  } finally {
    await redis.del(\`lock:settle:\${id}\`);
  }
}`,
    },
    {
      name: "the app's own lock service and lock helper, released in finally",
      code: `import { RedisLockService, lockOrder, markProcessed } from "./redis-lock";
${declarations}export class Payouts {
  constructor(private readonly locks: RedisLockService) {}
  async payout(id: string) {
    if (!(await this.locks.acquire(\`payout:\${id}\`))) return;
    try {
      await charge(1);
    } finally {
      await this.locks.release(\`payout:\${id}\`);
    }
  }
  async settle(id: string) {
    const unlock = await lockOrder(id);
    try {
      await charge(2);
    } finally {
      await unlock();
    }
  }
  async once(id: string) {
    if (!(await markProcessed(id))) return;
    await charge(3);
  }
}
`,
      files: { "src/redis-lock.ts": REDIS_LOCK_MODULE },
    },
    {
      name: "a pool's acquire() is not a lock",
      code: `import { createPool } from "generic-pool";
const pool = createPool({} as any);
export async function use() {
  const conn = await pool.acquire();
  await (conn as any).ping();
  await pool.release(conn);
}`,
    },
    {
      name: "Redis SET NX checked, DEL in finally",
      code: `import Redis from "ioredis";
const redis = new Redis();
${declarations}export async function pay(id: string) {
  const ok = await redis.set(\`lock:\${id}\`, "t", "NX", "PX", 10000);
  if (!ok) return;
  try {
    await charge(1);
  } finally {
    await redis.del(\`lock:\${id}\`);
  }
}`,
    },
    {
      // Field report p08: an idempotency marker, kept on success and deleted only when the work failed so that the
      // sender's retry runs it again. Not a lock: the release on the success path is missing on purpose.
      name: "SET NX idempotency marker deleted only in a catch clause",
      code: `import Redis from "ioredis";
const redis = new Redis();
declare function applyDelivery(payload: unknown): Promise<void>;
export async function handleDelivery(providerId: string, deliveryId: string, payload: unknown) {
  const seenKey = \`delivery:\${providerId}:\${deliveryId}\`;
  const claimed = await redis.set(seenKey, "1", "NX", "EX", 600);
  if (!claimed) return "duplicate";
  try {
    await applyDelivery(payload);
  } catch (error) {
    await redis.del(seenKey);
    return "failed";
  }
  await redis.expire(seenKey, 7 * 86400);
  return "applied";
}`,
    },
    {
      // What the lock guards was awaited inside the try; the returned promise only reads, which needs no lock.
      name: "a read handed back from try (a project helper that only reads), after the guarded writes were awaited",
      code: `${mutex}import Redis from "ioredis";
const redis = new Redis();
async function loadCounters(key: string): Promise<Record<string, number>> {
  const raw = await redis.hgetall(key);
  return Object.fromEntries(Object.entries(raw).map(([field, value]) => [field, Number(value)]));
}
export async function foldCounters(tenantId: string, delta: Record<string, number>) {
  const release = await mutex.acquire();
  try {
    await redis.hset(\`counters:\${tenantId}\`, delta);
    return loadCounters(\`counters:\${tenantId}\`);
  } finally {
    release();
  }
}`,
    },
    {
      // The early return hands the lock back through a helper of the file whose body releases the same mutex.
      name: "an early return after a same-file helper that releases the module's mutex",
      code: refund("giveBack", "mutex.release();"),
    },
    {
      name: "an early return after the class's own unlock method, which releases the field's mutex",
      code: `import { Mutex } from "async-mutex";
${declarations}export class Till {
  private readonly lock = new Mutex();
  private unlock() {
    this.lock.release();
  }
  async take(amount: number) {
    await this.lock.acquire();
    if (amount < 0) {
      this.unlock();
      return;
    }
    try {
      await charge(amount);
    } finally {
      this.lock.release();
    }
  }
}`,
    },
    {
      name: "an early return before the lock is taken, the release in finally",
      code: `${mutex}${declarations}export async function settle(amount: number) {
  if (amount === 0) return;
  await mutex.acquire();
  try {
    await charge(amount);
  } finally {
    mutex.release();
  }
}`,
    },
    {
      // Kept on success (the early return) and given back only when the append failed: an idempotency claim.
      name: "a claim helper's SET NX given back only in a catch, through a helper of the claim's module",
      code: `${appendHead}  try {
    await appendPart(streamId, part, body);
  } catch (error) {
    await giveUpAppendClaim(streamId, part);
    throw error;
  }
  return { duplicate: false };
}`,
      files: { "src/claims.ts": claimModule },
    },
    {
      // Session 15 held-out shape: the key's value is the work's promise, whose `.finally()` deletes the key.
      name: "a busy key stored with the work's promise whose .finally() deletes it: freed however the work ends",
      code: janitor(`purge(stream.id)
        .catch((e) => console.warn(e))
        .finally(() => {
          this.purging.delete(stream.id);
        })`),
    },
  ],
  invalid: [
    {
      name: "a busy key stored with the work's promise deleted in .then() only: a failed purge keeps the key busy",
      code: janitor(`purge(stream.id).then(() => {
        this.purging.delete(stream.id);
      })`),
      errors: [
        {
          line: 9,
          column: 26,
          messageId: "neverReleased",
          data: { lock: "The busy key `stream.id` of `this.purging` (taken by `this.sweep`)", consequence: BUSY_KEY, fn: "`tick`" },
        },
      ],
    },
    {
      name: "a busy key stored with the work's promise that has the deleting .finally() on one branch only",
      code: janitor(`stream.id > 0 ? purge(stream.id).finally(() => this.purging.delete(stream.id)) : purge(stream.id)`),
      errors: [
        {
          line: 9,
          column: 26,
          messageId: "neverReleased",
          data: { lock: "The busy key `stream.id` of `this.purging` (taken by `this.sweep`)", consequence: BUSY_KEY, fn: "`tick`" },
        },
      ],
    },
    {
      name: "a lock helper's answer tested, then a return on another test after the lock is taken, before the try",
      code: `${alwaysYesLocks}export async function renderQueued(locks: ReportLocks, workerId: string) {
  if (!(await locks.lock("queued", workerId))) return;
  if ((await countQueuedReports()) === 0) return;
  try {
    await renderReports();
  } finally {
    await locks.unlock("queued", workerId);
  }
}`,
      errors: [
        {
          line: 16,
          column: 15,
          messageId: "releaseSkippable",
          data: {
            lock: 'The lock `locks.lock` takes for `"queued"`',
            consequence: FOREVER,
            line: 21,
            skip: "the `return` at line 17 runs",
          },
        },
      ],
    },
    {
      name: "a release function assigned after the acquisition, called after the work, not in finally",
      code: `import { Mutex } from "async-mutex";
const queueMutex = new Mutex();
declare function drain(): Promise<void>;
export async function drainQueue() {
  let release: () => void;
  release = await queueMutex.acquire();
  await drain();
  release();
}`,
      errors: [{ line: 6, column: 19, messageId: "releaseSkippable" }],
      output: `import { Mutex } from "async-mutex";
const queueMutex = new Mutex();
declare function drain(): Promise<void>;
export async function drainQueue() {
  let release: () => void;
  release = await queueMutex.acquire();
  try {
    await drain();
  } finally {
    release();
  }
}`,
    },
    {
      name: "a Set of keys in progress whose present key is only skipped, deleted after the work, not in finally",
      code: `${busy}const exporting = new Set<string>();
export async function exportOnce(reportId: string) {
  if (exporting.has(reportId)) {
    return;
  }
  exporting.add(reportId);
  await pullFeed(reportId);
  exporting.delete(reportId);
}`,
      errors: [
        {
          line: 7,
          column: 3,
          messageId: "releaseSkippable",
          data: {
            lock: "The busy key `reportId` of `exporting`",
            consequence: BUSY_KEY,
            line: 9,
            skip: "`await pullFeed(reportId)` at line 8 throws",
          },
        },
      ],
      output: `${busy}const exporting = new Set<string>();
export async function exportOnce(reportId: string) {
  if (exporting.has(reportId)) {
    return;
  }
  exporting.add(reportId);
  try {
    await pullFeed(reportId);
  } finally {
    exporting.delete(reportId);
  }
}`,
    },
    {
      // Made by the call, but shared by callbacks that run at once: a key left in it turns the other callbacks away.
      name: "a Set made by the call and shared by the callbacks it runs at once, released after the work",
      code: `${busy}export async function pullAll(ids: string[]) {
  const inFlight = new Set<string>();
  await Promise.all(
    ids.map(async (id) => {
      if (inFlight.has(id)) return;
      inFlight.add(id);
      await pullFeed(id);
      inFlight.delete(id);
    }),
  );
}`,
      errors: [
        {
          line: 7,
          column: 7,
          messageId: "releaseSkippable",
          data: { lock: "The busy key `id` of `inFlight`", consequence: BUSY_KEY, line: 9, skip: "`await pullFeed(id)` at line 8 throws" },
        },
      ],
      output: `${busy}export async function pullAll(ids: string[]) {
  const inFlight = new Set<string>();
  await Promise.all(
    ids.map(async (id) => {
      if (inFlight.has(id)) return;
      inFlight.add(id);
      try {
        await pullFeed(id);
      } finally {
        inFlight.delete(id);
      }
    }),
  );
}`,
    },
    {
      name: "the same claim given back after a successful append too: a lock, whose release a failed append skips",
      code: `${appendHead}  await appendPart(streamId, part, body);
  await giveUpAppendClaim(streamId, part);
  return { duplicate: false };
}`,
      files: { "src/claims.ts": claimModule },
      errors: [
        {
          line: 4,
          column: 15,
          messageId: "releaseSkippable",
          data: {
            lock: "Redis lock `claimKey(streamId, part)` (taken by `claimAppend`)",
            consequence: TRY_UNTIL_EXPIRY,
            line: 6,
            skip: "`await appendPart(streamId, part, body)` at line 5 throws",
          },
        },
      ],
    },
    {
      name: "an early return after a helper that does not release: the return skips the release in finally's reach",
      code: refund("note", 'console.log("nothing to refund");'),
      errors: [
        {
          line: 9,
          column: 9,
          messageId: "releaseSkippable",
          data: { ...MUTEX, line: 17, skip: "the `return` at line 12 runs" },
        },
      ],
    },
    {
      name: "a return after a release in one branch only: the message names the release that the return goes around",
      code: `${mutex}${declarations}export async function settle(amount: number, quick: boolean) {
  await mutex.acquire();
  if (quick) {
    mutex.release();
  }
  if (amount > 10) return;
  try {
    await charge(amount);
  } finally {
    mutex.release();
  }
}`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "releaseSkippable",
          data: { ...MUTEX, line: 14, skip: "the `return` at line 10 runs" },
        },
      ],
    },
    {
      name: "two acquisitions in one function: the second's message names its own release, not the first's",
      code: `${twiceHead}  await audit();
  mutex.release();
}`,
      errors: [
        {
          line: 12,
          column: 9,
          messageId: "releaseSkippable",
          data: { ...MUTEX, line: 14, skip: "`await audit()` at line 13 throws" },
        },
      ],
      output: `${twiceHead}  try {
    await audit();
  } finally {
    mutex.release();
  }
}`,
    },
    {
      name: "the same shape when the returned helper writes: released before the write settles",
      code: `${mutex}import Redis from "ioredis";
const redis = new Redis();
async function storeCounters(key: string, delta: Record<string, number>): Promise<number> {
  return redis.hset(key, delta);
}
export async function foldCounters(tenantId: string, delta: Record<string, number>) {
  const release = await mutex.acquire();
  try {
    await redis.hgetall(\`counters:\${tenantId}\`);
    return storeCounters(\`counters:\${tenantId}\`, delta);
  } finally {
    release();
  }
}`,
      errors: [
        {
          line: 12,
          column: 12,
          messageId: "releasedBeforeSettled",
          data: { lock: "`mutex`", line: 14, work: "`` storeCounters(`counters:${tenantId}`, delta) ``" },
        },
      ],
      output: `${mutex}import Redis from "ioredis";
const redis = new Redis();
async function storeCounters(key: string, delta: Record<string, number>): Promise<number> {
  return redis.hset(key, delta);
}
export async function foldCounters(tenantId: string, delta: Record<string, number>) {
  const release = await mutex.acquire();
  try {
    await redis.hgetall(\`counters:\${tenantId}\`);
    return await storeCounters(\`counters:\${tenantId}\`, delta);
  } finally {
    release();
  }
}`,
    },
    {
      // Twin of the owner-checked release: a condition that says nothing about who holds the key can skip the release.
      name: "release in finally under a condition unrelated to the lock's owner",
      code: `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const cache = new Redis();
export async function underLock<T>(name: string, keep: boolean, body: () => Promise<T>): Promise<T | null> {
  const token = randomUUID();
  const ok = await cache.set(name, token, "EX", 30, "NX");
  if (!ok) return null;
  try {
    return await body();
  } finally {
    if (!keep) await cache.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, name, token);
  }
}`,
      errors: [{ line: 6, column: 20, messageId: "releaseSkippable" }],
    },
    {
      name: "Redis SET NX result assigned inside a try; the work after the check can throw before the DEL",
      code: `import Redis from "ioredis";
const redis = new Redis();
declare function work(id: string): Promise<void>;
export async function run(id: string) {
  const key = \`lock:job:\${id}\`;
  let locked: string | null;
  try {
    locked = await redis.set(key, "1", "PX", 30_000, "NX");
  } catch {
    return;
  }
  if (!locked) return;
  await work(id);
  await redis.del(key);
}`,
      errors: [
        {
          line: 8,
          column: 20,
          messageId: "releaseSkippable",
          data: { lock: "Redis lock `key`", consequence: TRY_UNTIL_EXPIRY, line: 14, skip: "`await work(id)` at line 13 throws" },
        },
      ],
    },
    {
      name: "a TC39 method decorator returns the wrapped method's result (type any) from try",
      code: `${mutex}export function Exclusive() {
  return function (method: (...args: any[]) => any, _context: ClassMethodDecoratorContext) {
    return async function (this: unknown, ...args: unknown[]) {
      const release = await mutex.acquire();
      try {
        return method.apply(this, args);
      } finally {
        release();
      }
    };
  };
}`,
      errors: [
        {
          line: 8,
          column: 16,
          messageId: "releasedBeforeSettledIfPromise",
          data: { lock: "`mutex`", line: 10, work: "`method.apply(this, args)`" },
        },
      ],
      output: `${mutex}export function Exclusive() {
  return function (method: (...args: any[]) => any, _context: ClassMethodDecoratorContext) {
    return async function (this: unknown, ...args: unknown[]) {
      const release = await mutex.acquire();
      try {
        return await method.apply(this, args);
      } finally {
        release();
      }
    };
  };
}`,
    },
    {
      name: "keys taken in turn with a timeout before the try: a later timeout leaks the earlier locks",
      code: inTurn(false),
      errors: [
        {
          line: 7,
          column: 53,
          messageId: "leakedByLaterFailure",
          data: {
            lock: "`locks` key `k`",
            collection: "`[...keys].sort()`",
            held: "`held`",
            failure: "its timeout passes or its signal aborts",
          },
        },
      ],
    },
    {
      name: "Promise.all of acquisitions with a timeout: one timing out loses the handles of the others",
      code: `import { LockManager } from "@locksmith/runtime";
const locks = new LockManager();
declare function work(): Promise<void>;
export async function all(keys: string[]) {
  const held = await Promise.all(keys.map(async (k) => await locks.acquire(k, { timeoutMs: 1000 })));
  try {
    await work();
  } finally {
    for (const h of held) h.release();
  }
}`,
      errors: [
        {
          line: 5,
          column: 62,
          messageId: "lostInPromiseAll",
          data: { lock: "`locks` key `k`", collection: "`keys`", failure: "its timeout passes or its signal aborts" },
          related: [{ line: 5, message: "rejects as soon as one acquisition fails" }],
        },
      ],
    },
    {
      name: "an [error, value] tuple from a tryCatch helper: the error and busy returns hold nothing, a throwing call does",
      code: `${tryCatchRedis}export async function sync(id: string, token: string): Promise<void> {
  const key = \`lock:sync:\${id}\`;
  const [error, ok] = await tryCatch(redis.set(key, token, "PX", 30000, "NX"));
  if (error) return;
  if (ok !== "OK") return;
  await pull(id);
  await redis.del(key);
}`,
      errors: [
        {
          line: 7,
          column: 38,
          messageId: "releaseSkippable",
          data: { lock: "Redis lock `key`", consequence: TRY_UNTIL_EXPIRY, line: 11, skip: "`await pull(id)` at line 10 throws" },
        },
      ],
      output: `${tryCatchRedis}export async function sync(id: string, token: string): Promise<void> {
  const key = \`lock:sync:\${id}\`;
  const [error, ok] = await tryCatch(redis.set(key, token, "PX", 30000, "NX"));
  if (error) return;
  if (ok !== "OK") return;
  try {
    await pull(id);
  } finally {
    await redis.del(key);
  }
}`,
    },
    {
      name: "a promise-chain queue storing the bare chain: one failed task poisons every later one",
      code: `export class JobQueue {
  private queue: Promise<void> = Promise.resolve();
  enqueue(job: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(() => job());
    return this.queue;
  }
}`,
      errors: [
        {
          line: 4,
          column: 5,
          endColumn: 46,
          messageId: "chainNeverRecovers",
          data: { chain: "The promise chain `this.queue`" },
          message:
            "The promise chain `this.queue` runs each task after the previous one, but the chain stored here does not recover from a rejection: after one task fails, every later task is skipped and rejects with that error, for as long as the process lives.",
        },
      ],
    },
    {
      name: "a promise-chain queue stored through `const self = this` is the same field's chain",
      code: `export class JobQueue {
  private queue: Promise<void> = Promise.resolve();
  enqueue(job: () => Promise<void>): Promise<void> {
    const self = this;
    self.queue = this.queue.then(() => job());
    return this.queue;
  }
}`,
      errors: [
        {
          line: 5,
          column: 5,
          endColumn: 46,
          messageId: "chainNeverRecovers",
          data: { chain: "The promise chain `this.queue`" },
        },
      ],
    },
    {
      name: "a Set of busy keys (skip when busy) released after the work, not in finally",
      code: `${busy}export class FeedSync {
  private readonly running = new Set<string>();
  async sync(feedId: string): Promise<boolean> {
    if (this.running.has(feedId)) return false;
    this.running.add(feedId);
    await pullFeed(feedId);
    this.running.delete(feedId);
    return true;
  }
}`,
      errors: [
        {
          line: 6,
          column: 5,
          messageId: "releaseSkippable",
          data: {
            lock: "The busy key `feedId` of `this.running`",
            consequence: BUSY_KEY,
            line: 8,
            skip: "`await pullFeed(feedId)` at line 7 throws",
          },
        },
      ],
      output: `${busy}export class FeedSync {
  private readonly running = new Set<string>();
  async sync(feedId: string): Promise<boolean> {
    if (this.running.has(feedId)) return false;
    this.running.add(feedId);
    try {
      await pullFeed(feedId);
    } finally {
      this.running.delete(feedId);
    }
    return true;
  }
}`,
    },
    {
      name: "a Map of keys in flight (throw when busy) released after the work",
      code: `${busy}const inFlight = new Map<string, number>();
export async function once(id: string) {
  if (inFlight.has(id)) throw new Error("already running");
  inFlight.set(id, Date.now());
  await pullFeed(id);
  inFlight.delete(id);
}`,
      errors: [
        {
          line: 5,
          column: 3,
          messageId: "releaseSkippable",
          data: { lock: "The busy key `id` of `inFlight`", consequence: BUSY_KEY, line: 7, skip: "`await pullFeed(id)` at line 6 throws" },
        },
      ],
      output: `${busy}const inFlight = new Map<string, number>();
export async function once(id: string) {
  if (inFlight.has(id)) throw new Error("already running");
  inFlight.set(id, Date.now());
  try {
    await pullFeed(id);
  } finally {
    inFlight.delete(id);
  }
}`,
    },
    {
      name: "a single-flight Map served on a hit but marked before the work and cleared after it, not in finally",
      code: `${serialLoader}export class Exports {
  private readonly running = new Map<string, Promise<void>>();
  async run(report: string): Promise<void> {
    if (this.running.has(report)) return this.running.get(report);
    const job = storePrice(report, 0);
    this.running.set(report, job);
    await job;
    this.running.delete(report);
  }
}`,
      errors: [
        {
          line: 13,
          column: 5,
          messageId: "releaseSkippable",
          data: { lock: "The busy key `report` of `this.running`", consequence: BUSY_KEY, line: 15, skip: "`await job` at line 14 throws" },
        },
      ],
      output: `${serialLoader}export class Exports {
  private readonly running = new Map<string, Promise<void>>();
  async run(report: string): Promise<void> {
    if (this.running.has(report)) return this.running.get(report);
    const job = storePrice(report, 0);
    this.running.set(report, job);
    try {
      await job;
    } finally {
      this.running.delete(report);
    }
  }
}`,
    },
    {
      name: "a connect de-duplication Map whose work deletes the entry after its await, not in finally: callers keep it on a throw",
      code: tenants(`      const rate = (await loadPrice(tenant)) ?? 0;
      this.linking.delete(tenant);
      return rate;`),
      errors: [{ line: 24, column: 26, messageId: "neverReleased" }],
    },
    {
      name: "a per-connection marker deleted in catch, but a throw before that try lands in a catch that keeps the socket open",
      code: viewer('this.socket.send("bad frame");'),
      errors: [
        {
          line: 13,
          column: 7,
          messageId: "releaseSkippable",
          data: {
            lock: "The busy key `stage` of `this.admitted`",
            consequence: BUSY_KEY,
            line: 19,
            skip: "`ticketOf(frame)` at line 14 throws",
          },
        },
      ],
    },
    {
      name: "a lock helper returns the work's promise from try: finally releases before it settles",
      code: `${mutex}export async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const release = await mutex.acquire();
  try {
    return work();
  } finally {
    release();
  }
}`,
      errors: [
        {
          line: 6,
          column: 12,
          endColumn: 18,
          messageId: "releasedBeforeSettled",
          data: { lock: "`mutex`", line: 8, work: "`work()`" },
          message:
            "`mutex` is released in `finally` at line 8 as soon as this `return` hands back the promise of `work()`, before it settles: the rest of `work()` runs without the lock, alongside the next holder.",
          related: [
            { line: 4, message: "acquired here" },
            { line: 8, message: "released here before the returned promise settles" },
          ],
        },
      ],
      output: `${mutex}export async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const release = await mutex.acquire();
  try {
    return await work();
  } finally {
    release();
  }
}`,
    },
    {
      name: "a method decorator returns the wrapped method's result (type any) from try",
      code: `${mutex}export function Serialized() {
  return (_target: unknown, _key: string, descriptor: PropertyDescriptor) => {
    const original = descriptor.value;
    descriptor.value = async function (this: unknown, ...args: unknown[]) {
      const release = await mutex.acquire();
      try {
        return original.apply(this, args);
      } finally {
        release();
      }
    };
  };
}`,
      errors: [
        {
          line: 9,
          column: 16,
          messageId: "releasedBeforeSettledIfPromise",
          data: { lock: "`mutex`", line: 11, work: "`original.apply(this, args)`" },
        },
      ],
      output: `${mutex}export function Serialized() {
  return (_target: unknown, _key: string, descriptor: PropertyDescriptor) => {
    const original = descriptor.value;
    descriptor.value = async function (this: unknown, ...args: unknown[]) {
      const release = await mutex.acquire();
      try {
        return await original.apply(this, args);
      } finally {
        release();
      }
    };
  };
}`,
    },
    {
      name: "SET NX released after the work on the success path only (a lock, not a marker)",
      code: `import Redis from "ioredis";
const redis = new Redis();
declare function pullFeed(feedId: string): Promise<void>;
export async function syncFeed(feedId: string, token: string) {
  const key = \`sync:\${feedId}\`;
  const ok = await redis.set(key, token, "EX", 120, "NX");
  if (ok !== "OK") return { skipped: true };
  await pullFeed(feedId);
  await redis.del(key);
  return { synced: true };
}`,
      errors: [
        {
          line: 6,
          column: 20,
          messageId: "releaseSkippable",
          data: { lock: "Redis lock `key`", consequence: TRY_UNTIL_EXPIRY, line: 9, skip: "`await pullFeed(feedId)` at line 8 throws" },
        },
      ],
      output: `import Redis from "ioredis";
const redis = new Redis();
declare function pullFeed(feedId: string): Promise<void>;
export async function syncFeed(feedId: string, token: string) {
  const key = \`sync:\${feedId}\`;
  const ok = await redis.set(key, token, "EX", 120, "NX");
  if (ok !== "OK") return { skipped: true };
  try {
    await pullFeed(feedId);
  } finally {
    await redis.del(key);
  }
  return { synced: true };
}`,
    },
    {
      name: "release after the work, not in finally",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  await charge(amount);
  await audit();
  release();
}`,
      errors: [
        {
          line: 6,
          column: 25,
          endLine: 6,
          endColumn: 40,
          messageId: "releaseSkippable",
          data: { ...MUTEX, line: 9, skip: "`await charge(amount)` at line 7 throws" },
          // The golden full messages and help of this rule (and the one of "never released" below).
          message:
            "`mutex` is released at line 9 only if nothing goes wrong: if `await charge(amount)` at line 7 throws, the release is skipped and the lock is never released, and every later acquisition waits forever.",
          help: "Release it in a `finally` block.",
          related: [{ line: 9, message: "released here, but not on every path" }],
        },
      ],
      output: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  try {
    await charge(amount);
    await audit();
  } finally {
    release();
  }
}`,
    },
    {
      name: "early return skips the release",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  if (amount <= 0) return false;
  await charge(amount);
  release();
  return true;
}`,
      errors: [{ line: 6, column: 25, messageId: "releaseSkippable", data: { ...MUTEX, line: 9, skip: "the `return` at line 7 runs" } }],
      output: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  try {
    if (amount <= 0) return false;
    await charge(amount);
  } finally {
    release();
  }
  return true;
}`,
    },
    {
      name: "the early return releases, the slow path does not: the message names what skips it, not the return",
      code: `${mutex}${declarations}export async function pay(amount: number, cached?: boolean) {
  const release = await mutex.acquire();
  if (cached) {
    release();
    return true;
  }
  await charge(amount);
  release();
  return true;
}`,
      errors: [
        {
          line: 6,
          column: 25,
          messageId: "releaseSkippable",
          // The release the throwing call goes on to, not the early branch's.
          data: { ...MUTEX, line: 12, skip: "`await charge(amount)` at line 11 throws" },
          related: [
            { line: 8, message: "released here, but not on every path" },
            { line: 12, message: "released here, but not on every path" },
          ],
        },
      ],
    },
    {
      name: "a catch that swallows the error skips the release in the try",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  try {
    await charge(amount);
    release();
  } catch (error) {
    console.error(error);
  }
}`,
      errors: [
        {
          line: 6,
          column: 25,
          messageId: "releaseSkippable",
          data: { ...MUTEX, line: 9, skip: "`await charge(amount)` at line 8 throws" },
        },
      ],
    },
    {
      name: "a break out of the loop skips the release at the end of the iteration",
      code: `${mutex}${declarations}export async function drain(amounts: number[]) {
  for (const amount of amounts) {
    const release = await mutex.acquire();
    if (amount < 0) break;
    release();
  }
}`,
      errors: [{ line: 7, column: 27, messageId: "releaseSkippable", data: { ...MUTEX, line: 9, skip: "the `break` at line 8 runs" } }],
      output: `${mutex}${declarations}export async function drain(amounts: number[]) {
  for (const amount of amounts) {
    const release = await mutex.acquire();
    try {
      if (amount < 0) break;
    } finally {
      release();
    }
  }
}`,
    },
    {
      name: "released only when a condition holds",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  const settled = amount > 0;
  if (settled) {
    release();
  }
}`,
      errors: [{ line: 6, column: 25, messageId: "releaseSkippable", data: { ...MUTEX, line: 9, skip: "`settled` at line 8 is false" } }],
    },
    {
      name: "the app's own lock service and lock helper, released after the work",
      code: `import { RedisLockService, lockOrder } from "./redis-lock";
${declarations}export class Payouts {
  constructor(private readonly locks: RedisLockService) {}
  async payout(id: string) {
    if (!(await this.locks.acquire(\`payout:\${id}\`))) return;
    await charge(1);
    await this.locks.release(\`payout:\${id}\`);
  }
  async settle(id: string) {
    const unlock = await lockOrder(id);
    await charge(2);
    await unlock();
  }
}
`,
      files: { "src/redis-lock.ts": REDIS_LOCK_MODULE },
      errors: [
        {
          line: 7,
          column: 17,
          messageId: "releaseSkippable",
          data: {
            lock: "The lock `this.locks.acquire` takes for `payout:${id}`",
            consequence: TRY_UNTIL_EXPIRY,
            line: 9,
            skip: "`await charge(1)` at line 8 throws",
          },
          message:
            "The lock `this.locks.acquire` takes for `payout:${id}` is released at line 9 only if nothing goes wrong: if `await charge(1)` at line 8 throws, the release is skipped and the lock stays held until it expires, and meanwhile every other attempt to take it fails.",
        },
        {
          line: 12,
          column: 26,
          messageId: "releaseSkippable",
          data: {
            lock: "The lock `lockOrder` takes for `id`",
            consequence: UNTIL_EXPIRY,
            line: 14,
            skip: "`await charge(2)` at line 13 throws",
          },
        },
      ],
      // lockOrder retries its SET NX until it succeeds: it waits, so the release moves to a finally (the try-lock
      // above is left to the author: what to do when it is not acquired is theirs to say).
      output: `import { RedisLockService, lockOrder } from "./redis-lock";
${declarations}export class Payouts {
  constructor(private readonly locks: RedisLockService) {}
  async payout(id: string) {
    if (!(await this.locks.acquire(\`payout:\${id}\`))) return;
    await charge(1);
    await this.locks.release(\`payout:\${id}\`);
  }
  async settle(id: string) {
    const unlock = await lockOrder(id);
    try {
      await charge(2);
    } finally {
      await unlock();
    }
  }
}
`,
    },
    {
      name: "a lease declared in locksmith.json, given back after the work",
      code: `import { LeaseClient } from "./opaque-locks";
${declarations}const leases = new LeaseClient();
export async function payout(id: string) {
  if (!(await leases.take(id))) return;
  await charge(1);
  await leases.give(id);
}
`,
      files: { "src/opaque-locks.ts": OPAQUE_LOCK_MODULE },
      settings: OPAQUE_LOCK_SETTINGS,
      errors: [
        {
          line: 6,
          column: 15,
          messageId: "releaseSkippable",
          data: {
            lock: "The lock `leases.take` takes for `id`",
            consequence: TRY_UNTIL_EXPIRY,
            line: 8,
            skip: "`await charge(1)` at line 7 throws",
          },
        },
      ],
    },
    {
      name: "a lease declared by @locksmith JSDoc tags, given back after the work",
      code: `import { LeaseClient } from "./opaque-locks";
${declarations}const leases = new LeaseClient();
export async function payout(id: string) {
  if (!(await leases.take(id))) return;
  await charge(1);
  await leases.give(id);
}
`,
      files: { "src/opaque-locks.ts": ANNOTATED_LOCK_MODULE },
      errors: [
        {
          line: 6,
          column: 15,
          messageId: "releaseSkippable",
          data: {
            lock: "The lock `leases.take` takes for `id`",
            consequence: TRY_UNTIL_EXPIRY,
            line: 8,
            skip: "`await charge(1)` at line 7 throws",
          },
        },
      ],
    },
    {
      name: "session advisory lock unlocked without finally",
      code: `import { Pool } from "pg";
const pool = new Pool();
${declarations}export async function run(id: number) {
  await pool.query("SELECT pg_advisory_lock($1)", [id]);
  await charge(id);
  await pool.query("SELECT pg_advisory_unlock($1)", [id]);
}`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "releaseSkippable",
          data: {
            lock: "PostgreSQL advisory lock (`pg_advisory_lock`)",
            consequence: SESSION,
            line: 8,
            skip: "`await charge(id)` at line 7 throws",
          },
        },
      ],
      output: `import { Pool } from "pg";
const pool = new Pool();
${declarations}export async function run(id: number) {
  await pool.query("SELECT pg_advisory_lock($1)", [id]);
  try {
    await charge(id);
  } finally {
    await pool.query("SELECT pg_advisory_unlock($1)", [id]);
  }
}`,
    },
    {
      name: "redlock lease released without finally (expires, but blocks until then)",
      code: `import Redlock from "redlock";
const redlock = new Redlock([]);
${declarations}export async function run(id: string) {
  const lock = await redlock.acquire([\`order:\${id}\`], 5000);
  await charge(1);
  await lock.release();
}`,
      errors: [
        {
          line: 6,
          column: 22,
          messageId: "releaseSkippable",
          data: {
            lock: "`redlock` key `` [`order:${id}`] ``",
            consequence: UNTIL_EXPIRY,
            line: 8,
            skip: "`await charge(1)` at line 7 throws",
          },
        },
      ],
      output: `import Redlock from "redlock";
const redlock = new Redlock([]);
${declarations}export async function run(id: string) {
  const lock = await redlock.acquire([\`order:\${id}\`], 5000);
  try {
    await charge(1);
  } finally {
    await lock.release();
  }
}`,
    },
    {
      name: "SET NX: the success check stays outside the try",
      code: `import Redis from "ioredis";
const redis = new Redis();
${declarations}export async function pay(id: string) {
  const ok = await redis.set(\`lock:\${id}\`, "t", "NX", "PX", 10000);
  if (!ok) return;
  await charge(1);
  await redis.del(\`lock:\${id}\`);
}`,
      errors: [
        {
          line: 6,
          column: 20,
          messageId: "releaseSkippable",
          data: { lock: "Redis lock `lock:${id}`", consequence: TRY_UNTIL_EXPIRY, line: 9, skip: "`await charge(1)` at line 8 throws" },
        },
      ],
      output: `import Redis from "ioredis";
const redis = new Redis();
${declarations}export async function pay(id: string) {
  const ok = await redis.set(\`lock:\${id}\`, "t", "NX", "PX", 10000);
  if (!ok) return;
  try {
    await charge(1);
  } finally {
    await redis.del(\`lock:\${id}\`);
  }
}`,
    },
    {
      name: "a value computed under the lock is used after the release: reported, no automatic fix",
      code: `${mutex}${declarations}export async function next() {
  const release = await mutex.acquire();
  const value = await load();
  release();
  return value;
}
declare function load(): Promise<number>;`,
      errors: [
        { line: 6, column: 25, messageId: "releaseSkippable", data: { ...MUTEX, line: 8, skip: "`await load()` at line 7 throws" } },
      ],
      output: null,
    },
    {
      name: "something that can throw between acquisition and try",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  await audit();
  try {
    await charge(amount);
  } finally {
    release();
  }
}`,
      errors: [
        { line: 6, column: 25, messageId: "releaseSkippable", data: { ...MUTEX, line: 11, skip: "`await audit()` at line 7 throws" } },
      ],
      output: null,
    },
    {
      name: "a local release handle that is never called",
      code: `${mutex}${declarations}export async function pay(amount: number) {
  const release = await mutex.acquire();
  await charge(amount);
}`,
      errors: [
        {
          line: 6,
          column: 25,
          messageId: "neverReleased",
          data: { ...MUTEX, fn: "`pay`" },
          message:
            "`mutex` is acquired here and never released in `pay`: the lock is never released, and every later acquisition waits forever.",
          help: "Release it in a `finally` block, or use the scoped form.",
        },
      ],
    },
    {
      name: "template literal lines keep their content when re-indented",
      code: `${mutex}${declarations}export async function report(db: { query(sql: string): Promise<void> }) {
  const release = await mutex.acquire();
  await db.query(\`
UPDATE stats
SET runs = runs + 1\`);
  release();
}`,
      errors: [
        {
          line: 6,
          column: 25,
          messageId: "releaseSkippable",
          data: { ...MUTEX, line: 10, skip: "`` await db.query(` UPDATE stats SET runs = runs +... `` at line 7 throws" },
        },
      ],
      output: `${mutex}${declarations}export async function report(db: { query(sql: string): Promise<void> }) {
  const release = await mutex.acquire();
  try {
    await db.query(\`
UPDATE stats
SET runs = runs + 1\`);
  } finally {
    release();
  }
}`,
    },
  ],
});
