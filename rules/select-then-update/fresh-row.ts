// select-then-update: a row this same call has just inserted, read back by the key its insert returned
// (`const p = await Profile.create(…)`, then `findByPk(p.id)`), is a row no concurrent call of this code knows yet:
// each call reads and writes its own new row, so no two of them can interleave on it. Asked along the function's paths:
// the name holds an inserted row on every path to the read.
import {
  calleeName,
  dbAccessOf,
  enclosingFunction,
  isPrimaryKey,
  lastRunBefore,
  localVariable,
  nodesOfKinds,
  receiverOf,
  skipAwait,
  skipParens,
  ts,
  type DbAccess,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

/**
 * The read names its row by the primary key of a row inserted earlier in the same function (`created.id`): on every
 * path to the read, the name last got its value from an insert (a `const`, or a `let` given an insert on each branch;
 * one branch that looks an existing row up instead leaves a row other calls may know).
 */
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
    if (!declaration || !list || !ts.isVariableDeclarationList(list) || !(list.flags & (ts.NodeFlags.Const | ts.NodeFlags.Let)))
      return false;
    const name = (base as ts.Identifier).text;
    const assignments = ts.isIdentifier(declaration.name) ? assignmentsOf(name, declaration) : [];
    const last = lastRunBefore([declaration, ...assignments], read.node);
    if (!last || last.size === 0 || last.has(undefined)) return false;
    return [...last].every((definition) => {
      const init = definition === declaration ? declaration.initializer : ts.isBinaryExpression(definition!) ? definition.right : undefined;
      return init !== undefined && isInsert(skipAwait(init), read);
    });
  });
}

/** Plain assignments to the name `name` in the function (or file) that declares it. */
function assignmentsOf(name: string, declaration: ts.VariableDeclaration): ts.BinaryExpression[] {
  const scope = enclosingFunction(declaration)?.body ?? declaration.getSourceFile();
  return nodesOfKinds<ts.BinaryExpression>(scope, [ts.SyntaxKind.BinaryExpression], { skipFunctions: true }).filter((node) => {
    const left = skipParens(node.left);
    return node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(left) && left.text === name;
  });
}

/** `init` inserts a row of the model the read reads, or any row (a recognised insert). */
function isInsert(init: ts.Expression, read: DbAccess): boolean {
  const access = ts.isCallExpression(init) ? dbAccessOf(init) : undefined;
  // Sequelize's `Model.create(values)` inserts (and is no recognised write of its own): on the model read.
  const created =
    read.library === "sequelize" &&
    ts.isCallExpression(init) &&
    calleeName(init) === "create" &&
    ts.isCallExpression(read.node) &&
    receiverOf(init)?.getText() === receiverOf(read.node)?.getText();
  return created || (access?.kind === "write" && access.insert === true);
}
