// Path questions that recognisers and rules ask about one function, answered on its control-flow graph rather than on
// the shape of the code: "does this statement ever complete normally?" (a guard's branch that returns, throws,
// breaks or continues on every path), "which outcome of this condition does this node run under?" (the code an
// `if` / `?:` / `&&` decides, including everything after a guard that leaves) and "can this run after that?" (some
// path from one to the other: what text order only approximates).
import { ts } from "../../engine/ts";
import { boundNames, enclosingFunction, isInside, mentions, outerExpression, skipParens, type FunctionLike } from "../ast";
import { nodesOfKinds } from "../node-index";
import { elementAt, flowGraphOf, isReachable, type FlowBlock, type FlowEdge, type FlowGraph } from "./cfg";
import { solveForward, type ForwardSolution } from "./dataflow";

/** The graph `node` runs in: its function's, or its file's top level. */
export function graphOf(node: ts.Node): FlowGraph {
  return flowGraphOf(enclosingFunction(node) ?? node.getSourceFile());
}

/**
 * True if `statement` can be reached but never completes normally: every path through it returns, throws, breaks,
 * continues or calls `process.exit()` (a `finally` that completes does not change that; a `catch` that completes
 * does). False for unreachable code and for statements outside any function graph (a class static block).
 */
export function alwaysExits(statement: ts.Statement | undefined): boolean {
  if (!statement) return false;
  const graph = graphOf(statement);
  const spans = graph.spans(statement);
  return spans.some((span) => isReachable(graph, span.start)) && !spans.some((span) => isReachable(graph, span.end));
}

/**
 * True if `value` (a call, awaited or not) is checked after it runs and before `to` (or, without `to`, before its
 * function ends) on every path, by an `if` that tests its result (the call inside the test, or a name the call's
 * result is declared as: `const r = await q; … if (r.count === 0) throw …`) and has a branch that always leaves, and
 * `to` is reached only by the test's other outcome: "does the code after this write run only where the write changed
 * something?" A path on which the call throws has not run it. A test on one branch only, a test after `to`, or a test
 * whose leaving branch goes on to `to` (a `continue` back into a loop that then reaches it) does not count.
 */
export function checkedBeforeGoingOn(value: ts.Expression, to?: ts.Node): boolean {
  const outer = outerExpression(value);
  const graph = graphOf(outer);
  // The outermost element of the wrapped call: its `await`, else the call.
  let inner: ts.Node = outer;
  while (graph.occurrences(inner).length === 0 && inner !== value) inner = ts.forEachChild(inner, (child) => child)!;
  const mark = graph.occurrences(inner).length > 0 ? inner : elementAt(graph, value);
  const target = to && elementAt(graph, to);
  if (!mark || (to && (!target || graphOf(to) !== graph))) return false;
  const declaration = skipParens(outer).parent;
  const names = new Set(
    declaration &&
      ts.isVariableDeclaration(declaration) &&
      declaration.initializer &&
      skipParens(declaration.initializer) === skipParens(outer)
      ? boundNames(declaration.name).map((n) => n.text)
      : [],
  );
  // The tests of the result, each with the outcome of its branch that always leaves.
  const checks = new Map<ts.Expression, boolean>();
  for (const check of nodesOfKinds<ts.IfStatement>(graph.root, [ts.SyntaxKind.IfStatement], { skipFunctions: true })) {
    if (!isInside(outer, check.expression) && !(names.size > 0 && mentions(check.expression, names))) continue;
    if (alwaysExits(check.thenStatement)) checks.set(check.expression, true);
    else if (alwaysExits(check.elseStatement)) checks.set(check.expression, false);
  }
  if (checks.size === 0) return false;
  // Bits of the possible states: not run yet, run and not tested since, tested and gone on, tested and leaving.
  const [NOT_YET, UNTESTED, PASSED, LEAVING] = [1, 2, 4, 8];
  const solution = solveForward<number>(graph, {
    initial: NOT_YET,
    join: (a, b) => a | b,
    equals: (a, b) => a === b,
    transfer: (element, state) => (element === mark ? UNTESTED : state),
    edge: (edge, state) => {
      const last = edge.from.elements[edge.from.elements.length - 1];
      if (edge.kind === "exception" && last === mark) return NOT_YET;
      if (!(state & UNTESTED)) return state;
      for (const [check, leaving] of checks) {
        const outcome = valueOnEdge(edge, check);
        if (outcome !== undefined) return (state & ~UNTESTED) | (outcome === leaving ? LEAVING : PASSED);
      }
      return state;
    },
  });
  const state = target ? solution.before(target) : solution.atExit;
  if (state === undefined || !(state & (PASSED | LEAVING))) return false;
  return !(state & UNTESTED) && !(target && state & LEAVING);
}

