// Whether a call of a project function may throw (or its promise reject), summarised bottom-up over the call graph
// (flow/bottom-up.ts): a function may throw when some path of its control-flow graph reaches an uncaught exception
// through an element that may throw — by the graph's own model (a field read or comparison does not throw; a call may,
// unless it is logging, a clock reading or a collection's own method; a `catch` that does not rethrow stops what its
// `try` threw) — where a call of a project function that cannot throw is no such element. A function without a body
// (a library's) may throw.
import { ts } from "../engine/ts";
import { skipAwait, type FunctionLike } from "./ast";
import { flowGraphOf, type FlowEdge } from "./flow/cfg";
import { solveBottomUp, type BottomUpSummary } from "./flow/bottom-up";
import type { CalleeResolver } from "./summaries";

const stores = new WeakMap<CalleeResolver, WeakMap<FunctionLike, boolean>>();

/** The call an exception edge leaves from: the call ending its block, or the one whose promise the `await` waits for. */
export function throwingCall(edge: FlowEdge): ts.CallExpression | undefined {
  const last = edge.from.elements[edge.from.elements.length - 1];
  const thrower = last && ts.isAwaitExpression(last) ? skipAwait(last) : last;
  return thrower && ts.isCallExpression(thrower) ? thrower : undefined;
}

function summary(resolve: CalleeResolver): BottomUpSummary<boolean> {
  return {
    callees(fn) {
      const found: FunctionLike[] = [];
      for (const block of flowGraphOf(fn).blocks)
        for (const edge of block.succ) {
          const call = edge.kind === "exception" ? throwingCall(edge) : undefined;
          const callee = call && resolve(call);
          if (callee && !found.includes(callee)) found.push(callee);
        }
      return found;
    },
    compose(fn, mayThrowAt) {
      // Is the uncaught-exception exit reachable, not counting the exception edges of calls that cannot throw?
      const graph = flowGraphOf(fn);
      const seen = new Set([graph.entry]);
      const stack = [graph.entry];
      while (stack.length > 0)
        for (const edge of stack.pop()!.succ) {
          if (seen.has(edge.to)) continue;
          if (edge.kind === "exception") {
            const call = throwingCall(edge);
            const callee = call && resolve(call);
            if (callee && !mayThrowAt(callee)) continue;
          }
          if (edge.to === graph.throwExit) return true;
          seen.add(edge.to);
          stack.push(edge.to);
        }
      return false;
    },
    same: (a, b) => a === b,
    empty: true,
  };
}

/** Whether a call of `fn` may throw, its calls of project functions resolved by `resolve`. */
export function mayThrowWhenCalled(fn: FunctionLike, resolve: CalleeResolver): boolean {
  let store = stores.get(resolve);
  if (!store) stores.set(resolve, (store = new WeakMap()));
  return solveBottomUp(fn, summary(resolve), store);
}

/** A test for calls that cannot throw: those `resolve` takes to a project function that cannot. */
export function cannotThrowResolver(resolve: CalleeResolver): (call: ts.CallExpression) => boolean {
  return (call) => {
    const callee = resolve(call);
    return !!callee && !mayThrowWhenCalled(callee, resolve);
  };
}
