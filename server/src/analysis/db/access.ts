// Recognising reads and writes of database rows (and Redis keys) in code, whatever the library: raw SQL through
// pg / mysql2 / better-sqlite3, query builders (knex, Drizzle, Kysely, Supabase), ORMs (Prisma, TypeORM, Sequelize) and Redis
// GET/SET. One recogniser shared by every rule, so that "a write of table T" means the same thing in every finding.
// This file holds what an access is and the dispatch to each library's recogniser (one file per family).
//
// Recognition is syntactic (method names, chain shapes, SQL text); it is cheap for the common non-candidate call
// (a switch on the callee name) and never asks the type checker.
import { ts } from "../../engine/ts";
import { CALL_KINDS, NodeFacts, calleeName, importsOf, nodesOfKinds, receiverOf } from "../ast";
import type { IsolationLevel, RowLockMode, SqlAssignment, SqlStatement } from "../sql";
import { drizzleAccess, kyselyAccess } from "./drizzle-kysely";
import { knexAccess } from "./knex";
import { MIKRO_ORM_METHODS, isMikroOrmFile, mikroOrmAccess } from "./mikro-orm";
import { objectionAccess } from "./objection";
import { mongooseAccess } from "./mongoose";
import { prismaAccess } from "./prisma";
import { redisAccess } from "./redis";
import { SEQUELIZE_READS, sequelizeAccess } from "./sequelize";
import { chainFromHandle, chainOf } from "./shapes";
import { rawSqlAccess } from "./sql-drivers";
import { supabaseAccess } from "./supabase";
import { TYPEORM_READS, typeormAccess, typeormBuilderAccess } from "./typeorm";

export type DbLibrary =
  | "pg"
  | "mysql2"
  | "better-sqlite3"
  | "sql"
  | "knex"
  | "objection"
  | "prisma"
  | "typeorm"
  | "sequelize"
  | "mikro-orm"
  | "drizzle"
  | "kysely"
  | "mongoose"
  | "mongodb"
  | "supabase"
  | "redis";
export type AccessKind = "read" | "write" | "begin" | "commit" | "rollback" | "set-isolation";

/** One column a write sets. */
export interface AccessAssignment {
  column: string;
  /** The JS expression whose value is written, when the value comes from code (`data: { balance: next }`). */
  value?: ts.Expression;
  /** The new value is computed by the database from the current one (`qty = qty - 1`, `{ decrement: 1 }`, `increment()`). */
  atomic: boolean;
  /** Raw SQL only: the parsed assignment. */
  sql?: SqlAssignment;
  /** A relation link (Prisma `{ connect: { id } }`): the row named by its key is linked, no column value is computed. */
  relation?: boolean;
}

/** One comparison of a write's (or read's) WHERE: `version = $3` → { column: "version", operator: "=", value: row.version }. */
export interface AccessCondition {
  column: string;
  operator: string;
  value?: ts.Expression;
}

