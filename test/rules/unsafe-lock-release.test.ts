import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";
import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

const ioredis = `import Redis from "ioredis";
const redis = new Redis();
`;
const nodeRedis = `import { createClient } from "redis";
const client = createClient();
`;
const SCRIPT = `"if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"`;
/** An import claimed with SET NX, its outcome stored under the same key by a SET with `resultOptions`, abandoned by DEL. */
const importRecord = (resultOptions: string) => `${ioredis}const importKey = (id: string) => \`import:\${id}\`;
export async function claimImport(id: string): Promise<boolean> {
  return (await redis.set(importKey(id), "pending", "EX", 600, "NX")) === "OK";
}
export async function recordImport(id: string, rows: number) {
  await redis.set(importKey(id), JSON.stringify({ rows }), ${resultOptions});
}
export async function abandonImport(id: string) {
  await redis.del(importKey(id));
}`;
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

/** A project folder on disk whose vercel.json gives the cron routes 600 s (`functions` globs, as Vercel reads them). */
const VERCEL_PROJECT = (() => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-vercel-"));
  // A Next.js route group's parentheses (`(ee)`) are part of the folder's name, not glob syntax.
  const functions = { "app/api/cron/**/*.ts": { maxDuration: 600 }, "app/(ee)/api/cron/**/*.ts": { maxDuration: 600 } };
  fs.writeFileSync(path.join(root, "vercel.json"), JSON.stringify({ functions }));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  return root.split(path.sep).join("/");
})();

/** A route holding a 600 s Redis lock around a sync, with no time limit in the file itself. */
const SYNC_ROUTE = `${ioredis}declare function syncAll(): Promise<void>;
export async function GET() {
  if (!(await redis.set("lock:sync", "1", "EX", 600, "NX"))) return new Response("busy");
  try {
    await syncAll();
  } finally {
    await redis.del("lock:sync");
  }
  return new Response("done");
}`;

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

const claimModule = `import Redis from "ioredis";
const redis = new Redis();
const claimKey = (streamId: string, part: number) => \`stream-append:\${streamId}:\${part}\`;
export async function claimAppend(streamId: string, part: number): Promise<boolean> {
  const claimed = await redis.set(claimKey(streamId, part), "1", "EX", 86_400, "NX");
  return claimed === "OK";
}
export async function giveUpAppendClaim(streamId: string, part: number): Promise<void> {
  await redis.del(claimKey(streamId, part));
}`;
const appender = (giveBack: "catch" | "finally") => `import { claimAppend, giveUpAppendClaim } from "./claims";
declare function appendPart(streamId: string, part: number, body: string): Promise<void>;
export async function append(streamId: string, part: number, body: string) {
  if (!(await claimAppend(streamId, part))) return { duplicate: true };
  try {
    await appendPart(streamId, part, body);
  } ${giveBack === "catch" ? "catch (error) {\n    await giveUpAppendClaim(streamId, part);\n    throw error;" : "finally {\n    await giveUpAppendClaim(streamId, part);"}
  }
  return { duplicate: false };
}`;

/** The claim given back through one more helper of the app, called in a catch or a finally; a test calls the release directly. */
const wrappedGiveBack = (giveBack: "catch" | "finally") => ({
  "src/health.ts": `import { claimAppend, giveUpAppendClaim } from "./claims";
declare function appendPart(streamId: string): Promise<void>;
async function giveBack(streamId: string) {
  try {
    await giveUpAppendClaim(streamId, 0);
  } catch {
    // best effort
  }
}
export async function appendFirst(streamId: string) {
  if (!(await claimAppend(streamId, 0))) return;
  try {
    await appendPart(streamId);
  } ${giveBack === "catch" ? "catch (error) {\n    await giveBack(streamId);\n    throw error;" : "finally {\n    await giveBack(streamId);"}
  }
}`,
  "src/claims.test.ts": `import { giveUpAppendClaim } from "./claims";
await giveUpAppendClaim("s", 0);`,
});

