import { retryWithoutBackoff } from "../../rules/retry-without-backoff";
import { runRuleTests } from "../helpers/rule-tester";

const HELP = "Use the runtime's `retry` (exponential backoff with jitter, bounded attempts).";
const CONFLICT = { reason: "a serialization failure, deadlock or conflict" };

/** A Prisma serializable transaction retried while \`predicate\` (declared in the file) says so, after \`pause\`. */
const predicateRetry = (predicate: string, pause: string) => `import { Prisma, PrismaClient } from "@prisma/client";
function shouldRetry(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && ${predicate};
}
export async function serializable<T>(prisma: PrismaClient, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(work, { isolationLevel: Prisma.TransactionIsolationLevel.Serializable });
    } catch (err) {
      if (!shouldRetry(err) || attempt >= 4) throw err;${pause}
    }
  }
}`;

runRuleTests(retryWithoutBackoff, {
  valid: [
    {
      // The predicate tests for a missing record, not a conflict; and a conflict predicate with a jittered pause.
      name: "a catch asking a same-file predicate for something other than a conflict, or pausing with jitter",
      code:
        predicateRetry('err.code === "P2025"', "") +
        "\n" +
        predicateRetry('err.code === "P2034"', "\n      await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt));")
          .replace(/^import.*\n/, "")
          .replace(/shouldRetry/g, "isConflict")
          .replace("serializable<", "serializableJittered<"),
    },
    {
      name: "a deadlock retried by calling itself again after a growing, jittered sleep, with an attempt count that stops it",
      code: `import type { Pool, PoolClient } from "pg";
import { setTimeout as sleep } from "node:timers/promises";
export class LedgerDb {
  constructor(private readonly pool: Pool) {}
  async withTx<T>(work: (client: PoolClient) => Promise<T>, attempt = 0): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (err: any) {
      await client.query("ROLLBACK");
      if (err?.code !== "40P01" || attempt >= 4) throw err;
      await sleep(2 ** attempt * 25 + Math.random() * 25);
      return this.withTx(work, attempt + 1);
    } finally {
      client.release();
    }
  }
}`,
    },
    {
      name: "an application ConflictError retried by recursion: the call re-reads from the top (a compare-and-set retry)",
      code: `class StaleRevisionConflictError extends Error {}
declare function loadRevision(id: string): Promise<{ revision: number; body: string }>;
declare function writeIfRevision(id: string, revision: number, body: string): Promise<void>;
export async function appendLine(id: string, line: string): Promise<void> {
  const doc = await loadRevision(id);
  try {
    await writeIfRevision(id, doc.revision, doc.body + line);
  } catch (error) {
    if (!(error instanceof StaleRevisionConflictError)) throw error;
    return appendLine(id, line);
  }
}`,
    },
    {
      name: "a unique violation retried with a new random name: the ConflictError is the catch's own, thrown after the last attempt",
      code: `import type { Pool } from "pg";
class NameTakenConflictError extends Error {}
export async function restoreAttachment(pool: Pool, id: string, name: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const candidate = \`\${name}-\${Math.random().toString(36).slice(2, 8)}\`;
    try {
      await pool.query("UPDATE attachments SET name = $1, deleted_at = NULL WHERE id = $2", [candidate, id]);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "23505") throw error;
      if (attempt === 4) throw new NameTakenConflictError(candidate);
    }
  }
}`,
    },
    // Lock-library failure signals: the correct twins of the busy-lock retry loops below.
    {
      name: "async-mutex tryAcquire retried with a growing, jittered delay",
      code: `import { Mutex, tryAcquire, E_ALREADY_LOCKED } from "async-mutex";
import { setTimeout as sleep } from "node:timers/promises";
const syncMutex = new Mutex();
export async function syncInventory(run: () => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      return await tryAcquire(syncMutex).runExclusive(run);
    } catch (error) {
      if (error !== E_ALREADY_LOCKED) throw error;
      await sleep(2 ** attempt * 50 + Math.random() * 50);
    }
  }
  throw new Error("inventory sync is busy");
}`,
    },
    {
      name: "a catch that logs with serializeError is no serialization failure; the back-off is computed into a local first",
      code: `import { serializeError } from "serialize-error";
declare function openQueue(): Promise<void>;
declare function sleep(ms: number): Promise<void>;
export async function connectQueue(maxAttempts: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openQueue();
    } catch (err) {
      if (attempt >= maxAttempts) throw err;
      const pauseMs = Math.min(500 * 2 ** attempt, 20000);
      console.warn({ err: serializeError(err), pauseMs }, "queue not reachable yet");
      await sleep(pauseMs);
    }
  }
}`,
    },
    {
      name: "a deadlock retry whose growing pause is computed into locals before the sleep",
      code: `declare function settle(batch: string): Promise<void>;
export async function settleBatch(batch: string): Promise<void> {
  let pause = 50;
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      return await settle(batch);
    } catch (error) {
      if ((error as { code?: string }).code !== "40P01") throw error;
      const spread = Math.random() * 25;
      const wait = pause + spread;
      await new Promise((resolve) => setTimeout(resolve, wait));
      pause *= 2;
    }
  }
}`,
    },
    {
      name: "a lock wait whose sleep helper is named timeout and which gives up at a deadline",
      code: `import { Mutex, E_ALREADY_LOCKED, tryAcquire } from "async-mutex";
declare function timeout(ms: number): Promise<void>;
const ledger = new Mutex();
export async function postEntry(post: () => Promise<void>, waitMs: number): Promise<void> {
  const giveUpAt = Date.now() + waitMs;
  while (true) {
    try {
      return await tryAcquire(ledger).runExclusive(post);
    } catch (error) {
      if (error !== E_ALREADY_LOCKED) throw error;
      if (Date.now() >= giveUpAt) throw new Error("ledger busy");
    }
    await timeout(100 + Math.floor(Math.random() * 50));
  }
}`,
    },
    {
      name: "a SET NX mutex polled with a constant pause until a deadline: a lock wait with a timeout",
      code: claimExport("    await new Promise((resolve) => setTimeout(resolve, 250));\n"),
    },
    {
      name: "a TimeoutError of the file's own HTTP client is not a lock failure",
      code: `class TimeoutError extends Error {}
declare function fetchRates(): Promise<number[]>;
export async function loadRates(): Promise<number[]> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await fetchRates();
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
    }
  }
  return [];
}`,
    },
    {
      name: "bounded, exponential backoff with jitter",
      code: `import type { Pool } from "pg";
export async function rename(pool: Pool, id: string, title: string): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const { rows: [doc] } = await pool.query("SELECT version FROM docs WHERE id = $1", [id]);
    const result = await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [title, id, doc.version]);
    if (result.rowCount === 1) return;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** attempt));
  }
  throw new Error("gave up");
}`,
    },
    {
      name: "the runtime's retry",
      code: `import type { Pool } from "pg";
import { retry } from "@locksmith/runtime";
export async function transfer(pool: Pool, from: string, to: string): Promise<void> {
  await retry(async () => {
    await pool.query("SELECT transfer($1, $2)", [from, to]);
  });
}`,
    },
    {
      name: "a loop over items that catches unrelated errors",
      code: `export async function sendAll(items: string[], send: (item: string) => Promise<void>): Promise<void> {
  let i = 0;
  while (i < items.length) {
    try {
      await send(items[i]!);
    } catch (error) {
      console.error(error);
    }
    i++;
  }
}`,
    },
    {
      name: "delay computed from the attempt counter",
      code: `import { setTimeout as sleep } from "node:timers/promises";
export async function run(step: () => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await step();
    } catch (error) {
      if ((error as { code?: string }).code !== "40P01") throw error;
      await sleep(100 * attempt);
    }
  }
}`,
    },
    {
      // Field report p07: each attempt asks for a fresh random key; nobody else contends for it, so this is not a
      // lock being retried. The same loop on one fixed key is invalid below.
      name: "SET NX of a fresh random key per attempt: allocating a unique code, not retrying a lock",
      code: `import Redis from "ioredis";
import { nanoid } from "nanoid";
const redis = new Redis();

export async function reserveSlug(url: string): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const slug = nanoid(8);
    const stored = await redis.set(\`short:\${slug}\`, url, "NX");
    if (stored === "OK") return slug;
  }
  throw new Error("no free slug");
}
`,
    },
    {
      // Field report p13: the revision number is part of the row's natural key; the loop walks revisions.
      name: "upsert loop over revision numbers (seeding), not a version check",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function backfillPriceRevisions(productId: string, latest: number): Promise<void> {
  for (let revision = 1; revision <= latest; revision++) {
    await prisma.priceRevision.upsert({
      where: { productId_revision: { productId, revision } },
      create: { productId, revision, note: "backfilled" },
      update: {},
    });
  }
}
`,
    },
    {
      name: "update loop whose version is the loop's own counter (a migration over revisions)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function markMigrated(docId: string, count: number): Promise<void> {
  for (let version = 1; version <= count; version++) {
    await prisma.docRevision.updateMany({ where: { docId, version }, data: { migrated: true } });
  }
}
`,
    },
    // Optimistic compare-and-set retries that read the record afresh each attempt: a loss is another writer's success.
    {
      name: "Prisma: version re-read and compared each attempt, at most three attempts",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function renameBoard(id: string, name: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const board = await prisma.board.findUniqueOrThrow({ where: { id } });
    const { count } = await prisma.board.updateMany({ where: { id, version: board.version }, data: { name, version: { increment: 1 } } });
    if (count === 1) return;
  }
  throw new Error("board is being edited elsewhere");
}
`,
    },
    {
      name: "a service's CAS write against the record read in the same attempt, retried while below its maximum",
      code: `class RevisionConflictError extends Error {}
interface Playlist { id: string; tracks: string[]; revision: number }
declare class PlaylistStore {
  findById(id: string): Promise<Playlist | null>;
  replaceIfRevision(playlist: Playlist, tracks: string[]): Promise<void>;
}
export class PlaylistService {
  constructor(private readonly store: PlaylistStore) {}
  async appendTrack(id: string, track: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const playlist = await this.store.findById(id);
      if (!playlist) return;
      try {
        await this.store.replaceIfRevision(playlist, [...playlist.tracks, track]);
        return;
      } catch (error) {
        if (error instanceof RevisionConflictError && attempt < 3) continue;
        throw error;
      }
    }
  }
}
`,
    },
    {
      name: "pg: the version is selected again each attempt, with a constant pause, at most five attempts",
      code: `import type { Pool } from "pg";

export async function retagInvoice(pool: Pool, id: string, tag: string): Promise<void> {
  let attempt = 0;
  while (attempt < 5) {
    attempt++;
    const { rows: [invoice] } = await pool.query("SELECT version FROM invoices WHERE id = $1", [id]);
    const result = await pool.query("UPDATE invoices SET tag = $1, version = version + 1 WHERE id = $2 AND version = $3", [tag, id, invoice.version]);
    if (result.rowCount === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("invoice is being edited elsewhere");
}
`,
    },
    {
      name: "a CAS loss re-reads the document in the catch before the next attempt",
      code: `class EditConflictError extends Error {}
interface Template { id: string; body: string; updatedAt: Date }
declare function loadTemplate(id: string): Promise<Template | null>;
declare function saveTemplateIfUnchanged(template: Template, body: string): Promise<void>;
export async function stripFooter(initial: Template): Promise<void> {
  let current = initial;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await saveTemplateIfUnchanged(current, current.body.replace(/<footer>.*<\/footer>/s, ""));
      return;
    } catch (error) {
      if (!(error instanceof EditConflictError) || attempt === 3) throw error;
      const latest = await loadTemplate(current.id);
      if (!latest) return;
      current = latest;
    }
  }
}
`,
    },
  ],
  invalid: [
    {
      // langwatch #8200: the conflict test lives in a predicate of the file; the catch retries at once.
      name: "a Prisma P2034 retry whose test is a predicate declared in the same file, with no pause",
      code: predicateRetry('err.code === "P2034"', ""),
      errors: [{ line: 6, column: 3, messageId: "noDelay", data: CONFLICT }],
    },
    {
      name: "a serialization failure or deadlock at COMMIT retried by calling the method again at once, with no attempt count",
      code: `import type { Pool, PoolClient } from "pg";
export class ShopDb {
  constructor(private readonly pool: Pool) {}
  async transact<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (err: any) {
      await client.query("ROLLBACK");
      if (err?.code === "40001" || err?.code === "40P01") return this.transact(work);
      throw err;
    } finally {
      client.release();
    }
  }
}`,
      errors: [
        {
          line: 13,
          column: 66,
          messageId: "noDelayRecursiveUnbounded",
          data: { reason: "a serialization failure or deadlock", name: "`transact()`" },
        },
      ],
    },
    {
      name: "a deadlock retried by a function calling itself with a growing attempt count but no sleep",
      code: `import type { Knex } from "knex";
export async function moveStock(db: Knex, from: string, to: string, units: number, attempt = 0): Promise<void> {
  try {
    await db.transaction(async (trx) => {
      await trx("bins").where({ id: from }).decrement("units", units);
      await trx("bins").where({ id: to }).increment("units", units);
    });
  } catch (error: any) {
    if (error?.code !== "40P01" || attempt >= 3) throw error;
    return moveStock(db, from, to, units, attempt + 1);
  }
}`,
      errors: [
        {
          line: 10,
          column: 12,
          messageId: "noDelayRecursive",
          data: { reason: "a serialization failure or deadlock", name: "`moveStock()`" },
        },
      ],
    },
    {
      name: "a ConflictError retried at once, the catch throwing its own error after the last attempt",
      code: `import type { Pool } from "pg";
class VersionConflictError extends Error {}
declare function saveDraft(pool: Pool, id: string, body: string): Promise<void>;
export async function publishDraft(pool: Pool, id: string, body: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await saveDraft(pool, id, body);
      return;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      if (attempt === 4) throw new Error("draft is busy");
    }
  }
}`,
      errors: [{ line: 5, column: 3, messageId: "noDelay", data: CONFLICT }],
    },
    {
      name: "async-mutex tryAcquire retried at once on E_ALREADY_LOCKED",
      code: `import { Mutex, tryAcquire, E_ALREADY_LOCKED } from "async-mutex";
