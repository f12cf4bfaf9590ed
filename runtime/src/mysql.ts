import { createHash } from "node:crypto";
import { BackendError, StaleFenceError } from "./errors.js";
import { retry, type RetryOptions } from "./retry.js";
import { createSqlLockProvider, rowWaitClause, transactionRetry, type LockRowsOptions, type SqlLockProvider, type SqlLockProviderOptions } from "./sql.js";

export type { Lease } from "./lease.js";
export type { LockRowsOptions, RowWait, SqlLockProvider, SqlLockProviderOptions } from "./sql.js";

/** Anything with mysql2/promise's `query(sql, values)` resolving to `[rows or result header, fields]`. */
export interface MySqlQueryable {
  query(sql: string, values?: any): Promise<[any, any]>;
}

/** A checked-out connection (`mysql2/promise` `PoolConnection`). */
export interface MySqlPoolConnection extends MySqlQueryable {
  release(): void;
  destroy?(): void;
  threadId?: number | null | undefined;
}

/** A pool (`mysql2/promise` `Pool`). */
export interface MySqlPool<C extends MySqlPoolConnection = MySqlPoolConnection> extends MySqlQueryable {
  getConnection(): Promise<C>;
}

export type MySqlIsolation = "read uncommitted" | "read committed" | "repeatable read" | "serializable";

export interface MySqlTransactionOptions {
  /** Isolation level of this transaction only (default: the session's, normally repeatable read). */
  isolation?: MySqlIsolation | Uppercase<MySqlIsolation> | undefined;
  readOnly?: boolean | undefined;
  /** `innodb_lock_wait_timeout` for the transaction, rounded up to whole seconds (error 1205, retried). */
  lockTimeoutMs?: number | undefined;
  /**
   * Retry policy for the whole transaction (default 5 attempts with jittered backoff from 20 ms) on deadlocks (1213),
   * lock wait timeouts (1205), NOWAIT failures (3572), MariaDB snapshot conflicts (1020) and `ConflictError`. A
   * number sets `maxAttempts`; `false` disables retries.
   */
  retry?: RetryOptions | number | false | undefined;
}

function isMySqlRetryable(error: unknown): boolean {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return errno === 1213 || errno === 1205 || errno === 3572 || errno === 1020;
}

const MYSQL_ISOLATION: Record<MySqlIsolation, string> = {
  "read uncommitted": "READ UNCOMMITTED",
  "read committed": "READ COMMITTED",
  "repeatable read": "REPEATABLE READ",
  serializable: "SERIALIZABLE",
};

/**
 * Run `fn(tx)` in a transaction on a connection from `pool` (START TRANSACTION, COMMIT, ROLLBACK on error; the
 * connection is always released, or destroyed if it broke). Deadlocks and lock wait timeouts rerun `fn` with backoff.
 */
export function withMySqlTransaction<T, C extends MySqlPoolConnection>(
  pool: MySqlPool<C>,
  fn: (tx: C, attempt: number) => T | PromiseLike<T>,
  options: MySqlTransactionOptions = {},
): Promise<T> {
  const isolation = options.isolation === undefined ? undefined : MYSQL_ISOLATION[options.isolation.toLowerCase() as MySqlIsolation];
  if (options.isolation !== undefined && !isolation) throw new RangeError(`Unknown isolation level ${JSON.stringify(options.isolation)}`);
  const lockWaitSeconds = options.lockTimeoutMs === undefined ? undefined : Math.max(1, Math.ceil(options.lockTimeoutMs / 1000));
  if (lockWaitSeconds !== undefined && !Number.isFinite(lockWaitSeconds)) throw new RangeError(`Invalid lockTimeoutMs ${options.lockTimeoutMs}`);

  return retry(async (attempt) => {
    const tx = await pool.getConnection();
    let broken = false;
    try {
      if (lockWaitSeconds !== undefined) await tx.query(`SET SESSION innodb_lock_wait_timeout = ${lockWaitSeconds}`);
      if (isolation) await tx.query(`SET TRANSACTION ISOLATION LEVEL ${isolation}`); // applies to the next transaction only
      await tx.query(options.readOnly ? "START TRANSACTION READ ONLY" : "START TRANSACTION");
      const result = await fn(tx, attempt);
      await tx.query("COMMIT");
      return result;
    } catch (error) {
      await tx.query("ROLLBACK").catch(() => (broken = true));
      throw error;
    } finally {
      // Pooled connections are reused: put the session setting back, or retire the connection.
      if (lockWaitSeconds !== undefined && !broken) await tx.query("SET SESSION innodb_lock_wait_timeout = DEFAULT").catch(() => (broken = true));
      if (broken && tx.destroy) tx.destroy();
      else tx.release();
    }
  }, transactionRetry(options.retry, isMySqlRetryable));
}

