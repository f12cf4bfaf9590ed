// Sequelize: model methods (`Account.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE })`, `Account.findOne({ where })`,
// `Account.update({...}, { where })`, `Account.increment(...)`) and instance writes (`account.save()`,
// `account.update({...})`, `account.increment("balance", { by })`), whose entity is the receiver. The options'
// `transaction` names the transaction explicitly; `lock` makes a read lock its rows.
import { ts } from "../../engine/ts";
import { propertyValue, skipParens, stringValue } from "../ast";
import type { RowLockMode } from "../sql";
import type { AccessAssignment, AccessCondition, DbAccess } from "./access";
import { noOption, objectAssignments, optionOnOneBranch, whereObjectConditions } from "./shapes";

export const SEQUELIZE_READS = new Set(["findByPk", "findOne", "findAll"]);

export function sequelizeAccess(call: ts.CallExpression, name: string, receiver: ts.Expression): DbAccess | undefined {
  const model = modelOf(receiver);
  const isModel = model !== undefined;
  const options = (index: number) => call.arguments[index];
  const base = {
    node: call,
    library: "sequelize" as const,
    handle: model ?? receiver,
    assignments: [] as AccessAssignment[],
    conditions: [] as AccessCondition[],
  };
  const withTransaction = (access: DbAccess, opts: ts.Expression | undefined): DbAccess => {
    const transaction = propertyValue(opts, "transaction");
    if (transaction) access.transactionOption = transaction;
    const option = propertyValue(opts, "lock");
    const lock = lockOnEveryPath(option, transaction);
    if (lock) {
      access.lock = lockMode(lock);
      if (lock.kind === ts.SyntaxKind.FalseKeyword) delete access.lock;
    }
    const oneBranch = option && optionOnOneBranch(option);
    if (oneBranch) access.lockOnlyIf = { ...oneBranch, mode: lockMode(oneBranch.value) };
    return access;
  };
  const table = model?.text.toLowerCase();
  if (SEQUELIZE_READS.has(name)) {
    if (!isModel) return undefined;
    const opts = name === "findByPk" ? options(1) : options(0);
    return withTransaction({ ...base, kind: "read", table: table!, conditions: whereObjectConditions(propertyValue(opts, "where")) }, opts);
  }
  if (isModel) {
    // Model.update(values, { where }) / Model.increment(fields, { by, where })
    if (name === "update")
      return withTransaction(
        {
          ...base,
          kind: "write",
          table: table!,
          assignments: objectAssignments(options(0), () => false),
          conditions: whereObjectConditions(propertyValue(options(1), "where")),
        },
        options(1),
      );
    if (name === "increment" || name === "decrement")
      return withTransaction(
        {
          ...base,
          kind: "write",
          table: table!,
          assignments: incrementColumns(options(0)),
          conditions: whereObjectConditions(propertyValue(options(1), "where")),
        },
        options(1),
      );
    return undefined;
  }
  // Instance methods: the receiver is the entity.
  if (name === "save") return withTransaction({ ...base, kind: "write", entity: receiver }, options(0));
  if (name === "update")
    return withTransaction(
      { ...base, kind: "write", entity: receiver, assignments: objectAssignments(options(0), () => false) },
      options(1),
    );
  if (name === "increment" || name === "decrement")
    return withTransaction({ ...base, kind: "write", entity: receiver, assignments: incrementColumns(options(0)) }, options(1));
  return undefined;
}

/**
 * The `lock` option as it stands on every path: `forUpdate ? t.LOCK.UPDATE : undefined` locks only when `forUpdate`
 * holds, so the read is not known to lock (undefined); `t ? t.LOCK.UPDATE : undefined` with `transaction: t` locks
 * whenever there is a transaction to hold the lock, which is when the lock matters.
 */
function lockOnEveryPath(lock: ts.Expression | undefined, transaction: ts.Expression | undefined): ts.Expression | undefined {
  const node = lock && skipParens(lock);
  if (!node || !ts.isConditionalExpression(node)) return node;
  if (!noOption(node.whenTrue) && !noOption(node.whenFalse)) return node;
  const testsTransaction = !!transaction && skipParens(node.condition).getText() === skipParens(transaction).getText();
  return testsTransaction && !noOption(node.whenTrue) ? node.whenTrue : undefined;
}

function lockMode(lock: ts.Expression): RowLockMode {
  const text = lock.getText();
  return /SHARE/i.test(text) ? "share" : /KEY_SHARE/i.test(text) ? "key share" : /NO_KEY_UPDATE/i.test(text) ? "no key update" : "update";
}

/**
 * The model a call runs on: `Account`, or the model behind a scope (`Account.unscoped()`, `Account.scope("active")`,
 * `Account.schema("tenant")`), which queries the same table. Models are capitalised identifiers by convention.
 */
function modelOf(receiver: ts.Expression): ts.Identifier | undefined {
  let node = skipParens(receiver);
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && SCOPES.has(node.expression.name.text))
    node = skipParens(node.expression.expression);
  return ts.isIdentifier(node) && /^[A-Z]/.test(node.text) ? node : undefined;
}

const SCOPES = new Set(["unscoped", "scope", "schema"]);

/** `"balance"`, `["a", "b"]` or `{ balance: 5 }` → atomic assignments. */
function incrementColumns(arg: ts.Expression | undefined): AccessAssignment[] {
  const node = arg && skipParens(arg);
  if (!node) return [];
  const single = stringValue(node);
  if (single) return [{ column: single, atomic: true }];
  if (ts.isArrayLiteralExpression(node))
    return node.elements
      .map((e) => stringValue(e))
      .filter((c): c is string => !!c)
      .map((column) => ({ column, atomic: true }));
  return objectAssignments(node, () => true);
}