export interface DbAccess {
  /** The call (or tagged template) whose completion means the statement ran: the one that is awaited. */
  node: ts.CallExpression | ts.TaggedTemplateExpression;
  library: DbLibrary;
  kind: AccessKind;
  /** Lower-case table / model / Redis key text; compare with `sameTable`. */
  table?: string;
  /** What the statement runs through (`pool`, `client`, `trx`, `tx`, `prisma`, `repo`); decides transaction membership. */
  handle?: ts.Expression;
  /** Sequelize `{ transaction: t }`, knex `.transacting(trx)`: the transaction handle named explicitly. */
  transactionOption?: ts.Expression;
  /** A read that locks the rows it returns. */
  lock?: RowLockMode;
  /**
   * A lock option set on one branch only (Sequelize `lock: tx ? t.LOCK.UPDATE : undefined`): the condition under which
   * the lock is asked for (`negated`: when it is false), for messages to name when no lock is taken.
   */
  lockOnlyIf?: { condition: ts.Expression; negated: boolean; mode: RowLockMode };
  /** Writes: the columns set. */
  assignments: AccessAssignment[];
  /** The WHERE comparisons that could be recognised. */
  conditions: AccessCondition[];
  /** The write adds a new row (INSERT, Prisma `create`, knex `.insert()`): it changes no row that was read. */
  insert?: boolean;
  /** ORM writes of an entity object (`repo.save(account)`, `account.save()`): the entity. */
  entity?: ts.Expression;
  /**
   * An entity write of the values it is given only (Objection's `row.$query(trx).patch({ … })`): fields set on the
   * entity beforehand are not written.
   */
  givenValuesOnly?: boolean;
  /** The entity (or model) class the call names or its repository was injected for (`em.findOne(Account, …)`). */
  entityClass?: ts.Identifier;
  /**
   * A unit-of-work flush (MikroORM `em.flush()`): writes every entity loaded and changed before it, without naming
   * one.
   */
  flush?: boolean;
  /**
   * A flush nobody calls: MikroORM's at the return of an `em.transactional` callback or a `@Transactional()` method
   * (`node` is that call or decorator). The last token of the body: where it runs, for transaction scope and order.
   */
  implicitFlush?: ts.Node;
  /**
   * A read that checks the row's version against the one the caller expects (TypeORM `lock: { mode: "optimistic",
   * version }`, MikroORM `LockMode.OPTIMISTIC`): the read fails instead of returning a changed row.
   */
  optimistic?: boolean;
  /**
   * A read that names what it returns (TypeORM's query builder `.select("e.id", "id").addSelect(…)`): every property
   * name a row of its result may have. A property it does not name is absent from the row, so it holds nothing read.
   * Undefined where the read returns whole rows or what it selects is not known.
   */
  selected?: ReadonlySet<string>;
  /**
   * A read of every field of a Redis hash (HGETALL): a property of its reply (`meta.downloads`) is that field's value,
   * which an HSET of the field (table `redis:key#"downloads"`) writes back.
   */
  hashFields?: boolean;
  /** Raw SQL: the statement, its text node, and the JS expression behind each placeholder. */
  sql?: { statement: SqlStatement; text: string; textNode: ts.Node; values?: ts.ArrayLiteralExpression };
  isolation?: IsolationLevel;
  /**
   * An access a project function makes, seen at a call of it (row-summaries.ts): the statement itself and the calls
   * from the callee down to it (empty when the callee runs it). Its handle, WHERE values and written values are the
   * call's arguments where the function passes its parameters on.
   */
  through?: { access: DbAccess; calls: ts.CallExpression[] };
}

const singularCache = new Map<string, string>();

/** `accounts` / `Account` / `"Account"` name the same table (Prisma models are singular, SQL tables often plural). */
export function sameTable(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return tableKey(a) === tableKey(b);
}

