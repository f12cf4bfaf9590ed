// The path questions of server/src/analysis/flow/queries.ts: whether a statement ever completes normally
// (alwaysExits), which outcome of a condition a node runs under (decidedBy), whether one call can run after another
// (mayRunAfter), whether one can come between two others (mayRunBetween) and whether one is done between two others,
// before one, or between one and the function's end, on every path (runsBetween, runsBefore, runsBetweenAndReturn),
// which of some assignments ran last on the paths to a node (lastRunBefore), and whether a call's result is tested,
// with an exit on one outcome, on every path before a node or the function's end (checkedBeforeGoingOn), each with the shapes the
// syntactic (text-order) answer got wrong and the look-alikes that must keep their answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../../server/src/engine/ts";
import {
  alwaysExits,
  checkedBeforeGoingOn,
  decidedBy,
  lastRunBefore,
  mayRunAfter,
  mayRunBetween,
  runsBefore,
  runsBetween,
  runsBetweenAndReturn,
} from "../../../server/src/analysis/flow/queries";

function parse(text: string): ts.SourceFile {
  return ts.createSourceFile("t.ts", text, ts.ScriptTarget.Latest, true);
}

function findAll<T extends ts.Node>(file: ts.SourceFile, match: (node: ts.Node) => node is T): T[] {
  const found: T[] = [];
  const visit = (node: ts.Node): void => {
    if (match(node)) found.push(node);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function find<T extends ts.Node>(file: ts.SourceFile, match: (node: ts.Node) => node is T, nth = 0): T {
  const found = findAll(file, match);
  assert.ok(found[nth], "no such node");
  return found[nth];
}

/** Whether the then-branch of the first `if` in `code` always exits. */
function thenExits(code: string): boolean {
  return alwaysExits(find(parse(code), ts.isIfStatement).thenStatement);
}

/** What the condition of the `if` (or `?:`) that tests `max` decides about the call `write()`. */
function decidesWrite(code: string): boolean | undefined {
  const file = parse(code);
  const write = find(file, (n): n is ts.CallExpression => ts.isCallExpression(n) && n.expression.getText() === "write");
  const condition = find(
    file,
    (n): n is ts.Expression =>
      !!n.parent &&
      ((ts.isIfStatement(n.parent) && n.parent.expression === n) || (ts.isConditionalExpression(n.parent) && n.parent.condition === n)) &&
      /\bmax\b/.test(n.getText()),
  );
  return decidedBy(condition, write);
}

test("alwaysExits: jumps, throws and process.exit on every path", () => {
  assert.equal(thenExits("function f() { if (a) return; }"), true);
  assert.equal(thenExits("function f() { if (a) { log(); throw new Error(); } }"), true);
  assert.equal(thenExits("function f() { for (;;) { if (a) continue; } }"), true);
  assert.equal(thenExits("function f() { if (a) process.exit(1); }"), true);
  assert.equal(thenExits("function f() { if (a) { if (b) return; else throw e; } }"), true);
});

test("alwaysExits: shapes the statement-list reading missed (switch, infinite loop, try whose catch cannot run)", () => {
  assert.equal(thenExits('function f(p) { if (a) { switch (p) { case "x": return 1; default: throw e; } } }'), true);
  assert.equal(thenExits("function f() { if (a) { for (;;) { return; } } }"), true);
  assert.equal(thenExits("function f() { if (a) { try { return; } finally { cleanup(); } } }"), true);
});

test("alwaysExits: branches that can complete are not exits", () => {
  assert.equal(thenExits("function f() { if (a) log(); }"), false);
  assert.equal(thenExits("function f() { if (a) { if (b) return; } }"), false);
  assert.equal(thenExits("function f() { if (a) { try { throw e; } catch { recover(); } } }"), false);
  assert.equal(thenExits('function f(p) { if (a) { switch (p) { case "x": return 1; } } }'), false);
  assert.equal(thenExits("function f() { if (a) { while (more()) { return; } } }"), false);
  assert.equal(alwaysExits(undefined), false);
  // Unreachable code is not an exit: nothing runs there.
  assert.equal(thenExits("function f() { return; if (a) return; }"), false);
});

test("decidedBy: branches, the right side of && and the code after a guard", () => {
  assert.equal(decidesWrite("function f() { if (n < max) write(); }"), true);
  assert.equal(decidesWrite("function f() { if (n < max) {} else write(); }"), false);
  assert.equal(decidesWrite("function f() { if (n >= max) throw e; write(); }"), false);
  assert.equal(decidesWrite("function f() { if (!(n < max)) return; write(); }"), false);
  assert.equal(decidesWrite("function f() { if (n >= max && strict) throw e; write(); }"), false);
  assert.equal(decidesWrite("function f() { if (n >= max || closed) throw e; write(); }"), false);
  assert.equal(decidesWrite("function f() { const x = n < max ? write() : 0; }"), true);
  // A guard nested in a branch ends every path through it.
  assert.equal(decidesWrite("function f() { if (isOwner) { if (n >= max) throw e; } write(); }"), false);
  // In a loop, `continue` decides the rest of the iteration.
  assert.equal(decidesWrite("function f() { for (const x of xs) { if (n >= max) continue; write(); } }"), false);
});

test("decidedBy: what a guard's path does not decide", () => {
  // Both branches complete: the write runs either way.
  assert.equal(decidesWrite("function f() { if (n >= max) log(); write(); }"), undefined);
  // The catch takes the throw and goes on to the write.
  assert.equal(decidesWrite("function f() { try { if (n >= max) throw e; } catch {} write(); }"), undefined);
  // Before the condition.
  assert.equal(decidesWrite("function f() { write(); if (n >= max) return; }"), undefined);
  // After a loop whose guard only skips one iteration.
  assert.equal(decidesWrite("function f() { for (const x of xs) { if (n >= max) continue; } write(); }"), undefined);
  // A call in a nested function runs at another time.
  assert.equal(decidesWrite("function f() { if (n >= max) return; later(() => write()); }"), undefined);
});

/** The calls `name()` of `code`, in text order. */
function calls(file: ts.SourceFile, name: string): ts.CallExpression[] {
  return findAll(file, (n): n is ts.CallExpression => ts.isCallExpression(n) && n.expression.getText() === name);
}

function runsAfter(code: string): boolean {
  const file = parse(code);
  return mayRunAfter(calls(file, "first")[0]!, calls(file, "second")[0]!);
}

test("mayRunAfter: along paths, not by text order", () => {
  assert.equal(runsAfter("function f() { first(); second(); }"), true);
  assert.equal(runsAfter("function f() { if (a) first(); else log(); second(); }"), true);
  // The other branch of the same `if`: later in the text, never after.
  assert.equal(runsAfter("function f() { if (a) first(); else second(); }"), false);
  // After a return: unreachable from it.
  assert.equal(runsAfter("function f() { if (a) { first(); return; } second(); }"), false);
  // Earlier in a loop body: the next iteration runs it after.
  assert.equal(runsAfter("function f() { for (const x of xs) { second(); first(); } }"), true);
  assert.equal(runsAfter("function f() { second(); first(); }"), false);
  // A condition (kept on the edges it decides, not as an element) runs at the end of the block that tests it.
  const afterCondition = (code: string) => {
    const file = parse(code);
    const condition = find(file, (n): n is ts.Expression => !!n.parent && ts.isIfStatement(n.parent) && n.parent.expression === n);
    return mayRunAfter(calls(file, "first")[0]!, condition);
  };
  assert.equal(afterCondition("async function f() { const ok = await first(); if (!ok) return; }"), true);
  assert.equal(afterCondition("async function f() { if (!ok) return; await first(); }"), false);
  // A nested function counts where it is created.
  assert.equal(runsAfter("function f() { first(); p.finally(() => second()); }"), true);
  assert.equal(runsAfter("function f() { p.finally(() => second()); first(); }"), false);
});

function between(code: string): boolean {
  const file = parse(code);
  return runsBetween(calls(file, "read")[0]!, calls(file, "lock"), calls(file, "write")[0]!);
}

test("runsBetween: on every path from the read to the write", () => {
  assert.equal(between("async function f() { read(); await lock(); write(); }"), true);
  assert.equal(between("async function f() { read(); if (a) await lock(); else await lock(); write(); }"), true);
  // One branch only, before the read, or after the write: not between on every path.
  assert.equal(between("async function f() { read(); if (a) await lock(); write(); }"), false);
  assert.equal(between("async function f() { await lock(); read(); write(); }"), false);
  assert.equal(between("async function f() { read(); write(); await lock(); }"), false);
  // A lock whose failure is caught has not been taken on the path through the catch.
  assert.equal(between("async function f() { read(); try { await lock(); } catch {} write(); }"), false);
  // Read again in a loop after the lock: the last read is not followed by one.
  assert.equal(between("async function f() { for (;;) { await lock(); read(); if (a) break; } write(); }"), false);
});

test("runsBefore: on every path from the function's entry to the read", () => {
  const cases: Array<[string, boolean]> = [
    ["await lock(); read();", true],
    ["if (a) await lock(); else await lock(); read();", true],
    // Before the read in the text, but on one branch only, or caught when it fails.
    ["if (a) await lock(); read();", false],
    ["try { await lock(); } catch {} read();", false],
    // Later in a loop body: the first turn reads without it.
    ["for (const x of xs) { read(); await lock(); }", false],
    ["read(); await lock();", false],
  ];
  for (const [body, expected] of cases) {
    const file = parse(`async function f() { ${body} }`);
    assert.equal(runsBefore(calls(file, "lock"), calls(file, "read")[0]!), expected, body);
  }
});

test("mayRunBetween: some path from the read through the other write to this one, the read not run again", () => {
  const cases: Array<[string, boolean]> = [
    ["read(); other(); write();", true],
    ["read(); if (a) other(); write();", true],
    // The other branch of the `if` that holds the write: later in the text, never between.
    ["read(); if (a) { other(); } else { write(); }", false],
    ["read(); if (a) { write(); } else { other(); }", false],
    ["other(); read(); write();", false],
    ["read(); write(); other();", false],
    // Later in a loop body that reads again first: the next turn's write follows a fresh read.
    ["for (const x of xs) { read(); write(); other(); }", false],
    // A loop that does not read again: the next turn's write follows the other write.
    ["read(); for (const x of xs) { write(); other(); }", true],
  ];
  for (const [body, expected] of cases) {
    const file = parse(`async function f() { ${body} }`);
    assert.equal(mayRunBetween(calls(file, "read")[0]!, calls(file, "other"), calls(file, "write")[0]!), expected, body);
  }
});

test("runsBetweenAndReturn: on every path from the read to the function's normal end", () => {
  const cases: Array<[string, boolean]> = [
    ["read(); await lock(); change();", true],
    ["read(); if (a) await lock(); else await lock();", true],
    // One branch only, before the read, or a return that skips it.
    ["read(); if (a) await lock(); change();", false],
    ["await lock(); read(); change();", false],
    ["read(); if (a) return; await lock();", false],
    // A path that throws does not reach the end.
    ["read(); if (a) throw new Error(); await lock();", true],
  ];
  for (const [body, expected] of cases) {
    const file = parse(`async function f() { ${body} }`);
    assert.equal(runsBetweenAndReturn(calls(file, "read")[0]!, calls(file, "lock")), expected, body);
  }
});

test("mayRunBetween from a condition: work on some path from the check to the write, the check not made again", () => {
  const cases: Array<[string, boolean]> = [
    ["if (done) return; await other(); write();", true],
    // Work before the check, or on the guard's branch that leaves: not between.
    ["await other(); if (done) return; write();", false],
    ["if (done) { await other(); return; } write();", false],
    // A guard that goes on to the next row in a loop checks again before the write: the text order put it between.
    ["for (const x of xs) { if (done) { await other(); continue; } write(); }", false],
    ["for (const x of xs) { if (done) continue; await other(); write(); }", true],
    // Work after the write in a loop that does not check again: the next turn's write follows it.
    ["if (done) return; for (const x of xs) { write(); await other(); }", true],
  ];
  for (const [body, expected] of cases) {
    const file = parse(`async function f() { ${body} }`);
    const check = find(file, (n): n is ts.Identifier => ts.isIdentifier(n) && n.text === "done");
    assert.equal(mayRunBetween(check, calls(file, "other"), calls(file, "write")[0]!), expected, body);
  }
});

test("lastRunBefore: the assignments of a name that reach a use, along the paths to it", () => {
  /** The texts of the assignments to `x` (and its declaration) that ran last on the paths to `use(x)`; "none" for a path with none. */
  const reaching = (body: string): string[] | undefined => {
    const file = parse(`async function f() { ${body} }`);
    const definitions = findAll(
      file,
      (n): n is ts.Node =>
        (ts.isVariableDeclaration(n) && n.name.getText() === "x") ||
        (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && n.left.getText() === "x"),
    );
    const last = lastRunBefore(definitions, calls(file, "use")[0]!);
    return last && [...last].map((n) => (n ? n.getText() : "none")).sort();
  };
  assert.deepEqual(reaching("let x = 1; x = 2; use(x);"), ["x = 2"]);
  // A guard branch that assigns and returns does not reach the code after it; text order took it as the last one.
  assert.deepEqual(reaching("let x = 1; if (a) { x = 2; return; } use(x);"), ["x = 1"]);
  assert.deepEqual(reaching("let x = 1; if (a) { x = 2; throw new Error(); } use(x);"), ["x = 1"]);
  // One branch of an `if`, or both.
  assert.deepEqual(reaching("let x = 1; if (a) x = 2; use(x);"), ["x = 1", "x = 2"]);
  assert.deepEqual(reaching("let x; if (a) x = 2; else x = 3; use(x);"), ["x = 2", "x = 3"]);
  // Later in a loop body: reaches the next turn's use.
  assert.deepEqual(reaching("let x = 1; for (const y of ys) { use(x); x = y; }"), ["x = 1", "x = y"]);
  // In a try whose catch falls through: the value before the call that threw also reaches.
  assert.deepEqual(reaching("let x = 1; try { x = await load(); } catch { } use(x);"), ["x = 1", "x = await load()"]);
  // No assignment on some path: "none".
  assert.deepEqual(reaching("if (a) { var x = 2; } use(x);"), ["none", "x = 2"]);
  // An assignment in a callback counts where the callback is created.
  assert.deepEqual(reaching("let x = 1; items.forEach((i) => { x = i; }); use(x);"), ["(i) => { x = i; }"]);
  // A use no path reaches.
  assert.equal(reaching("let x = 1; return; use(x);"), undefined);
});

/** Whether the call `claim()` in `code` is checked before the call `read()` (or, with no `read()`, before the end). */
function checked(code: string): boolean {
  const file = parse(code);
  const call = (name: string) => findAll(file, (n): n is ts.CallExpression => ts.isCallExpression(n) && n.expression.getText() === name)[0];
  return checkedBeforeGoingOn(call("claim")!, call("read"));
}

test("checkedBeforeGoingOn: the result tested on every path, one outcome leaving, the other going on", () => {
  assert.equal(checked("async function f() { const r = await claim(); if (r.count === 0) throw new Error(); await read(); }"), true);
  assert.equal(checked("async function f() { if ((await claim()).count !== 1) return; await read(); }"), true);
  // Not the next statement: a log line between the claim and its test (the statement-list reading said no).
  assert.equal(checked("async function f() { const r = await claim(); log(r); if (!r.count) return; await read(); }"), true);
  assert.equal(checked("async function f() { const r = await claim(); if (r.count > 0) { await read(); } else return; }"), true);
  // Without a target: before the function ends normally.
  assert.equal(checked("async function f() { const r = await claim(); if (r.count === 0) throw new Error(); await other(); }"), true);
});

test("checkedBeforeGoingOn: a test on one path only, after the node, or whose leaving branch reaches it", () => {
  assert.equal(checked("async function f(x) { const r = await claim(); if (x) { if (r.count === 0) return; } await read(); }"), false);
  assert.equal(checked("async function f() { const r = await claim(); await read(); if (r.count === 0) return; }"), false);
  assert.equal(checked("async function f() { const r = await claim(); if (r.count === 0) log(); await read(); }"), false);
  // The statement after the claim tests it and its branch breaks: out of the loop, on to the read (text said checked).
  assert.equal(
    checked("async function f() { do { const r = await claim(); if (r.count === 0) break; } while (false); await read(); }"),
    false,
  );
  assert.equal(checked("async function f(x) { const r = await claim(); if (x.count === 0) return; await read(); }"), false);
  assert.equal(checked("async function f() { await claim(); await read(); }"), false);
});
