import { StaleFenceError } from "./errors.js";
import { retry, type RetryOptions } from "./retry.js";
import { createSqlLockProvider, rowWaitClause, transactionRetry, wholeMs, type LockRowsOptions, type SqlLockProvider, type SqlLockProviderOptions } from "./sql.js";

export type { Lease } from "./lease.js";
export type { LockRowsOptions, RowWait, SqlLockProvider, SqlLockProviderOptions } from "./sql.js";

/** The part of a `pg` query result this library reads. */
export interface PgResult {
  rows: any[];
  rowCount: number | null;
}

/** Anything with `pg`'s `query(text, values)`: a `Pool`, `Client` or `PoolClient`. */
export interface PgQueryable {
  query(text: string, values?: any[]): Promise<PgResult>;
}

/** A checked-out connection (`pg.PoolClient`). */
export interface PgPoolClient extends PgQueryable {
  release(destroy?: boolean | Error): void;
  on?(event: "error", listener: (error: Error) => void): unknown;
  removeListener?(event: "error", listener: (error: Error) => void): unknown;
}

/** A connection pool (`pg.Pool`). */
export interface PgPool<C extends PgPoolClient = PgPoolClient> extends PgQueryable {
  connect(): Promise<C>;
}

export type PgIsolation = "read committed" | "repeatable read" | "serializable";

export interface PgTransactionOptions {
  /** Isolation level (default: the server's, normally read committed). */
  isolation?: PgIsolation | Uppercase<PgIsolation> | undefined;
  readOnly?: boolean | undefined;
  /** `SET LOCAL lock_timeout`: a lock wait longer than this fails the attempt (SQLSTATE 55P03, retried). */
  lockTimeoutMs?: number | undefined;
  /** `SET LOCAL statement_timeout`. */
  statementTimeoutMs?: number | undefined;
  /**
   * Retry policy for the whole transaction (default 5 attempts with jittered backoff from 20 ms) on serialization
   * failures (40001), deadlocks (40P01), lock timeouts (55P03) and `ConflictError`. A number sets `maxAttempts`;
   * `false` disables retries.
   */
  retry?: RetryOptions | number | false | undefined;
}

/** SQLSTATEs for which rerunning the whole transaction is the documented remedy. */
function isPgRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "40001" || code === "40P01" || code === "55P03";
}

const ISOLATION: Record<PgIsolation, string> = {
  "read committed": "READ COMMITTED",
  "repeatable read": "REPEATABLE READ",
  serializable: "SERIALIZABLE",
};

/**
 * Run `fn(tx)` in a transaction on a connection checked out of `pool`: BEGIN, COMMIT on success, ROLLBACK on any
 * error, and the connection is always handed back (destroyed if it broke). Serialization failures and deadlocks
 * rerun the whole function with backoff, so `fn` must do all its reads inside `tx` and have no other side effects.
 */
export function withPgTransaction<T, C extends PgPoolClient>(
  pool: PgPool<C>,
  fn: (tx: C, attempt: number) => T | PromiseLike<T>,
  options: PgTransactionOptions = {},
): Promise<T> {
  const isolation = options.isolation === undefined ? undefined : ISOLATION[options.isolation.toLowerCase() as PgIsolation];
  if (options.isolation !== undefined && !isolation) throw new RangeError(`Unknown isolation level ${JSON.stringify(options.isolation)}`);
  const begin = ["BEGIN", isolation && `ISOLATION LEVEL ${isolation}`, options.readOnly && "READ ONLY"].filter(Boolean).join(" ");
  const settings = [
    options.lockTimeoutMs !== undefined && `SET LOCAL lock_timeout = ${wholeMs(options.lockTimeoutMs)}`,
    options.statementTimeoutMs !== undefined && `SET LOCAL statement_timeout = ${wholeMs(options.statementTimeoutMs)}`,
  ].filter((s): s is string => typeof s === "string");

  return retry(async (attempt) => {
    const tx = await pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => (broken ??= error); // unhandled, pg would crash the process
    tx.on?.("error", onError);
    try {
      await tx.query(begin);
      for (const sql of settings) await tx.query(sql);
      const result = await fn(tx, attempt);
      await tx.query("COMMIT");
      return result;
    } catch (error) {
      await tx.query("ROLLBACK").catch((rollbackError: Error) => (broken ??= rollbackError));
      throw error;
    } finally {
      tx.removeListener?.("error", onError);
      tx.release(broken ?? false);
    }
  }, transactionRetry(options.retry, isPgRetryable));
}

