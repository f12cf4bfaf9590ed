// select-then-update: a row this same call has just inserted, read back by the key its insert returned
// (`const p = await Profile.create(…)`, then `findByPk(p.id)`), is a row no concurrent call of this code knows yet:
// each call reads and writes its own new row, so no two of them can interleave on it.
import {
  calleeName,
  dbAccessOf,
  isPrimaryKey,
  localVariable,
  receiverOf,
  skipAwait,
  skipParens,
  ts,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

/** The read names its row by the primary key of a row inserted earlier in the same function (`created.id`). */
export function readsRowJustInserted(flow: ReadModifyWrite): boolean {
  const { read } = flow;
  const keys = read.conditions.filter((c) => c.operator === "=" && c.value && isPrimaryKey(c.column)).map((c) => c.value!);
  // Sequelize `findByPk(key)`: the key is the first argument.
  if (read.library === "sequelize" && ts.isCallExpression(read.node) && calleeName(read.node) === "findByPk" && read.node.arguments[0])
    keys.push(read.node.arguments[0]);
  return keys.some((key) => {
    const value = skipParens(key);
    if (!ts.isPropertyAccessExpression(value) || !isPrimaryKey(value.name.text)) return false;
    const base = skipParens(value.expression);
    const declaration = ts.isIdentifier(base) ? localVariable(base) : undefined;
    const list = declaration?.parent;
    if (!declaration?.initializer || !list || !ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const)) return false;
    const init = skipAwait(declaration.initializer);
    const access = ts.isCallExpression(init) ? dbAccessOf(init) : undefined;
    // Sequelize's `Model.create(values)` inserts (and is no recognised write of its own): on the model read.
    const created =
      read.library === "sequelize" &&
      ts.isCallExpression(init) &&
      calleeName(init) === "create" &&
      ts.isCallExpression(read.node) &&
      receiverOf(init)?.getText() === receiverOf(read.node)?.getText();
    return (created || (access?.kind === "write" && access.insert === true)) && init.getEnd() <= read.node.getStart();
  });
}
