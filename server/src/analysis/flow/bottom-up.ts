// The core's one way of summarising project functions bottom-up over the call graph: the functions a question
// reaches, split into strongly connected components (Tarjan), each solved after the components it calls, a recursive
// component iterated to a fixpoint. Every summary of the analyses (row locks through parameters, a helper's returned
// read, lock helpers, callers' row locks, what a call may acquire for lock order, slow calls) is solved here.
import type { FunctionLike } from "../ast";

/** Rounds allowed per strongly connected component before its last iterate is taken (the states are finite sets). */
const MAX_ROUNDS = 8;

/**
 * What a bottom-up summary of project functions needs: each function's callees, and its summary from theirs. A
 * function is a node (`FunctionLike`) or any object standing for one (lock order's per-file `FunctionSummary`).
 */
export interface BottomUpSummary<S, F extends object = FunctionLike> {
  /** The project functions whose summaries `fn`'s is composed from (its calls of itself need not be left out). */
  callees(fn: F): readonly F[];
  /** `fn`'s summary from its body and its callees' current summaries (`recursive`: its component has several members). */
  compose(fn: F, summaryAt: (callee: F) => S, recursive: boolean): S;
  same(a: S, b: S): boolean;
  /** The summary of a function without a body, and the start of a recursive component's iteration. */
  empty: S;
  /** Whether `fn` has a body to summarise (default: a node's `body`); the others summarise as `empty`. */
  hasBody?(fn: F): boolean;
}

/** Where summaries are kept between questions: per function node (a WeakMap, or NodeFacts per parse). */
export interface SummaryStore<S, F extends object = FunctionLike> {
  get(fn: F): S | undefined;
  set(fn: F, summary: S): void;
}

const nodeHasBody = (fn: object): boolean => !!(fn as FunctionLike).body;

/**
 * The core's one way of summarising project functions: the functions `fn` reaches through `callees` not summarised
 * yet, split into strongly connected components (Tarjan), each solved after those it calls, a recursive component
 * iterated to a fixpoint (a bounded number of rounds, its last iterate taken) so mutual recursion gets the same
 * answer whichever function is asked first. No depth bound: a chain of any length is composed, and a cycle ends.
 */
export function solveBottomUp<S, F extends object = FunctionLike>(fn: F, spec: BottomUpSummary<S, F>, store: SummaryStore<S, F>): S {
  const cached = store.get(fn);
  if (cached !== undefined) return cached;
  if (!(spec.hasBody ?? nodeHasBody)(fn)) return spec.empty;
  for (const component of componentsFrom(fn, spec, store)) solveComponent(component, spec, store);
  return store.get(fn) ?? spec.empty;
}

/** The strongly connected components of the unsummarised functions `fn` reaches, callees before their callers. */
function componentsFrom<S, F extends object>(fn: F, spec: BottomUpSummary<S, F>, store: SummaryStore<S, F>): F[][] {
  const hasBody = spec.hasBody ?? nodeHasBody;
  const components: F[][] = [];
  const index = new Map<F, { index: number; low: number }>();
  const stack: F[] = [];
  const onStack = new Set<F>();
  // Iterative Tarjan (call chains can be long): each frame is a function and the position in its callees.
  const frames: Array<{ fn: F; callees: readonly F[]; next: number }> = [];
  const enter = (f: F) => {
    index.set(f, { index: index.size, low: index.size });
    stack.push(f);
    onStack.add(f);
    frames.push({ fn: f, callees: spec.callees(f), next: 0 });
  };
  enter(fn);
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    const mine = index.get(frame.fn)!;
    if (frame.next < frame.callees.length) {
      const callee = frame.callees[frame.next++]!;
      if (callee === frame.fn || store.get(callee) !== undefined || !hasBody(callee)) continue;
      const seen = index.get(callee);
      if (!seen) enter(callee);
      else if (onStack.has(callee)) mine.low = Math.min(mine.low, seen.index);
      continue;
    }
    frames.pop();
    const parent = frames[frames.length - 1];
    if (parent) {
      const theirs = index.get(parent.fn)!;
      theirs.low = Math.min(theirs.low, mine.low);
    }
    if (mine.low === mine.index) {
      const component: F[] = [];
      let member: F;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.fn);
      components.push(component.reverse());
    }
  }
  return components;
}

/** Summarises one component: every member from its body and its callees' current summaries, until none changes. */
function solveComponent<S, F extends object>(component: readonly F[], spec: BottomUpSummary<S, F>, store: SummaryStore<S, F>): void {
  const current = new Map<F, S>(component.map((fn) => [fn, spec.empty]));
  const summaryAt = (callee: F) => current.get(callee) ?? store.get(callee) ?? spec.empty;
  // A function's calls of itself read its summary so far (empty in a single round), so only a component of several
  // functions is iterated.
  const recursive = component.length > 1;
  for (let round = 0; round < (recursive ? MAX_ROUNDS : 1); round++) {
    let changed = false;
    for (const fn of component) {
      const next = spec.compose(fn, summaryAt, recursive);
      if (!spec.same(next, current.get(fn)!)) changed = true;
      current.set(fn, next);
    }
    if (!changed) break;
  }
  for (const [fn, summary] of current) store.set(fn, summary);
}
