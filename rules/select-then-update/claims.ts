// select-then-update: a claim taken before the read. A delete, or an update whose WHERE requires the old value of a
// column it sets, whose affected-row count sends away every caller for whom it changed nothing, lets one caller
// through per key: the read-modify-write after it, keyed by the same value, runs for one caller at a time.
import {
  alwaysExits,
  boundNames,
  canonicalKey,
  dbAccessesIn,
  enclosingFunction,
  isDelete,
  mentions,
  outerExpression,
  ts,
  type DbAccess,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

export function claimedBeforeRead(flow: ReadModifyWrite): boolean {
  const { read } = flow;
  const fn = enclosingFunction(read.node);
  if (!fn?.body || enclosingFunction(flow.write.node) !== fn) return false;
  const readKeys = new Set(read.conditions.filter((c) => c.operator === "=" && c.value).map((c) => canonicalKey(c.value!)));
  if (readKeys.size === 0) return false;
  return dbAccessesIn(fn.body).some(
    (claim) =>
      claim.kind === "write" &&
      !claim.insert &&
      claim.node.getEnd() <= read.node.getStart() &&
      enclosingFunction(claim.node) === fn &&
      claim.conditions.some((c) => c.operator === "=" && c.value && readKeys.has(canonicalKey(c.value))) &&
      (isDelete(claim) || claim.assignments.some((a) => claim.conditions.some((c) => c.column === a.column))) &&
      exitsWhenNothingChanged(claim),
  );
}

/**
 * The write's result is checked right after it, and the check leaves the function on one of its outcomes
 * (`const r = await x.deleteMany(…); if (r.count === 0) throw …`, `if ((await q).rowCount !== 1) return`).
 */
function exitsWhenNothingChanged(claim: DbAccess): boolean {
  const outer = outerExpression(claim.node as ts.Expression);
  let statement: ts.Node = outer;
  while (statement.parent && !ts.isBlock(statement.parent) && !ts.isSourceFile(statement.parent)) statement = statement.parent;
  if (ts.isIfStatement(statement)) return statement.expression.getStart() <= outer.getStart() && alwaysExits(statement.thenStatement);
  const declaration = outer.parent;
  if (!ts.isVariableDeclaration(declaration) || declaration.initializer !== outer || !ts.isBlock(statement.parent)) return false;
  const names = new Set(boundNames(declaration.name).map((n) => n.text));
  const next = statement.parent.statements[statement.parent.statements.indexOf(statement as ts.Statement) + 1];
  return !!next && ts.isIfStatement(next) && mentions(next.expression, names) && alwaysExits(next.thenStatement);
}
