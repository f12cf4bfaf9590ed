// Rows an ORM or query-builder statement locks, for lock order: a write (`tx.account.update({ where: { id } })`,
// `trx("accounts").where({ id }).decrement(…)`, `Account.increment(…, { where: { id }, transaction: t })`) or a locking
// read inside a transaction holds the row it names by key until the transaction ends. Raw SQL is summary.ts's
// (`rowLockOf`); this is the same question asked of db/'s recognisers. A locking read of a set of rows (`whereIn("id",
// keys).forUpdate()`, `where: { id: [a, b] }`) holds the class with no key, as `id = ANY($1) … FOR UPDATE` does. A write
// that names no row by its key (`repo.save(entity)`, a flush) says nothing about which row it waits for.
import { ts } from "../../engine/ts";
import { skipParens } from "../ast";
import { dbAccessOf, isPrimaryKey, prismaModelNames } from "../db";
import type { LockClass, LockIdentity } from "./lock-class";

/**
 * The row (or rows) `node` locks; which transaction holds them (the one its handle, `tx`, `trx`, `t`, runs in) is
 * transactions.ts's question.
 */
export function ormRowLockOf(node: ts.CallExpression | ts.TaggedTemplateExpression): (LockIdentity & { lockingRead: boolean }) | undefined {
  const access = dbAccessOf(node);
  if (!access || access.sql || access.library === "redis" || access.insert || !access.table) return undefined;
  const lockingRead = access.kind === "read" && (access.lock === "update" || access.lock === "no key update");
  const through = access.transactionOption ?? access.handle;
  if ((access.kind !== "write" && !lockingRead) || !through) return undefined;
  // One row by its own key (the two accounts of a transfer). A set of rows under a parent key (`updateMany({ where: {
  // collectionId } })`) is not counted: services lock such sets first in ways not followed here (a helper's
  // `IN (…) FOR UPDATE` on the transaction).
  const equality = access.conditions.find(
    (c) => c.operator === "=" && c.value && isPrimaryKey(c.column) && !ts.isArrayLiteralExpression(skipParens(c.value)),
  );
  // A Prisma model's rows are its table's, as raw SQL names it (`@@map("accounts")`), where the schema says.
  const table =
    access.library === "prisma" && access.handle
      ? (prismaModelNames(access.table, node.getSourceFile().fileName)?.table.toLowerCase() ?? access.table)
      : access.table;
  const lockClass: LockClass = { id: `rows:${table}`, label: `${table} rows`, kind: "row-lock" };
  if (equality?.value)
    return { lockClass, key: equality.value, keyDomain: equality.column.toLowerCase(), declarationFiles: [], lockingRead };
  return lockingRead ? { lockClass, declarationFiles: [], lockingRead } : undefined;
}
