// Writes a realistic service code base of about N lines for the benchmark: modules with a service, repositories using
// pg / knex / Prisma-style calls, in-process mutexes, Redis locks and HTTP calls, and a few of each locking mistake
// (every MISTAKE_EVERY-th module). The output type-checks cleanly with `tsc --noEmit`, so the compiler does its real work.
// Deterministic: the same N always gives the same files.
//
//   node bench/generate-corpus.js <dir> <lines>
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ENTITIES = ["order", "account", "invoice", "payment", "shipment", "inventory", "cart", "coupon", "subscription", "wallet", "ticket", "booking", "refund", "ledger", "reservation", "quota"];
const MISTAKE_EVERY = 9;
/** The file the editor-latency benchmark edits: about 2,000 lines. */
const EDITED_FILE = "src/workflows/fulfilment-workflow.ts";
const EDITED_FILE_STEPS = 66;

const pascal = (s) => s[0].toUpperCase() + s.slice(1);

const TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "nodenext", moduleResolution: "nodenext", lib: ["ES2023"], strict: true, skipLibCheck: true, noEmit: true, types: ["node"] },
  include: ["src/**/*.ts"],
};

// Minimal typings for libraries that are not installed here (pg and ioredis resolve to the real packages).
const VENDOR_TYPES = `// Typings for the libraries this generated service uses that are not installed in the benchmark's node_modules.
declare module "async-mutex" {
  export interface MutexInterface {
    acquire(): Promise<() => void>;
    runExclusive<T>(callback: () => T | Promise<T>): Promise<T>;
    isLocked(): boolean;
    release(): void;
  }
  export class Mutex implements MutexInterface {
    acquire(): Promise<() => void>;
    runExclusive<T>(callback: () => T | Promise<T>): Promise<T>;
    isLocked(): boolean;
    release(): void;
  }
  export class Semaphore {
    constructor(count: number);
    acquire(): Promise<[number, () => void]>;
    runExclusive<T>(callback: (value: number) => T | Promise<T>): Promise<T>;
  }
}

declare module "knex" {
  export interface QueryBuilder<TRecord, TResult> extends PromiseLike<TResult> {
    where(column: string, value: unknown): QueryBuilder<TRecord, TResult>;
    where(conditions: Partial<TRecord>): QueryBuilder<TRecord, TResult>;
    whereIn(column: string, values: readonly unknown[]): QueryBuilder<TRecord, TResult>;
    first(): QueryBuilder<TRecord, TRecord | undefined>;
    select(...columns: string[]): QueryBuilder<TRecord, TRecord[]>;
    forUpdate(): QueryBuilder<TRecord, TResult>;
    orderBy(column: string, direction?: "asc" | "desc"): QueryBuilder<TRecord, TResult>;
    limit(count: number): QueryBuilder<TRecord, TResult>;
    update(values: Partial<TRecord>): QueryBuilder<TRecord, number>;
    insert(values: Partial<TRecord>): QueryBuilder<TRecord, number[]>;
    increment(column: string, amount: number): QueryBuilder<TRecord, number>;
    decrement(column: string, amount: number): QueryBuilder<TRecord, number>;
    del(): QueryBuilder<TRecord, number>;
  }
  export interface Knex {
    <TRecord>(table: string): QueryBuilder<TRecord, TRecord[]>;
    transaction<T>(work: (trx: Knex) => Promise<T>): Promise<T>;
    raw(sql: string, bindings?: readonly unknown[]): Promise<{ rows: unknown[] }>;
  }
  export function knex(config: { client: string; connection: string }): Knex;
}
`;

