// The forward solver of server/src/analysis/flow/dataflow.ts against brute force, on 300 random small functions
// (fixed seeds): at every `b()`, "a() ran on every path to here" (MUST, join = AND) and "on some path" (MAY, join = OR)
// must equal what enumerating the CFG's paths from entry says, and the solver must give a state to exactly the
// elements and blocks some path reaches.
//
// The enumeration takes each edge at most twice. That is enough for these one-bit facts: a path to a point without
// a() can drop its cycles and stay without a(), so simple paths (each edge once) decide MUST; and when some path runs
// a() before the point, a simple path to a() followed by a simple path from a() to the point does too, which uses
// each edge at most twice. Reachability needs only simple paths.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../../server/src/engine/ts";
import { flowGraphOf, type FlowBlock, type FlowGraph } from "../../../server/src/analysis/flow/cfg";
import { solveForward } from "../../../server/src/analysis/flow/dataflow";
import { random as mulberry32 } from "../../reliability/fuzz";

/** Random function bodies: nesting depth at most 3, a few statements per block. */
class Generator {
  private labels = 0;
  constructor(private readonly random: () => number) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  /** `loops`: labels of the enclosing loops ("" for an unlabelled one), innermost last. */
  block(depth: number, loops: readonly string[]): string {
    // Fewer statements deeper down keep the path enumeration small.
    const count = 1 + Math.floor(this.random() * (depth === 0 ? 3 : 2));
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(this.statement(depth, loops));
    return out.join(" ");
  }

  private statement(depth: number, loops: readonly string[]): string {
    const leaves = ["a();", "b();", "b();", "x && a();", "o?.a();", "c() ? a() : b();", "return;", "throw e;"];
    if (loops.length > 0) leaves.push("break;", "continue;");
    for (const label of loops) if (label) leaves.push(`break ${label};`, `continue ${label};`);
    if (depth >= 3 || this.random() < 0.45) return this.pick(leaves);
    const inner = (withLoop?: string): string => this.block(depth + 1, withLoop === undefined ? loops : [...loops, withLoop]);
    switch (this.pick(["if", "if", "while", "do", "labelled", "try-catch", "try-finally", "try-catch-finally"])) {
      case "if":
        return `if (c()) { ${inner()} } else { ${inner()} }`;
      case "while":
        return `while (c()) { ${inner("")} }`;
      case "do":
        return `do { ${inner("")} } while (c());`;
      case "labelled": {
        const label = `L${this.labels++}`;
        return `${label}: while (c()) { ${inner(label)} }`;
      }
      case "try-catch":
        return `try { ${inner()} } catch { ${inner()} }`;
      case "try-finally":
        return `try { ${inner()} } finally { ${inner()} }`;
      default:
        return `try { ${inner()} } catch { ${inner()} } finally { ${inner()} }`;
    }
  }
}

function isCallOf(node: ts.Node, name: string): boolean {
  return ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === name;
}

interface Truth {
  must: Map<ts.Node, boolean>;
  may: Map<ts.Node, boolean>;
  reachedElements: Set<ts.Node>;
  reachedBlocks: Set<FlowBlock>;
  /** False when the enumeration hit its step budget (the function is then skipped). */
  complete: boolean;
}

const STEP_BUDGET = 200_000;

/** Every path from entry with each edge taken at most twice, carrying "a() has run". */
function enumerate(graph: FlowGraph): Truth {
  const truth: Truth = { must: new Map(), may: new Map(), reachedElements: new Set(), reachedBlocks: new Set(), complete: true };
  const used = new Map<unknown, number>();
  let steps = 0;
  const walk = (block: FlowBlock, ran: boolean): void => {
    if (++steps > STEP_BUDGET) {
      truth.complete = false;
      return;
    }
    truth.reachedBlocks.add(block);
    for (const element of block.elements) {
      truth.reachedElements.add(element);
      if (isCallOf(element, "b")) {
        truth.must.set(element, (truth.must.get(element) ?? true) && ran);
        truth.may.set(element, (truth.may.get(element) ?? false) || ran);
      }
      if (isCallOf(element, "a")) ran = true;
    }
    for (const edge of block.succ) {
      const times = used.get(edge) ?? 0;
      if (times === 2) continue;
      used.set(edge, times + 1);
      walk(edge.to, ran);
      used.set(edge, times);
    }
  };
  walk(graph.entry, false);
  return truth;
}