/** Backtick-quote an identifier; `db.table` is split at the dot. */
export function mysqlIdent(name: string): string {
  if (name.length === 0) throw new RangeError("Empty SQL identifier");
  return name.split(".").map((part) => `\`${part.replace(/`/g, "``")}\``).join(".");
}

/**
 * `SELECT ... FOR UPDATE` the rows whose `key` is in `ids`, in `key` order so overlapping callers cannot deadlock.
 * Call inside `withMySqlTransaction`. `wait: "nowait"` / `"skip-locked"` need MySQL 8 or MariaDB 10.6+.
 */
export async function lockMySqlRows<R = Record<string, unknown>>(tx: MySqlQueryable, options: LockRowsOptions<unknown>): Promise<R[]> {
  if (options.ids.length === 0) return [];
  const key = mysqlIdent(options.key ?? "id");
  const columns = options.columns ? options.columns.map(mysqlIdent).join(", ") : "*";
  const sql = `SELECT ${columns} FROM ${mysqlIdent(options.table)} WHERE ${key} IN (?) ORDER BY ${key} FOR UPDATE${rowWaitClause(options.wait)}`;
  const [rows] = await tx.query(sql, [[...new Set(options.ids)]]);
  return rows as R[];
}

export interface MySqlFencedUpdateOptions {
  table: string;
  where: Record<string, unknown>;
  set: Record<string, unknown>;
  fence: bigint;
  fenceColumn?: string | undefined;
}

/** As the PostgreSQL `fencedUpdate`: throws `StaleFenceError` unless the row exists and has no newer fence. */
export async function fencedMySqlUpdate(db: MySqlQueryable, options: MySqlFencedUpdateOptions): Promise<void> {
  const fenceColumn = mysqlIdent(options.fenceColumn ?? "fence");
  const set = Object.keys(options.set).map((c) => `${mysqlIdent(c)} = ?`);
  const where = Object.keys(options.where).map((c) => `${mysqlIdent(c)} = ?`);
  if (where.length === 0) throw new RangeError("fencedUpdate: `where` must name the row");
  const fence = options.fence.toString();
  const sql =
    `UPDATE ${mysqlIdent(options.table)} SET ${[...set, `${fenceColumn} = ?`].join(", ")} ` +
    `WHERE ${where.join(" AND ")} AND (${fenceColumn} IS NULL OR ${fenceColumn} <= ?)`;
  const [header] = await db.query(sql, [...Object.values(options.set), fence, ...Object.values(options.where), fence]);
  // "Rows matched" counts a rewrite of identical values too, whatever the FOUND_ROWS flag says.
  const matched = /Rows matched:\s*(\d+)/.exec(String(header?.info ?? ""));
  const count = matched ? Number(matched[1]) : Number(header?.affectedRows ?? 0);
  if (count === 0) {
    throw new StaleFenceError(`Rejected an update of ${options.table} with fence ${options.fence}: the row has a newer fence, or does not exist`);
  }
}

