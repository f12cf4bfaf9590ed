// unchecked-lock-acquisition: a try-style acquisition (SET NX, SETNX, pg_try_advisory_lock, GET_LOCK, tryAcquire)
// whose result does not decide whether the critical section runs. The result counts as checked only when the code
// after it is reachable solely on the success branch (guide: "Not handling lock acquisition failure").
import { ts } from "../server/src/engine/ts";
import type { FileRuleContext, Fix, Rule } from "../server/src/engine/types";
import { boundNames, code, indentationAt, isFunctionLike, lineOf, mentions, outerExpression, skipParens, spanOf, walk } from "../server/src/analysis/ast";
import { alwaysExits, statementsAfter } from "../server/src/analysis/control-flow";
import { lockAcquisitionsIn, type LockAcquisition } from "../server/src/analysis/locks";
import { normalizePath } from "../server/src/engine/paths";

/** What a failed attempt returns, per mechanism, for the message. */
function failureValue(acquisition: LockAcquisition): string {
  switch (acquisition.mechanism) {
    case "redis-set-nx":
      return ts.isCallExpression(acquisition.call) && /^set$/i.test(acquisition.call.expression.getText().split(".").pop() ?? "") ? "null instead of \"OK\"" : "0";
    case "pg-advisory":
      return "false";
    case "mysql-named":
      return "0 on timeout and NULL on error";
    default:
      return "a falsy value";
  }
}

type Verdict = { kind: "checked" } | { kind: "unchecked"; reason: string; related?: ts.Node } | { kind: "unknown" };

/** Statements that cannot start the critical section: pure local computation (no await, no writes to shared state). */
function isHarmless(statement: ts.Statement): boolean {
  let harmful = false;
  walk(statement, (node) => {
    if (harmful || isFunctionLike(node)) return false;
    if (ts.isAwaitExpression(node)) harmful = true;
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && !ts.isIdentifier(skipParens(node.left))) harmful = true;
    return !harmful;
  });
  if (ts.isExpressionStatement(statement) && ts.isAwaitExpression(statement.expression)) harmful = true;
  return !harmful;
}

/** Follows the names bound to the result through the statements after the acquisition. */
function verdictForNames(names: Set<string>, after: readonly ts.Statement[]): Verdict {
  for (let i = 0; i < after.length; i++) {
    const statement = after[i]!;
    if (!mentions(statement, names)) {
      if (isHarmless(statement)) continue;
      return { kind: "unchecked", reason: `the code at line ${lineOf(statement)} runs before the result is checked`, related: statement };
    }
    if (ts.isVariableStatement(statement)) {
      // `const locked = rows[0].locked`: follow the derived value.
      for (const declaration of statement.declarationList.declarations) {
        if (declaration.initializer && mentions(declaration.initializer, names)) for (const id of boundNames(declaration.name)) names.add(id.text);
      }
      continue;
    }
    if (ts.isIfStatement(statement) && mentions(statement.expression, names)) {
      if (alwaysExits(statement.thenStatement) || alwaysExits(statement.elseStatement)) return { kind: "checked" };
      const rest = after.slice(i + 1).filter((s) => !isHarmless(s));
      if (rest.length === 0) return { kind: "checked" };
      return { kind: "unchecked", reason: `it is tested at line ${lineOf(statement)}, but the code at line ${lineOf(rest[0]!)} runs on both branches`, related: rest[0]! };
    }
    // Loops waiting for the lock, asserts, returning or passing the result on: the caller decides. Not ours to flag.
    return { kind: "unknown" };
  }
  return { kind: "unchecked", reason: "the result is never tested" };
}

function verdictOf(acquisition: LockAcquisition): { verdict: Verdict; names: string[]; statement?: ts.Statement } {
  let node: ts.Node = outerExpression(acquisition.call as ts.Expression);
  // Climb through boolean/comparison wrappers: `!(await tryLock())`, `(await set(...)) === "OK"`.
  while (
    (ts.isPrefixUnaryExpression(node.parent) && node.parent.operator === ts.SyntaxKind.ExclamationToken) ||
    (ts.isBinaryExpression(node.parent) && node.parent.operatorToken.kind !== ts.SyntaxKind.EqualsToken && node.parent.operatorToken.kind !== ts.SyntaxKind.CommaToken) ||
    ts.isParenthesizedExpression(node.parent)
  ) {
    node = node.parent;
  }
  const parent = node.parent;
  if (ts.isExpressionStatement(parent) || ts.isVoidExpression(parent)) {
    return { verdict: { kind: "unchecked", reason: "its result is discarded" }, names: [], ...(ts.isExpressionStatement(parent) ? { statement: parent } : {}) };
  }
  if ((ts.isIfStatement(parent) || ts.isWhileStatement(parent) || ts.isDoStatement(parent)) && parent.expression === node) return { verdict: { kind: "checked" }, names: [] };
  if (ts.isConditionalExpression(parent) && parent.condition === node) return { verdict: { kind: "checked" }, names: [] };
  if (ts.isVariableDeclaration(parent) && parent.initializer === node) {
    const statement = parent.parent.parent;
    if (!ts.isVariableStatement(statement)) return { verdict: { kind: "unknown" }, names: [] };
    const names = new Set(boundNames(parent.name).map((n) => n.text));
    return { verdict: verdictForNames(names, statementsAfter(statement)), names: [...names], statement };
  }
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(parent.left) && ts.isExpressionStatement(parent.parent)) {
    const names = new Set([parent.left.text]);
    return { verdict: verdictForNames(names, statementsAfter(parent.parent)), names: [...names], statement: parent.parent };
  }
  return { verdict: { kind: "unknown" }, names: [] };
}

