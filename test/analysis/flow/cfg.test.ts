// The control-flow graphs of server/src/analysis/flow/cfg.ts, by their paths: for small functions, the elements met on
// every path from entry to exit (or to throwExit), one string per path, with each edge taken at most twice (a loop's
// test block is left by one edge per test, so a while loop shows as zero or one iteration). Plus edge kinds, finally copies, elementAt and nested functions.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../../server/src/engine/ts";
import { elementAt, flowGraphOf, type FlowBlock, type FlowGraph } from "../../../server/src/analysis/flow/cfg";
import { solveForward } from "../../../server/src/analysis/flow/dataflow";
import { isFunctionLike, type FunctionLike } from "../../../server/src/analysis/node-index";

function parse(text: string): ts.SourceFile {
  return ts.createSourceFile("t.ts", text, ts.ScriptTarget.Latest, true);
}

function firstFunction(node: ts.Node): FunctionLike | undefined {
  if (isFunctionLike(node)) return node;
  return ts.forEachChild(node, firstFunction);
}

/** The graph of the first function in `text`, or of the file's top level when it has none. */
function graphOf(text: string): FlowGraph {
  const file = parse(text);
  return flowGraphOf(firstFunction(file) ?? file);
}

/** A short text per element: calls as written, `x=` for declarations and assignments, `fn` for nested functions. */
function label(node: ts.Node): string {
  if (ts.isReturnStatement(node)) return "return";
  if (ts.isThrowStatement(node)) return "throw";
  if (ts.isVariableDeclaration(node)) return `${node.name.getText()}=`;
  if (ts.isBinaryExpression(node)) return `${node.left.getText()}${node.operatorToken.getText()}`;
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return "fn";
  if (ts.isClassLike(node)) return "class";
  return node.getText();
}

/** Element texts on every path from entry to `target`, each edge at most twice; sorted, without duplicates. */
function pathsIn(graph: FlowGraph, target: FlowBlock): string[] {
  const out = new Set<string>();
  const used = new Map<unknown, number>();
  const walk = (block: FlowBlock, trail: string[]): void => {
    // Jumps are elements too (their own test below); the path strings leave them out.
    const here = [...trail, ...block.elements.filter((e) => !ts.isBreakOrContinueStatement(e)).map(label)];
    if (block === target) out.add(here.join(" "));
    for (const edge of block.succ) {
      const times = used.get(edge) ?? 0;
      if (times === 2) continue;
      used.set(edge, times + 1);
      walk(edge.to, here);
      used.set(edge, times);
    }
  };
  walk(graph.entry, []);
  return [...out].sort();
}

const paths = (text: string): string[] => {
  const graph = graphOf(text);
  return pathsIn(graph, graph.exit);
};
const throwPaths = (text: string): string[] => {
  const graph = graphOf(text);
  return pathsIn(graph, graph.throwExit);
};

/** The first node of `kind`-ish whose text is `text`. */
function find(root: ts.Node, text: string): ts.Node {
  let found: ts.Node | undefined;
  const go = (node: ts.Node): void => {
    if (found) return;
    if (node.getText() === text && !ts.isExpressionStatement(node)) found = node;
    else ts.forEachChild(node, go);
  };
  go(root);
  assert.ok(found, `no node ${text}`);
  return found;
}