/** The possible last outcomes of a condition: not evaluated yet, truthy, falsy. */
const UNTESTED = 1;
const TRUTHY = 2;
const FALSY = 4;

const outcomeCache = new WeakMap<ts.Expression, { graph: FlowGraph; solution: ForwardSolution<number> }>();

/**
 * Which outcome of `condition` (the test of an `if`, loop, `?:`, or the left side of `&&` / `||`) `node` runs under:
 * true when on every path to `node` that evaluates `condition` its last evaluation was truthy (and some path does),
 * false likewise for falsy, undefined when both outcomes reach it, neither does, or `node` runs in another function.
 * So the branches of the `if`, the right side of the `&&`, and the code after `if (condition) return;` (false) are
 * decided; the code after an `if` whose branches both complete is not.
 */
export function decidedBy(condition: ts.Expression, node: ts.Node): boolean | undefined {
  // An incremental parse can reuse the condition's node inside a new function node: its graph is then another one.
  const graph = graphOf(condition);
  let solved = outcomeCache.get(condition);
  if (!solved || solved.graph !== graph) {
    const solution = solveForward<number>(graph, {
      initial: UNTESTED,
      join: (a, b) => a | b,
      equals: (a, b) => a === b,
      transfer: (_element, state) => state,
      edge: (edge, state) => {
        const value = valueOnEdge(edge, condition);
        return value === undefined ? state : value ? TRUTHY : FALSY;
      },
    });
    outcomeCache.set(condition, (solved = { graph, solution }));
  }
  const element = elementAt(solved.graph, node);
  const state = element && solved.solution.before(element);
  if (!state) return undefined;
  if ((state & (TRUTHY | FALSY)) === TRUTHY) return true;
  if ((state & (TRUTHY | FALSY)) === FALSY) return false;
  return undefined;
}

/**
 * The value `condition` is known to have when control takes `edge`: the edge tests `condition` itself or a part of it
 * that decides it (`a` of `a && b` when falsy, `b` always; `!` flips); undefined for any other edge, and for one that
 * goes on to evaluate the rest of `condition`.
 */
function valueOnEdge(edge: FlowEdge, condition: ts.Expression): boolean | undefined {
  if ((edge.kind !== "true" && edge.kind !== "false") || !edge.condition) return undefined;
  if (edge.condition.pos < condition.pos || edge.condition.end > condition.end) return undefined;
  let value = edge.kind === "true";
  for (let node: ts.Node = edge.condition; node !== condition; node = node.parent) {
    const parent = node.parent;
    if (ts.isPrefixUnaryExpression(parent) && parent.operator === ts.SyntaxKind.ExclamationToken) value = !value;
    else if (ts.isBinaryExpression(parent)) {
      const op = parent.operatorToken.kind;
      if (op !== ts.SyntaxKind.AmpersandAmpersandToken && op !== ts.SyntaxKind.BarBarToken) return undefined;
      // The left side of `&&` when truthy (of `||` when falsy) leaves the outcome to the right side.
      if (parent.left === node && value === (op === ts.SyntaxKind.AmpersandAmpersandToken)) return undefined;
    } else if (!ts.isParenthesizedExpression(parent)) return undefined;
  }
  return value;
}

/**
 * The element of `graph` that runs `node`, where code in a function nested in the graph's root counts as running
 * where that function is created (`rows.map(r => client.query(…))`, `.finally(() => release())`); undefined when
 * `node` is not inside the root.
 */