const SHARED = {
  "src/types/vendor.d.ts": VENDOR_TYPES,
  "src/infra/db.ts": `import { Pool, type PoolClient } from "pg";
import { knex, type Knex } from "knex";

export const pool = new Pool({ connectionString: process.env.DATABASE_URL ?? "postgres://localhost/app", max: 20 });
export const db: Knex = knex({ client: "pg", connection: process.env.DATABASE_URL ?? "postgres://localhost/app" });

/** Runs work in a transaction on one pooled connection: COMMIT on success, ROLLBACK on any error. */
export async function inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`,
  "src/infra/redis.ts": `import { Redis } from "ioredis";

export const redis = new Redis(process.env.REDIS_URL ?? "redis://localhost:6379");

/** Deletes the key only while it still holds this caller's token. */
export const COMPARE_AND_DELETE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
`,
  "src/infra/http.ts": `export interface HttpResult<T> {
  status: number;
  body: T;
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly url: string) {
    super(\`\${url} answered \${status}\`);
  }
}

export async function getJson<T>(url: string, timeoutMs = 5000): Promise<HttpResult<T>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new HttpError(response.status, url);
  return { status: response.status, body: (await response.json()) as T };
}

export async function postJson<T>(url: string, payload: unknown, timeoutMs = 5000): Promise<HttpResult<T>> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload), signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new HttpError(response.status, url);
  return { status: response.status, body: (await response.json()) as T };
}
`,
  "src/infra/prisma-delegate.ts": `export type Where<T> = { id: string } & Partial<T>;

export interface Delegate<T extends { id: string }> {
  findUnique(args: { where: { id: string } }): Promise<T | null>;
  findMany(args?: { where?: Partial<T>; take?: number; orderBy?: { [K in keyof T]?: "asc" | "desc" } }): Promise<T[]>;
  update(args: { where: Where<T>; data: Partial<T> }): Promise<T>;
  updateMany(args: { where: Partial<T>; data: Partial<T> }): Promise<{ count: number }>;
  create(args: { data: T }): Promise<T>;
  delete(args: { where: { id: string } }): Promise<T>;
}
`,
};

function modelFile(m) {
  return `// ${m.Name}: the stored record, its states and the mappers between rows and API shapes.
export type ${m.Name}Status = "pending" | "active" | "suspended" | "closed";

export interface ${m.Name} {
  id: string;
  ownerId: string;
  status: ${m.Name}Status;
  ${m.amount}: number;
  version: number;
  updatedAt: Date;
}

export interface ${m.Name}Row {
  id: string;
  owner_id: string;
  status: string;
  ${m.column}: string;
  version: number;
  updated_at: Date;
}

export interface ${m.Name}View {
  id: string;
  owner: string;
  status: ${m.Name}Status;
  ${m.amount}: string;
}

const STATUSES: readonly ${m.Name}Status[] = ["pending", "active", "suspended", "closed"];

export function is${m.Name}Status(value: string): value is ${m.Name}Status {
  return (STATUSES as readonly string[]).includes(value);
}

export function from${m.Name}Row(row: ${m.Name}Row): ${m.Name} {
  if (!is${m.Name}Status(row.status)) throw new Error(\`${m.table}.\${row.id}: unknown status \${row.status}\`);
  return { id: row.id, ownerId: row.owner_id, status: row.status, ${m.amount}: Number(row.${m.column}), version: row.version, updatedAt: row.updated_at };
}

export function to${m.Name}View(record: ${m.Name}): ${m.Name}View {
  return { id: record.id, owner: record.ownerId, status: record.status, ${m.amount}: (record.${m.amount} / 100).toFixed(2) };
}

export function canChange${m.Name}(record: ${m.Name}, next: ${m.Name}Status): boolean {
  if (record.status === "closed") return false;
  if (record.status === next) return false;
  return next !== "pending";
}
`;
}