const syncMutex = new Mutex();
export async function syncInventory(run: () => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      return await tryAcquire(syncMutex).runExclusive(run);
    } catch (error) {
      if (error !== E_ALREADY_LOCKED) throw error;
    }
  }
  throw new Error("inventory sync is busy");
}`,
      errors: [
        {
          line: 4,
          column: 3,
          messageId: "noDelay",
          message:
            "This loop retries after a lock that was busy, timed out or lost immediately, with no delay, so the callers that just collided can collide again.",
          help: HELP,
        },
      ],
    },
    {
      name: "redis-semaphore mutex retried after TimeoutError with a constant delay",
      code: `import Redis from "ioredis";
import { Mutex, TimeoutError } from "redis-semaphore";
import { setTimeout as sleep } from "node:timers/promises";
const redis = new Redis();
export async function rebuildReport(reportId: string, build: () => Promise<void>): Promise<void> {
  const mutex = new Mutex(redis, \`report:\${reportId}\`, { acquireAttemptsLimit: 1 });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await mutex.acquire();
      break;
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      await sleep(200);
    }
  }
  try {
    await build();
  } finally {
    await mutex.release();
  }
}`,
      errors: [{ line: 7, column: 3, messageId: "constantDelay" }],
    },
    {
      name: "redlock acquisition retried forever on ExecutionError",
      code: `import Redis from "ioredis";
import Redlock, { ExecutionError } from "redlock";
const redlock = new Redlock([new Redis()], { retryCount: 0 });
declare function settle(orderId: string): Promise<void>;
export async function settleOrder(orderId: string): Promise<void> {
  while (true) {
    try {
      const lock = await redlock.acquire([\`lock:order:\${orderId}\`], 10_000);
      try {
        await settle(orderId);
      } finally {
        await lock.release();
      }
      break;
    } catch (error) {
      if (error instanceof ExecutionError) continue;
      throw error;
    }
  }
}`,
      errors: [{ line: 6, column: 3, messageId: "noDelayUnbounded" }],
    },
    {
      name: "for (;;) retrying serialization failures at once: fixed with retry",
      code: `import type { Pool } from "pg";

export async function transfer(pool: Pool, from: string, to: string, amount: number): Promise<number> {
  for (;;) {
    try {
      const result = await pool.query("SELECT transfer($1, $2, $3)", [from, to, amount]);
      return result.rows[0].transfer;
    } catch (error) {
      if ((error as { code?: string }).code === "40001") continue;
      throw error;
    }
  }
}
`,
      errors: [
        {
          line: 4,
          column: 3,
          endLine: 4,
          endColumn: 11,
          messageId: "noDelayUnbounded",
          data: CONFLICT,
          // The golden full messages and help of this rule.
          message:
            "This loop retries after a serialization failure, deadlock or conflict immediately, with no delay, so the callers that just collided can collide again and with no bound on attempts, so under lasting contention it never gives up.",
          help: HELP,
        },
      ],
      output: `import type { Pool } from "pg";
import { retry } from "@locksmith/runtime";

export async function transfer(pool: Pool, from: string, to: string, amount: number): Promise<number> {
  return await retry(async () => {
    const result = await pool.query("SELECT transfer($1, $2, $3)", [from, to, amount]);
    return result.rows[0].transfer;
  }, { retryOn: (error) => (error as { code?: string }).code === "40001" });
}
`,
    },
    {
      name: "the fix moves a multi-line template literal without changing its content",
      code: `import type { Pool } from "pg";

export async function bump(pool: Pool, id: string): Promise<number> {
  for (;;) {
    try {
      const result = await pool.query(\`
        UPDATE counters SET n = n + 1
        WHERE id = $1 RETURNING n\`, [id]);
      return result.rows[0].n;
    } catch (error) {
      if ((error as { code?: string }).code === "40001") continue;
      throw error;
    }
  }
}
`,
      errors: [{ line: 4, column: 3, messageId: "noDelayUnbounded", data: CONFLICT }],
      output: `import type { Pool } from "pg";
import { retry } from "@locksmith/runtime";

export async function bump(pool: Pool, id: string): Promise<number> {
  return await retry(async () => {
    const result = await pool.query(\`
        UPDATE counters SET n = n + 1
        WHERE id = $1 RETURNING n\`, [id]);
    return result.rows[0].n;
  }, { retryOn: (error) => (error as { code?: string }).code === "40001" });
}
`,
    },
    {
      name: "while (true) with a negated retry test",
      code: `import { ConflictError } from "@locksmith/runtime";

export async function save(write: () => Promise<string>): Promise<string> {
  while (true) {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }
}
`,
      errors: [{ line: 4, column: 3, endColumn: 15, messageId: "noDelayUnbounded", data: CONFLICT }],
      output: `import { ConflictError, retry } from "@locksmith/runtime";

export async function save(write: () => Promise<string>): Promise<string> {
  return await retry(async () => {
    return await write();
  }, { retryOn: (e) => e instanceof ConflictError });
}
`,
    },
    {
      name: "version check retried after a constant delay with no bound: no safe fix",
      code: `import type { Pool } from "pg";

export async function rename(pool: Pool, id: string, title: string): Promise<void> {
  let attempt = 0;
  while (true) {
    attempt++;
    const { rows: [doc] } = await pool.query("SELECT version FROM docs WHERE id = $1", [id]);
    const result = await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [title, id, doc.version]);
    if (result.rowCount === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
`,
      errors: [
        {
          line: 5,
          column: 3,
          messageId: "constantDelayUnbounded",
          data: { reason: "a version check that changed no row" },
          message:
            "This loop retries after a version check that changed no row after a constant delay, so the callers that just collided stay in lock-step and can collide again and with no bound on attempts, so under lasting contention it never gives up.",
          help: HELP,
        },
      ],
    },
    {
      name: "SET NX of one fixed key retried at once (bounded)",
      code: `import Redis from "ioredis";
const redis = new Redis();

export async function shortenOnce(url: string, token: string): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await redis.set(\`lock:shorten:\${url}\`, token, "PX", 2000, "NX");
    if (stored === "OK") return true;
  }
  return false;
}
`,
      errors: [{ line: 5, column: 3, messageId: "noDelay", data: { reason: "a failed try-lock" } }],
    },
    {
      name: "Prisma: version re-read and compared each attempt, retried at once with no bound",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function retitle(id: string, title: string): Promise<void> {
  for (;;) {
    const doc = await prisma.doc.findUniqueOrThrow({ where: { id } });
    const { count } = await prisma.doc.updateMany({ where: { id, version: doc.version }, data: { title, version: { increment: 1 } } });
    if (count === 1) return;
  }
}
`,
      errors: [{ line: 5, column: 3, messageId: "noDelayUnbounded", data: { reason: "a version check that changed no row" } }],
    },
    {
      name: "a compare-and-set retried at once against the copy read before the loop: every attempt loses again",
      code: `class RevisionConflictError extends Error {}
interface Playlist { id: string; tracks: string[]; revision: number }
declare class PlaylistStore {
  findById(id: string): Promise<Playlist | null>;
  replaceIfRevision(playlist: Playlist, tracks: string[]): Promise<void>;
}
export class PlaylistService {
  constructor(private readonly store: PlaylistStore) {}
  async appendTrack(id: string, track: string): Promise<void> {
    const playlist = await this.store.findById(id);
    if (!playlist) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.replaceIfRevision(playlist, [...playlist.tracks, track]);
        return;
      } catch (error) {
        if (error instanceof RevisionConflictError && attempt < 3) continue;
        throw error;
      }
    }
  }
}
`,
      errors: [{ line: 12, column: 5, messageId: "noDelay", data: CONFLICT }],
    },
    {
      name: "a serialization failure retried at once, even though the attempt re-reads the row",
      code: `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function reserveSeat(showId: string, seat: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const show = await prisma.show.findUniqueOrThrow({ where: { id: showId } });
    try {
      await prisma.$transaction(
        async (tx) => {
          await tx.show.update({ where: { id: show.id }, data: { taken: [...show.taken, seat] } });
        },
        { isolationLevel: Prisma.TransactionIsolationLevel.Serializable },
      );
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "P2034") throw error;
    }
  }
}
`,
      errors: [{ line: 4, column: 3, messageId: "noDelay", data: CONFLICT }],
    },
    {
      name: "try-lock spin with a jittered delay but no bound",
      code: `import Redis from "ioredis";