export function elementRunning(graph: FlowGraph, node: ts.Node): ts.Node | undefined {
  if (!isInside(node, graph.root)) return undefined;
  let current = node;
  for (let fn = enclosingFunction(current); fn && fn !== graph.root; fn = enclosingFunction(current)) current = fn;
  return elementAt(graph, current);
}

/**
 * True if some path of the graph of `from`'s function runs `to` after `from` (code in nested functions counts where
 * they are created: see `elementRunning`). False when they are in different functions, and for the same element
 * unless a loop brings control back to it. Replaces "comes later in the text": a call in the other branch of an `if`
 * does not run after, and a call earlier in a loop body does.
 */
export function mayRunAfter(from: ts.Node, to: ts.Node): boolean {
  const graph = graphOf(from);
  const targets = positionsOf(graph, to);
  if (targets.length === 0) return false;
  const seen = new Set<FlowBlock>();
  const stack: FlowBlock[] = [];
  for (const { block, index } of positionsOf(graph, from)) {
    if (targets.some((t) => t.block === block && t.index > index)) return true;
    for (const { to: next } of block.succ) stack.push(next);
  }
  while (stack.length > 0) {
    const block = stack.pop()!;
    if (seen.has(block)) continue;
    seen.add(block);
    if (targets.some((t) => t.block === block)) return true;
    for (const { to: next } of block.succ) stack.push(next);
  }
  return false;
}

/**
 * Where `node` runs in `graph`: the occurrences of its element, or, for a condition (which the graph keeps on the
 * edges it decides, not as an element), the end of each block whose branch edges test it or a part of it.
 */
function positionsOf(graph: FlowGraph, node: ts.Node): ReadonlyArray<{ block: FlowBlock; index: number }> {
  const element = elementRunning(graph, node);
  if (element) return graph.occurrences(element);
  if (!isInside(node, graph.root)) return [];
  return graph.blocks
    .filter((block) => block.succ.some((e) => e.condition !== undefined && (isInside(e.condition, node) || isInside(node, e.condition))))
    .map((block) => ({ block, index: block.elements.length }));
}

/**
 * True if some path of `from`'s function runs one of `through` after `from` and then `to`, without running `from`
 * again in between (calls in that function, not in nested functions): "can another write come between this read and
 * that write?" A call in the other branch of an `if` cannot; one later in a loop body can only when the loop does not
 * run `from` again before `to`. `from` may be a condition (an `if`'s test, the left side of `&&`): it has run once
 * control leaves it by an edge that tests it or a part of it, so work in a guard branch that goes back to the top of a
 * loop (`if (done) { await notify(); continue; }`) is not between that check and the write after it.
 */
export function mayRunBetween(from: ts.Node, through: readonly ts.Node[], to: ts.Node): boolean {
  const graph = graphOf(from);
  const start = elementAt(graph, from);
  const target = elementAt(graph, to);
  const marks = new Set(through.map((node) => elementAt(graph, node)).filter((e) => e !== undefined));
  const tests = (edge: FlowEdge) =>
    edge.condition !== undefined && edge.condition.pos >= from.pos && edge.condition.end <= from.end && isInside(edge.condition, from);
  const condition = start !== from && ts.isExpression(from) && graph.blocks.some((block) => block.succ.some(tests));
  if ((!start && !condition) || !target || marks.size === 0 || graphOf(to) !== graph) return false;
  // Bits of the possible states: `from` not run yet, run since, and one of `through` run after it.
  const [NOT_YET, SINCE, THROUGH] = [1, 2, 4];
  const solution = solveForward<number>(graph, {
    initial: NOT_YET,
    join: (a, b) => a | b,
    equals: (a, b) => a === b,
    transfer: (element, state) =>
      !condition && element === start ? SINCE : marks.has(element) && state & (SINCE | THROUGH) ? (state & NOT_YET) | THROUGH : state,
    edge: condition ? (edge, state) => (tests(edge) ? SINCE : state) : undefined,
  });
  return ((solution.before(target) ?? 0) & THROUGH) !== 0;
}

/**
 * True if on every path to `to`, one of `through` (calls in `to`'s function, not in nested functions) runs and
 * completes after the last run of `from`: "is this done between the read and the write, whichever way control goes?"
 * A path that never runs `from` does not count against it; one of `through` that throws has not been done.
 */