describe("cfg: statements", () => {
  test("sequence, if and return (the brief's example)", () => {
    assert.deepEqual(paths("function f(){ a(); if (c()) return; b(); }"), ["a() c() b()", "a() c() return"]);
  });

  test("if/else", () => {
    assert.deepEqual(paths("function f(){ a(); if (c()) b(); else d(); e(); }"), ["a() c() b() e()", "a() c() d() e()"]);
  });

  test("declarations and assignments come after their right side", () => {
    assert.deepEqual(paths("function f(){ const x = a(b()); y = c(); z += 1; let w; }"), ["b() a(b()) x= c() y= z+= w="]);
  });

  test("conditional expression", () => {
    assert.deepEqual(paths("function f(){ x = c() ? a() : b(); }"), ["c() a() x=", "c() b() x="]);
  });

  test("&&, || and ?? evaluate their right side on one path only", () => {
    assert.deepEqual(paths("function f(){ c() && a(); b(); }"), ["c() a() b()", "c() b()"]);
    assert.deepEqual(paths("function f(){ c() || a(); b(); }"), ["c() a() b()", "c() b()"]);
    assert.deepEqual(paths("function f(){ c() ?? a(); b(); }"), ["c() a() b()", "c() b()"]);
    assert.deepEqual(paths("function f(){ x ??= a(); }"), ["", "a() x??="]);
    assert.deepEqual(paths("function f(){ x ||= a(); }"), ["", "a() x||="]);
  });

  test("a condition made of && and || branches straight to the right statement", () => {
    assert.deepEqual(paths("function f(){ if (a() && b()) x(); }"), ["a()", "a() b()", "a() b() x()"]);
    assert.deepEqual(paths("function f(){ if (a() || b()) x(); }"), ["a() b()", "a() b() x()", "a() x()"]);
    assert.deepEqual(paths("function f(){ if (!a()) x(); else y(); }"), ["a() x()", "a() y()"]);
  });

  test("optional chaining skips the call (and its arguments) when the receiver is nullish", () => {
    assert.deepEqual(paths("function f(){ o?.m(a()); b(); }"), ["a() o?.m(a()) b()", "b()"]);
    assert.deepEqual(paths("function f(){ o.p?.q.m(); b(); }"), ["b()", "o.p?.q.m() b()"]);
    assert.deepEqual(paths("function f(){ g()?.(); }"), ["g()", "g() g()?.()"]);
  });

  test("while with break and continue", () => {
    assert.deepEqual(paths("function f(){ while (c()) { if (d()) break; a(); } b(); }"), [
      "c() b()",
      "c() d() a() c() b()",
      "c() d() a() c() d() b()",
      "c() d() b()",
    ]);
    assert.deepEqual(paths("function f(){ while (c()) { if (d()) continue; a(); } b(); }"), [
      "c() b()",
      "c() d() a() c() b()",
      "c() d() c() b()",
    ]);
  });

  test("while (true) leaves only by break", () => {
    assert.deepEqual(paths("function f(){ while (true) { if (d()) break; a(); } b(); }"), ["d() a() d() b()", "d() b()"]);
  });

  test("do-while runs its body at least once", () => {
    assert.deepEqual(paths("function f(){ do { a(); } while (c()); b(); }"), ["a() c() a() c() b()", "a() c() b()"]);
  });

  test("for: initializer, condition, body, incrementor", () => {
    assert.deepEqual(paths("function f(){ for (let i = z(); c(); i = n()) a(); b(); }"), [
      "z() i= c() a() n() i= c() b()",
      "z() i= c() b()",
    ]);
    assert.deepEqual(paths("function f(){ for (;;) { if (c()) break; } b(); }"), ["c() b()", "c() c() b()"]);
  });

  test("for-of and for-in may run zero times; the loop variable is assigned per item", () => {
    assert.deepEqual(paths("function f(){ for (const x of xs()) a(x); b(); }"), [
      "xs() b()",
      "xs() x= a(x) b()",
      "xs() x= a(x) x= a(x) b()",
    ]);
    assert.deepEqual(paths("function f(){ for (const k in o) a(k); }"), ["", "k= a(k)", "k= a(k) k= a(k)"]);
  });

  test("logging calls are taken not to throw: no exception edge, they do not end their block", () => {
    assert.deepEqual(throwPaths("function f(){ try { a(); console.debug(x); this.logger.info(y); } catch { c(); } }"), ["a() c()"]);
    assert.deepEqual(throwPaths("function f(){ a(); log.warn(x); audit.warn(y); }"), ["a()", "a() log.warn(x) audit.warn(y)"]);
  });

  test("break and continue are elements that end their block, with the edge of their jump", () => {
    const graph = graphOf("function f(){ while (c()) { if (d()) break; a(); } b(); }");
    const brk = graph.blocks.find((b) => b.elements.some((e) => ts.isBreakStatement(e)))!;
    assert.equal(brk.elements.length, 1);
    assert.deepEqual(
      brk.succ.map((e) => `${e.kind}:${e.to.elements.map(label).join(",")}`),
      ["normal:b()"],
    );
  });

  test("labelled break and continue", () => {
    const text = "function f(){ outer: while (c()) { while (d()) { if (e()) break outer; if (g()) continue outer; a(); } } b(); }";
    const all = paths(text);
    assert.ok(all.includes("c() d() e() b()"), "break outer leaves both loops");
    assert.ok(all.includes("c() d() e() g() c() b()"), "continue outer goes to the outer test");
    assert.ok(all.includes("c() d() e() g() a() d() c() b()"), "the inner loop ends into the outer one");
    assert.deepEqual(paths("function f(){ l: { a(); if (c()) break l; b(); } d(); }"), ["a() c() b() d()", "a() c() d()"]);
  });

  test("switch: tests in order, fall-through, default anywhere", () => {
    const text = "function f(){ switch (k()) { case 1: a(); case t(): b(); break; default: d(); case 3: e(); } f(); }";
    assert.deepEqual(paths(text), ["k() a() b() f()", "k() t() b() f()", "k() t() d() e() f()", "k() t() e() f()"]);
    assert.deepEqual(paths("function f(){ switch (k()) { case 1: a(); } b(); }"), ["k() a() b()", "k() b()"]);
  });

  test("throw goes to throwExit; calls may throw too", () => {
    const text = "function f(){ if (c()) throw e; a(); }";
    assert.deepEqual(paths(text), ["c() a()"]);
    assert.deepEqual(throwPaths(text), ["c()", "c() a()", "c() throw"]);
  });

  test("process.exit never returns: it goes to exit, and what follows is unreachable", () => {
    assert.deepEqual(paths("function f(){ if (c()) { process.exit(1); a(); } b(); }"), ["c() b()", "c() process.exit(1)"]);
  });

  test("a call of a function or method of the file declared to return never only throws", () => {
    const fail = "function fail(m: string): never { throw new Error(m); }";
    assert.deepEqual(paths(`function f(){ if (c()) { fail("x"); a(); } b(); } ${fail}`), ["c() b()"]);
    assert.deepEqual(throwPaths(`function f(){ if (c()) { fail("x"); a(); } b(); } ${fail}`), ["c()", "c() b()", 'c() fail("x")']);
    const method = "class K { m(){ if (c()) this.no(); b(); } no(): never { throw 1; } }";
    assert.deepEqual(paths(method), ["c() b()"]);
    // Declared to return void: it returns.
    assert.deepEqual(paths(`function f(){ if (c()) { warn(); } b(); } function warn(): void {}`), ["c() b()", "c() warn() b()"]);
  });

  test("the top level of a file; function declarations are hoisted, class declarations are elements", () => {
    const file = parse("a(); function g(){ b(); } class K {} c();");
    assert.deepEqual(pathsIn(flowGraphOf(file), flowGraphOf(file).exit), ["a() class c()"]);
  });

  test("await and yield are elements that may throw", () => {
    const text = "async function f(){ const x = await a(); b(x); }";
    assert.deepEqual(paths(text), ["a() await a() x= b(x)"]);
    assert.deepEqual(throwPaths(text), ["a()", "a() await a()", "a() await a() x= b(x)"]);
    assert.deepEqual(paths("function* f(){ yield a(); }"), ["a() yield a()"]);
  });

  test("an arrow's concise body and parameter defaults", () => {
    assert.deepEqual(paths("const f = (p = d()) => a(p) + b();"), ["d() a(p) b()"]);
  });
});