/** The claim module's DEL, when the claim is a lock: no owner check, and a constant value. */
const CLAIM_DELETED = {
  line: 9,
  column: 9,
  messageId: "uncheckedConstant",
  data: { command: "DEL", lock: "`claimKey(streamId, part)`", line: 5 },
};
/** A claim given back inside `if (<test>)` on the [error, value] tuple of the append. */
const tupleAppend = (test: string) => `import { claimAppend, giveUpAppendClaim } from "./claims";
declare function appendPart(streamId: string): Promise<number>;
declare function tryCatch<T>(p: Promise<T>): Promise<[Error, undefined] | [undefined, T]>;
export async function append(streamId: string) {
  if (!(await claimAppend(streamId, 0))) return undefined;
  const [appendError, seq] = await tryCatch(appendPart(streamId));
  if (${test}) {
    await giveUpAppendClaim(streamId, 0);
  }
  return seq;
}`;

/** Two factories over one Redis client, both keyed by a parameter `topic`; `flagBody` is the flag factory's body. */
const topicFactories = (flagBody: string) => `import Redis from "ioredis";
const redis = new Redis();
export const topicFlag = (topic: string) => ({
${flagBody}
});
export const topicGuard = (topic: string) => ({
  claim: async (owner: string) => (await redis.set(topic, owner, "PX", 30000, "NX")) === "OK",
  drop: async () => {
    await redis.del(topic);
  },
});
`;

