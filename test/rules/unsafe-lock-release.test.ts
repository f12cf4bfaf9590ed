import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

const ioredis = `import Redis from "ioredis";
const redis = new Redis();
`;
const nodeRedis = `import { createClient } from "redis";
const client = createClient();
`;
const SCRIPT = `"if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"`;
const unchecked = (lock: string, command = "DEL") => ({ messageId: "unchecked", data: { command, lock } });
const WITH_TOKEN =
  "Release with a compare-and-delete script (delete only if the value is still this holder's token), or use the runtime's Redis lease (`createRedisLockProvider`).";

/** A serverless route that holds a Redis lock for `ttlSeconds` while the platform allows it `maxDuration` seconds. */
const digestRoute = ({
  maxDuration,
  ttlSeconds,
}: {
  maxDuration: number;
  ttlSeconds: number;
}) => `${ioredis}export const maxDuration = ${maxDuration};
declare function sendDigest(): Promise<void>;
export async function POST() {
  if (!(await redis.set("lock:weekly-digest", "1", "NX", "EX", ${ttlSeconds}))) return new Response("busy", { status: 409 });
  try {
    await sendDigest();
  } finally {
    await redis.del("lock:weekly-digest");
  }
  return new Response("sent");
}`;

const work = `
declare function work(id: string): Promise<void>;`;

