// The correlated solver of server/src/analysis/flow/correlated.ts against brute force, on 200 random small functions
// (fixed seeds) that test one `const k` in several places (`if (k)`, `if (!k)`, `k && a()`) among other branches and
// loops: at every `b()`, "a() ran on every path to here" (MUST) and "on some path" (MAY) must equal what enumerating
// the paths from entry says, counting only paths on which every test of `k` has the same outcome (for k true, then
// for k false). The enumeration takes each edge at most twice, as in dataflow-property.test.ts: a path stays feasible
// when a cycle is dropped (it tests `k` no more than before), so the same argument holds for each value of `k`.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../../server/src/engine/ts";
import { flowGraphOf, type FlowBlock, type FlowEdge, type FlowGraph } from "../../../server/src/analysis/flow/cfg";
import { solveForwardCorrelated } from "../../../server/src/analysis/flow/correlated";
import { solveForward } from "../../../server/src/analysis/flow/dataflow";
import { random as mulberry32 } from "../../reliability/fuzz";

class Generator {
  constructor(private readonly random: () => number) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  block(depth: number, inLoop: boolean): string {
    const count = 1 + Math.floor(this.random() * (depth === 0 ? 4 : 2));
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(this.statement(depth, inLoop));
    return out.join(" ");
  }

  private statement(depth: number, inLoop: boolean): string {
    const leaves = ["a();", "b();", "b();", "k && a();", "!k && b();", "c() ? a() : b();", "return;"];
    if (inLoop) leaves.push("break;", "continue;");
    if (depth >= 3 || this.random() < 0.4) return this.pick(leaves);
    const inner = (loop = inLoop): string => this.block(depth + 1, loop);
    switch (this.pick(["if-k", "if-k", "if-not-k", "if", "while", "try-finally"])) {
      case "if-k":
        return `if (k) { ${inner()} } else { ${inner()} }`;
      case "if-not-k":
        return `if (!k) { ${inner()} }`;
      case "if":
        return `if (c()) { ${inner()} } else { ${inner()} }`;
      case "while":
        return `while (c()) { ${inner(true)} }`;
      default:
        return `try { ${inner()} } finally { ${inner()} }`;
    }
  }
}

function isCallOf(node: ts.Node, name: string): boolean {
  return ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === name;
}

/** The outcome of `k` an edge needs, if it tests `k` (or `!k`). */
function needsK(edge: FlowEdge): boolean | undefined {
  if ((edge.kind !== "true" && edge.kind !== "false") || !edge.condition) return undefined;
  let node: ts.Expression = edge.condition;
  let negated = false;
  while (ts.isParenthesizedExpression(node) || (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken)) {
    if (ts.isPrefixUnaryExpression(node)) negated = !negated;
    node = ts.isParenthesizedExpression(node) ? node.expression : (node as ts.PrefixUnaryExpression).operand;
  }
  if (!ts.isIdentifier(node) || node.text !== "k") return undefined;
  return (edge.kind === "true") !== negated;
}

interface Truth {
  must: Map<ts.Node, boolean>;
  may: Map<ts.Node, boolean>;
  reached: Set<ts.Node>;
  complete: boolean;
}

const STEP_BUDGET = 200_000;

function enumerate(graph: FlowGraph): Truth {
  const truth: Truth = { must: new Map(), may: new Map(), reached: new Set(), complete: true };
  let steps = 0;
  for (const k of [true, false]) {
    const used = new Map<unknown, number>();
    const walk = (block: FlowBlock, ran: boolean): void => {
      if (++steps > STEP_BUDGET) {
        truth.complete = false;
        return;
      }
      for (const element of block.elements) {
        truth.reached.add(element);
        if (isCallOf(element, "b")) {
          truth.must.set(element, (truth.must.get(element) ?? true) && ran);
          truth.may.set(element, (truth.may.get(element) ?? false) || ran);
        }
        if (isCallOf(element, "a")) ran = true;
      }
      for (const edge of block.succ) {
        const needed = needsK(edge);
        if (needed !== undefined && needed !== k) continue;
        const times = used.get(edge) ?? 0;
        if (times === 2) continue;
        used.set(edge, times + 1);
        walk(edge.to, ran);
        used.set(edge, times);
      }
    };
    walk(graph.entry, false);
  }
  return truth;
}

