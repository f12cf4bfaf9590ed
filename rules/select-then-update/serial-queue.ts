// select-then-update: a task of a serial queue. A function handed to `queue.add(task)`, where `queue` is a module's one
// instance (a top-level `const queue = new TaskQueue()`) of a project class that keeps its tasks in an array field,
// starts its runner only while a flag field says none runs, and starts the next task only once the previous one has
// settled (`.then(() => this.next())`), runs one task at a time: no two of its tasks read and write concurrently.
// A queue that also moves on after a timeout gives the turn up like a lease that expires (as Redis leases are credited).
import {
  aliasedSymbolAt,
  enclosingFunction,
  isFunctionLike,
  isInside,
  skipParens,
  ts,
  walk,
  type FunctionLike,
} from "../../server/src/rule-kit";

const queues = new WeakMap<ts.MethodDeclaration, boolean>();

/** Whether `fn` is a task passed to a serial queue's `add` on a module-level instance (see above). */
export function runsInSerialQueue(fn: FunctionLike | undefined, checker: () => ts.TypeChecker): boolean {
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return false;
  let argument: ts.Node = fn;
  while (ts.isParenthesizedExpression(argument.parent)) argument = argument.parent;
  const call = argument.parent;
  if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression)) return false;
  const index = call.arguments.indexOf(argument as ts.Expression);
  if (index < 0 || !isModuleInstance(skipParens(call.expression.expression), checker)) return false;
  const method = aliasedSymbolAt(call.expression.name, checker)?.declarations?.find(ts.isMethodDeclaration);
  if (!method?.body || !ts.isClassDeclaration(method.parent)) return false;
  let answer = queues.get(method);
  if (answer === undefined) queues.set(method, (answer = isSerialAdd(method, index)));
  return answer;
}

/** `queue` names a top-level `const queue = new Something(…)`: one instance for every caller in the process. */
function isModuleInstance(receiver: ts.Expression, checker: () => ts.TypeChecker): boolean {
  if (!ts.isIdentifier(receiver)) return false;
  const declaration = aliasedSymbolAt(receiver, checker)?.declarations?.[0];
  if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return false;
  const list = declaration.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const) || !ts.isSourceFile(list.parent.parent)) return false;
  return ts.isNewExpression(skipParens(declaration.initializer));
}

/** `this.name` → "name". */
function thisField(node: ts.Node | undefined): string | undefined {
  if (!node || !ts.isPropertyAccessExpression(node) || node.expression.kind !== ts.SyntaxKind.ThisKeyword) return undefined;
  return node.name.text;
}

/** `this.name(…)` → "name". */
function thisCallName(node: ts.Node): string | undefined {
  return ts.isCallExpression(node) ? thisField(skipParens(node.expression)) : undefined;
}

/**
 * The method pushes its parameter `index` (or a function calling it) onto an array field, and calls the runner only
 * under `if (!this.flag)`; the runner takes one task (`this.tasks.shift()`), sets the flag, calls itself only from a
 * settlement callback, and loops over nothing; and no other code of the class starts the runner.
 */
function isSerialAdd(add: ts.MethodDeclaration, index: number): boolean {
  const parameter = add.parameters[index]?.name;
  if (!parameter || !ts.isIdentifier(parameter)) return false;
  const task = parameter.text;
  const callsTask = (node: ts.Node) =>
    (ts.isIdentifier(node) && node.text === task) ||
    (isFunctionLike(node) && someNode(node, (n) => ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === task));
  let array: string | undefined;
  let runner: string | undefined;
  let flag: string | undefined;
  walk(add.body!, (node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "push") {
      const pushed = node.arguments[0] && skipParens(node.arguments[0]);
      const field = thisField(node.expression.expression);
      if (field && pushed && callsTask(pushed)) array = field;
    }
    if (ts.isIfStatement(node) && !node.elseStatement) {
      const test = skipParens(node.expression);
      const tested =
        ts.isPrefixUnaryExpression(test) && test.operator === ts.SyntaxKind.ExclamationToken
          ? thisField(skipParens(test.operand))
          : undefined;
      const statement =
        ts.isBlock(node.thenStatement) && node.thenStatement.statements.length === 1
          ? node.thenStatement.statements[0]
          : node.thenStatement;
      const started = statement && ts.isExpressionStatement(statement) ? thisCallName(skipParens(statement.expression)) : undefined;
      if (tested && started) [flag, runner] = [tested, started];
    }
    return true;
  });
  if (!array || !runner || !flag || runner === add.name.getText()) return false;
  const cls = add.parent as ts.ClassDeclaration;
  const next = cls.members.find((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && m.name.getText() === runner);
  if (!next?.body) return false;
  const takesOne = someNode(
    next.body,
    (n) =>
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      n.expression.name.text === "shift" &&
      thisField(n.expression.expression) === array,
  );
  const setsFlag = someNode(
    next.body,
    (n) => ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && thisField(skipParens(n.left)) === flag,
  );
  if (!takesOne || !setsFlag || someNode(next.body, (n) => ts.isIterationStatement(n, false))) return false;
  // Every start of the runner: the guarded one in `add`, or the runner's own from a settlement callback.
  let starts = 0;
  let other = false;
  walk(cls, (node) => {
    if (other) return false;
    if (thisCallName(node) !== runner) return true;
    if (isInside(node, add)) starts++;
    else if (!isInside(node, next) || !inSettlementCallback(node as ts.CallExpression, next)) other = true;
    return true;
  });
  return !other && starts === 1;
}

/** The call runs in a callback given to `.then(…)` or `.finally(…)` inside `fn`: after a promise settled. */
function inSettlementCallback(call: ts.CallExpression, fn: FunctionLike): boolean {
  const callback = enclosingFunction(call);
  if (!callback || callback === fn) return false;
  let argument: ts.Node = callback;
  while (ts.isParenthesizedExpression(argument.parent)) argument = argument.parent;
  const settle = argument.parent;
  return (
    ts.isCallExpression(settle) &&
    settle.arguments.includes(argument as ts.Expression) &&
    ts.isPropertyAccessExpression(settle.expression) &&
    (settle.expression.name.text === "then" || settle.expression.name.text === "finally") &&
    enclosingFunction(settle) === fn
  );
}

function someNode(root: ts.Node, test: (node: ts.Node) => boolean): boolean {
  let found = false;
  walk(root, (node) => {
    if (found) return false;
    if (test(node)) found = true;
    return !found;
  });
  return found;
}