/** Double-quote an identifier; `schema.table` is split at the dot. */
export function pgIdent(name: string): string {
  if (name.length === 0) throw new RangeError("Empty SQL identifier");
  return name.split(".").map((part) => `"${part.replace(/"/g, '""')}"`).join(".");
}

/**
 * `SELECT ... FOR UPDATE` the rows whose `key` is in `ids`, ordered by `key` so that concurrent callers lock
 * overlapping sets in the same order and cannot deadlock. Call inside `withPgTransaction`. With `wait: "nowait"` a
 * held row fails the statement (SQLSTATE 55P03); with `"skip-locked"` held rows are left out of the result.
 */
export async function lockPgRows<R = Record<string, unknown>>(tx: PgQueryable, options: LockRowsOptions<unknown>): Promise<R[]> {
  if (options.ids.length === 0) return [];
  const key = pgIdent(options.key ?? "id");
  const columns = options.columns ? options.columns.map(pgIdent).join(", ") : "*";
  const sql = `SELECT ${columns} FROM ${pgIdent(options.table)} WHERE ${key} = ANY($1) ORDER BY ${key} FOR UPDATE${rowWaitClause(options.wait)}`;
  return (await tx.query(sql, [[...new Set(options.ids)]])).rows as R[];
}

export interface FencedUpdateOptions {
  table: string;
  /** Column values identifying the row, e.g. `{ id: 42 }`. */
  where: Record<string, unknown>;
  /** Columns to set. */
  set: Record<string, unknown>;
  /** The writer's `lease.fence`. */
  fence: bigint;
  /** Column storing the fence of the last write (default "fence"; bigint, nullable). */
  fenceColumn?: string | undefined;
}

/**
 * UPDATE a row only if no write with a newer fence has reached it, storing this fence with the data. Throws
 * `StaleFenceError` when nothing was updated: the row carries a newer fence (this writer's lease is stale) or does
 * not exist.
 */
export async function fencedPgUpdate(db: PgQueryable, options: FencedUpdateOptions): Promise<void> {
  const fenceColumn = pgIdent(options.fenceColumn ?? "fence");
  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  const fence = param(options.fence.toString());
  const set = Object.entries(options.set).map(([column, value]) => `${pgIdent(column)} = ${param(value)}`);
  const where = Object.entries(options.where).map(([column, value]) => `${pgIdent(column)} = ${param(value)}`);
  if (where.length === 0) throw new RangeError("fencedUpdate: `where` must name the row");
  const sql =
    `UPDATE ${pgIdent(options.table)} SET ${[...set, `${fenceColumn} = ${fence}::bigint`].join(", ")} ` +
    `WHERE ${where.join(" AND ")} AND (${fenceColumn} IS NULL OR ${fenceColumn} <= ${fence}::bigint)`;
  const result = await db.query(sql, values);
  if (!result.rowCount) {
    throw new StaleFenceError(`Rejected an update of ${options.table} with fence ${options.fence}: the row has a newer fence, or does not exist`);
  }
}

export interface PgLockProviderOptions extends SqlLockProviderOptions {
  /**
   * "transaction" (default): `pg_advisory_xact_lock` inside a transaction held open on a dedicated connection, so
   * the lock cannot outlive it. "session": `pg_advisory_lock`/`pg_advisory_unlock` (for poolers, prefer the default).
   */
  scope?: "transaction" | "session" | undefined;
}

