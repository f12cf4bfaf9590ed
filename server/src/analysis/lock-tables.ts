// Lock tables: a database table used as a lock, recognised by what the code does with it. The acquisition inserts a
// row naming its owner and an expiry (`INSERT INTO locks (key, owner, expires_at) … ON CONFLICT …`, Prisma
// `create`/`upsert`), and copes with the row already being there (ON CONFLICT / ON DUPLICATE KEY / INSERT IGNORE, an
// upsert, or a catch around the insert). Its release deletes the row and its refresh moves the expiry; either one,
// written by key alone, acts on whoever holds the lock now, which after an expiry is someone else.
// The insert is also an acquisition for the other lock rules (`lockTableAcquisitionOf`, asked by locks.ts) where the
// table says it is a lock (`job_locks`, `leases`, a `locked_by` column) and the file deletes its rows: a try-lock when
// ON CONFLICT DO NOTHING / a conditional DO UPDATE / INSERT IGNORE makes a busy lock an insert of no row.
import { ts } from "../engine/ts";
import { calleeName, code, enclosingFunction, isFunctionLike, propertyValue, receiverOf, skipParens } from "./ast";
import { canonicalKey } from "./identity";
import { dbAccessOf, dbAccessesIn, sameTable, type DbAccess } from "./db";
import { propertyName } from "./db/shapes";
import type { LockAcquisition } from "./locks";
import { normalizeSql, sqlSiteOf } from "./sql-text";

/** Columns naming who holds a lock: `owner`, `owner_id`, `holder`, `lock_token`, `locked_by`. */
const OWNER_COLUMN = /^(lock_?)?(owner|holder)(_?(id|token))?$|^lock_?token$|^(locked|held|claimed|acquired)_?by$/i;
/** Columns holding when a lock lapses: `expires_at`, `expiration`, `locked_until`, `lease_until`, `ttl`. */
const EXPIRY_COLUMN = /expir|until|deadline|ttl/i;
/** Words that say a table or its columns hold locks: `job_locks`, `JobLease`, `locked_by`, `holder` (not `blocks`, `clock`). */
const LOCK_WORD = /(?:^|[^a-z])(?:lock|lease|mutex|semaphore|leader|holder)(?:s|es|ed)?(?:[^a-z]|$)/;

function isLockNamed(name: string): boolean {
  return LOCK_WORD.test(name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase());
}
/** Columns saying when a row was taken (`locked_at`, `heartbeat`): something may judge a lock stale by them. */
const TIME_COLUMN = /_at$|At$|time|date|heartbeat/i;

export interface LockTable {
  /** The insert that takes the lock. */
  acquisition: DbAccess;
  table: string;
  ownerColumn: string;
  /** Undefined for a lock row that never lapses by itself. */
  expiryColumn?: string;
  /** Every column the insert writes. */
  columns: string[];
  /**
   * The column naming which lock a row is (`name`, `job`): the conflict target, else the first column written that
   * says neither who holds the row nor when; none for a table of one lock (only an owner and times).
   */
  keyColumn?: string;
  /** The key's value in the code (`$1` → the argument passed), or its SQL string literal (`'nightly'`). */
  key?: { value: ts.Expression } | { literal: string };
}

export interface OwnerlessLockTableWrite {
  /** The DELETE (release) or UPDATE of the expiry (refresh) that names the row by key only. */
  access: DbAccess;
  kind: "release" | "refresh";
  lock: LockTable & { expiryColumn: string };
}

const cache = new WeakMap<ts.SourceFile, OwnerlessLockTableWrite[]>();