function pgRepositoryFile(m) {
  const lostUpdate = m.mistake
    ? `
  /** Adds to the ${m.amount}: reads, computes, writes back. */
  async add${m.Amount}(id: string, delta: number): Promise<void> {
    const { rows } = await pool.query<${m.Name}Row>("SELECT * FROM ${m.table} WHERE id = $1", [id]);
    const current = rows[0];
    if (!current) throw new Error(\`${m.table} \${id} not found\`);
    const next = Number(current.${m.column}) + delta;
    await pool.query("UPDATE ${m.table} SET ${m.column} = $1, updated_at = now() WHERE id = $2", [next, id]);
  }
`
    : `
  /** Adds to the ${m.amount} in one statement, so concurrent additions cannot overwrite each other. */
  async add${m.Amount}(id: string, delta: number): Promise<void> {
    const result = await pool.query("UPDATE ${m.table} SET ${m.column} = ${m.column} + $1, updated_at = now() WHERE id = $2", [delta, id]);
    if (result.rowCount !== 1) throw new Error(\`${m.table} \${id} not found\`);
  }
`;
  return `import type { PoolClient } from "pg";
import { inTransaction, pool } from "../../infra/db.js";
import { from${m.Name}Row, type ${m.Name}, type ${m.Name}Row, type ${m.Name}Status } from "./${m.file}.model.js";

export class ${m.Name}PgRepository {
  async findById(id: string): Promise<${m.Name} | undefined> {
    const { rows } = await pool.query<${m.Name}Row>("SELECT id, owner_id, status, ${m.column}, version, updated_at FROM ${m.table} WHERE id = $1", [id]);
    return rows[0] ? from${m.Name}Row(rows[0]) : undefined;
  }

  async listByOwner(ownerId: string, limit = 50): Promise<${m.Name}[]> {
    const { rows } = await pool.query<${m.Name}Row>("SELECT * FROM ${m.table} WHERE owner_id = $1 ORDER BY updated_at DESC LIMIT $2", [ownerId, limit]);
    return rows.map(from${m.Name}Row);
  }

  /** Locks the row for the rest of the caller's transaction. */
  async lockForUpdate(client: PoolClient, id: string): Promise<${m.Name}> {
    const { rows } = await client.query<${m.Name}Row>("SELECT * FROM ${m.table} WHERE id = $1 FOR UPDATE", [id]);
    if (!rows[0]) throw new Error(\`${m.table} \${id} not found\`);
    return from${m.Name}Row(rows[0]);
  }

  async setStatus(id: string, status: ${m.Name}Status, expectedVersion: number): Promise<boolean> {
    const result = await pool.query("UPDATE ${m.table} SET status = $1, version = version + 1 WHERE id = $2 AND version = $3", [status, id, expectedVersion]);
    return result.rowCount === 1;
  }

  async transfer(fromId: string, toId: string, amount: number): Promise<void> {
    const [first, second] = fromId < toId ? [fromId, toId] : [toId, fromId];
    await inTransaction(async (client) => {
      await this.lockForUpdate(client, first);
      await this.lockForUpdate(client, second);
      await client.query("UPDATE ${m.table} SET ${m.column} = ${m.column} - $1 WHERE id = $2", [amount, fromId]);
      await client.query("UPDATE ${m.table} SET ${m.column} = ${m.column} + $1 WHERE id = $2", [amount, toId]);
    });
  }
${lostUpdate}
  async insert(record: ${m.Name}): Promise<void> {
    await pool.query("INSERT INTO ${m.table} (id, owner_id, status, ${m.column}, version, updated_at) VALUES ($1, $2, $3, $4, 0, now())", [record.id, record.ownerId, record.status, record.${m.amount}]);
  }
}
`;
}

function knexRepositoryFile(m) {
  return `import { db } from "../../infra/db.js";
import type { ${m.Name}Row } from "./${m.file}.model.js";

const TABLE = "${m.table}";

export class ${m.Name}KnexRepository {
  async find(id: string): Promise<${m.Name}Row | undefined> {
    return db<${m.Name}Row>(TABLE).where("id", id).first();
  }

  async recent(ownerId: string): Promise<${m.Name}Row[]> {
    return db<${m.Name}Row>(TABLE).where("owner_id", ownerId).orderBy("updated_at", "desc").limit(20);
  }

  /** Moves the row to a new status under a row lock. */
  async transition(id: string, from: string, to: string): Promise<boolean> {
    return db.transaction(async (trx) => {
      const row = await trx<${m.Name}Row>(TABLE).where("id", id).forUpdate().first();
      if (!row || row.status !== from) return false;
      await trx<${m.Name}Row>(TABLE).where("id", id).update({ status: to, version: row.version + 1 });
      return true;
    });
  }

  async bump(id: string, amount: number): Promise<number> {
    return db<${m.Name}Row>(TABLE).where("id", id).increment("${m.column}", amount);
  }

  async archive(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return db<${m.Name}Row>(TABLE).whereIn("id", ids).update({ status: "closed" });
  }
}
`;
}