function solve(graph: FlowGraph, join: (x: boolean, y: boolean) => boolean) {
  return solveForward<boolean>(graph, {
    initial: false,
    join,
    equals: (x, y) => x === y,
    transfer: (element, ran) => ran || isCallOf(element, "a"),
  });
}

describe("dataflow: MUST / MAY against path enumeration", () => {
  test("300 random functions", () => {
    let functions = 0;
    let skipped = 0;
    let checkedCalls = 0;
    // Seeds from 1 on until 300 functions were checked; the few too big to enumerate are skipped (and counted).
    for (let seed = 1; functions < 300; seed++) {
      const body = new Generator(mulberry32(seed)).block(0, []);
      const file = ts.createSourceFile("t.ts", `function f() { ${body} }`, ts.ScriptTarget.Latest, true);
      const fn = file.statements[0] as ts.FunctionDeclaration;
      const graph = flowGraphOf(fn);
      const truth = enumerate(graph);
      if (!truth.complete) {
        skipped++;
        continue;
      }
      functions++;
      const must = solve(graph, (x, y) => x && y);
      const may = solve(graph, (x, y) => x || y);
      assert.ok(must.converged && may.converged);
      const where = `seed ${seed}: ${body}`;

      for (const block of graph.blocks) {
        assert.equal(must.blockIn(block) !== undefined, truth.reachedBlocks.has(block), `block ${block.id} reachability, ${where}`);
        for (const element of block.elements) {
          assert.equal(
            must.before(element) !== undefined,
            truth.reachedElements.has(element),
            `${element.getText()} reachability, ${where}`,
          );
        }
      }
      for (const [call, expected] of truth.must) {
        assert.equal(must.before(call), expected, `MUST at b() ${call.pos}, ${where}`);
        assert.equal(may.before(call), truth.may.get(call), `MAY at b() ${call.pos}, ${where}`);
        checkedCalls++;
      }
      assert.equal(must.atExit !== undefined, truth.reachedBlocks.has(graph.exit), where);
      assert.equal(must.atThrowExit !== undefined, truth.reachedBlocks.has(graph.throwExit), where);
    }
    if (process.env.FLOW_STATS) console.log({ functions, skipped, checkedCalls });
    assert.ok(skipped <= 30, `${skipped} functions too big to enumerate`);
    assert.ok(checkedCalls > 300, `only ${checkedCalls} b() calls checked`);
  });

  test("before/after of an element, and a non-converging lattice stops at the bound", () => {
    const file = ts.createSourceFile("t.ts", "function f() { while (c()) { a(); } b(); }", ts.ScriptTarget.Latest, true);
    const graph = flowGraphOf(file.statements[0] as ts.FunctionDeclaration);
    const a = (file.statements[0] as ts.FunctionDeclaration).body!.statements[0] as ts.WhileStatement;
    const call = ((a.statement as ts.Block).statements[0] as ts.ExpressionStatement).expression;
    const must = solve(graph, (x, y) => x && y);
    const may = solve(graph, (x, y) => x || y);
    assert.equal(must.before(call), false);
    assert.equal(must.after(call), true);
    assert.equal(must.atExit, false);
    assert.equal(may.before(call), true, "from the second iteration on");
    assert.equal(may.atExit, true);
    // Counting loop iterations never settles.
    const counting = solveForward<number>(graph, { initial: 0, join: Math.max, equals: (x, y) => x === y, transfer: (_e, n) => n + 1 });
    assert.equal(counting.converged, false);
    assert.ok(counting.atExit !== undefined);
  });
});
