import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

// Redis clients are often imported under names that do not say "redis": Vercel KV's `kv`, a project's `lib/redis`.
// And a cache filled on a miss writes nothing it read.

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // The provider comes from a Redis read; the metadata it returns was looked up by the row's handle, an input of
      // the lookup, not a column written back.
      name: "metadata a provider chosen by a Redis read returns for the row's handle, spread into the row",
      code: `import Redis from "ioredis";
import { PrismaClient } from "@prisma/client";
const redis = new Redis();
const prisma = new PrismaClient();
declare const PROVIDERS: Record<string, { verify: (handle: string) => Promise<{ metadata?: object }> }>;
export async function callback(id: string, state: string) {
  const saved = await redis.get(\`verification:\${state}\`);
  const { kind } = JSON.parse(saved ?? "{}");
  const { verify } = PROVIDERS[kind]!;
  const platform = await prisma.platform.findUniqueOrThrow({ where: { id } });
  const { metadata } = await verify(platform.identifier);
  await prisma.platform.update({ where: { id }, data: { ...(metadata && { metadata }), verifiedAt: new Date() } });
}`,
    },
    {
      // `store` comes from a module that is not a Redis client: its get/set are not Redis commands.
      name: "get then set on a store imported from a module that does not name Redis",
      code: `import { store } from "@/lib/session-store";
export async function addLike(docId: string) {
  const likes = Number(await store.get(\`likes:\${docId}\`)) || 0;
  await store.set(\`likes:\${docId}\`, likes + 1);
}`,
    },
    {
      // A wrapper's field made by something else than a Redis module (a Map) is memory, even in a file importing
      // ioredis and named `cache`; and a counter kept with INCR through a wrapper of a real client is atomic.
      name: "a wrapper around a Map named cache next to one around ioredis counting with INCR",
      code: `import Redis from "ioredis";
class MemoryStore {
  private readonly cache = new Map<string, string>();
  async get(key: string) {
    return this.cache.get(key);
  }
  async set(key: string, value: string) {
    this.cache.set(key, value);
  }
}
class SharedStore {
  private readonly client = new Redis();
  incr(key: string) {
    return this.client.incr(key);
  }
  expire(key: string, seconds: number) {
    return this.client.expire(key, seconds);
  }
}
export class Throttle {
  constructor(private readonly memory: MemoryStore, private readonly shared: SharedStore) {}
  async localHit(key: string) {
    const seen = Number(await this.memory.get(key)) || 0;
    await this.memory.set(key, String(seen + 1));
  }
  async sharedHit(key: string, limit: number) {
    const hits = await this.shared.incr(key);
    if (hits === 1) await this.shared.expire(key, 60);
    return hits <= limit;
  }
}`,
    },
    {
      name: "a Map keyed by Redis client groups work in memory: its get and set are no Redis commands",
      code: `import Redis from "ioredis";
declare function shardFor(tenant: string): Redis;
export async function purge(entries: { tenant: string; key: string }[]) {
  const keysByRedis = new Map<Redis, string[]>();
  for (const { tenant, key } of entries) {
    const shard = shardFor(tenant);
    const batch = keysByRedis.get(shard) ?? [];
    batch.push(key);
    keysByRedis.set(shard, batch);
  }
  for (const [shard, batch] of keysByRedis) await shard.del(...batch);
}`,
    },
  ],
  invalid: [
    {
      // The client is a field of a wrapper class, made by ioredis or typed with its class, under a name that does not
      // say Redis (idenplane #417: a rate-limit counter through such a wrapper, GET, +1, SET).
      name: "a counter read and written back through wrapper classes whose Redis client is a field",
      code: `import Redis from "ioredis";
class CacheStore {
  private readonly client = new Redis();
  get(key: string) {
    return this.client.get(key);
  }
  set(key: string, value: string, seconds: number) {
    return this.client.set(key, value, "EX", seconds);
  }
}
class TypedStore {
  constructor(private readonly conn: Redis) {}
  get(key: string) {
    return this.conn.get(key);
  }
  set(key: string, value: string) {
    return this.conn.set(key, value);
  }
}
export class Limiter {
  constructor(private readonly cache: CacheStore, private readonly typed: TypedStore) {}
  async hit(key: string, limit: number) {
    const attempts = Number(await this.cache.get(key)) + 1;
    if (attempts > limit) return false;
    await this.cache.set(key, String(attempts), 60);
    return true;
  }
  async hitTyped(key: string) {
    const seen = await this.typed.get(key);
    await this.typed.set(key, String(Number(seen) + 1));
  }
}`,
      errors: [
        { line: 25, column: 11, messageId: "redisLostUpdate" },
        { line: 30, column: 11, messageId: "redisLostUpdate" },
      ],
    },
    {
      // Line 11 fills the cache where the read found nothing (not reported); line 21 merges into what it found.
      name: "a cache filled on a miss next to a cached object changed and written back",
      code: `import Redis from "ioredis";
const redis = new Redis();
declare function loadPrices(ids: string[]): Promise<Record<string, number>>;
export async function pricesFor(ids: string[], key: string): Promise<Record<string, number>> {
  let prices: Record<string, number> = {};
  const hit = await redis.get(key);
  if (hit) {
    prices = JSON.parse(hit);
  } else {
    prices = await loadPrices(ids);
    await redis.set(key, JSON.stringify(prices), "EX", 600);
  }
  return prices;
}
export async function addPrice(key: string, id: string, price: number) {
  let prices: Record<string, number> = {};
  const hit = await redis.get(key);
  if (hit) {
    prices = JSON.parse(hit);
    prices[id] = price;
    await redis.set(key, JSON.stringify(prices));
  }
}`,
      errors: [{ line: 21, column: 11, messageId: "redisLostUpdate", data: { write: "`redis.set(…)`", key: "`key`", line: 17 } }],
    },
    {
      name: "Vercel KV and a project's Redis module: a counter read and written back",
      code: `import { kv } from "@vercel/kv";
import { store } from "@/lib/redis";
export async function addView(docId: string) {
  const views = (await kv.get<number>(\`views:\${docId}\`)) ?? 0;
  await kv.set(\`views:\${docId}\`, views + 1);
}
export async function addLike(docId: string) {
  const likes = Number(await store.get(\`likes:\${docId}\`)) || 0;
  await store.set(\`likes:\${docId}\`, likes + 1);
}`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "redisLostUpdate",
          message:
            "`kv.set(…)` writes a value computed from `views:${docId}` read at line 4 without `WATCH`/`MULTI` or a Lua script: two concurrent calls both read the same value, both write their result, and one update is lost.",
        },
        { line: 9, column: 9, messageId: "redisLostUpdate" },
      ],
    },
    {
      // The read goes through a project helper that takes no key: the message names the key the write stores.
      name: "a permission map read through a helper without arguments, changed and written back",
      code: `import Redis from "ioredis";
const redis = new Redis();
async function loadPermissions(): Promise<Record<string, string[]>> {
  const cached = await redis.get("permissions");
  if (cached) return JSON.parse(cached);
  return {};
}
export async function grant(feature: string, userIds: string[]) {
  const permissions = await loadPermissions();
  if (!permissions[feature]) permissions[feature] = [];
  permissions[feature] = [...new Set([...permissions[feature], ...userIds])];
  await redis.set("permissions", JSON.stringify(permissions));
}`,
      errors: [{ line: 12, column: 9, messageId: "redisLostUpdate", data: { write: "`redis.set(…)`", key: '`"permissions"`', line: 9 } }],
    },
    {
      // The amount written is computed from the row and from a rate a helper reads from Redis: each read keeps its flow.
      name: "a sale amount adjusted by an amount converted at a rate read from Redis, written back over the row's",
      code: `import Redis from "ioredis";
import { PrismaClient } from "@prisma/client";
const redis = new Redis();
const prisma = new PrismaClient();
async function toUsd(amount: number, currency: string): Promise<number> {
  const rate = await redis.hget("fx:usd", currency);
  return rate ? Math.round(amount / Number(rate)) : amount;
}
export async function adjustSale(id: string, delta: number, currency: string) {
  const sale = await prisma.sale.findUniqueOrThrow({ where: { id } });
  const change = await toUsd(delta, currency);
  const amount = Math.max(change + sale.amount, 0);
  await prisma.sale.update({ where: { id }, data: { amount } });
}`,
      errors: [{ line: 13, column: 9, messageId: "lostUpdate", data: { write: "`prisma.sale.update(…)`", column: "`amount`", line: 10 } }],
    },
    {
      name: "a Redis client taken out of a Map of clients: its GET and SET are Redis commands",
      code: `import Redis from "ioredis";
const shards = new Map<string, Redis>();
export async function countVisit(tenant: string, page: string) {
  const redis = shards.get(tenant)!;
  const visits = Number(await redis.get(\`visits:\${page}\`)) || 0;
  await redis.set(\`visits:\${page}\`, visits + 1);
}`,
      errors: [{ line: 6, column: 9, messageId: "redisLostUpdate" }],
    },
  ],
});
