// Hover on a call of one of the project's own lock helpers: what Locksmith believes the call does to locks and why
// (inferred from the helper's body, or declared), so a user can check the analysis where it matters and correct it
// with one declaration. A declaration the body contradicts, or a `@locksmith` tag that does not parse, is said there
// too, and on the name of the function declared (the editor's counterpart of the CLI's one line on stderr).
import * as path from "node:path";
import type { Hover, Position } from "vscode-languageserver/node";
import { allLockAcquisitionsIn, lockDeclarationProblems, lockHelperEffect, lockHelperReason } from "../analysis/lock-wrappers";
import { rowLockHelperCallsIn, rowLockHelperEffect } from "../analysis/lock-declarations";
import { functionName, skipParens, type FunctionLike } from "../analysis/ast";
import { namedFunctionsIn } from "../analysis/slow-calls";
import { ts } from "../engine/ts";
import type { Workspace } from "./projects";

export function lockHelperHover(workspace: Workspace, file: string, position: Position): Hover | null {
  const project = workspace.projectFor(file);
  const program = project.host.getProgram();
  const sourceFile = program.getSourceFile(file);
  if (!sourceFile) return null;
  const offset = sourceFile.getPositionOfLineAndCharacter(position.line, position.character);
  const declared = project.declaredLocksFor(file);
  const checker = () => program.getTypeChecker();
  const problemOf = (fn: FunctionLike) =>
    lockDeclarationProblems([fn.getSourceFile()], program, checker, declared).find((p) => p.node === fn)?.message;
  const onCallee = (call: ts.CallExpression) => {
    const callee = skipParens(call.expression);
    const name = ts.isPropertyAccessExpression(callee) ? callee.name : callee;
    return offset >= name.getStart(sourceFile) && offset <= name.end;
  };
  const acquisition = allLockAcquisitionsIn(sourceFile, program, checker, declared).find(
    (a) => !!a.wrapper && ts.isCallExpression(a.call) && onCallee(a.call),
  );
  const wrapper = acquisition?.wrapper;
  if (!acquisition || !wrapper) {
    const rowLock = rowLockHelperCallsIn(sourceFile, program, checker, declared).find((c) => onCallee(c.call));
    if (!rowLock) return declarationHover(sourceFile, offset, problemOf);
    const { call, helper } = rowLock;
    const value = [
      `**Locksmith**: \`${functionName(helper.fn)}\` ${rowLockHelperEffect(helper)}.`,
      "",
      `Why: declared in ${helper.origin} as a \`row-lock\`. A read of those rows after this call, on the same transaction, is protected; one before it, or on another handle, is not.`,
    ].join("\n");
    const start = sourceFile.getLineAndCharacterOfPosition(call.getStart(sourceFile));
    const end = sourceFile.getLineAndCharacterOfPosition(call.expression.end);
    return { contents: { kind: "markdown", value }, range: { start, end } };
  }
  const at = (node: ts.Node) => {
    const sf = node.getSourceFile();
    return `${path.relative(project.root, sf.fileName).split(path.sep).join("/")}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
  };
  const value = [
    `**Locksmith**: \`${functionName(wrapper.fn)}\` ${lockHelperEffect(wrapper)}.`,
    "",
    `Here: ${acquisition.label}. Why: ${lockHelperReason(wrapper, at)}. If this is wrong, declare the helper in \`locksmith.json\` (\`locks\`) or with a \`@locksmith\` JSDoc tag.`,
    ...("declared" in wrapper.source ? problemLines(problemOf(wrapper.fn)) : []),
  ].join("\n");
  const start = sourceFile.getLineAndCharacterOfPosition(acquisition.call.getStart(sourceFile));
  const end = sourceFile.getLineAndCharacterOfPosition((acquisition.call as ts.CallExpression).expression.end);
  return { contents: { kind: "markdown", value }, range: { start, end } };
}

function problemLines(problem: string | undefined): string[] {
  return problem ? ["", `Problem: ${problem}.`] : [];
}

/** On the name of a function whose lock declaration has a problem: the problem. */
function declarationHover(sourceFile: ts.SourceFile, offset: number, problemOf: (fn: FunctionLike) => string | undefined): Hover | null {
  for (const fn of namedFunctionsIn(sourceFile).values()) {
    const name = fn.name ?? (ts.isVariableDeclaration(fn.parent) ? fn.parent.name : undefined);
    if (!name || offset < name.getStart(sourceFile) || offset > name.end) continue;
    const problem = problemOf(fn);
    if (!problem) return null;
    const range = {
      start: sourceFile.getLineAndCharacterOfPosition(name.getStart(sourceFile)),
      end: sourceFile.getLineAndCharacterOfPosition(name.end),
    };
    return { contents: { kind: "markdown", value: `**Locksmith**: ${problem}.` }, range };
  }
  return null;
}