/**
 * Suggestion (changes behaviour: the function now throws when the lock is taken): bind the result and stop when the
 * lock was not acquired. Offered for Redis SET NX / SETNX and tryAcquire, whose results have a known shape.
 */
function suggestGuard(context: FileRuleContext, acquisition: LockAcquisition, statement: ts.Statement | undefined, names: string[]): Fix[] {
  if (!statement || !ts.isCallExpression(acquisition.call)) return [];
  const sf = context.sourceFile;
  const isRedisSet = acquisition.mechanism === "redis-set-nx" && /^set$/i.test(acquisition.call.expression.getText().split(".").pop() ?? "");
  if (acquisition.mechanism !== "redis-set-nx" && acquisition.style !== "try") return [];
  if (acquisition.mechanism === "pg-advisory" || acquisition.mechanism === "mysql-named") return [];
  const indent = indentationAt(sf, statement.getStart(sf));
  const what = acquisition.key ? acquisition.key.getText(sf) : acquisition.label.replace(/`/g, "");
  const message = JSON.stringify(`lock ${what} is held by another process`).replace(/^"|"$/g, "");
  const throwLine = (cond: string) => `\n${indent}if (${cond}) {\n${indent}  throw new Error(\`${message.replace(/`/g, "\\`")}\`);\n${indent}}`;
  const file = normalizePath(sf.fileName);
  if (ts.isExpressionStatement(statement)) {
    const name = freshName(sf, "acquired");
    const cond = isRedisSet ? `${name} !== "OK"` : `!${name}`;
    return [{ title: "Stop when the lock is not acquired", edits: [{ file, start: statement.getStart(sf), end: statement.getStart(sf), newText: `const ${name} = ` }, { file, start: statement.end, end: statement.end, newText: throwLine(cond) }] }];
  }
  if (names.length === 1 && ts.isVariableStatement(statement)) {
    const name = names[0]!;
    const cond = isRedisSet ? `${name} !== "OK"` : `!${name}`;
    return [{ title: "Stop when the lock is not acquired", edits: [{ file, start: statement.end, end: statement.end, newText: throwLine(cond) }] }];
  }
  return [];
}

function freshName(sf: ts.SourceFile, base: string): string {
  let name = base;
  for (let i = 2; new RegExp(`\\b${name}\\b`).test(sf.text); i++) name = `${base}${i}`;
  return name;
}

export const uncheckedLockAcquisition: Rule = {
  meta: {
    id: "unchecked-lock-acquisition",
    description: "A try-lock (SET NX, pg_try_advisory_lock, GET_LOCK, tryAcquire) whose result does not decide whether the critical section runs",
    defaultSeverity: "error",
    fixable: false,
    hasSuggestions: true,
    scope: "file",
  },
  checkFile(context) {
    for (const acquisition of lockAcquisitionsIn(context.sourceFile, context.program, () => context.checker)) {
      if (acquisition.style !== "try") continue;
      const { verdict, names, statement } = verdictOf(acquisition);
      if (verdict.kind !== "unchecked") continue;
      const call = acquisition.call;
      context.report({
        message:
          `${acquisition.label} may not be acquired — ${code(shortText(call))} returns ${failureValue(acquisition)} when another holder has it — but ${verdict.reason}: ` +
          `the critical section runs whether or not this process holds the lock, so two processes can run it at the same time. Continue only on the success branch.`,
        span: spanOf(call, context.sourceFile),
        related: verdict.related ? [{ span: spanOf(verdict.related, context.sourceFile), message: "runs even when the lock was not acquired" }] : [],
        suggestions: suggestGuard(context, acquisition, statement, names),
      });
    }
  },
};

/** The call as written, or `callee(…)` when its arguments are long. */
function shortText(node: ts.Node): string {
  const text = node.getText().replace(/\s+/g, " ");
  if (text.length <= 70) return text;
  return ts.isCallExpression(node) ? `${node.expression.getText().replace(/\s+/g, "")}(…)` : `${text.slice(0, 67)}…`;
}