const redis = new Redis();

export async function withLock(key: string, token: string): Promise<void> {
  while (!(await redis.set(key, token, "PX", 5000, "NX"))) {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
  }
}
`,
      errors: [{ line: 5, column: 3, messageId: "unbounded", data: { reason: "a failed try-lock" } }],
    },
    {
      name: "try-lock spin with a constant delay and no bound",
      code: `import Redis from "ioredis";
const redis = new Redis();

export async function withLock(key: string, token: string): Promise<void> {
  while (!(await redis.set(key, token, "PX", 5000, "NX"))) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
`,
      errors: [{ line: 5, column: 3, messageId: "constantDelayUnbounded", data: { reason: "a failed try-lock" } }],
    },
    {
      name: "a 40001 retry that logs with serializeError and retries at once: still a serialization failure",
      code: `import { serializeError } from "serialize-error";
declare function settle(batch: string): Promise<void>;
export async function settleBatch(batch: string): Promise<void> {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await settle(batch);
    } catch (err) {
      if ((err as { code?: string }).code !== "40001") throw err;
      console.warn({ err: serializeError(err) }, "conflict, retrying");
    }
  }
}`,
      errors: [{ line: 4, column: 3, messageId: "noDelay", data: CONFLICT }],
    },
    {
      name: "a constant pause computed into a local before the sleep is still constant",
      code: `declare function settle(batch: string): Promise<void>;