/**
 * Locks on PostgreSQL advisory locks (keys hashed with `hashtextextended`), each held on its own pooled connection.
 * The lease's signal aborts when that connection reports an error or stops answering heartbeats (e.g. the backend
 * was terminated); fences come from `fenceTable`. Correct with fencing: PostgreSQL releases the lock the moment the
 * session dies, so a paused holder must prove itself with `fencedUpdate`.
 */
export function createPgLockProvider(pool: PgPool, options: PgLockProviderOptions = {}): SqlLockProvider {
  const session = options.scope === "session";
  const ensured = new Map<string, Promise<void>>();
  const ensureTable = (table: string) => {
    let p = ensured.get(table);
    if (!p) {
      p = pool
        .query(`CREATE TABLE IF NOT EXISTS ${pgIdent(table)} (key text PRIMARY KEY, fence bigint NOT NULL)`)
        .then(
          () => undefined,
          (error: { code?: string }) => {
            if (error.code === "23505" || error.code === "42P07") return; // created concurrently by another process
            ensured.delete(table);
            throw error;
          },
        );
      ensured.set(table, p);
    }
    return p;
  };
  const pids = new WeakMap<PgPoolClient, number>();
  const [lockSql, trySql] = session
    ? ["pg_advisory_lock(hashtextextended($1, 0))", "pg_try_advisory_lock(hashtextextended($1, 0))"]
    : ["pg_advisory_xact_lock(hashtextextended($1, 0))", "pg_try_advisory_xact_lock(hashtextextended($1, 0))"];

  return createSqlLockProvider<PgPoolClient>(
    {
      name: "postgres",
      connect: () => pool.connect(),
      async wait(conn, key, timeoutMs) {
        if (!session) await conn.query("BEGIN");
        pids.set(conn, (await conn.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number);
        if (timeoutMs === 0) return (await conn.query(`SELECT ${trySql} AS ok`, [key])).rows[0].ok === true;
        if (timeoutMs !== undefined) await conn.query(`SET ${session ? "" : "LOCAL "}lock_timeout = ${wholeMs(timeoutMs)}`);
        try {
          await conn.query(`SELECT ${lockSql}`, [key]);
        } catch (error) {
          if ((error as { code?: unknown }).code === "55P03") return false; // lock_timeout elapsed
          throw error;
        } finally {
          if (timeoutMs !== undefined) await conn.query(`SET ${session ? "" : "LOCAL "}lock_timeout TO DEFAULT`).catch(() => undefined);
        }
        return true;
      },
      async cancel(conn) {
        const pid = pids.get(conn);
        if (pid !== undefined) await pool.query("SELECT pg_cancel_backend($1)", [pid]);
      },
      async nextFence(_conn, key, table) {
        await ensureTable(table);
        // Autocommit on the pool: the increment must survive even if the lock's own session dies.
        const sql = `INSERT INTO ${pgIdent(table)} AS f (key, fence) VALUES ($1, 1) ON CONFLICT (key) DO UPDATE SET fence = f.fence + 1 RETURNING fence::text AS fence`;
        return BigInt((await pool.query(sql, [key])).rows[0].fence as string);
      },
      async ping(conn) {
        // The lock lives exactly as long as this session (and, by default, its transaction): a live session holds it.
        await conn.query("SELECT 1");
        return true;
      },
      async unlock(conn, key, broken) {
        try {
          if (!broken) {
            if (session) await conn.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]);
            else await conn.query("ROLLBACK"); // ends the transaction, and with it the lock
          }
        } catch {
          broken = true;
        } finally {
          conn.release(broken);
        }
      },
      onLost(conn, lost) {
        const listener = (error: Error) => lost(error);
        conn.on?.("error", listener);
        return () => void conn.removeListener?.("error", listener);
      },
    },
    options,
  );
}

// The short names this subpath is documented with; the vendored single file keeps only the unambiguous ones above.
export { lockPgRows as lockRows, fencedPgUpdate as fencedUpdate };
