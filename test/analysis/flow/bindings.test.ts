// bindingsAlongPaths (server/src/analysis/flow/queries.ts): what a function's names hold at a point, along its paths.
// The problem here is the simplest one: each assignment of a string literal binds its name to that literal, and where
// paths merge with two different literals the answer lists both. Each case is one where the text order (the last
// assignment written above the point) and the paths disagree: a guard branch that rolls back and returns, the other
// branch of an `if`, a loop's back edge, a `catch` entered from the middle of its `try`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../../server/src/engine/ts";
import { bindingsAlongPaths } from "../../../server/src/analysis/flow/queries";
import { isFunctionLike } from "../../../server/src/analysis/node-index";

type Literals = { names: ReadonlyMap<string, string> };

/** `name = "x"` / `let name = "x"` bind the literal; any other value unbinds the name. */
function literalBindings(text: string) {
  const file = ts.createSourceFile("t.ts", text, ts.ScriptTarget.Latest, true);
  let fn: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (!fn && isFunctionLike(node)) fn = node;
    ts.forEachChild(node, visit);
  };
  visit(file);
  assert.ok(fn, "no function");
  const solution = bindingsAlongPaths<Literals>(
    fn as ts.FunctionDeclaration,
    { names: new Map() },
    (element, _state, edit) => {
      const [name, value] = ts.isVariableDeclaration(element)
        ? [element.name, element.initializer]
        : ts.isBinaryExpression(element) && element.operatorToken.kind === ts.SyntaxKind.EqualsToken
          ? [element.left, element.right]
          : [];
      if (!name || !ts.isIdentifier(name)) return;
      if (value && ts.isStringLiteral(value)) edit("names").set(name.text, value.text);
      else edit("names").delete(name.text);
    },
    (_map, a, b) => [...new Set([...String(a).split("|"), ...String(b).split("|")])].sort().join("|"),
  );
  /** What `name` holds just before the call `callee(…)` (undefined: nothing bound, or the call is unreachable). */
  const at = (callee: string, name: string): string | undefined => {
    let call: ts.CallExpression | undefined;
    const find = (node: ts.Node): void => {
      if (!call && ts.isCallExpression(node) && node.expression.getText() === callee) call = node;
      ts.forEachChild(node, find);
    };
    find(file);
    assert.ok(call, `no call of ${callee}`);
    return solution.before(call)?.names.get(name);
  };
  return { at, atExit: (name: string) => solution.atExit?.names.get(name) };
}

test("a guard branch that rolls back and returns does not rebind the name for the code after it", () => {
  const { at } = literalBindings(`async function settle(bad: boolean) {
    let balance = "read";
    await begin();
    if (bad) {
      balance = "none";
      await rollback();
      return;
    }
    await write(balance);
  }`);
  // The text above write() last says "none"; no path that reaches write() runs that assignment.
  assert.equal(at("write", "balance"), "read");
  assert.equal(at("rollback", "balance"), "none");
});

test("a look-alike guard that does not return: the assignment reaches the code after it on its path", () => {
  const { at } = literalBindings(`async function settle(bad: boolean) {
    let balance = "read";
    if (bad) {
      balance = "none";
      await rollback();
    }
    await write(balance);
  }`);
  assert.equal(at("write", "balance"), "none|read");
});

test("the two branches of an if: both values reach the merge, not only the one written last", () => {
  const { at, atExit } = literalBindings(`function pick(c: boolean) {
    let v;
    if (c) v = "then";
    else v = "else";
    use(v);
  }`);
  assert.equal(at("use", "v"), "else|then");
  assert.equal(atExit("v"), "else|then");
});

test("a loop's back edge: a value assigned later in the body reaches its top in the next iteration", () => {
  const { at } = literalBindings(`async function walk(items: string[]) {
    let previous = "none";
    for (const item of items) {
      await write(previous);
      previous = "row";
    }
    done(previous);
  }`);
  // Text order says only "none" is above write(); the second iteration sees "row".
  assert.equal(at("write", "previous"), "none|row");
  assert.equal(at("done", "previous"), "none|row");
});

test("a declaration in the loop body binds afresh on each iteration", () => {
  const { at } = literalBindings(`function walk(items: string[]) {
    for (const item of items) {
      let state = "fresh";
      check(state);
      state = "used";
    }
  }`);
  assert.equal(at("check", "state"), "fresh");
});

test("a catch sees what the try had bound before the call that threw, not what the try's end binds", () => {
  const { at } = literalBindings(`async function load() {
    let v = "start";
    try {
      v = "tried";
      await fetchRow();
      v = "after";
    } catch {
      recover(v);
    }
    finish(v);
  }`);
  // Text order: "after" is the last assignment above recover(); only the call can throw, and it runs before it.
  assert.equal(at("recover", "v"), "tried");
  assert.equal(at("finish", "v"), "after|tried");
});

test("code no path reaches has no state; an exception leaving the function is not its normal end", () => {
  const { at, atExit } = literalBindings(`function f() {
    let v = "a";
    if (bad()) {
      v = "thrown";
      throw new Error("no");
    }
    return v;
    unreachable();
  }`);
  assert.equal(at("unreachable", "v"), undefined);
  assert.equal(atExit("v"), "a");
});