export function runsBetween(from: ts.Node, through: readonly ts.Node[], to: ts.Node): boolean {
  return graphOf(from) === graphOf(to) && doneOnEveryPath(from, through, to);
}

/**
 * True if on every path from the entry of `to`'s function to `to`, one of `through` (calls in that function, not in
 * nested functions) runs and completes: "is this lock taken before the check, whichever way control goes?" One taken
 * in one branch of an `if` only, or later in a loop body, is not.
 */
export function runsBefore(through: readonly ts.Node[], to: ts.Node): boolean {
  return doneOnEveryPath(undefined, through, to);
}

/**
 * True if on every path from `from` to the end of its function (normal completion or `return`), one of `through`
 * (calls in that function, not in nested functions) runs and completes after the last run of `from`: "is the row locked
 * between the read and the flush the function's end runs?" A path that leaves by an exception does not count.
 */
export function runsBetweenAndReturn(from: ts.Node, through: readonly ts.Node[]): boolean {
  return doneOnEveryPath(from, through, "return");
}

/** `runsBetween`, or from the function's entry when `from` is undefined, or to its normal end when `to` is "return". */
function doneOnEveryPath(from: ts.Node | undefined, through: readonly ts.Node[], to: ts.Node | "return"): boolean {
  const graph = graphOf(to === "return" ? from! : to);
  const start = from && elementAt(graph, from);
  const target = to === "return" ? undefined : elementAt(graph, to);
  const marks = new Set(through.map((node) => elementAt(graph, node)).filter((e) => e !== undefined));
  if ((from && !start) || (to !== "return" && !target) || marks.size === 0) return false;
  const thrower = (edge: FlowEdge) => {
    const last = edge.from.elements[edge.from.elements.length - 1];
    return last !== undefined && (marks.has(last) || (ts.isAwaitExpression(last) && marks.has(last.expression)));
  };
  const solution = solveForward<boolean>(graph, {
    initial: start !== undefined,
    join: (a, b) => a && b,
    equals: (a, b) => a === b,
    transfer: (element, done) => (element === start ? false : marks.has(element) ? true : done),
    edge: (edge, done) => (edge.kind === "exception" && thrower(edge) ? false : done),
  });
  return (target ? solution.before(target) : solution.atExit) === true;
}

/** A state of `bindingsAlongPaths`: named may-maps (what some path to a point left under each key). */
export type MayMaps = Readonly<Record<string, ReadonlyMap<unknown, unknown>>>;

/** How `step` changes the state: `edit(name)` is a copy of that map, made on first use, which it changes in place. */
export type EditMaps<S extends MayMaps> = <N extends keyof S & string>(
  name: N,
) => S[N] extends ReadonlyMap<infer K, infer V> ? Map<K, V> : never;

export interface BindingsSolution<S extends MayMaps> {
  /** The state just before `node` runs (joined over its copies), or undefined where no path reaches it. */
  before(node: ts.Node): S | undefined;
  /** At the function's normal end (completion or `return`); a path that leaves by an exception is not there. */
  atExit: S | undefined;
}

/**
 * What a function binds along its paths, asked by analyses that follow values through local names (the read-modify-write
 * flows: which read a name's value came from): a forward dataflow over the graph of `root` whose state is a set of
 * may-maps. `step` runs on each element in evaluation order with the state before it, and changes what it changes
 * through `edit` (the same element from the same state object is stepped once: its change is kept). Where paths merge, a key bound on either path is bound after the merge (`merge` decides a key bound
 * on both to different values; else the value of the path that reached the merge first is kept). This replaces a walk
 * in text order with one map: an assignment in a branch that returns, or in the other branch of an `if`, does not
 * replace the value for the code after it on the other path; a value assigned later in a loop body reaches the code at
 * the top of the next iteration; a `catch` sees what the `try` had bound before the call that threw.
 */
