// lock-across-await: an `await` of a slow or external operation (HTTP, SDK clients, sleeps, child processes, or a
// project function that awaits one) while a lock is held: an in-process mutex's critical section, a distributed lease,
// or a transaction that already holds row locks. Other callers wait for the slow call; a lease can expire mid-call
// and let a second holder in.
import { ts } from "../server/src/engine/ts";
import type { FileRuleContext, Fix, Rule } from "../server/src/engine/types";
import { boundNames, code, enclosingFunction, enclosingStatement, indentationAt, isFunctionLike, isInside, nodesOfKinds, spanOf, walk } from "../server/src/analysis/ast";
import { dbAccessOf } from "../server/src/analysis/db-access";
import { normalizePath } from "../server/src/engine/paths";
import { locksHeldAt, rowLockDescription, type HeldLock } from "../server/src/analysis/held-regions";
import { DEFAULT_SLOW_CALLS, SlowCallFinder, type SlowCallEntry, type SlowPath } from "../server/src/analysis/slow-calls";

/** Validated `slowCalls` option entries (the config validator checks only that they are objects). */
function slowCallsOption(value: unknown): SlowCallEntry[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry): SlowCallEntry[] => {
    if (typeof entry !== "object" || entry === null) return [];
    const { module, call, reason } = entry as Record<string, unknown>;
    if (typeof call !== "string" || (module !== undefined && typeof module !== "string")) return [];
    return [{ ...(typeof module === "string" ? { module } : {}), call, reason: typeof reason === "string" ? reason : "is configured as slow" }];
  });
}

const finders = new WeakMap<ts.TypeChecker, Map<string, SlowCallFinder>>();

/** One finder per Program (its checker) and slow-call list, so function summaries are shared by every file. */
function finderFor(program: ts.Program, checker: ts.TypeChecker, extra: SlowCallEntry[]): SlowCallFinder {
  let byList = finders.get(checker);
  if (!byList) finders.set(checker, (byList = new Map()));
  const key = JSON.stringify(extra);
  let finder = byList.get(key);
  if (!finder) byList.set(key, (finder = new SlowCallFinder([...DEFAULT_SLOW_CALLS, ...extra], () => checker, program)));
  return finder;
}

/** "`enrich` calls `loadRates`, which calls `fetch`, which makes an HTTP request". */
function describeSlowPath(path: SlowPath): string {
  const names = [...path.steps.map((s) => s.name), path.slow.name].map(code);
  if (names.length === 1) return `${names[0]} ${path.slow.reason}`;
  return `${names[0]} calls ${names.slice(1).join(", which calls ")}, which ${path.slow.reason}`;
}

function heldText(lock: HeldLock): string {
  if (lock.kind === "transaction") return `${lock.label} holds row locks (taken by ${rowLockDescription(lock.transaction!.rowLocks[0]!)})`;
  return `holding ${lock.label}`;
}

function costText(lock: HeldLock): string {
  if (lock.kind === "transaction") return "every transaction that touches those rows waits for it, and the connection stays checked out of the pool meanwhile";
  if (lock.kind === "lease" && lock.expires) return "if it outlasts the lease, the lock expires mid-call and a second holder can enter the critical section while this one is still in it";
  if (lock.kind === "lease") return `every other process waiting for ${lock.label} waits for it too`;
  return `every other caller waiting for ${lock.label} waits for it too`;
}

/** Which held lock a finding names: an expiring lease first (the worst outcome), then a transaction, then a mutex. */
function priority(lock: HeldLock): number {
  return lock.kind === "lease" ? (lock.expires ? 0 : 1) : lock.kind === "transaction" ? 2 : 3;
}

/** The statement list a critical section runs in, and the statement that opens it. */
function sectionOf(lock: HeldLock): { statements: readonly ts.Statement[]; opener: ts.Statement } | undefined {
  if (!lock.acquisition || lock.kind === "transaction") return undefined;
  const opener = enclosingStatement(lock.acquisition.call);
  if (!opener || !ts.isBlock(opener.parent)) return undefined;
  if (lock.callback) return lock.callback.body && ts.isBlock(lock.callback.body) ? { statements: lock.callback.body.statements, opener } : undefined;
  // acquire … release: the statements after the acquisition, or the `try` block right after it.
  const after = opener.parent.statements.slice(opener.parent.statements.indexOf(opener) + 1);
  const first = after[0];
  return first && ts.isTryStatement(first) ? { statements: first.tryBlock.statements, opener } : { statements: after, opener };
}

/** Identifiers an expression reads (not property names). */
function readNames(node: ts.Node): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  walk(node, (n) => {
    if (ts.isIdentifier(n) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) && !(ts.isPropertyAssignment(n.parent) && n.parent.name === n)) out.push(n);
  });
  return out;
}

/**
 * Suggestion: move the slow statement in front of the statement that takes the lock. Offered only when its inputs
 * exist before the lock (nothing it reads is declared in the section), everything before it in the section is
 * side-effect free apart from database reads (so running it earlier changes no observable order), and the name it
 * declares is free in the outer scope.
 */
