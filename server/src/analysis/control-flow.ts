// Syntactic questions about statement lists ("what follows this statement?", "where would a try/finally start?") for
// fixes that edit the shape of the code. Questions about paths ("does this branch always leave?") go to
// flow/queries.ts, which answers them on the control-flow graph.
import { ts } from "../engine/ts";
import { isFunctionLike } from "./ast";

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