export async function settleBatch(batch: string): Promise<void> {
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      return await settle(batch);
    } catch (error) {
      if ((error as { code?: string }).code !== "40P01") throw error;
      const wait = 100;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}`,
      errors: [{ line: 3, column: 3, messageId: "constantDelay", data: CONFLICT }],
    },
    {
      name: "a SET NX mutex spun without a pause until a deadline",
      code: claimExport(""),
      errors: [{ line: 5, column: 3, messageId: "noDelay", data: { reason: "a failed try-lock" } }],
    },
    {
      name: "a retry flag set only while the retry count is below its maximum is bounded, but retried at once",
      code: `declare function migrateBatch(): Promise<void>;
export async function migrateAll(maxRetries: number): Promise<void> {
  let retries = 0;
  let done = false;
  let retrying = false;
  while (!done && (retries === 0 || retrying)) {
    try {
      if (retrying) retries++;
      retrying = false;
      await migrateBatch();
      done = true;
    } catch (err) {
      if ((err as { code?: string }).code === "40001") {
        if (retries === maxRetries) {
          console.error("giving up");
        } else {
          retrying = true;
          continue;
        }
      }
      throw err;
    }
  }
}`,
      errors: [{ line: 6, column: 3, messageId: "noDelay", data: CONFLICT }],
    },
    {
      name: "bounded, but retrying deadlocks at once: no safe fix (not the for (;;) shape)",
      code: `export async function run(step: () => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await step();
    } catch (error) {
      if ((error as { code?: string }).code !== "40P01") throw error;
    }
  }
}
`,
      errors: [{ line: 2, column: 3, messageId: "noDelay", data: CONFLICT }],
    },
  ],
});

/** A SET NX mutex polled until a deadline; `pause` is what each failed round does before the next. */
function claimExport(pause: string): string {
  return `import Redis from "ioredis";
const redis = new Redis();
export async function claimExport(orgId: string, token: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await redis.set(\`export:\${orgId}\`, token, "PX", 60_000, "NX")) === "OK") return true;
${pause}  }
  return false;
}`;
}