/** The releases and refreshes of the file's lock tables whose WHERE does not name the owner. */
export function ownerlessLockTableWrites(sourceFile: ts.SourceFile): OwnerlessLockTableWrite[] {
  let found = cache.get(sourceFile);
  if (found) return found;
  found = [];
  const accesses = dbAccessesIn(sourceFile).filter((a) => a.library !== "redis" && a.table !== undefined);
  const tables = accesses.map(lockTableOf).filter((t): t is LockTable & { expiryColumn: string } => t?.expiryColumn !== undefined);
  for (const access of accesses) {
    const lock = tables.find((t) => sameTable(t.table, access.table));
    if (!lock || access === lock.acquisition || access.insert || access.kind !== "write") continue;
    const kind = isDelete(access) ? "release" : access.assignments.some((a) => a.column === lock.expiryColumn) ? "refresh" : undefined;
    if (!kind || access.conditions.length === 0) continue;
    // The owner (or the expiry: a takeover of a lapsed lock) in the WHERE makes it this holder's own row.
    if (access.conditions.some((c) => OWNER_COLUMN.test(c.column) || EXPIRY_COLUMN.test(c.column))) continue;
    if (access.sql && whereMentions(access.sql.text, [lock.ownerColumn, lock.expiryColumn])) continue;
    // A column pinned in the WHERE and incremented by the same write (`where: { id, clock }`, `clock: { increment: 1 }`)
    // is a compare-and-set on the row as this caller read it: it changes the row only if nobody took it in between.
    if (access.conditions.some((c) => c.operator === "=" && access.assignments.some((a) => a.atomic && sameName(a.column, c.column))))
      continue;
    found.push({ access, kind, lock });
  }
  cache.set(sourceFile, found);
  return found;
}

/** `lock_clock` and `lockClock` name one column. */
function sameName(a: string, b: string): boolean {
  return a.replace(/_/g, "").toLowerCase() === b.replace(/_/g, "").toLowerCase();
}

function isDelete(access: DbAccess): boolean {
  if (access.sql) return access.sql.statement.kind === "delete";
  return /^(delete|deleteMany|del|destroy|remove)$/.test(calleeName(access.node as ts.CallExpression) ?? "");
}

/** Whether the SQL's WHERE clause names one of `columns` (in an OR, a subquery: anything the parser left out). */
function whereMentions(sql: string, columns: readonly string[]): boolean {
  const where = whereOf(sql);
  return columns.some((c) => new RegExp(`\\b${c.toUpperCase()}\\b`).test(where));
}

/** The normalised SQL from its first WHERE on; empty without one. */
function whereOf(sql: string): string {
  const upper = normalizeSql(sql);
  const where = upper.indexOf(" WHERE ");
  return where >= 0 ? upper.slice(where) : "";
}

/** The lock table `access` takes a lock in: an insert of an owner (and an expiry) that copes with the row existing. */
function lockTableOf(access: DbAccess): LockTable | undefined {
  const columns = insertedColumns(access);
  const ownerColumn = columns?.find((c) => OWNER_COLUMN.test(c));
  const expiryColumn = columns?.find((c) => EXPIRY_COLUMN.test(c));
  if (!columns || !ownerColumn || !access.table || !copesWithExisting(access)) return undefined;
  const keyColumn = conflictTarget(access) ?? columns.find((c) => c !== ownerColumn && !EXPIRY_COLUMN.test(c) && !TIME_COLUMN.test(c));
  const key = keyColumn === undefined ? undefined : keyValue(access, keyColumn);
  return {
    acquisition: access,
    table: access.table,
    ownerColumn,
    ...(expiryColumn ? { expiryColumn } : {}),
    columns,
    ...(keyColumn !== undefined ? { keyColumn } : {}),
    ...(key ? { key } : {}),
  };
}