describe("cfg: try / catch / finally", () => {
  test("normal completion and a caught throw both run the finally, then go on", () => {
    const text = "function f(){ try { a(); } catch (e) { h(); } finally { g(); } b(); }";
    assert.deepEqual(paths(text), ["a() e= h() g() b()", "a() g() b()"]);
    assert.deepEqual(throwPaths(text), ["a() e= h() g()", "a() e= h() g() b()", "a() g()", "a() g() b()"]);
  });

  test("return inside try runs the finally before leaving", () => {
    const text = "function f(){ try { a(); return; } finally { g(); } b(); }";
    assert.deepEqual(paths(text), ["a() return g()"]);
    assert.deepEqual(throwPaths(text), ["a() g()", "a() return g()"]);
    // One copy per exit kind: the throw, the return and the (unreachable) normal completion.
    const graph = graphOf(text);
    const g = find(graph.root, "g()");
    assert.equal(graph.occurrences(g).length, 3);
    const solution = solveForward(graph, { initial: true, join: (x) => x, equals: (x, y) => x === y, transfer: (_n, s) => s });
    const reachable = graph.occurrences(g).filter(({ block }) => solution.blockIn(block) !== undefined);
    assert.equal(reachable.length, 2);
  });

  test("throw inside try without catch: finally, then on to throwExit", () => {
    const text = "function f(){ try { throw e; } finally { g(); } }";
    assert.deepEqual(paths(text), []);
    assert.deepEqual(throwPaths(text), ["throw g()"]);
  });

  test("break and continue out of a loop through finally", () => {
    const brk = paths("function f(){ while (c()) { try { if (d()) break; a(); } finally { g(); } } b(); }");
    assert.ok(brk.includes("c() d() g() b()"), brk.join(" | "));
    assert.ok(brk.includes("c() d() a() g() c() b()"), brk.join(" | "));
    const cont = paths("function f(){ while (c()) { try { if (d()) continue; a(); } finally { g(); } } b(); }");
    assert.ok(cont.includes("c() d() g() c() b()"), cont.join(" | "));
    assert.ok(!cont.some((p) => p.includes("d() b()")), "continue never skips the finally");
  });

  test("nested finallys run innermost first", () => {
    assert.deepEqual(paths("function f(){ try { try { return; } finally { g(); } } finally { h(); } }"), ["return g() h()"]);
  });

  test("a throw in catch goes to the finally, not back to the catch", () => {
    assert.deepEqual(throwPaths("function f(){ try { a(); } catch { throw e; } finally { g(); } }"), ["a() g()", "a() throw g()"]);
  });

  test("a return in finally overrides the throw", () => {
    const text = "function f(){ try { throw e; } finally { return; } }";
    assert.deepEqual(paths(text), ["throw return"]);
    assert.deepEqual(throwPaths(text), []);
  });
});