/** GET_LOCK names are limited to 64 characters: longer keys are hashed. */
function mysqlLockName(key: string): string {
  return key.length <= 64 ? key : `locksmith:${createHash("sha256").update(key).digest("hex").slice(0, 54)}`;
}

/**
 * Locks on `GET_LOCK` named locks, each held by its own pooled connection. GET_LOCK's answer is checked: 1 granted,
 * 0 timed out, NULL an error (never treated as granted). Heartbeats verify `IS_USED_LOCK(name) = CONNECTION_ID()`,
 * so a killed or replaced session aborts the lease's signal. Fences come from `fenceTable` (LAST_INSERT_ID counter).
 */
export function createMySqlLockProvider(pool: MySqlPool, options: SqlLockProviderOptions = {}): SqlLockProvider {
  const ensured = new Map<string, Promise<void>>();
  const ensureTable = (table: string) => {
    let p = ensured.get(table);
    if (!p) {
      p = pool.query(`CREATE TABLE IF NOT EXISTS ${mysqlIdent(table)} (lock_key VARCHAR(64) PRIMARY KEY, fence BIGINT UNSIGNED NOT NULL)`).then(
        () => undefined,
        (error: unknown) => {
          ensured.delete(table);
          throw error;
        },
      );
      ensured.set(table, p);
    }
    return p;
  };
  const single = async (conn: MySqlQueryable, sql: string, values: unknown[] = []) => {
    const [rows] = await conn.query(sql, values);
    return (rows as Record<string, unknown>[])[0]?.["v"];
  };

  return createSqlLockProvider<MySqlPoolConnection>(
    {
      name: "mysql",
      connect: () => pool.getConnection(),
      async wait(conn, key, timeoutMs) {
        // "Forever" is a year: MariaDB answers NULL to MySQL's negative (infinite) timeout.
        const seconds = timeoutMs === undefined ? 365 * 24 * 3600 : timeoutMs / 1000;
        const answer = await single(conn, "SELECT GET_LOCK(?, ?) AS v", [mysqlLockName(key), seconds]);
        if (answer === null || answer === undefined) throw new BackendError(`GET_LOCK(${JSON.stringify(key)}) returned NULL (an error, e.g. the wait was killed)`);
        return Number(answer) === 1;
      },
      async cancel(conn) {
        if (typeof conn.threadId === "number") await pool.query(`KILL QUERY ${Math.trunc(conn.threadId)}`);
      },
      async nextFence(conn, key, table) {
        await ensureTable(table);
        // Autocommit statement on the lock's own session, so LAST_INSERT_ID reads this increment.
        await conn.query(`INSERT INTO ${mysqlIdent(table)} (lock_key, fence) VALUES (?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE fence = LAST_INSERT_ID(fence + 1)`, [mysqlLockName(key)]);
        return BigInt(String(await single(conn, "SELECT CAST(LAST_INSERT_ID() AS CHAR) AS v")));
      },
      async ping(conn, key) {
        return Number(await single(conn, "SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS v", [mysqlLockName(key)])) === 1;
      },
      async unlock(conn, key, broken) {
        try {
          if (!broken) await conn.query("SELECT RELEASE_LOCK(?)", [mysqlLockName(key)]);
        } catch {
          broken = true;
        } finally {
          if (broken && conn.destroy) conn.destroy();
          else conn.release();
        }
      },
      onLost(conn, lost) {
        const emitter = conn as { on?: (e: "error", l: (error: Error) => void) => unknown; removeListener?: (e: "error", l: (error: Error) => void) => unknown };
        const listener = (error: Error) => lost(error);
        emitter.on?.("error", listener);
        return () => void emitter.removeListener?.("error", listener);
      },
    },
    options,
  );
}

// The short names this subpath is documented with; the vendored single file keeps only the unambiguous ones above.
export { lockMySqlRows as lockRows, fencedMySqlUpdate as fencedUpdate };