const ranA = (join: (x: boolean, y: boolean) => boolean) => ({
  initial: false,
  join,
  equals: (x: boolean, y: boolean) => x === y,
  transfer: (element: ts.Node, ran: boolean) => ran || isCallOf(element, "a"),
});

function solve(graph: FlowGraph, join: (x: boolean, y: boolean) => boolean) {
  return solveForwardCorrelated<boolean>(graph, ranA(join));
}

describe("correlated dataflow: MUST / MAY against path enumeration with one const condition", () => {
  test("200 random functions", () => {
    let functions = 0;
    let skipped = 0;
    let checkedCalls = 0;
    let sharper = 0;
    for (let seed = 1; functions < 200; seed++) {
      const body = new Generator(mulberry32(seed)).block(0, false);
      const file = ts.createSourceFile("t.ts", `function f() { const k = c(); ${body} }`, ts.ScriptTarget.Latest, true);
      const graph = flowGraphOf(file.statements[0] as ts.FunctionDeclaration);
      const truth = enumerate(graph);
      if (!truth.complete) {
        skipped++;
        continue;
      }
      functions++;
      const must = solve(graph, (x, y) => x && y);
      const may = solve(graph, (x, y) => x || y);
      const uncorrelated = solveForward<boolean>(
        graph,
        ranA((x, y) => x && y),
      );
      assert.ok(must.converged && may.converged);
      const where = `seed ${seed}: ${body}`;
      for (const block of graph.blocks)
        for (const element of block.elements)
          assert.equal(must.before(element) !== undefined, truth.reached.has(element), `${element.getText()} reachability, ${where}`);
      for (const [call, expected] of truth.must) {
        assert.equal(must.before(call), expected, `MUST at b() ${call.pos}, ${where}`);
        assert.equal(may.before(call), truth.may.get(call), `MAY at b() ${call.pos}, ${where}`);
        checkedCalls++;
        if (expected && !uncorrelated.before(call)) sharper++;
      }
    }
    assert.ok(skipped <= 20, `${skipped} functions too big to enumerate`);
    assert.ok(checkedCalls > 300, `only ${checkedCalls} b() calls checked`);
    // The correlation matters: some b() have a() on every feasible path, not on every path.
    assert.ok(sharper > 10, `only ${sharper} b() calls where the correlation changes MUST`);
  });

  test("beforeToward: a lock taken under `if (k)` is held, toward a write under `if (k)`, at a read between them", () => {
    const source = "function f() { const k = c(); if (k) { a(); } read(); if (k) { write(); } }";
    const file = ts.createSourceFile("t.ts", source, ts.ScriptTarget.Latest, true);
    const fn = file.statements[0] as ts.FunctionDeclaration;
    const graph = flowGraphOf(fn);
    const find = (name: string): ts.Node => {
      let found: ts.Node | undefined;
      const visit = (node: ts.Node): void => {
        if (isCallOf(node, name)) found = node;
        ts.forEachChild(node, visit);
      };
      visit(fn);
      return found!;
    };
    const must = solve(graph, (x, y) => x && y);
    assert.equal(must.before(find("read")), false, "not on the path where k is false");
    assert.equal(must.beforeToward(find("read"), find("write")), true, "on every path from the read that reaches the write");
    assert.equal(must.before(find("write")), true);
  });

  test("a const declared in a loop body is a new value each turn", () => {
    const source = "function f() { while (c()) { const k = c(); if (k) { a(); } if (k) { b(); } if (!k) { b(); } } }";
    const file = ts.createSourceFile("t.ts", source, ts.ScriptTarget.Latest, true);
    const graph = flowGraphOf(file.statements[0] as ts.FunctionDeclaration);
    const truth = enumerate(graph);
    const must = solve(graph, (x, y) => x && y);
    for (const [call, expected] of truth.must) assert.equal(must.before(call), expected, call.getText());
    assert.deepEqual([...truth.must.values()], [true, false]);
  });
});
