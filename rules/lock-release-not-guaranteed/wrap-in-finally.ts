// The rule's safe fix: the statements between the acquisition (after its success checks) and the release move into
// `try { … } finally { <release> }`.
import {
  alwaysExits,
  boundNames,
  containingStatements,
  firstThrowingExpression,
  indentationAt,
  indentUnit,
  statementOf,
  ts,
  wrapStatements,
  type Fix,
  type Fixer,
  type LockAcquisition,
} from "../../server/src/rule-kit";
import type { ReleaseCall } from "./early-release";

/** `if (!ok) return;` right after a try-lock: leaving when the lock was not taken needs no release. */
function isSuccessCheck(statement: ts.Statement | undefined): boolean {
  return (
    !!statement &&
    ts.isIfStatement(statement) &&
    !statement.elseStatement &&
    alwaysExits(statement.thenStatement) &&
    !firstThrowingExpression(statement.expression)
  );
}

/**
 * Safe fix: wrap what runs between acquisition (or its success check) and the release in try/finally, moving the
 * release into `finally`. Only when the shape makes that exactly right: one release, an expression statement in the
 * same block, and no declaration in the wrapped range used after it.
 */
export function wrapInFinally(
  sf: ts.SourceFile,
  fixer: Fixer,
  acquisition: LockAcquisition,
  acquisitionStatement: ts.Statement,
  releases: ReleaseCall[],
): Fix[] {
  if (releases.length !== 1) return [];
  const release = releases[0]!;
  const releaseStatement = statementOf(release);
  const list = containingStatements(acquisitionStatement);
  if (!releaseStatement || !list || !list.includes(releaseStatement) || !ts.isExpressionStatement(releaseStatement)) return [];
  const expression = releaseStatement.expression;
  if (expression !== release && !(ts.isAwaitExpression(expression) && expression.expression === release)) return [];
  let first = list.indexOf(acquisitionStatement) + 1;
  if (acquisition.style === "try") {
    // The success checks (`if (error) return; if (ok !== "OK") return;`) stay outside the try, or a failed attempt
    // would release someone else's lock.
    if (!isSuccessCheck(list[first])) return [];
    while (isSuccessCheck(list[first])) first++;
  }
  const last = list.indexOf(releaseStatement);
  const wrapped = list.slice(first, last);
  if (wrapped.length === 0) return [];
  const declared = new Set<string>();
  for (const statement of wrapped) {
    if (ts.isVariableStatement(statement))
      for (const d of statement.declarationList.declarations) for (const id of boundNames(d.name)) declared.add(id.text);
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) declared.add(statement.name.text);
  }
  const after = list.slice(last + 1);
  if (after.some((s) => [...declared].some((name) => new RegExp(`\\b${name}\\b`).test(s.getText())))) return [];

  const indent = indentationAt(sf, wrapped[0]!.getStart(sf));
  const unit = indentUnit(sf);
  const finallyBlock = `} finally {\n${indent}${unit}${releaseStatement.getText(sf)}\n${indent}}`;
  // The release moves into `finally`: it and what separates it from the wrapped statements go.
  const moved = fixer.remove({ start: wrapped[wrapped.length - 1]!.end, end: releaseStatement.end });
  return [fixer.fix("Release the lock in a finally block", wrapStatements(sf, wrapped, "try {", finallyBlock), moved)];
}