export function bindingsAlongPaths<S extends MayMaps>(
  root: FunctionLike | ts.SourceFile,
  initial: S,
  step: (element: ts.Node, state: S, edit: EditMaps<S>) => void,
  merge?: (map: string, a: unknown, b: unknown) => unknown,
): BindingsSolution<S> {
  const graph = flowGraphOf(root);
  const names = Object.keys(initial);
  // One `edit` for every step of this solve (steps run one at a time): the state it copies from and its copies so far.
  let current = initial;
  let copies: Map<string, Map<unknown, unknown>> | undefined;
  const edit = ((name: string) => {
    let copy = (copies ??= new Map()).get(name);
    if (!copy) copies.set(name, (copy = new Map(current[name])));
    return copy;
  }) as EditMaps<S>;
  const lastSteps = new Map<ts.Node, { before: S; after: S }>();
  const solution = solveForward<S>(graph, {
    initial,
    join: (a, b) => {
      let out: Record<string, ReadonlyMap<unknown, unknown>> | undefined;
      for (const name of names) {
        const [x, y] = [a[name]!, b[name]!];
        if (x === y || y.size === 0) continue;
        let joined: Map<unknown, unknown> | undefined;
        for (const [key, value] of y) {
          if (!x.has(key)) {
            (joined ??= new Map(x)).set(key, value);
            continue;
          }
          const here = x.get(key);
          const next = here !== value && merge ? merge(name, here, value) : here;
          if (next !== here) (joined ??= new Map(x)).set(key, next);
        }
        if (joined) (out ??= { ...a })[name] = joined;
      }
      return (out as S | undefined) ?? a;
    },
    equals: (a, b) => names.every((name) => sameEntries(a[name]!, b[name]!)),
    transfer: (element, state) => {
      // The solver's last pass over a block and the per-element states asked for afterwards (solution.before) step
      // the same elements from the same states: the second time, the state the first one made.
      const last = lastSteps.get(element);
      if (last !== undefined && last.before === state) return last.after;
      current = state;
      copies = undefined;
      step(element, state, edit);
      const made = copies as Map<string, Map<unknown, unknown>> | undefined;
      let after = state;
      if (made) {
        const next: Record<string, ReadonlyMap<unknown, unknown>> = { ...state };
        for (const [name, copy] of made) next[name] = sameEntries(copy, state[name]!) ? state[name]! : copy;
        after = next as S;
      }
      lastSteps.set(element, { before: state, after });
      return after;
    },
  });
  return { before: (node) => solution.before(node), atExit: solution.atExit };
}

function sameEntries(a: ReadonlyMap<unknown, unknown>, b: ReadonlyMap<unknown, unknown>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (!b.has(key) || b.get(key) !== value) return false;
  return true;
}

/**
 * Which of `candidates` (assignments, declarations, calls of `to`'s function; one in a nested function counts as the
 * element that creates it, see `elementRunning`) ran last on the paths that reach `to`: the candidates some path to `to` runs last among them, and `undefined` in the set
 * when some path reaches `to` having run none. Undefined when no path reaches `to` (or it is no element of a graph).
 * Reaching definitions, restricted to the candidates: "which assignment of this field does the write see?" An
 * assignment in a branch that returns does not reach the code after it; one in the other branch of an `if` reaches it
 * alongside the one before the `if`; one later in a loop body reaches the top of the next turn.
 */
export function lastRunBefore(candidates: readonly ts.Node[], to: ts.Node): ReadonlySet<ts.Node | undefined> | undefined {
  const graph = graphOf(to);
  const target = elementAt(graph, to);
  const marks = new Set(candidates.map((node) => elementRunning(graph, node)).filter((e) => e !== undefined));
  if (!target) return undefined;
  const none: ReadonlySet<ts.Node | undefined> = new Set([undefined]);
  const singles = new Map([...marks].map((mark) => [mark, new Set([mark]) as ReadonlySet<ts.Node | undefined>]));
  const solution = solveForward<ReadonlySet<ts.Node | undefined>>(graph, {
    initial: none,
    join: (a, b) => {
      if (a === b || [...b].every((x) => a.has(x))) return a;
      if ([...a].every((x) => b.has(x))) return b;
      return new Set([...a, ...b]);
    },
    equals: (a, b) => a === b || (a.size === b.size && [...a].every((x) => b.has(x))),
    transfer: (element, state) => singles.get(element) ?? state,
  });
  return solution.before(target);
}
