// Lock tables: a database table used as a lock, recognised by what the code does with it. The acquisition inserts a
// row naming its owner and an expiry (`INSERT INTO locks (key, owner, expires_at) … ON CONFLICT …`, Prisma
// `create`/`upsert`), and copes with the row already being there (ON CONFLICT / ON DUPLICATE KEY / INSERT IGNORE, an
// upsert, or a catch around the insert). Its release deletes the row and its refresh moves the expiry; either one,
// written by key alone, acts on whoever holds the lock now, which after an expiry is someone else.
import { ts } from "../engine/ts";
import { calleeName, isFunctionLike, propertyValue, skipParens } from "./ast";
import { dbAccessesIn, sameTable, type DbAccess } from "./db";
import { propertyName } from "./db/shapes";
import { normalizeSql } from "./sql-text";

/** Columns naming who holds a lock: `owner`, `owner_id`, `holder`, `lock_token`, `locked_by`. */
const OWNER_COLUMN = /^(lock_?)?(owner|holder)(_?(id|token))?$|^lock_?token$|^(locked|held|claimed|acquired)_?by$/i;
/** Columns holding when a lock lapses: `expires_at`, `expiration`, `locked_until`, `lease_until`, `ttl`. */
const EXPIRY_COLUMN = /expir|until|deadline|ttl/i;

export interface LockTable {
  /** The insert that takes the lock. */
  acquisition: DbAccess;
  table: string;
  ownerColumn: string;
  expiryColumn: string;
}

export interface OwnerlessLockTableWrite {
  /** The DELETE (release) or UPDATE of the expiry (refresh) that names the row by key only. */
  access: DbAccess;
  kind: "release" | "refresh";
  lock: LockTable;
}

const cache = new WeakMap<ts.SourceFile, OwnerlessLockTableWrite[]>();

/** The releases and refreshes of the file's lock tables whose WHERE does not name the owner. */
export function ownerlessLockTableWrites(sourceFile: ts.SourceFile): OwnerlessLockTableWrite[] {
  let found = cache.get(sourceFile);
  if (found) return found;
  found = [];
  const accesses = dbAccessesIn(sourceFile).filter((a) => a.library !== "redis" && a.table !== undefined);
  const tables = accesses.map(lockTableOf).filter((t): t is LockTable => t !== undefined);
  for (const access of accesses) {
    const lock = tables.find((t) => sameTable(t.table, access.table));
    if (!lock || access === lock.acquisition || access.insert || access.kind !== "write") continue;
    const kind = isDelete(access) ? "release" : access.assignments.some((a) => a.column === lock.expiryColumn) ? "refresh" : undefined;
    if (!kind || access.conditions.length === 0) continue;
    // The owner (or the expiry: a takeover of a lapsed lock) in the WHERE makes it this holder's own row.
    if (access.conditions.some((c) => OWNER_COLUMN.test(c.column) || EXPIRY_COLUMN.test(c.column))) continue;
    if (access.sql && whereMentions(access.sql.text, [lock.ownerColumn, lock.expiryColumn])) continue;
    found.push({ access, kind, lock });
  }
  cache.set(sourceFile, found);
  return found;
}

function isDelete(access: DbAccess): boolean {
  if (access.sql) return access.sql.statement.kind === "delete";
  return /^(delete|deleteMany|del|destroy|remove)$/.test(calleeName(access.node as ts.CallExpression) ?? "");
}

/** Whether the SQL's WHERE clause names one of `columns` (in an OR, a subquery: anything the parser left out). */
function whereMentions(sql: string, columns: readonly string[]): boolean {
  const upper = normalizeSql(sql);
  const where = upper.indexOf(" WHERE ");
  return where >= 0 && columns.some((c) => new RegExp(`\\b${c.toUpperCase()}\\b`).test(upper.slice(where)));
}

/** The lock table `access` takes a lock in: an insert of an owner and an expiry that copes with the row existing. */
function lockTableOf(access: DbAccess): LockTable | undefined {
  const columns = insertedColumns(access);
  const ownerColumn = columns?.find((c) => OWNER_COLUMN.test(c));
  const expiryColumn = columns?.find((c) => EXPIRY_COLUMN.test(c));
  if (!ownerColumn || !expiryColumn || !access.table || !copesWithExisting(access)) return undefined;
  return { acquisition: access, table: access.table, ownerColumn, expiryColumn };
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