/** The one spelling `sameTable` compares: lower case, singular, without quotes or underscores. */
export function tableKey(name: string): string {
  let cached = singularCache.get(name);
  if (cached === undefined) {
    cached = name
      .toLowerCase()
      .replace(/["`]/g, "")
      .replace(/_/g, "")
      .replace(/(ies)$/, "y")
      .replace(/(s)$/, "");
    singularCache.set(name, cached);
  }
  return cached;
}

const cache = new NodeFacts<ts.Node, DbAccess | null>();

/** If `node` runs a database statement (or Redis command), describes it. Cached per node. */
export function dbAccessOf(node: ts.Node): DbAccess | undefined {
  if (!ts.isCallExpression(node) && !ts.isTaggedTemplateExpression(node)) return undefined;
  let access = cache.get(node);
  if (access === undefined) {
    access = recognise(node) ?? null;
    cache.set(node, access);
  }
  return access ?? undefined;
}

const fileAccesses = new WeakMap<ts.SourceFile, DbAccess[]>();

/** Every database access in `root` (including nested functions), in source order. */
export function dbAccessesIn(root: ts.Node): DbAccess[] {
  // A whole file is asked for once per transaction scope: walk it once.
  if (ts.isSourceFile(root)) {
    let cached = fileAccesses.get(root);
    if (!cached) fileAccesses.set(root, (cached = collectAccesses(root)));
    return cached;
  }
  return collectAccesses(root);
}

function collectAccesses(root: ts.Node): DbAccess[] {
  const out: DbAccess[] = [];
  for (const node of nodesOfKinds(root, CALL_KINDS)) {
    const access = dbAccessOf(node);
    if (access) out.push(access);
  }
  return out.sort((a, b) => a.node.getStart() - b.node.getStart());
}

function recognise(node: ts.CallExpression | ts.TaggedTemplateExpression): DbAccess | undefined {
  if (ts.isTaggedTemplateExpression(node)) return rawSqlAccess(node);
  // Only the outermost call of a chain is an access (`knex("t").where(...).first()`, not `knex("t")`).
  if (isChainLink(node)) return undefined;
  const name = calleeName(node);
  if (name === undefined) return undefined;
  return (
    rawSqlAccess(node) ??
    redisAccess(node, name) ??
    prismaAccess(node, name) ??
    ormAccess(node, name) ??
    mongooseAccess(node, name) ??
    chainAccess(node)
  );
}

/** True if `call` is followed by `.method(...)` (it is an inner link of a builder chain). */
export function isChainLink(call: ts.CallExpression): boolean {
  const parent = call.parent;
  return (
    ts.isPropertyAccessExpression(parent) &&
    parent.expression === call &&
    ts.isCallExpression(parent.parent) &&
    parent.parent.expression === parent
  );
}

/** Builder chains: knex, Objection, Drizzle, Kysely, TypeORM's query builder. */
function chainAccess(call: ts.CallExpression): DbAccess | undefined {
  const chain = chainOf(call);
  const { root, links } = chain;
  // The typed builders run on the client object however it is reached (`db`, `this.db`, `deps.db`).
  const fromHandle = chainFromHandle(chain);
  return (
    supabaseAccess(fromHandle.root, fromHandle.links, call) ??
    knexAccess(root, links, call) ??
    objectionAccess(root, links, call) ??
    drizzleAccess(fromHandle.root, fromHandle.links, call) ??
    kyselyAccess(fromHandle.root, fromHandle.links, call) ??
    typeormBuilderAccess(root, links, call)
  );
}

const ORM_WRITES = new Set(["save", "update", "increment", "decrement"]);

/** TypeORM, Sequelize or MikroORM repository / model methods, told apart by the file's imports. */
function ormAccess(call: ts.CallExpression, name: string): DbAccess | undefined {
  const receiver = receiverOf(call);
  if (!receiver) return undefined;
  if (MIKRO_ORM_METHODS.has(name) && isMikroOrmFile(call.getSourceFile())) return mikroOrmAccess(call, name, receiver);
  const modules = [...importsOf(call.getSourceFile()).values()].map((i) => i.module);
  const typeorm = modules.includes("typeorm");
  const sequelize = modules.some((m) => m === "sequelize" || m === "sequelize-typescript" || m === "@sequelize/core");
  if (typeorm && (TYPEORM_READS.has(name) || ORM_WRITES.has(name))) return typeormAccess(call, name, receiver);
  if (sequelize && (SEQUELIZE_READS.has(name) || ORM_WRITES.has(name))) return sequelizeAccess(call, name, receiver);
  return undefined;
}

/** A DELETE: SQL's statement, or an ORM's delete / destroy / remove call. */
export function isDelete(access: DbAccess): boolean {
  if (access.sql) return access.sql.statement.kind === "delete";
  return ts.isCallExpression(access.node) && /^(delete|destroy|remove|del)/i.test(calleeName(access.node) ?? "");
}

/** Columns that hold a row version by convention: comparing one in a WHERE is an optimistic-lock guard. */
export function isVersionColumn(column: string): boolean {
  return /^(version|_version|__v|lock_?version|row_?version|revision|rev|etag|updated_?at)$/i.test(column);
}
