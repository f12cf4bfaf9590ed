// MikroORM: entity-manager and repository reads (`em.findOne(Account, id, { lockMode: LockMode.PESSIMISTIC_WRITE })`,
// `this.accounts.findOneOrFail({ id })`), unit-of-work writes (`em.flush()`, which writes every managed entity
// changed since it was loaded; `em.persistAndFlush(entity)`, `em.persist(entity).flush()`), native updates
// (`em.nativeUpdate(Account, { id }, { balance: raw("balance - 1") })`) and `em.lock(entity, LockMode.…)`.
// A file is MikroORM code when it imports from `@mikro-orm/*`. `em.transactional(cb)` and a `@Transactional()` method
// flush the unit of work by themselves when the callback / method returns (implicitFlushOf).
import { ts } from "../../engine/ts";
import { calleeName, importedBinding, importsOf, propertyValue, receiverOf, skipParens, type FunctionLike } from "../ast";
import type { RowLockMode } from "../sql";
import type { AccessAssignment, AccessCondition, DbAccess } from "./access";
import { chainOf, injectedEntity, objectAssignments, whereObjectConditions } from "./shapes";

export const MIKRO_ORM_METHODS = new Set(["find", "findOne", "findOneOrFail", "flush", "persistAndFlush", "nativeUpdate", "lock"]);

const LOCK_MODES: Record<string, RowLockMode | "optimistic"> = {
  PESSIMISTIC_WRITE: "update",
  PESSIMISTIC_WRITE_OR_FAIL: "update",
  PESSIMISTIC_PARTIAL_WRITE: "update",
  PESSIMISTIC_READ: "share",
  PESSIMISTIC_READ_OR_FAIL: "share",
  PESSIMISTIC_PARTIAL_READ: "share",
  OPTIMISTIC: "optimistic",
};

export function isMikroOrmFile(sourceFile: ts.SourceFile): boolean {
  return [...importsOf(sourceFile).values()].some((i) => i.module.startsWith("@mikro-orm/"));
}

/** `LockMode.PESSIMISTIC_WRITE` → "update"; `LockMode.OPTIMISTIC` → "optimistic". */
function lockModeOf(expr: ts.Expression | undefined): RowLockMode | "optimistic" | undefined {
  const node = expr && skipParens(expr);
  return node && ts.isPropertyAccessExpression(node) ? LOCK_MODES[node.name.text] : undefined;
}

export function mikroOrmAccess(call: ts.CallExpression, name: string, receiver: ts.Expression): DbAccess | undefined {
  // `em.findOne(Account, where)` names the entity first; `repo.findOne(where)` does not.
  const first = call.arguments[0] && skipParens(call.arguments[0]);
  const entityFirst = !!first && ts.isIdentifier(first) && /^[A-Z]/.test(first.text) && name !== "persistAndFlush" && name !== "lock";
  const args = entityFirst ? call.arguments.slice(1) : [...call.arguments];
  const entityClass = entityFirst ? (first as ts.Identifier) : injectedEntity(receiver);
  const table = entityClass ? entityClass.getText().toLowerCase() : `repository:${receiver.getText().replace(/\s+/g, "")}`;
  const base = {
    node: call,
    library: "mikro-orm" as const,
    handle: receiver,
    assignments: [] as AccessAssignment[],
    conditions: [] as AccessCondition[],
    ...(entityClass ? { entityClass } : {}),
  };
  switch (name) {
    case "find":
    case "findOne":
    case "findOneOrFail": {
      const where = args[0] && skipParens(args[0]);
      const conditions =
        where && ts.isObjectLiteralExpression(where)
          ? whereObjectConditions(where)
          : where
            ? [{ column: "id", operator: "=", value: where }]
            : [];
      const access: DbAccess = { ...base, kind: "read", table, conditions };
      const mode = lockModeOf(propertyValue(args[1], "lockMode"));
      if (mode === "optimistic") access.optimistic = true;
      else if (mode) access.lock = mode;
      return access;
    }
    case "lock": {
      // `em.lock(entity, LockMode.PESSIMISTIC_WRITE)`: locks (or checks the version of) a row already loaded.
      const mode = lockModeOf(call.arguments[1]);
      if (!mode || !call.arguments[0]) return undefined;
      const access: DbAccess = { ...base, kind: "read", entity: call.arguments[0] };
      if (mode === "optimistic") access.optimistic = true;
      else access.lock = mode;
      return access;
    }
    case "flush": {
      if (call.arguments.length > 0) return undefined;
      // `em.persist(entity).flush()`: the entity persisted; a bare `em.flush()` writes every changed entity.
      const { links } = chainOf(call);
      const persist = links.length >= 2 ? links[links.length - 2] : undefined;
      if (persist?.name === "persist" && persist.call?.arguments[0])
        return { ...base, handle: receiverOf(persist.call) ?? receiver, kind: "write", entity: persist.call.arguments[0] };
      return { ...base, kind: "write", flush: true };
    }
    case "persistAndFlush":
      return call.arguments[0] ? { ...base, kind: "write", entity: call.arguments[0] } : undefined;
    case "nativeUpdate":
      if (args.length < 2) return undefined;
      return {
        ...base,
        kind: "write",
        table,
        conditions: whereObjectConditions(args[0]),
        assignments: objectAssignments(args[1], isDatabaseExpression),
      };
  }
  return undefined;
}

/** `raw("balance - 1")`, `sql\`balance - ${n}\``: SQL the database evaluates against the current row. */
function isDatabaseExpression(value: ts.Expression): boolean {
  const node = skipParens(value);
  if (ts.isTaggedTemplateExpression(node)) return /^(raw|sql)$/.test(node.tag.getText());
  return ts.isCallExpression(node) && /^(raw|sql)$/.test(calleeName(node) ?? "");
}

/**
 * The flush MikroORM runs by itself when `fn` returns: `fn` is the callback of `em.transactional(cb)`, or a method
 * decorated `@Transactional()` from `@mikro-orm/*` (both flush the entities changed inside before they commit). The
 * access is the call or decorator that asks for it; `implicitFlush` is the end of the body, where it runs.
 */
export function implicitFlushOf(fn: FunctionLike): DbAccess | undefined {
  const body = fn.body;
  const end = body && ts.isBlock(body) ? body.getLastToken() : body;
  if (!body || !end || !isMikroOrmFile(fn.getSourceFile())) return undefined;
  const base = { library: "mikro-orm" as const, kind: "write" as const, flush: true, implicitFlush: end, assignments: [], conditions: [] };
  const parent = fn.parent;
  if (ts.isCallExpression(parent) && parent.arguments.includes(fn as ts.Expression) && calleeName(parent) === "transactional") {
    const receiver = receiverOf(parent);
    return receiver ? { ...base, node: parent, handle: receiver } : undefined;
  }
  if (!ts.isMethodDeclaration(fn)) return undefined;
  for (const decorator of ts.getDecorators(fn) ?? []) {
    const call = decorator.expression;
    if (!ts.isCallExpression(call) || calleeName(call) !== "Transactional") continue;
    if (importedBinding(call.expression, fn.getSourceFile())?.module.startsWith("@mikro-orm/")) return { ...base, node: call };
  }
  return undefined;
}