/** `ON CONFLICT (name)`: the one column whose value says which lock the row is. */
function conflictTarget(access: DbAccess): string | undefined {
  const target = access.sql && /\bON\s+CONFLICT\s*\(\s*([^,()\s]+)\s*\)/i.exec(access.sql.text)?.[1];
  return target?.replace(/^["`[]|["`\]]$/g, "");
}

/** The value the insert writes to `column` (or a Prisma upsert's `where` names it by): code, or a SQL string literal. */
function keyValue(access: DbAccess, column: string): LockTable["key"] {
  const same = (c: { column: string }) => c.column.toLowerCase() === column.toLowerCase();
  const assignment = access.assignments.find(same);
  const value = assignment?.value ?? access.conditions.find((c) => same(c) && c.operator === "=")?.value;
  if (value) return { value };
  const literal = assignment?.sql && /^\s*'((?:[^']|'')*)'\s*$/.exec(assignment.sql.expression)?.[1];
  return literal !== undefined ? { literal: literal.replace(/''/g, "'") } : undefined;
}

const INSERT_START = /^\s*(?:INSERT|REPLACE)\b/i;

/**
 * The lock `node` takes by inserting its row into a lock table: the insert names an owner, copes with the row
 * existing, the table or a column is named as a lock, and the file deletes rows of the table (the release). `sql` is
 * the statement's text for raw SQL (undefined for an ORM call). Cheap for every other call: a text test first.
 */
export function lockTableAcquisitionOf(
  node: ts.CallExpression | ts.TaggedTemplateExpression,
  sql: string | undefined,
): LockAcquisition | undefined {
  if (sql !== undefined ? !INSERT_START.test(sql) : !ts.isCallExpression(node) || !OWNER_WORD.test(node.arguments[0]?.getText() ?? ""))
    return undefined;
  const access = dbAccessOf(node);
  const lock = access && access.library !== "redis" ? lockTableOf(access) : undefined;
  // An ORM's table as written (`prisma.jobLock`): the access keeps it lower-cased.
  const model = sql === undefined && ts.isCallExpression(node) ? receiverOf(node) : undefined;
  const written = model && ts.isPropertyAccessExpression(model) ? model.name.text : "";
  if (!access || !lock || ![lock.table, written, lock.ownerColumn, lock.expiryColumn ?? ""].some(isLockNamed)) return undefined;
  if (!dbAccessesIn(node.getSourceFile()).some((other) => isRowRelease(other, lock.table))) return undefined;
  return {
    call: node,
    mechanism: "lock-table",
    style: failsSilently(access) ? "try" : "blocking",
    expires: lock.expiryColumn !== undefined,
    transactionScoped: false,
    label: `the lock row in ${code(written || lock.table)}`,
    lockTable: lock,
  };
}

/** A word of an owner column in a call's first argument: the cheap test before an ORM call is recognised. */
const OWNER_WORD = /owner|holder|lock_?token|(locked|held|claimed|acquired)_?by/i;

/** A cheap, syntactic superset of `lockTableAcquisitionOf`: an insert whose SQL, or ORM data, names an owner. */
export function mayInsertLockRow(call: ts.CallExpression | ts.TaggedTemplateExpression): boolean {
  const site = sqlSiteOf(call);
  if (site) return INSERT_START.test(site.sql) && OWNER_WORD.test(site.sql);
  const name = ts.isCallExpression(call) ? calleeName(call) : undefined;
  return (name === "create" || name === "upsert") && OWNER_WORD.test((call as ts.CallExpression).arguments[0]?.getText() ?? "");
}

function isRowRelease(access: DbAccess, table: string): boolean {
  return access.kind === "write" && !access.insert && sameTable(access.table, table) && isDelete(access);
}

/**
 * Whether `call` releases the lock-table lock `acquisition` took: it deletes rows of the same table, and not by
 * another key than the row's (`WHERE name = 'reports'` gives back no `'billing'` row).
 */
export function isLockTableRelease(call: ts.CallExpression | ts.TaggedTemplateExpression, acquisition: LockAcquisition): boolean {
  const lock = acquisition.lockTable;
  const access = lock && dbAccessOf(call);
  return !!access && isRowRelease(access, lock.table) && !namesOtherRow(access, lock, acquisition.call);
}

/**
 * Whether the delete `access` names by its key column another row than the one `lock` inserted: two different SQL
 * string literals, or, in the function that inserted it, two different expressions. A delete in another function (a
 * service's `release(name)` for its `acquire(key)`) names its key by its own parameter: not told apart.
 */
function namesOtherRow(access: DbAccess, lock: LockTable, acquisitionCall: ts.Node): boolean {
  const column = lock.keyColumn;
  if (!column || !lock.key) return false;
  const deleted = keyCondition(access, column);
  if (!deleted) return false;
  if ("literal" in lock.key || "literal" in deleted)
    return "literal" in lock.key && "literal" in deleted && lock.key.literal !== deleted.literal;
  return (
    enclosingFunction(access.node) === enclosingFunction(acquisitionCall) && canonicalKey(deleted.value) !== canonicalKey(lock.key.value)
  );
}

/** The value a statement's WHERE compares `column` with: code (`name = $1`, Prisma `where: { name }`), or a SQL literal. */
function keyCondition(access: DbAccess, column: string): LockTable["key"] {
  const condition = access.conditions.find((c) => c.column.toLowerCase() === column.toLowerCase() && c.operator === "=");
  if (condition?.value) return { value: condition.value };
  const literal =
    access.sql && new RegExp(`\\bWHERE\\b.*?["\`]?\\b${column}\\b["\`]?\\s*=\\s*'((?:[^']|'')*)'`, "is").exec(access.sql.text)?.[1];
  return literal !== undefined ? { literal: literal.replace(/''/g, "'") } : undefined;
}

/**
 * Whether a busy lock makes the insert change no row instead of failing: ON CONFLICT DO NOTHING, a DO UPDATE with a
 * WHERE (the takeover of a lapsed lock), INSERT IGNORE, ON DUPLICATE KEY UPDATE. An unconditional DO UPDATE and a
 * caught duplicate-key error are not silent: the first always takes the row, the second throws.
 */
function failsSilently(access: DbAccess): boolean {
  if (!access.sql) return false;
  const sql = normalizeSql(access.sql.text);
  const conflict = sql.indexOf(" ON CONFLICT");
  if (conflict >= 0) return / DO NOTHING\b/.test(sql.slice(conflict)) || / DO UPDATE\b[^]* WHERE /.test(sql.slice(conflict));
  return /^\s*INSERT IGNORE\b|\bON DUPLICATE KEY\b/.test(sql);
}

/**
 * Whether nothing tells when the lock row `acquisition` inserted lapses: no expiry or time column written, no time in
 * its conflict clause (`WHERE locks.locked_at < now() - interval …`), and no delete of the table in the file judged by
 * a time (a sweeper of stale rows).
 */
export function lockTableNeverLapses(acquisition: LockAcquisition): boolean {
  const lock = acquisition.lockTable;
  if (!lock || lock.expiryColumn || lock.columns.some((c) => TIME_COLUMN.test(c))) return false;
  if (lock.acquisition.sql && /\bNOW\(|\bCURRENT_TIMESTAMP\b|\bINTERVAL\b/.test(normalizeSql(lock.acquisition.sql.text))) return false;
  const byTime = (column: string) => TIME_COLUMN.test(column) || EXPIRY_COLUMN.test(column);
  return !dbAccessesIn(acquisition.call.getSourceFile()).some(
    (other) =>
      isRowRelease(other, lock.table) &&
      (other.conditions.some((c) => byTime(c.column)) ||
        (other.sql !== undefined && /\bNOW\(|\bCURRENT_TIMESTAMP\b|\bINTERVAL\b/.test(whereOf(other.sql.text)))),
  );
}

const INSERT_COLUMNS = /^\s*(?:INSERT|REPLACE)\s+(?:IGNORE\s+)?INTO\s+[^\s(]+\s*\(([^)]*)\)/i;

/** The columns an insert writes: its SQL column list, or the keys of a Prisma `data` / upsert `create` object. */
function insertedColumns(access: DbAccess): string[] | undefined {
  if (access.sql) {
    const list = INSERT_COLUMNS.exec(access.sql.text)?.[1];
    return list?.split(",").map((c) => c.trim().replace(/^["`[]|["`\]]$/g, ""));
  }
  const call = access.node as ts.CallExpression;
  const name = calleeName(call);
  if (access.library !== "prisma" || (name !== "create" && name !== "upsert")) return undefined;
  const data = propertyValue(call.arguments[0], name === "upsert" ? "create" : "data");
  const object = data && skipParens(data);
  return object && ts.isObjectLiteralExpression(object)
    ? object.properties.map(propertyName).filter((n): n is string => n !== undefined)
    : undefined;
}

/** ON CONFLICT / ON DUPLICATE KEY / INSERT IGNORE, an upsert, or a `catch` waiting for the duplicate-key error. */
function copesWithExisting(access: DbAccess): boolean {
  if (access.sql && /\bON CONFLICT\b|\bON DUPLICATE KEY\b|^INSERT IGNORE\b/.test(normalizeSql(access.sql.text))) return true;
  if (access.library === "prisma" && calleeName(access.node as ts.CallExpression) === "upsert") return true;
  for (let node: ts.Node = access.node; node.parent && !isFunctionLike(node); node = node.parent) {
    if (ts.isTryStatement(node.parent) && node.parent.tryBlock === node && node.parent.catchClause) return true;
    const call = node.parent;
    if (ts.isPropertyAccessExpression(call) && call.name.text === "catch" && call.expression === node) return true;
  }
  return false;
}