describe("cfg: edges, nested functions, elementAt", () => {
  test("branches are true/false edges naming their condition; throwing elements end their block", () => {
    const graph = graphOf("function f(){ if (!c()) a(); }");
    const c = find(graph.root, "c()");
    const [{ block }] = graph.occurrences(c);
    assert.equal(block.elements.at(-1), c);
    assert.deepEqual(
      block.succ.map((e) => e.kind),
      ["exception", "normal"],
    );
    assert.equal(block.succ[0].to, graph.throwExit);
    const branch = block.succ[1].to;
    const kinds = branch.succ.map((e) => `${e.kind}:${e.condition?.getText()}:${e.to.elements.map(label).join(",")}`);
    // `!c()`: the true edge of c() skips a().
    assert.deepEqual(kinds.sort(), ["false:c():a()", "true:c():"]);
  });

  test("?? and ?. edges say whether the value is there", () => {
    const graph = graphOf("function f(){ x ?? a(); }");
    const a = find(graph.root, "a()");
    const [{ block }] = graph.occurrences(a);
    assert.deepEqual(
      block.pred.map((e) => `${e.kind}:${e.condition?.getText()}`),
      ["false:x"],
    );
  });

  test("callbacks are single elements; their bodies are graphs of their own", () => {
    const text = "function f(){ xs.forEach((x) => { g(x); }); h(); }";
    assert.deepEqual(paths(text), ["fn xs.forEach((x) => { g(x); }) h()"]);
    const graph = graphOf(text);
    const arrow = find(graph.root, "(x) => { g(x); }") as ts.ArrowFunction;
    assert.deepEqual(pathsIn(flowGraphOf(arrow), flowGraphOf(arrow).exit), ["g(x)"]);
    assert.equal(flowGraphOf(arrow), flowGraphOf(arrow), "cached");
    assert.equal(elementAt(graph, find(arrow, "g(x)")), undefined);
    assert.equal(elementAt(graph, arrow), arrow);
    assert.equal(elementAt(flowGraphOf(arrow), find(arrow, "g")), find(arrow, "g(x)"));
  });

  test("elementAt: the nearest element around a node, or none", () => {
    const graph = graphOf("function f(){ const v = o.m(k); if (v) w(); }");
    const call = find(graph.root, "o.m(k)");
    assert.equal(elementAt(graph, find(graph.root, "k")), call);
    assert.equal(elementAt(graph, call), call);
    assert.ok(ts.isVariableDeclaration(elementAt(graph, find(graph.root, "v = o.m(k)"))!));
    assert.equal(elementAt(graph, (find(graph.root, "if (v) w();") as ts.IfStatement).expression), undefined);
  });

  test("unreachable code has blocks without preds and no dataflow state", () => {
    const graph = graphOf("function f(){ return; a(); }");
    const a = find(graph.root, "a()");
    assert.equal(graph.occurrences(a)[0].block.pred.length, 0);
    const solution = solveForward(graph, { initial: 0, join: Math.max, equals: (x, y) => x === y, transfer: (_n, s) => s + 1 });
    assert.equal(solution.before(a), undefined);
    assert.equal(solution.atExit, 1);
    assert.equal(solution.atThrowExit, undefined);
  });
});