function moveBeforeLock(node: ts.AwaitExpression, lock: HeldLock, checker: ts.TypeChecker): Fix | undefined {
  const section = sectionOf(lock);
  const statement = enclosingStatement(node);
  if (!section || !statement || !section.statements.includes(statement)) return undefined;
  // `await x;` or `const y = await x;` (possibly `await (await x).json()`): the whole statement moves.
  const declaration = ts.isVariableStatement(statement) && statement.declarationList.declarations.length === 1 ? statement.declarationList.declarations[0]! : undefined;
  const payload = ts.isExpressionStatement(statement) ? statement.expression : declaration?.initializer;
  if (!payload || !isInside(node, payload)) return undefined;
  const sectionStart = section.statements[0]!.getStart();
  const sectionEnd = section.statements[section.statements.length - 1]!.getEnd();
  for (const id of readNames(payload)) {
    const declared = checker.getSymbolAtLocation(id)?.valueDeclaration;
    if (declared && declared.getStart() >= sectionStart && declared.getEnd() <= sectionEnd) return undefined;
  }
  for (const earlier of section.statements.slice(0, section.statements.indexOf(statement))) {
    let sideEffects = false;
    walk(earlier, (n) => {
      if (isFunctionLike(n)) return false;
      if (ts.isCallExpression(n) && dbAccessOf(n)?.kind !== "read") sideEffects = true;
      if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) sideEffects = true;
      return !sideEffects;
    });
    if (sideEffects) return undefined;
  }
  if (declaration) {
    const names = new Set(boundNames(declaration.name).map((id) => id.text));
    let clash = false;
    const outer = enclosingFunction(section.opener) ?? section.opener.getSourceFile();
    walk(outer, (n) => {
      if ((ts.isVariableDeclaration(n) || ts.isParameter(n)) && n !== declaration && boundNames(n.name).some((id) => names.has(id.text))) clash = true;
      return !clash;
    });
    if (clash) return undefined;
  }
  const sourceFile = node.getSourceFile();
  const file = normalizePath(sourceFile.fileName);
  const text = sourceFile.text;
  const fromIndent = indentationAt(sourceFile, statement.getStart());
  const toIndent = indentationAt(sourceFile, section.opener.getStart());
  const moved = statement.getText(sourceFile).split("\n").map((line, i) => (i === 0 ? line : line.startsWith(fromIndent) ? toIndent + line.slice(fromIndent.length) : line)).join("\n");
  const lineStart = statement.getStart() - fromIndent.length;
  const lineEnd = text[statement.getEnd()] === "\n" ? statement.getEnd() + 1 : statement.getEnd();
  const openerLineStart = section.opener.getStart() - toIndent.length;
  return {
    title: `Move the call before ${lock.label} is taken (its inputs are ready before the lock)`,
    edits: [
      { file, start: openerLineStart, end: openerLineStart, newText: `${toIndent}${moved}\n` },
      { file, start: lineStart, end: lineEnd, newText: "" },
    ],
  };
}

const ADVICE = "Move the call before the critical section when its inputs are ready before the lock, or split the section: read under the lock, make the call without it, then re-acquire and re-validate (see the rule's documentation).";

export const lockAcrossAwait: Rule = {
  meta: {
    id: "lock-across-await",
    description: "An await of a slow or external operation (HTTP, SDK, sleep, child process) while a lock, lease or transaction's row locks are held.",
    defaultSeverity: "warn",
    fixable: false,
    hasSuggestions: true,
    scope: "file",
    optionsSchema: {
      type: "object",
      properties: {
        slowCalls: {
          type: "array",
          items: { type: "object" },
          description: "Further slow calls, added to the defaults: [{ module?: string, call: string ('*' for any), reason: string }].",
        },
      },
      additionalProperties: false,
    },
    defaultOptions: { slowCalls: [] },
  },
  checkFile(context: FileRuleContext) {
    const checker = () => context.checker;
    const awaits = nodesOfKinds<ts.AwaitExpression>(context.sourceFile, [ts.SyntaxKind.AwaitExpression]);
    if (awaits.length === 0) return;
    let finder: SlowCallFinder | undefined;
    const slowPaths = new Map<ts.AwaitExpression, SlowPath | undefined>();
    const slowPathOf = (node: ts.AwaitExpression) => {
      finder ??= finderFor(context.program, context.checker, [...slowCallsOption(context.options.slowCalls), ...(context.settings.extraSlowCalls ?? [])]);
      if (!slowPaths.has(node)) slowPaths.set(node, finder.slowPathOf(node.expression));
      return slowPaths.get(node);
    };
    // Awaited work that is not (part of) a slow call: `await repo.load(id)`, not `await (await fetch(u)).json()`.
    const isOtherWork = (node: ts.AwaitExpression) => {
      let slow = !!slowPathOf(node);
      walk(node, (inner) => {
        if (!slow && ts.isAwaitExpression(inner)) slow = !!slowPathOf(inner);
        return !slow;
      });
      return !slow;
    };
    for (const node of awaits) {
      const held = locksHeldAt(node, context.program, checker);
      if (held.length === 0) continue;
      const path = slowPathOf(node);
      if (!path) continue;
      // An in-process mutex around nothing but the slow call is a deliberate single-flight (one refresh at a time):
      // it costs only when the section also does other awaited work that callers could not run meanwhile.
      const relevant = held.filter((lock) => lock.kind !== "mutex" || awaits.some((other) => other !== node && lock.holds!(other) && isOtherWork(other)));
      if (relevant.length === 0) continue;
      const lock = relevant.sort((a, b) => priority(a) - priority(b))[0]!;
      const related = [
        { span: spanOf(lock.takenAt, context.sourceFile), message: lock.kind === "transaction" ? "row locks taken here, held until COMMIT/ROLLBACK" : `${lock.label} taken here` },
        ...(path.steps.length > 0 ? [{ span: spanOf(path.slow.call), message: `${code(path.slow.name)} called here` }] : []),
      ];
      const move = relevant.length === 1 ? moveBeforeLock(node, lock, context.checker) : undefined;
      context.report({
        message: `${describeSlowPath(path)}, and it is awaited while ${heldText(lock)}: ${costText(lock)}. ${ADVICE}`,
        span: spanOf(node, context.sourceFile),
        related,
        suggestions: move ? [move] : [],
      });
    }
  },
};

export default lockAcrossAwait;
