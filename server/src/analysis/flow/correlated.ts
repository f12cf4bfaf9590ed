// A forward dataflow that keeps apart the paths on which a `const` condition was true from those on which it was
// false, so that two branches on the same condition correlate: `if (anchored) lockRow(); … if (anchored) write()` —
// the write runs only on paths that took the lock. Each state of the underlying problem is paired with the outcomes
// of the `const` conditions tested on its paths (facts); an edge whose condition contradicts a fact is not taken, and
// states with the same facts are joined as the problem joins them. When more than MAX_PATH_STATES sets of facts meet,
// they are joined into one (facts kept only where all agree): precision falls back to the plain dataflow, never below.
import { ts } from "../../engine/ts";
import { isInside, skipParens } from "../ast";
import { variableDeclarationOf } from "../identity";
import type { FlowEdge, FlowGraph } from "./cfg";
import { solveForward, type ForwardProblem, type ForwardSolution } from "./dataflow";

const MAX_PATH_STATES = 8;

type Facts = ReadonlyMap<ts.VariableDeclaration, boolean>;

interface PathState<S> {
  facts: Facts;
  state: S;
}

/** The `const` a condition tests and whether it is negated: `anchored`, `!anchored`. */
function conditionFact(condition: ts.Expression | undefined): { key: ts.VariableDeclaration; negated: boolean } | undefined {
  let node = condition && skipParens(condition);
  let negated = false;
  while (node && ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
    negated = !negated;
    node = skipParens(node.operand);
  }
  if (!node || !ts.isIdentifier(node)) return undefined;
  const declaration = variableDeclarationOf(node);
  if (!declaration || !ts.isIdentifier(declaration.name) || !(ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const)) return undefined;
  return { key: declaration, negated };
}

function sameFacts(a: Facts, b: Facts): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

export interface CorrelatedSolution<S> extends ForwardSolution<S> {
  /**
   * The state before `node` on the paths that may go on to `toward`: those whose `const` conditions agree with the
   * conditions of some path to `toward` (a read's locks, asked for the write under the same `if`).
   */
  beforeToward(node: ts.Node, toward: ts.Node): S | undefined;
}

/** `solveForward`, with the states of paths that disagree on a `const` condition kept apart until asked. */
export function solveForwardCorrelated<S>(graph: FlowGraph, problem: ForwardProblem<S>): CorrelatedSolution<S> {
  const joinAll = (states: readonly PathState<S>[]): S | undefined =>
    states.reduce<S | undefined>((acc, p) => (acc === undefined ? p.state : problem.join(acc, p.state)), undefined);

  const lifted: ForwardProblem<readonly PathState<S>[]> = {
    initial: [{ facts: new Map(), state: problem.initial }],
    join(a, b) {
      const out = [...a];
      for (const path of b) {
        const i = out.findIndex((p) => sameFacts(p.facts, path.facts));
        if (i < 0) out.push(path);
        else out[i] = { facts: path.facts, state: problem.join(out[i]!.state, path.state) };
      }
      if (out.length <= MAX_PATH_STATES) return out;
      // Too many ways through: one state, with the facts every path agrees on.
      const facts = new Map(out[0]!.facts);
      for (const path of out) for (const [key, value] of facts) if (path.facts.get(key) !== value) facts.delete(key);
      return [{ facts, state: joinAll(out)! }];
    },
    equals: (a, b) =>
      a.length === b.length && a.every((p) => b.some((q) => sameFacts(p.facts, q.facts) && problem.equals(p.state, q.state))),
    transfer(element, paths) {
      return paths.map((path) => {
        // A declaration that runs again (a loop's next turn) gives its `const` a new value: what was known is gone.
        let facts = path.facts;
        for (const key of facts.keys())
          if (key === element || isInside(key, element)) {
            const fresh = new Map(facts);
            fresh.delete(key);
            facts = fresh;
          }
        return { facts, state: problem.transfer(element, path.state) };
      });
    },
    edge(edge: FlowEdge, paths) {
      const refined = problem.edge ? paths.map((p) => ({ facts: p.facts, state: problem.edge!(edge, p.state) })) : paths;
      if (edge.kind !== "true" && edge.kind !== "false") return refined;
      const fact = conditionFact(edge.condition);
      if (!fact) return refined;
      const value = (edge.kind === "true") !== fact.negated;
      const out: PathState<S>[] = [];
      for (const path of refined) {
        const known = path.facts.get(fact.key);
        if (known === !value) continue; // this path tested the same `const` the other way: it cannot take this edge
        out.push(known === value ? path : { facts: new Map(path.facts).set(fact.key, value), state: path.state });
      }
      return out;
    },
  };

  const solution = solveForward(graph, lifted);
  const lower = (paths: readonly PathState<S>[] | undefined) => (paths && paths.length > 0 ? joinAll(paths) : undefined);
  return {
    before: (node) => lower(solution.before(node)),
    after: (node) => lower(solution.after(node)),
    atExit: lower(solution.atExit),
    atThrowExit: lower(solution.atThrowExit),
    blockIn: (block) => lower(solution.blockIn(block)),
    converged: solution.converged,
    beforeToward(node, toward) {
      const later = solution.before(toward);
      const agrees = (a: Facts, b: Facts) => [...a].every(([key, value]) => (b.get(key) ?? value) === value);
      return lower(later && solution.before(node)?.filter((path) => later.some((next) => agrees(path.facts, next.facts))));
    },
  };
}
