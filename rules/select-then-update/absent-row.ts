// select-then-update: a locking read protects the value it read only where it found the row. Code that fills in a
// default for a row that is not there yet (`current?.balance ?? 0`) and then upserts the value computed from it
// (Drizzle `.onConflictDoUpdate(…)`, knex `.onConflict().merge()`, Prisma `upsert`, SQL `ON CONFLICT … DO UPDATE`)
// writes the first row unlocked: two first writers both find nothing, lock nothing, compute from the default, and the
// second upsert overwrites the first.
import {
  boundNames,
  calleeName,
  enclosingFunction,
  nodesOfKinds,
  settlesConflict,
  skipParens,
  ts,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

/** The write upserts a value computed from a locking read whose missing row the code gives a default. */
export function upsertsFromMissingRowDefault(flow: ReadModifyWrite): boolean {
  const { read, write } = flow;
  if (!flow.data || !read.lock || !isUpsert(write.node, write.sql?.text)) return false;
  const names = readNames(read.node);
  const fn = enclosingFunction(read.node);
  if (names.size === 0 || !fn) return false;
  const kinds = [ts.SyntaxKind.PropertyAccessExpression, ts.SyntaxKind.ElementAccessExpression, ts.SyntaxKind.BinaryExpression];
  return nodesOfKinds<ts.Expression>(fn, kinds).some((node) => {
    // `current?.balance`: the row may be missing.
    if ((ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) && node.questionDotToken)
      return isName(node.expression, names);
    // `current ?? { balance: 0 }`.
    return ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken && isName(node.left, names);
  });
}

function isUpsert(node: ts.Node, sql: string | undefined): boolean {
  if (sql !== undefined) return /\bON\s+CONFLICT\b[^]*\bDO\s+UPDATE\b|\bON\s+DUPLICATE\s+KEY\s+UPDATE\b/i.test(sql);
  if (!ts.isCallExpression(node)) return false;
  return calleeName(node) === "upsert" || settlesConflict(node);
}

/** The names the read's result is bound to (`const [current] = await tx.select()…`). */
function readNames(read: ts.Node): Set<string> {
  let node: ts.Node = read;
  while (ts.isAwaitExpression(node.parent) || ts.isParenthesizedExpression(node.parent)) node = node.parent;
  const declaration = node.parent;
  if (!ts.isVariableDeclaration(declaration) || declaration.initializer !== node) return new Set();
  return new Set(boundNames(declaration.name).map((n) => n.text));
}

/** One of `names`, or its first row (`rows[0]`). */
function isName(expr: ts.Expression, names: ReadonlySet<string>): boolean {
  let node = skipParens(expr);
  if (ts.isElementAccessExpression(node) && ts.isNumericLiteral(node.argumentExpression)) node = skipParens(node.expression);
  return ts.isIdentifier(node) && names.has(node.text);
}
