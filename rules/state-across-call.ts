// lock-across-await: a mutex section that carries in-memory state across its slow call is no single flight. The
// guide's "holding a lock during an external call": a value read from shared state before the call (`const current =
// balances.get(id)`, `const before = this.credits`) is written back to shared state after it (`balances.set(id,
// current * rate)`, `this.credits = before + amount`). Every caller waits for the call; the usual repair reads under
// the lock, calls without it, and writes under it again after re-checking. A section whose only state is what the
// call returns (`if (!cached) cached = await fetch(…)`) is a deliberate single flight and stays unreported.
import {
  decidedBy,
  enclosingFunction,
  isFunctionLike,
  mayRunAfter,
  mayRunBetween,
  nodesOfKinds,
  skipParens,
  ts,
  variableDeclarationOf,
  walk,
} from "../server/src/rule-kit";

/** Methods that store into a collection (`Map`/`Set`/array state). */
const STORES = new Set(["set", "add", "push", "unshift", "splice"]);

/**
 * Whether `statements` (a critical section) read state into a local that `slow` may run after, and write it back from
 * that local after `slow` on some path where the local was not read again since: along the function's paths, so a write
 * in a branch that returns before the call is not after it, and a loop that reads the state again before its write
 * carries nothing across.
 */
export function carriesStateAcross(statements: readonly ts.Statement[], slow: ts.Node): boolean {
  // Each declaration of a local read from state, with the state it was read from (`balances`, `this.credits`).
  const read = new Map<ts.VariableDeclaration, Set<string>>();
  for (const statement of statements)
    walk(statement, (node) => {
      if (isFunctionLike(node)) return false;
      if (ts.isVariableDeclaration(node) && node.initializer) {
        const states = statesRead(node.initializer);
        if (states.size > 0) read.set(node, states);
      }
      return true;
    });
  return read.size > 0 && statements.some((statement) => writesBack(statement, read, slow));
}

/**
 * Whether `slow` runs only past a check of state read while the lock is held (`const until = sent.get(key); if (until >
 * Date.now()) return;`) and the section then stores into that same state (`sent.set(key, …)`): check, call, record is
 * the step the lock makes atomic. Splitting it as carriesStateAcross advises would let two callers pass the check and
 * both make the call; the waiters wait for the record that turns them away, which is the lock's purpose.
 */
export function checkedThenRecorded(slow: ts.Node, heldAt: (node: ts.Node) => boolean): boolean {
  const fn = enclosingFunction(slow);
  if (!fn?.body) return false;
  const own = (node: ts.Node) => enclosingFunction(node) === fn;
  const declarations = nodesOfKinds<ts.VariableDeclaration>(fn.body, [ts.SyntaxKind.VariableDeclaration]).filter(
    (d) => own(d) && !!d.initializer && heldAt(d) && mayRunAfter(d, slow),
  );
  const checked = new Set<string>();
  const conditions = [
    ...nodesOfKinds<ts.IfStatement>(fn.body, [ts.SyntaxKind.IfStatement]).map((statement) => statement.expression),
    ...nodesOfKinds<ts.ConditionalExpression>(fn.body, [ts.SyntaxKind.ConditionalExpression]).map((c) => c.condition),
  ].filter(own);
  for (const declaration of declarations) {
    const states = statesRead(declaration.initializer!);
    if (states.size === 0) continue;
    const tests = conditions.some(
      (condition) =>
        decidedBy(condition, slow) !== undefined &&
        nodesOfKinds<ts.Identifier>(condition, [ts.SyntaxKind.Identifier]).some((id) => variableDeclarationOf(id) === declaration),
    );
    if (tests) for (const state of states) checked.add(state);
  }
  if (checked.size === 0) return false;
  let recorded = false;
  walk(fn.body, (node) => {
    if (recorded || isFunctionLike(node)) return false;
    const state =
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(skipParens(node.left))
        ? stateKey(node.left)
        : ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && STORES.has(node.expression.name.text)
          ? stateKey(node.expression.expression)
          : undefined;
    recorded = state !== undefined && checked.has(state) && heldAt(node) && mayRunAfter(slow, node);
    return !recorded;
  });
  return recorded;
}

/** The state a synchronous expression reads: `this.credits` → `this.credits`; `balances.get(id) ?? 0` → `balances`. */
function statesRead(expr: ts.Expression): Set<string> {
  const states = new Set<string>();
  let awaits = false;
  const visit = (node: ts.Node): void => {
    if (awaits || isFunctionLike(node)) return;
    if (ts.isAwaitExpression(node)) awaits = true;
    else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "get")
      states.add(stateKey(node.expression.expression));
    else if (ts.isPropertyAccessExpression(node) && !(ts.isCallExpression(node.parent) && node.parent.expression === node))
      states.add(stateKey(node));
    ts.forEachChild(node, visit);
  };
  visit(expr);
  return awaits ? new Set() : states;
}

function stateKey(expr: ts.Expression): string {
  return skipParens(expr).getText().replace(/\s+/g, "");
}

/**
 * `this.x = f(local)`, `state.x += local`, `map.set(k, f(local))`: a store of a value computed from a local into the
 * state it was read from, on a path that runs `slow` after the local's declaration and before the store, the local not
 * declared again in between.
 */
function writesBack(statement: ts.Statement, read: ReadonlyMap<ts.VariableDeclaration, ReadonlySet<string>>, slow: ts.Node): boolean {
  const from = (value: ts.Node, state: string, store: ts.Node) => {
    let seen = false;
    const check = (n: ts.Node) => {
      if (!ts.isIdentifier(n)) return;
      const declaration = variableDeclarationOf(n);
      if (declaration && read.get(declaration)?.has(state) && mayRunBetween(declaration, [slow], store)) seen = true;
    };
    check(value);
    walk(value, (n) => {
      check(n);
      return !seen;
    });
    return seen;
  };
  let found = false;
  walk(statement, (node) => {
    if (found || isFunctionLike(node)) return false;
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    ) {
      const target = skipParens(node.left);
      found = ts.isPropertyAccessExpression(target) && from(node.right, stateKey(target), node);
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && STORES.has(node.expression.name.text)) {
      // The value stored: the last argument (`set(key, value)`), or every one (`push(a, b)`).
      const state = stateKey(node.expression.expression);
      const values = node.expression.name.text === "set" ? node.arguments.slice(-1) : [...node.arguments];
      found = values.some((v) => from(v, state, node));
    }
    return !found;
  });
  return found;
}