function prismaStoreFile(m) {
  return `import type { PrismaClient } from "../../infra/prisma.js";
import type { ${m.Name}, ${m.Name}Status } from "./${m.file}.model.js";

export class ${m.Name}PrismaStore {
  constructor(private readonly prisma: PrismaClient) {}

  async get(id: string): Promise<${m.Name} | null> {
    return this.prisma.${m.file}.findUnique({ where: { id } });
  }

  async active(ownerId: string): Promise<${m.Name}[]> {
    return this.prisma.${m.file}.findMany({ where: { ownerId, status: "active" }, take: 100, orderBy: { updatedAt: "desc" } });
  }

  /** Optimistic update: only applies when nobody changed the record since it was read. */
  async changeStatus(record: ${m.Name}, status: ${m.Name}Status): Promise<boolean> {
    const { count } = await this.prisma.${m.file}.updateMany({ where: { id: record.id, version: record.version }, data: { status, version: record.version + 1 } });
    return count === 1;
  }

  async settle(id: string, ${m.amount}: number): Promise<${m.Name}> {
    return this.prisma.$transaction(async (tx) => {
      const current = await tx.${m.file}.findUnique({ where: { id } });
      if (!current) throw new Error(\`${m.table} \${id} not found\`);
      return tx.${m.file}.update({ where: { id, version: current.version }, data: { ${m.amount}, version: current.version + 1 } });
    });
  }
}
`;
}