/** A lock table over pg: the row is the lock, `owner` says whose, `expires_at` when it lapses (line 6 inserts it). */
const lockTablePg = `import { Pool } from "pg";
export class JobLockService {
  constructor(private readonly pool: Pool) {}

  async acquire(key: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      \`INSERT INTO job_locks (key, owner, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
       WHERE job_locks.expires_at < now()\`,
      [key, owner, ttlSeconds],
    );
    return rowCount === 1;
  }
`;
/** The same with Prisma: `create` in a try that treats the duplicate key as "busy". */
const lockTablePrisma = `import { PrismaClient, Prisma } from "@prisma/client";
export class LockService {
  constructor(private readonly prisma: PrismaClient) {}

  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    try {
      await this.prisma.lock.create({ data: { key, owner, expiresAt: new Date(Date.now() + ttlMs) } });
      return true;
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return false;
      throw error;
    }
  }
`;

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      name: "a release script that compares the token before deleting, defined as a command",
      code: `${ioredis}const RELEASE = ${SCRIPT};
redis.defineCommand("releaseLock", { numberOfKeys: 1, lua: RELEASE });
const locks = redis as typeof redis & { releaseLock(key: string, token: string): Promise<number> };
declare function work(): Promise<void>;
export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work();
  } finally {
    await locks.releaseLock(\`lock:\${id}\`, token);
  }
}`,
    },
    // Lock tables in SQL: the correct twins of the ownerless release / refresh cases.
    {
      name: "lock table released and refreshed with the owner in the WHERE",
      code: `${lockTablePg}
  async release(key: string, owner: string): Promise<boolean> {
    const { rowCount } = await this.pool.query("DELETE FROM job_locks WHERE key = $1 AND owner = $2", [key, owner]);
    return rowCount === 1;
  }

  async extend(key: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      "UPDATE job_locks SET expires_at = now() + make_interval(secs => $3) WHERE key = $1 AND owner = $2",
      [key, owner, ttlSeconds],
    );
    return rowCount === 1;
  }
}`,
    },
    {
      name: "Prisma lock row released with the owner in the where",
      code: `${lockTablePrisma}
  async release(key: string, owner: string) {
    const { count } = await this.prisma.lock.deleteMany({ where: { key, owner } });
    return count === 1;
  }
}`,
    },
    {
      name: "expired lock rows swept by their expiry, and all of one owner's rows released",
      code: `${lockTablePg}
  async sweep(): Promise<void> {
    await this.pool.query("DELETE FROM job_locks WHERE expires_at < now()");
  }

  async releaseAll(owner: string): Promise<void> {
    await this.pool.query("DELETE FROM job_locks WHERE owner = $1", [owner]);
  }
}`,
    },
    {
      name: "a table with an owner and an expiry that is not a lock: no conflict handling on insert (share links)",
      code: `import { Pool } from "pg";
export class ShareLinks {
  constructor(private readonly pool: Pool) {}
  async create(id: string, ownerId: string, expiresAt: Date) {
    await this.pool.query("INSERT INTO share_links (id, owner_id, expires_at) VALUES ($1, $2, $3)", [id, ownerId, expiresAt]);
  }
  async revoke(id: string) {
    await this.pool.query("DELETE FROM share_links WHERE id = $1", [id]);
  }
}`,
    },
    {
      name: "compare-and-delete script",
      code: `${ioredis}import { randomUUID } from "node:crypto";
export async function run(id: string) {
  const token = randomUUID();
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
  }
}${work}`,
    },
    {
      name: "token compared first with GET",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await work(id);
  if ((await redis.get(\`lock:\${id}\`)) === token) await redis.del(\`lock:\${id}\`);
}${work}`,
    },
    {
      name: "token read into a variable, compared, then deleted",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await work(id);
  const current = await redis.get(\`lock:\${id}\`);
  if (current === token) {
    await redis.del(\`lock:\${id}\`);
  }
}${work}`,
    },
    {
      name: "DEL of a key never set with NX",
      code: `${ioredis}export async function evict(id: string) {
  await redis.set(\`cache:\${id}\`, "x", "PX", 1000);
  await redis.del(\`cache:\${id}\`);
}`,
    },
    {
      name: "DEL of another key",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await redis.del(\`cache:\${id}\`);
}`,
    },
    {
      // Field report p08: a claim kept on success, deleted only when the work failed: not a lock.
      name: "idempotency claim deleted only in a .catch callback",
      code: `${ioredis}declare function processUpload(id: string): Promise<void>;
export async function ingest(uploadId: string) {
  const claimKey = \`ingested:\${uploadId}\`;
  if ((await redis.set(claimKey, "1", "EX", 900, "NX")) !== "OK") return false;
  await processUpload(uploadId).catch(async (error) => {
    await redis.del(claimKey);
    throw error;
  });
  return true;
}`,
    },
    {
      // Field report p09: two methods whose parameters are both called \`key\` do not share a key.
      name: "SET NX in one method, DEL of a same-named parameter in an unrelated method",
      code: `${ioredis}export class SessionStore {
  async createOnce(key: string, data: string) {
    return redis.set(key, data, "EX", 3600, "NX");
  }
  async purgeUser(key: string) {
    const sessions = await redis.smembers(key);
    await Promise.all(sessions.map((s) => redis.del(\`\${key}:\${s}\`)));
    await redis.del(key);
  }
}`,
    },
    {
      // Field report p15: the platform kills the handler after maxDuration seconds, no later than the lock
      // expires, so the holder's DEL cannot meet a later holder's lock.
      name: "lock TTL no shorter than the serverless maxDuration export",
      code: digestRoute({ maxDuration: 60, ttlSeconds: 90 }),
    },
    {
      name: "lock TTL equal to the Vercel config maxDuration (PX from a constant)",
      code: `${ioredis}const LOCK_MS = 30 * 1000;
export const config = { maxDuration: 30 };
declare function reindex(): Promise<void>;
export default async function handler() {
  if (!(await redis.set("lock:reindex", "1", "PX", LOCK_MS, "NX"))) return;
  await reindex();
  await redis.del("lock:reindex");
}`,
    },
    {
      name: "DEL of a let that is reassigned to another key before it runs: not this lock's release",
      code: `${ioredis}export async function run(id: string, next: string) {
  const key = \`lock:run:\${id}\`;
  if (!(await redis.set(key, "1", "NX", "PX", 10000))) return;
  let held = key;
  try {
    await work(id);
    held = \`lock:run:\${next}\`;
  } finally {
    await redis.del(held);
  }
}${work}`,
    },
  ],
  invalid: [
    {
      name: "a Lua release script that deletes without reading the key first",
      code: `${ioredis}const RELEASE = "return redis.call('del', KEYS[1])";
declare function work(): Promise<void>;
export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work();
  } finally {
    await redis.eval(RELEASE, 1, \`lock:\${id}\`);
  }
}`,
      errors: [
        {
          line: 10,
          column: 11,
          messageId: "uncheckedScript",
          data: { command: "`eval()`", lock: "`lock:${id}`" },
          related: [{ line: 6, message: "lock taken here" }],
        },
      ],
    },
    {
      name: "lock table released by key alone (NestJS lock service over pg)",
      code: `${lockTablePg}
  async release(key: string): Promise<void> {
    await this.pool.query("DELETE FROM job_locks WHERE key = $1", [key]);
  }
}`,
      errors: [
        {
          line: 16,
          column: 11,
          messageId: "ownerlessRelease",
          message:
            "This DELETE releases the `job_locks` lock row by `key` without `owner` in its WHERE: if this holder ran past `expires_at` (the lock is taken at line 6), another owner has taken the row since, and this deletes that owner's lock, letting a third one in while the second is still inside.",
          help: "Name the owner in the WHERE (`AND owner = …`) and check the affected-row count: 0 means the lock was lost.",
          related: [{ line: 6, message: "lock row inserted here, with `owner` and `expires_at`" }],
        },
      ],
    },
    {
      name: "lock table refreshed by key alone",
      code: `${lockTablePg}
  async extend(key: string, ttlSeconds: number): Promise<void> {
    await this.pool.query("UPDATE job_locks SET expires_at = now() + make_interval(secs => $2) WHERE key = $1", [key, ttlSeconds]);
  }
}`,
      errors: [{ line: 16, column: 11, messageId: "ownerlessRefresh" }],
    },
    {
      name: "Prisma lock row created with a duplicate check, deleted by key alone",
      code: `${lockTablePrisma}
  async release(key: string) {
    await this.prisma.lock.delete({ where: { key } });
  }
}`,
      errors: [
        {
          line: 16,
          column: 11,
          messageId: "ownerlessRelease",
          help: "Name the owner in the WHERE (`where: { …, owner }`) and check the affected-row count: 0 means the lock was lost.",
        },
      ],
    },
    {
      name: "ioredis: DEL in finally, token in scope: compare-and-delete fix",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.del(\`lock:\${id}\`);
  }
}${work}`,
      errors: [
        {
          line: 8,
          column: 11,
          endLine: 8,
          endColumn: 34,
          ...unchecked("`lock:${id}`"),
          // Golden full messages and help of this rule.
          message:
            "DEL of Redis lock `lock:${id}` does not check that this caller still holds it: if the holder ran longer than the lock's expiry, another worker has taken the lock since, and this DEL deletes that worker's lock, letting a third one in while the second is still inside.",
          help: WITH_TOKEN,
          related: [{ line: 4, message: "lock taken here (SET NX)" }],
        },
      ],
      output: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
  }
}${work}`,
    },
    {
      name: "node-redis v4: UNLINK, token from randomUUID: node-redis eval syntax",
      code: `${nodeRedis}import { randomUUID } from "node:crypto";
export async function run(id: string) {
  const token = randomUUID();
  const ok = await client.set(\`lock:\${id}\`, token, { NX: true, PX: 30000 });
  if (!ok) return;
  await work(id);
  await client.unlink(\`lock:\${id}\`);
}${work}`,
      errors: [{ line: 9, column: 9, ...unchecked("`lock:${id}`", "UNLINK") }],
      output: `${nodeRedis}import { randomUUID } from "node:crypto";
export async function run(id: string) {
  const token = randomUUID();
  const ok = await client.set(\`lock:\${id}\`, token, { NX: true, PX: 30000 });
  if (!ok) return;
  await work(id);
  await client.eval(${SCRIPT}, { keys: [\`lock:\${id}\`], arguments: [token] });
}${work}`,
    },
    {
      name: "DEL through a const alias of the lock's key is its release (identity by canonical key)",
      code: `${ioredis}export async function run(id: string) {
  const key = \`lock:run:\${id}\`;
  if (!(await redis.set(key, "1", "NX", "PX", 10000))) return;
  const held = key;
  try {
    await work(id);
  } finally {
    await redis.del(held);
  }
}${work}`,
      errors: [{ line: 10, column: 11, messageId: "uncheckedConstant", data: { command: "DEL", lock: "`key`", line: 5 } }],
      output: null,
    },
    {
      name: "constant value: no fix, message says why",
      code: `${ioredis}export async function run(id: string) {
  if (!(await redis.set("lock:" + id, "1", "NX", "PX", 10000))) return;
  await work(id);
  await redis.del("lock:" + id);
}${work}`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "uncheckedConstant",
          data: { command: "DEL", lock: '`"lock:" + id`', line: 4 },
          message:
            "DEL of Redis lock `\"lock:\" + id` does not check that this caller still holds it: if the holder ran longer than the lock's expiry, another worker has taken the lock since, and this DEL deletes that worker's lock, letting a third one in while the second is still inside. The value stored at line 4 is a constant, so holders cannot be told apart.",
          help: "Store a unique token and release with a compare-and-delete script, or use the runtime's Redis lease (`createRedisLockProvider`).",
        },
      ],
      output: null,
    },
    {
      name: "setnx lock released by a helper method of the same class (key is a bare name)",
      code: `${ioredis}export class JobLock {
  async acquire(key: string, token: string) {
    return redis.set(key, token, "PX", 30000, "NX");
  }
  async release(key: string) {
    await redis.del(key);
  }
}`,
      errors: [{ line: 8, column: 11, ...unchecked("`key`"), related: [{ line: 5 }] }],
      output: null,
    },
    {
      name: "lock TTL shorter than the serverless maxDuration: the holder can outlive its lock",
      code: digestRoute({ maxDuration: 300, ttlSeconds: 60 }),
      errors: [
        {
          line: 10,
          column: 11,
          messageId: "uncheckedConstant",
          data: { command: "DEL", lock: '`"lock:weekly-digest"`', line: 6 },
        },
      ],
      output: null,
    },
    {
      name: "value is a template with a unique part: not called a constant",
      code: `${ioredis}export async function settle(paymentId: string) {
  if (!(await redis.set(\`lock:settle:\${paymentId}\`, \`pending:\${paymentId}\`, "PX", 20000, "NX"))) return;
  await work(paymentId);
  await redis.del(\`lock:settle:\${paymentId}\`);
}${work}`,
      errors: [{ line: 6, column: 9, ...unchecked("`lock:settle:${paymentId}`"), help: WITH_TOKEN }],
      output: null,
    },
    {
      name: "a constant key taken in one function and deleted in another",
      code: `${ioredis}const CLEANUP_LOCK = "lock:cleanup";
export async function startCleanup(token: string) {
  return (await redis.set(CLEANUP_LOCK, token, "PX", 60000, "NX")) === "OK";
}
export async function finishCleanup() {
  await redis.del(CLEANUP_LOCK);
}`,
      errors: [{ line: 8, column: 9, ...unchecked("`CLEANUP_LOCK`"), related: [{ line: 5 }] }],
      output: null,
    },
    {
      name: "a local key deleted in a closure of the acquiring function",
      code: `${ioredis}declare function buildReport(id: string): Promise<void>;
export async function exportReport(reportId: string, token: string) {
  const key = \`report:\${reportId}\`;
  if ((await redis.set(key, token, "PX", 60000, "NX")) !== "OK") return;
  await buildReport(reportId).finally(() => redis.del(key));
}`,
      errors: [{ line: 7, column: 45, ...unchecked("`key`"), related: [{ line: 6 }] }],
      output: null,
    },
    {
      name: "DEL whose result is used: no fix",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return 0;
  return redis.del(\`lock:\${id}\`);
}`,
      errors: [{ line: 5, column: 10, ...unchecked("`lock:${id}`") }],
      output: null,
    },
    {
      name: "two functions locking the same key: each DEL reported once",
      code: `${ioredis}export async function a(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await redis.del(\`lock:\${id}\`);
}
export async function b(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await redis.del(\`lock:\${id}\`);
}`,
      errors: [
        { line: 5, column: 9, ...unchecked("`lock:${id}`"), related: [{ line: 4 }] },
        { line: 9, column: 9, ...unchecked("`lock:${id}`"), related: [{ line: 8 }] },
      ],
      output: `${ioredis}export async function a(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
}
export async function b(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
}`,
    },
  ],
});
