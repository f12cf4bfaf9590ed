// select-then-update: a pass that never overlaps itself. A function started once (by its class's constructor or start-up
// hook, the class made once, or by the module's top level) and then only by timers it sets as its last step (`setTimeout(() =>
// this.refresh(), 1000)` after the pass) runs one pass at a time: no two calls of it read and write concurrently.
import { calleeName, enclosingFunction, isFunctionLike, isInside, ts, walk, type FunctionLike } from "../../server/src/rule-kit";

const answers = new WeakMap<FunctionLike, boolean>();

export function runsOneAtATime(fn: FunctionLike | undefined, program: ts.Program | undefined): boolean {
  if (!fn?.body || !program) return false;
  let answer = answers.get(fn);
  if (answer === undefined) answers.set(fn, (answer = decide(fn, fn.body, program)));
  return answer;
}

function decide(fn: FunctionLike, body: ts.Node, program: ts.Program): boolean {
  const name = ownName(fn);
  const file = fn.getSourceFile();
  // Only a function that sets a timer can reschedule itself: the project-wide scans below run for few.
  if (!name || !file.text.slice(body.pos, body.end).includes("setTimeout")) return false;
  // Anything outside the file that mentions the name may call it.
  if (program.getSourceFiles().some((sf) => sf !== file && !sf.isDeclarationFile && sf.text.includes(name))) return false;
  const owner = ts.isMethodDeclaration(fn) && ts.isClassDeclaration(fn.parent) ? fn.parent : undefined;
  if (ts.isMethodDeclaration(fn) && (!owner?.name || !madeOnce(owner, program))) return false;
  let startups = 0;
  let other = false;
  walk(file, (node) => {
    if (other) return false;
    if (!ts.isIdentifier(node) || node.text !== name || node === fn.name) return true;
    const call = calleeCall(node);
    if (call && isInside(call, fn) && rescheduledLast(call, fn)) return true;
    if (call && isStartup(call, owner)) startups++;
    else other = true;
    return true;
  });
  return !other && startups === 1;
}

function ownName(fn: FunctionLike): string | undefined {
  if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
  return undefined;
}

/** `new Name(` once where the class can be made: its own file when it is not exported, else the whole project. */
function madeOnce(owner: ts.ClassDeclaration, program: ts.Program): boolean {
  const name = owner.name!.text;
  const file = owner.getSourceFile();
  const exported =
    (ts.getCombinedModifierFlags(owner) & ts.ModifierFlags.Export) !== 0 ||
    new RegExp(`\\bexport\\s*(?:default\\s+${name}\\b|\\{[^}]*\\b${name}\\b)`).test(file.text);
  const made = new RegExp(`\\bnew\\s+${name}\\s*[(<]`, "g");
  let count = 0;
  for (const sf of exported ? program.getSourceFiles() : [file]) if (!sf.isDeclarationFile) count += sf.text.match(made)?.length ?? 0;
  return count === 1;
}

/** The call whose callee is `id` (`name()`, `this.name()`). */
function calleeCall(id: ts.Identifier): ts.CallExpression | undefined {
  const callee = ts.isPropertyAccessExpression(id.parent) && id.parent.name === id ? id.parent : id;
  if (callee !== id && (callee as ts.PropertyAccessExpression).expression.kind !== ts.SyntaxKind.ThisKeyword) return undefined;
  return ts.isCallExpression(callee.parent) && callee.parent.expression === callee ? callee.parent : undefined;
}

/**
 * The call runs in a timer callback (`setTimeout(() => f(), ms)`) set by `fn` where nothing of the pass follows: the
 * timer's statement is followed only by `return`s on its way out of `fn`, and no loop encloses it.
 */
function rescheduledLast(call: ts.CallExpression, fn: FunctionLike): boolean {
  const callback = enclosingFunction(call);
  const timer = callback?.parent;
  if (!callback || !timer || !ts.isCallExpression(timer) || timer.arguments[0] !== callback) return false;
  if (!ts.isIdentifier(timer.expression) || timer.expression.text !== "setTimeout" || enclosingFunction(timer) !== fn) return false;
  let statement: ts.Node = timer;
  while (!ts.isStatement(statement)) statement = statement.parent;
  for (let node: ts.Node = statement; node !== fn.body; node = node.parent) {
    const parent = node.parent;
    if (ts.isIterationStatement(parent, false) || ts.isSwitchStatement(parent) || ts.isTryStatement(parent)) return false;
    if (ts.isBlock(parent)) {
      const after = parent.statements.slice(parent.statements.indexOf(node as ts.Statement) + 1);
      if (!after.every((s) => ts.isReturnStatement(s) && !hasAwait(s))) return false;
      // A `return` after it leaves the function: what follows the enclosing statements does not run.
      if (after.length > 0) return true;
    }
  }
  return true;
}

function hasAwait(node: ts.Node): boolean {
  let found = false;
  walk(node, (n) => {
    if (found || isFunctionLike(n)) return false;
    if (ts.isAwaitExpression(n)) found = true;
    return !found;
  });
  return found;
}

/** Methods a framework calls once per instance at start-up (NestJS's lifecycle hooks, an `@onStartup()` hook). */
const STARTUP_HOOK = /^(?:onModuleInit|onApplicationBootstrap|onStartup)$/;

/**
 * A start-up call: a statement of the class's constructor or start-up hook (a method), or of the module's top level (a
 * function).
 */
function isStartup(call: ts.CallExpression, owner: ts.ClassDeclaration | undefined): boolean {
  const where = enclosingFunction(call);
  const statement = ts.isVoidExpression(call.parent) ? call.parent.parent : call.parent;
  if (!ts.isExpressionStatement(statement)) return false;
  if (!owner) return !where;
  if (!where || where.parent !== owner) return false;
  if (ts.isConstructorDeclaration(where)) return true;
  const hook = (name: string | undefined) => name !== undefined && STARTUP_HOOK.test(name);
  return (
    ts.isMethodDeclaration(where) &&
    (hook(where.name.getText()) || (ts.getDecorators(where) ?? []).some((d) => hook(decoratorName(d.expression))))
  );
}

function decoratorName(expr: ts.Expression): string | undefined {
  return ts.isCallExpression(expr) ? calleeName(expr) : ts.isIdentifier(expr) ? expr.text : undefined;
}