function serviceFile(m) {
  const k = m.index;
  // Each mistake appears in a few modules: which one depends on the module's number.
  const mistake = m.mistake ? ["release", "expiry", "unchecked", "unsafe-release"][Math.floor(k / MISTAKE_EVERY) % 4] : undefined;
  const reconcile =
    mistake === "release"
      ? `  /** Recomputes the cached totals; one run at a time in this process. */
  async reconcile(ownerId: string): Promise<number> {
    const release = await this.reconcileMutex.acquire();
    const records = await this.pg.listByOwner(ownerId);
    const total = records.reduce((sum, r) => sum + r.${m.amount}, 0);
    await postJson(\`\${this.baseUrl}/owners/\${ownerId}/totals\`, { ${m.amount}: total });
    release();
    return total;
  }`
      : `  /** Recomputes the cached totals; one run at a time in this process. */
  async reconcile(ownerId: string): Promise<number> {
    const release = await this.reconcileMutex.acquire();
    let total: number;
    try {
      const records = await this.pg.listByOwner(ownerId);
      total = records.reduce((sum, r) => sum + r.${m.amount}, 0);
    } finally {
      release();
    }
    await postJson(\`\${this.baseUrl}/owners/\${ownerId}/totals\`, { ${m.amount}: total });
    return total;
  }`;
  const withJobLock =
    mistake === "expiry"
      ? `  /** Runs a job on one worker of the fleet at a time. */
  async runExclusiveJob(jobId: string, job: () => Promise<void>): Promise<boolean> {
    const key = \`lock:${m.file}:job:\${jobId}\`;
    const acquired = await redis.set(key, "1", "NX");
    if (!acquired) return false;
    try {
      await job();
    } finally {
      await redis.del(key);
    }
    return true;
  }`
      : mistake === "unchecked"
        ? `  /** Runs a job on one worker of the fleet at a time. */
  async runExclusiveJob(jobId: string, job: () => Promise<void>): Promise<boolean> {
    const key = \`lock:${m.file}:job:\${jobId}\`;
    const token = randomUUID();
    await redis.set(key, token, "PX", 30000, "NX");
    try {
      await job();
    } finally {
      await redis.eval(COMPARE_AND_DELETE, 1, key, token);
    }
    return true;
  }`
        : mistake === "unsafe-release"
          ? `  /** Runs a job on one worker of the fleet at a time. */
  async runExclusiveJob(jobId: string, job: () => Promise<void>): Promise<boolean> {
    const key = \`lock:${m.file}:job:\${jobId}\`;
    const token = randomUUID();
    if (!(await redis.set(key, token, "PX", 30000, "NX"))) return false;
    try {
      await job();
    } finally {
      await redis.del(key);
    }
    return true;
  }`
          : `  /** Runs a job on one worker of the fleet at a time. */
  async runExclusiveJob(jobId: string, job: () => Promise<void>): Promise<boolean> {
    const key = \`lock:${m.file}:job:\${jobId}\`;
    const token = randomUUID();
    if (!(await redis.set(key, token, "PX", 30000, "NX"))) return false;
    try {
      await job();
    } finally {
      await redis.eval(COMPARE_AND_DELETE, 1, key, token);
    }
    return true;
  }`;
  return `import { randomUUID } from "node:crypto";
import { Mutex } from "async-mutex";
import { COMPARE_AND_DELETE, redis } from "../../infra/redis.js";
import { getJson, postJson } from "../../infra/http.js";
import { inTransaction } from "../../infra/db.js";
import type { PrismaClient } from "../../infra/prisma.js";
import { canChange${m.Name}, to${m.Name}View, type ${m.Name}Status, type ${m.Name}View } from "./${m.file}.model.js";
import { ${m.Name}PgRepository } from "./${m.file}.repository.pg.js";
import { ${m.Name}KnexRepository } from "./${m.file}.repository.knex.js";
import { ${m.Name}PrismaStore } from "./${m.file}.store.prisma.js";

interface RemoteQuote {
  ${m.amount}: number;
  currency: string;
}

export class ${m.Name}Service {
  private readonly pg = new ${m.Name}PgRepository();
  private readonly knex = new ${m.Name}KnexRepository();
  private readonly store: ${m.Name}PrismaStore;
  private readonly reconcileMutex = new Mutex();
  private readonly cache = new Map<string, ${m.Name}View>();

  constructor(prisma: PrismaClient, private readonly baseUrl: string) {
    this.store = new ${m.Name}PrismaStore(prisma);
  }

  async view(id: string): Promise<${m.Name}View | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const record = await this.pg.findById(id);
    if (!record) return undefined;
    const view = to${m.Name}View(record);
    this.cache.set(id, view);
    return view;
  }

  async changeStatus(id: string, next: ${m.Name}Status): Promise<boolean> {
    const record = await this.store.get(id);
    if (!record || !canChange${m.Name}(record, next)) return false;
    const changed = await this.store.changeStatus(record, next);
    if (changed) this.cache.delete(id);
    return changed;
  }

  /** Prices with the remote quote service, then stores the result under a row lock. */
  async reprice(id: string): Promise<number> {
    const quote = await getJson<RemoteQuote>(\`\${this.baseUrl}/quotes/${m.file}/\${id}\`);
    return inTransaction(async (client) => {
      const record = await this.pg.lockForUpdate(client, id);
      const ${m.amount} = Math.max(0, Math.round(quote.body.${m.amount} * 100));
      await client.query("UPDATE ${m.table} SET ${m.column} = $1, version = version + 1 WHERE id = $2", [${m.amount}, record.id]);
      this.cache.delete(id);
      return ${m.amount};
    });
  }

${reconcile}

${withJobLock}

  async archiveStale(ownerId: string): Promise<number> {
    const rows = await this.knex.recent(ownerId);
    const stale = rows.filter((row) => Date.now() - row.updated_at.getTime() > 90 * 24 * 3600 * 1000).map((row) => row.id);
    return this.knex.archive(stale);
  }

  async credit(id: string, amount: number): Promise<void> {
    await this.pg.add${m.Amount}(id, amount);
    this.cache.delete(id);
  }
}
`;
}

function controllerFile(m) {
  return `import type { PrismaClient } from "../../infra/prisma.js";
import { HttpError } from "../../infra/http.js";
import { is${m.Name}Status } from "./${m.file}.model.js";
import { ${m.Name}Service } from "./${m.file}.service.js";

export interface Request {
  params: Record<string, string | undefined>;
  body: unknown;
}

export interface Reply {
  status: number;
  body: unknown;
}

export function ${m.file}Routes(prisma: PrismaClient, baseUrl: string) {
  const service = new ${m.Name}Service(prisma, baseUrl);
  const idOf = (req: Request) => {
    const id = req.params.id;
    if (!id) throw new HttpError(400, "/${m.table}");
    return id;
  };
  return {
    async get(req: Request): Promise<Reply> {
      const view = await service.view(idOf(req));
      return view ? { status: 200, body: view } : { status: 404, body: { error: "not found" } };
    },
    async patchStatus(req: Request): Promise<Reply> {
      const status = (req.body as { status?: unknown }).status;
      if (typeof status !== "string" || !is${m.Name}Status(status)) return { status: 422, body: { error: "bad status" } };
      const changed = await service.changeStatus(idOf(req), status);
      return { status: changed ? 204 : 409, body: null };
    },
    async reprice(req: Request): Promise<Reply> {
      return { status: 200, body: { ${m.amount}: await service.reprice(idOf(req)) } };
    },
    async credit(req: Request): Promise<Reply> {
      const amount = Number((req.body as { amount?: unknown }).amount);
      if (!Number.isFinite(amount)) return { status: 422, body: { error: "bad amount" } };
      await service.credit(idOf(req), amount);
      return { status: 204, body: null };
    },
  };
}
`;
}

