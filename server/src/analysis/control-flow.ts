// Syntactic questions about statement lists ("does this branch always leave?", "what follows this statement?") for
// recognisers and fixes that work on the shape of the code. Questions about paths go to flow/ (graphs and dataflow).
import { ts } from "../engine/ts";
import { isFunctionLike } from "./ast";

/** True if executing `statement` never falls through to the next statement (return, throw, break, continue). */
export function alwaysExits(statement: ts.Statement | undefined): boolean {
  if (!statement) return false;
  if (
    ts.isReturnStatement(statement) ||
    ts.isThrowStatement(statement) ||
    ts.isBreakStatement(statement) ||
    ts.isContinueStatement(statement)
  )
    return true;
  if (ts.isBlock(statement)) return statement.statements.some((s) => alwaysExits(s));
  if (ts.isIfStatement(statement)) return alwaysExits(statement.thenStatement) && alwaysExits(statement.elseStatement);
  if (ts.isTryStatement(statement)) {
    if (statement.finallyBlock && alwaysExits(statement.finallyBlock)) return true;
    return alwaysExits(statement.tryBlock) && (!statement.catchClause || alwaysExits(statement.catchClause.block));
  }
  if (ts.isExpressionStatement(statement)) {
    // process.exit(...) never returns.
    const e = statement.expression;
    return ts.isCallExpression(e) && e.expression.getText() === "process.exit";
  }
  return false;
}

/** The statement list (block, case clause or source file) that directly contains `statement`. */
export function containingStatements(statement: ts.Statement): readonly ts.Statement[] | undefined {
  const parent = statement.parent;
  if (ts.isBlock(parent) || ts.isSourceFile(parent) || ts.isModuleBlock(parent) || ts.isCaseClause(parent) || ts.isDefaultClause(parent))
    return parent.statements;
  return undefined;
}

/** The statements after `statement` in its own statement list. */
export function statementsAfter(statement: ts.Statement): readonly ts.Statement[] {
  const list = containingStatements(statement);
  if (!list) return [];
  return list.slice(list.indexOf(statement) + 1);
}

/** The first `await` or call below `root` (not in nested functions): something that can throw or yield. */
export function firstThrowingExpression(root: ts.Node): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  const go = (node: ts.Node): void => {
    if (found || isFunctionLike(node)) return;
    if (ts.isAwaitExpression(node) || ts.isCallExpression(node) || ts.isNewExpression(node)) {
      found = node;
      return;
    }
    ts.forEachChild(node, go);
  };
  go(root);
  return found;
}