/** A Redis lock whose compare-and-delete release compares `owner`; `fields` declares it, `key` is the locked key. */
const exportLock = (fields: string, key: string, token = "this.owner") => `import { Injectable } from "@nestjs/common";
import { randomUUID } from "node:crypto";
import Redis from "ioredis";
const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
@Injectable()
export class ExportLock {
  private readonly redis = new Redis();
${fields}
  async runLocked<T>(reportId: string, work: () => Promise<T>): Promise<T | undefined> {
    const taken = await this.redis.set(${key}, ${token}, "PX", 60_000, "NX");
    if (taken !== "OK") return undefined;
    try {
      return await work();
    } finally {
      await this.redis.eval(UNLOCK, 1, ${key}, ${token});
    }
  }
}`;

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      // postgres.js: a reserved connection and a transaction's handle are one connection each; a `Sql` type that is not
      // postgres.js's (no import of it in the file) is no pool.
      name: "postgres.js session locks on a reserved connection or a transaction's handle, and a look-alike `Sql` type",
      code: `import postgres from "postgres";
import type { Sql } from "./query-builder";
const sql = postgres(process.env.DATABASE_URL!);
declare function migrate(): Promise<void>;
export async function migratePinned() {
  const conn = await sql.reserve();
  try {
    await conn\`SELECT pg_advisory_lock(42)\`;
    try { await migrate(); } finally { await conn\`SELECT pg_advisory_unlock(42)\`; }
  } finally { conn.release(); }
}
export async function migrateInTx() {
  await sql.begin(async (sql) => {
    await sql\`SELECT pg_advisory_xact_lock(42)\`;
    await migrate();
  });
}
export class Other {
  constructor(private readonly sql: Sql) {}
  async run() {
    await this.sql\`SELECT pg_advisory_lock(7)\`;
    try { await migrate(); } finally { await this.sql\`SELECT pg_advisory_unlock(7)\`; }
  }
}`,
    },
    {
      name: "a compare-and-delete release of a token made per acquisition (a local `randomUUID()`), the key from the caller",
      code: exportLock("", "`export:${reportId}`", "token").replace("    const taken", "    const token = randomUUID();\n    const taken"),
    },
    {
      // One object per lock: its key and its token are both the object's own, so each holder has its own token.
      name: "a lock object made per key, its token an instance field set in the constructor, the key a field too",
      code: exportLock(
        "  private readonly owner: string;\n  constructor(private readonly key: string) {\n    this.owner = randomUUID();\n  }",
        "this.key",
      ),
    },
    {
      name: "a DEL in one factory's closure and a SET NX in another's, both keyed by a parameter of the same name: two values",
      code: topicFactories(`  get: async () => redis.get(topic),
  unset: async () => {
    await redis.del(topic);
  },`).replace(/  drop: async \(\) => \{\n    await redis.del\(topic\);\n  \},\n/, ""),
    },
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
      // WATCH makes the MULTI/EXEC fail when the key changed after the GET: the check and the DEL are one step.
      name: "token compared under WATCH, deleted in MULTI/EXEC",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await work(id);
  await redis.watch(\`lock:\${id}\`);
  if ((await redis.get(\`lock:\${id}\`)) === token) await redis.multi().del(\`lock:\${id}\`).exec();
  else await redis.unwatch();
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
      // A claim that the work's result replaces: "pending" set if absent, then overwritten with the outcome that a
      // repeated request reads; given back by DEL when the import is abandoned. A state record, not a lock.
      name: "a SET NX claim overwritten in the file by a plain SET of the result: a state record, its DEL no lock release",
      code: importRecord('"EX", 86400'),
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
      name: "lock TTL equal to the maxDuration vercel.json gives the route's path",
      code: SYNC_ROUTE,
      root: VERCEL_PROJECT,
      filename: "app/api/cron/sync/route.ts",
    },
    {
      name: "the same in a route group's folder (`app/(ee)/…`), which vercel.json's glob names literally",
      code: SYNC_ROUTE,
      root: VERCEL_PROJECT,
      filename: "app/(ee)/api/cron/sync/route.ts",
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
    {
      // Kept on success and given back only when the append failed: an idempotency claim, not a mutual exclusion.
      name: "a SET NX claim whose release helper every caller (in another file) calls only in a catch clause",
      filename: "src/claims.ts",
      code: claimModule,
      files: { "src/append.ts": appender("catch") },
    },
    {
      name: "the same claim given back through a best-effort helper called in a catch, and by a test directly",
      filename: "src/claims.ts",
      code: claimModule,
      files: wrappedGiveBack("catch"),
    },
    {
      name: "the same claim given back when the error of an [error, value] result tuple is set",
      filename: "src/claims.ts",
      code: claimModule,
      files: {
        "src/append.ts": tupleAppend("appendError"),
      },
    },
  ],
  invalid: [
    {
      name: "NestJS: a compare-and-delete release of an instance-wide token (a field set once), the key from the caller",
      code: exportLock("  private readonly owner = `${process.pid}:${randomUUID()}`;", "`export:${reportId}`"),
      errors: [{ line: 15, column: 13, messageId: "sharedToken" }],
    },
    {
      name: "the same factories, the guard's own closure deleting its key without comparing the owner: still reported",
      code: topicFactories(`  get: async () => redis.get(topic),`),
      errors: [{ line: 9, column: 11, messageId: "unchecked" }],
    },
    {
      name: "the same claim given back when the append's error tuple says it succeeded: a lock, released without an owner check",
      filename: "src/claims.ts",
      code: claimModule,
      files: { "src/append.ts": tupleAppend("!appendError") },
      errors: [CLAIM_DELETED],
    },
    {
      name: "the same claim given back through the best-effort helper in a finally: a lock again",
      filename: "src/claims.ts",
      code: claimModule,
      files: wrappedGiveBack("finally"),
      errors: [CLAIM_DELETED],
    },
    {
      name: "the same claim module when a caller gives the claim back in finally: a lock, released without an owner check",
      filename: "src/claims.ts",
      code: claimModule,
      files: { "src/append.ts": appender("finally") },
      errors: [CLAIM_DELETED],
    },
    {
      // A session-level lock through a pool belongs to whichever connection ran it; the same file's client-held,
      // caller-held and transaction-scoped locks (lines 22-38) are not reported.
      name: "session-level locks through pools (Prisma, mysql2, an injected pg Pool), next to correct uses",
      code: `import { PrismaClient } from "@prisma/client";
import mysql from "mysql2/promise";
import { Pool, PoolClient } from "pg";
const prisma = new PrismaClient();
const db = mysql.createPool({ uri: process.env.DATABASE_URL });
declare function sync(): Promise<void>;
export async function syncOnce() {
  await prisma.$queryRaw\`SELECT pg_advisory_lock(7)\`;
  try { await sync(); } finally { await prisma.$queryRaw\`SELECT pg_advisory_unlock(7)\`; }
}
export async function syncMysql() {
  const [rows] = await db.query("SELECT GET_LOCK('sync', 10) AS ok");
  if (!(rows as any)[0].ok) return;
  try { await sync(); } finally { await db.query("SELECT RELEASE_LOCK('sync')"); }
}
export class Worker {
  constructor(private readonly pool: Pool) {}
  async run() {
    await this.pool.query("SELECT pg_advisory_lock(1)");
    await sync();
  }
  async runOnClient() {
    const client = await this.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock(1)");
      try { await sync(); } finally { await client.query("SELECT pg_advisory_unlock(1)"); }
    } finally { client.release(); }
  }
  async runWith(client: PoolClient) {
    await client.query("SELECT pg_advisory_lock(2)");
    try { await sync(); } finally { await client.query("SELECT pg_advisory_unlock(2)"); }
  }
  async runInTx() {
    await prisma.$transaction(async (tx) => {
      await tx.$executeRaw\`SELECT pg_advisory_xact_lock(3)\`;
      await sync();
    });
  }
}`,
      errors: [
        {
          line: 8,
          column: 9,
          messageId: "pooledSessionLock",
          message:
            "PostgreSQL advisory lock (`pg_advisory_lock`) is taken through the connection pool `prisma`: it belongs to whichever pooled connection ran this statement, which goes back to the pool with the lock still held; an unlock through it (line 9) may run on another connection, where it unlocks nothing. The lock stays held until that connection closes, and every other acquisition waits for it.",
          help: "Take the lock inside an interactive transaction (`prisma.$transaction(async (tx) => …)`) with `pg_advisory_xact_lock` through `tx`: the transaction keeps one connection, and COMMIT releases the lock.",
          related: [{ line: 9, message: "unlocked here, through the pool" }],
        },
        {
          line: 12,
          column: 24,
          messageId: "pooledSessionLock",
          data: {
            lock: "MySQL named lock (`GET_LOCK`)",
            pool: "`db`",
            unlocked: "; an unlock through it (line 14) may run on another connection, where it unlocks nothing",
          },
        },
        {
          line: 19,
          column: 11,
          messageId: "pooledSessionLock",
          data: { lock: "PostgreSQL advisory lock (`pg_advisory_lock`)", pool: "`this.pool`", unlocked: "" },
          help: "Take one connection (`const client = await this.pool.connect()`), lock, work and unlock on it, and release the client in `finally`; or use `pg_advisory_xact_lock` inside a transaction.",
        },
      ],
    },
    {
      // Prisma's raw queries exist on a client and on a transaction's handle only, so a receiver imported from the
      // project's database module or kept in a field is the client (comp: `db` from "@db"; noddde #103: a locker
      // built on an injected Prisma service); a helper's `tx` parameter or a field typed as a transaction client is a
      // handle, whose connection is the transaction's (lines 24-33, not reported).
      name: "session-level locks through a Prisma client imported from the project or held in a field, next to handles",
      code: `import { db } from "@db";
import type { Prisma } from "@prisma/client";
import { PrismaService } from "./prisma.service";
declare function run(): Promise<void>;
export async function withKeyLock(key: string) {
  await db.$executeRaw\`SELECT pg_advisory_lock(hashtext(\${key}))\`;
  try {
    await run();
  } finally {
    await db.$executeRaw\`SELECT pg_advisory_unlock(hashtext(\${key}))\`;
  }
}
export class Locker {
  constructor(private readonly prisma: PrismaService) {}
  async acquire(id: number) {
    await this.prisma.$queryRawUnsafe("SELECT pg_advisory_lock($1)", id);
  }
}
export async function lockIn(tx: Prisma.TransactionClient, id: number) {
  await tx.$executeRaw\`SELECT pg_advisory_lock(\${id})\`;
}
export async function lockWith(handle: { $executeRaw: typeof db.$executeRaw }, id: number) {
  await handle.$executeRaw\`SELECT pg_advisory_lock(\${id})\`;
}
export class Step {
  constructor(private readonly tx: Prisma.TransactionClient) {}
  async lock(id: number) {
    await this.tx.$executeRaw\`SELECT pg_advisory_lock(\${id})\`;
  }
}`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "pooledSessionLock",
          data: {
            lock: "PostgreSQL advisory lock (`pg_advisory_lock`)",
            pool: "`db`",
            unlocked: "; an unlock through it (line 10) may run on another connection, where it unlocks nothing",
          },
        },
        {
          line: 16,
          column: 11,
          messageId: "pooledSessionLock",
          data: { lock: "PostgreSQL advisory lock (`pg_advisory_lock`)", pool: "`this.prisma`", unlocked: "" },
        },
      ],
    },
    {
      // postgres.js's \`postgres(url)\` (or a field typed \`postgres.Sql\`) is a pool, and its tagged templates run
      // on any of its connections (gbrain #1408: the schema lock's unlock ran on another backend, which kept it).
      name: "session-level locks through a postgres.js pool, called as its own tag",
      code: `import postgres from "postgres";
const sql = postgres(process.env.DATABASE_URL!);
declare function migrate(): Promise<void>;
export async function migrateOnce() {
  await sql\`SELECT pg_advisory_lock(42)\`;
  try { await migrate(); } finally { await sql\`SELECT pg_advisory_unlock(42)\`; }
}
export class Bootstrap {
  constructor(private readonly sql: postgres.Sql) {}
  async init() {
    await this.sql\`SELECT pg_advisory_lock(\${7})\`;
    await migrate();
  }
}`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "pooledSessionLock",
          data: {
            lock: "PostgreSQL advisory lock (\`pg_advisory_lock\`)",
            pool: "\`sql\`",
            unlocked: "; an unlock through it (line 6) may run on another connection, where it unlocks nothing",
          },
          help: "Take one connection (\`const conn = await sql.reserve()\`), lock, work and unlock on it, and \`conn.release()\` in \`finally\`; or use \`pg_advisory_xact_lock\` inside \`sql.begin(async (tx) => …)\`.",
        },
        {
          line: 11,
          column: 11,
          messageId: "pooledSessionLock",
          data: { lock: "PostgreSQL advisory lock (\`pg_advisory_lock\`)", pool: "\`this.sql\`", unlocked: "" },
        },
      ],
    },
    {
      // The unlock is earlier in the text but runs after the lock (the next turn of the loop); one in the other
      // branch of an if is later in the text but never runs after it.
      name: "session-level locks through a pool: an unlock is named when it may run after the lock, not by text order",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function sync(job: string): Promise<void>;
export async function drain(jobs: string[]) {
  for (const job of jobs) {
    await prisma.$queryRaw\`SELECT pg_advisory_unlock(7)\`;
    await prisma.$queryRaw\`SELECT pg_advisory_lock(7)\`;
    await sync(job);
  }
}
export async function toggle(on: boolean) {
  if (on) await prisma.$queryRaw\`SELECT pg_advisory_lock(8)\`;
  else await prisma.$queryRaw\`SELECT pg_advisory_unlock(8)\`;
}`,
      errors: [
        {
          line: 7,
          column: 11,
          messageId: "pooledSessionLock",
          data: {
            lock: "PostgreSQL advisory lock (`pg_advisory_lock`)",
            pool: "`prisma`",
            unlocked: "; an unlock through it (line 6) may run on another connection, where it unlocks nothing",
          },
          related: [{ line: 6, message: "unlocked here, through the pool" }],
        },
        {
          line: 12,
          column: 17,
          messageId: "pooledSessionLock",
          data: { lock: "PostgreSQL advisory lock (`pg_advisory_lock`)", pool: "`prisma`", unlocked: "" },
        },
      ],
    },
    {
      // Two commands: the lock can expire and pass to another worker between the GET and the DEL.
      name: "token compared first with GET, then DEL (two commands)",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await work(id);
  if ((await redis.get(\`lock:\${id}\`)) === token) await redis.del(\`lock:\${id}\`);
}${work}`,
      errors: [
        {
          line: 6,
          column: 56,
          messageId: "checkedApart",
          data: { command: "DEL", lock: "`lock:${id}`", line: 6 },
          related: [
            { line: 6, message: "owner checked here, by a separate command" },
            { line: 4, message: "lock taken here" },
          ],
        },
      ],
      output: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await work(id);
  if ((await redis.get(\`lock:\${id}\`)) === token) await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
}${work}`,
    },
    {
      name: "Upstash lock helper: token read in finally, compared, then deleted",
      code: `import { Redis } from "@upstash/redis";
import { randomUUID } from "node:crypto";
const kv = Redis.fromEnv();
export async function withKvLock<T>(name: string, seconds: number, body: () => Promise<T>): Promise<T | undefined> {
  const token = randomUUID();
  const acquired = await kv.set(name, token, { nx: true, ex: seconds });
  if (!acquired) return undefined;
  try {
    return await body();
  } finally {
    const holder = await kv.get<string>(name);
    if (holder === token) {
      await kv.del(name);
    }
  }
}`,
      errors: [
        {
          line: 13,
          column: 13,
          messageId: "checkedApart",
          message:
            "DEL of Redis lock `name` runs after the check at line 12 that the key still holds this caller's token, but the check and the DEL are separate commands: if the lock expires between them and another worker takes it, this DEL deletes that worker's lock, letting a third one in while the second is still inside.",
          related: [
            { line: 12, message: "owner checked here, by a separate command" },
            { line: 6, message: "lock taken here" },
          ],
        },
      ],
      output: `import { Redis } from "@upstash/redis";
import { randomUUID } from "node:crypto";
const kv = Redis.fromEnv();
export async function withKvLock<T>(name: string, seconds: number, body: () => Promise<T>): Promise<T | undefined> {
  const token = randomUUID();
  const acquired = await kv.set(name, token, { nx: true, ex: seconds });
  if (!acquired) return undefined;
  try {
    return await body();
  } finally {
    const holder = await kv.get<string>(name);
    if (holder === token) {
      await kv.eval(${SCRIPT}, [name], [token]);
    }
  }
}`,
    },
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
      name: "the same lock class with a cache method that SETs its own `key` parameter: not the lock's key, still a lock",
      code: `${ioredis}export class JobLock {
  private local = new Map<string, string>();
  async acquire(key: string, token: string) {
    return redis.set(key, token, "PX", 30000, "NX");
  }
  async remember(key: string, value: string) {
    this.local.set(key, value);
    await redis.set(key, value, "EX", 60);
  }
  async release(key: string) {
    await redis.del(key);
  }
}`,
      errors: [{ line: 13, column: 11, ...unchecked("`key`"), related: [{ line: 6 }] }],
      output: null,
    },
    {
      name: "the same route outside the paths vercel.json limits: the holder can outlive its lock",
      code: SYNC_ROUTE,
      root: VERCEL_PROJECT,
      filename: "app/api/sync/route.ts",
      errors: [{ line: 9, column: 11, messageId: "uncheckedConstant", data: { command: "DEL", lock: '`"lock:sync"`', line: 5 } }],
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
      name: "the same claim whose second SET only refreshes an existing key (XX): still a lock, the DEL unchecked",
      code: importRecord('"EX", 600, "XX"'),
      errors: [{ line: 11, column: 9, messageId: "uncheckedConstant", data: { command: "DEL", lock: "`importKey(id)`", line: 5 } }],
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