/** A long workflow file (the one an editor user keeps open): step functions over the first modules. */
function workflowFile(modules) {
  const used = modules.slice(0, Math.min(modules.length, 4));
  const imports = used.map((m) => `import { ${m.Name}PgRepository } from "../modules/${m.file}/${m.file}.repository.pg.js";`).join("\n");
  const steps = [];
  for (let i = 0; i < EDITED_FILE_STEPS; i++) {
    const m = used[i % used.length];
    const unreleased = i % 17 === 5; // a mutex whose release an early return skips
    const callUnderLock = i % 17 === 11; // an HTTP call made while holding the Redis lock
    const quote = `const quote = await getJson<{ total: number }>(\`\${ctx.baseUrl}/fulfilment/${i}/\${id}\`);`;
    steps.push(`
/** Step ${i}: ${m.table} for one fulfilment, under the step's mutex and a fleet-wide Redis lock. */
export async function step${i}(ctx: FulfilmentContext, id: string): Promise<StepOutcome> {
  const started = Date.now();
  ${callUnderLock ? "" : `${quote}\n  `}const key = \`lock:fulfilment:${i}:\${id}\`;
  const token = randomUUID();
  if (!(await redis.set(key, token, "PX", 15000, "NX"))) return { step: ${i}, status: "skipped", ms: 0 };
  try {
    ${unreleased ? `const release = await stepMutexes[${i % 8}]!.acquire();
    {` : `return await stepMutexes[${i % 8}]!.runExclusive(async () => {`}
      const record = await repositories.${m.file}.findById(id);
      if (!record) return { step: ${i}, status: "missing", ms: Date.now() - started };
      if (record.status === "closed") return { step: ${i}, status: "skipped", ms: Date.now() - started };
      ${callUnderLock ? `${quote}\n      ` : ""}const adjusted = Math.round(quote.body.total * (1 + ${(i % 7) / 100}));
      await inTransaction(async (client) => {
        await repositories.${m.file}.lockForUpdate(client, id);
        await client.query("UPDATE ${m.table} SET ${m.column} = $1, version = version + 1 WHERE id = $2", [adjusted, id]);
        await client.query("INSERT INTO fulfilment_log (fulfilment_id, step, amount) VALUES ($1, $2, $3)", [ctx.fulfilmentId, ${i}, adjusted]);
      });
      ctx.totals.set("${m.table}:${i}", adjusted);
      if (adjusted > ctx.limit) {
        ctx.warnings.push(\`step ${i}: \${adjusted} is over the limit \${ctx.limit}\`);
      }
      ${unreleased ? "release();\n      " : ""}return { step: ${i}, status: "done", ms: Date.now() - started };
    }${unreleased ? "" : ");"}
  } finally {
    await redis.eval(COMPARE_AND_DELETE, 1, key, token);
  }
}
`);
  }
  const header = `// The fulfilment workflow: ${EDITED_FILE_STEPS} steps, each updating one record under a per-step mutex and a fleet-wide
// Redis lock. Long on purpose: it is the file the editor benchmark edits.
import { randomUUID } from "node:crypto";
import { Mutex } from "async-mutex";
import { inTransaction } from "../infra/db.js";
import { getJson } from "../infra/http.js";
import { COMPARE_AND_DELETE, redis } from "../infra/redis.js";
${imports}

export interface FulfilmentContext {
  fulfilmentId: string;
  baseUrl: string;
  limit: number;
  totals: Map<string, number>;
  warnings: string[];
}

export interface StepOutcome {
  step: number;
  status: "done" | "skipped" | "missing";
  ms: number;
}

const stepMutexes: Record<number, Mutex> = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [i, new Mutex()]));

const repositories = {
${used.map((m) => `  ${m.file}: new ${m.Name}PgRepository(),`).join("\n")}
};
`;
  const runner = `
export const STEPS = [${Array.from({ length: EDITED_FILE_STEPS }, (_, i) => `step${i}`).join(", ")}];

export async function runFulfilment(ctx: FulfilmentContext, id: string): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const step of STEPS) outcomes.push(await step(ctx, id));
  return outcomes;
}
`;
  return header + steps.join("") + runner;
}

function prismaClientFile(modules) {
  return `// The generated database client (as Prisma generates one): a delegate per model.
import type { Delegate } from "./prisma-delegate.js";
${modules.map((m) => `import type { ${m.Name} } from "../modules/${m.file}/${m.file}.model.js";`).join("\n")}

export interface PrismaClient {
${modules.map((m) => `  ${m.file}: Delegate<${m.Name}>;`).join("\n")}
  $transaction<R>(work: (tx: PrismaClient) => Promise<R>): Promise<R>;
}
`;
}

function moduleSpec(index) {
  const entity = ENTITIES[index % ENTITIES.length];
  const round = Math.floor(index / ENTITIES.length);
  const file = round === 0 ? entity : `${entity}${round}`;
  const amounts = ["balance", "total", "quantity", "credit", "limit", "amount"];
  const amount = amounts[index % amounts.length];
  return { index, file, Name: pascal(file), table: `${entity}s${round === 0 ? "" : `_${round}`}`, amount, Amount: pascal(amount), column: `${amount}_cents`, mistake: index % MISTAKE_EVERY === MISTAKE_EVERY - 1 };
}

const countLines = (text) => text.split("\n").length - 1;

/** Writes the corpus; returns { files, lines }. */
function generateCorpus(dir, targetLines) {
  fs.rmSync(dir, { recursive: true, force: true });
  const files = new Map(Object.entries(SHARED));
  files.set("tsconfig.json", `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  const moduleLines = (m) => countLines(modelFile(m) + pgRepositoryFile(m) + knexRepositoryFile(m) + prismaStoreFile(m) + serviceFile(m) + controllerFile(m));
  const modules = [0, 1, 2, 3].map(moduleSpec);
  const fixedLines = [...files.values()].reduce((n, text) => n + countLines(text), 0) + countLines(workflowFile(modules));
  let lines = fixedLines + countLines(prismaClientFile(modules)) + modules.reduce((n, m) => n + moduleLines(m), 0);
  while (lines < targetLines) {
    const m = moduleSpec(modules.length);
    modules.push(m);
    lines += moduleLines(m) + 2; // its files, plus an import and a delegate in the Prisma client
  }
  for (const m of modules) {
    const base = `src/modules/${m.file}/${m.file}`;
    files.set(`${base}.model.ts`, modelFile(m));
    files.set(`${base}.repository.pg.ts`, pgRepositoryFile(m));
    files.set(`${base}.repository.knex.ts`, knexRepositoryFile(m));
    files.set(`${base}.store.prisma.ts`, prismaStoreFile(m));
    files.set(`${base}.service.ts`, serviceFile(m));
    files.set(`${base}.controller.ts`, controllerFile(m));
  }
  files.set("src/infra/prisma.ts", prismaClientFile(modules));
  files.set(EDITED_FILE, workflowFile(modules));
  let total = 0;
  for (const [name, text] of files) {
    const target = path.join(dir, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    if (name.endsWith(".ts")) total += countLines(text);
  }
  return { files: [...files.keys()].filter((f) => f.endsWith(".ts")).length, lines: total, modules: modules.length };
}

module.exports = { generateCorpus, EDITED_FILE };

if (require.main === module) {
  const [dir, lines] = process.argv.slice(2);
  if (!dir || !Number(lines)) {
    console.error("usage: node bench/generate-corpus.js <dir> <lines>");
    process.exit(2);
  }
  console.log(generateCorpus(path.resolve(dir), Number(lines)));
}
