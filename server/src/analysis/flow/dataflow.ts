// A generic forward dataflow solver over the graphs of `cfg.ts`: a worklist in reverse post-order, states joined at
// merges, optional per-edge refinement. Analyses (held locks, "was X done on every path") supply the lattice.
import type { ts } from "../../engine/ts";
import type { FlowBlock, FlowEdge, FlowGraph } from "./cfg";

export { elementAt } from "./cfg";

export interface ForwardProblem<S> {
  /** State at entry. */
  initial: S;
  /** At merges. */
  join(a: S, b: S): S;
  equals(a: S, b: S): boolean;
  /** Through one element; must not mutate `state`. */
  transfer(element: ts.Node, state: S): S;
  /** Optional refinement per edge (e.g. exception edges, which leave after the throwing element). */
  edge?(edge: FlowEdge, state: S): S;
}

export interface ForwardSolution<S> {
  /** State just before `node` executes, joined over all its occurrences; undefined if unreachable or not an element. */
  before(node: ts.Node): S | undefined;
  after(node: ts.Node): S | undefined;
  /** At graph.exit. */
  atExit: S | undefined;
  atThrowExit: S | undefined;
  /** State at block entry (joined); undefined for unreachable blocks. */
  blockIn(block: FlowBlock): S | undefined;
  /** False when the iteration bound stopped the solver: the states are then the last iterate, not a fixpoint. */
  converged: boolean;
}

/** Iterations (block visits) allowed per block before giving up on a lattice that keeps growing. */
const VISITS_PER_BLOCK = 50;

/** Blocks reachable from entry, in reverse post-order (iterative DFS: bodies can be deep). */
function reversePostOrder(graph: FlowGraph): FlowBlock[] {
  const order: FlowBlock[] = [];
  const seen = new Uint8Array(graph.blocks.length);
  const stack: Array<{ block: FlowBlock; next: number }> = [{ block: graph.entry, next: 0 }];
  seen[graph.entry.id] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next < top.block.succ.length) {
      const to = top.block.succ[top.next++].to;
      if (!seen[to.id]) {
        seen[to.id] = 1;
        stack.push({ block: to, next: 0 });
      }
    } else {
      order.push(top.block);
      stack.pop();
    }
  }
  return order.reverse();
}

/** A min-heap of reverse-post-order positions: the worklist visits earlier blocks first, so loops settle inside out. */
class Worklist {
  private readonly heap: number[] = [];
  private readonly queued: Uint8Array;
  constructor(size: number) {
    this.queued = new Uint8Array(size);
  }
  get size(): number {
    return this.heap.length;
  }
  push(rank: number): void {
    if (this.queued[rank]) return;
    this.queued[rank] = 1;
    const heap = this.heap;
    let i = heap.push(rank) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= rank) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = rank;
  }
  pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const child = left + 1 < heap.length && heap[left + 1] < heap[left] ? left + 1 : left;
        if (heap[child] >= last) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    this.queued[top] = 0;
    return top;
  }
}

export function solveForward<S>(graph: FlowGraph, problem: ForwardProblem<S>): ForwardSolution<S> {
  const order = reversePostOrder(graph);
  const rank = new Int32Array(graph.blocks.length).fill(-1);
  order.forEach((block, i) => (rank[block.id] = i));
  const stateIn: Array<S | undefined> = new Array(graph.blocks.length);
  stateIn[graph.entry.id] = problem.initial;

  const worklist = new Worklist(order.length);
  worklist.push(0);
  // A lattice of unbounded height (or a non-monotone transfer) would never settle: stop after a bounded number of visits.
  let budget = VISITS_PER_BLOCK * Math.max(order.length, 1);
  let converged = true;
  while (worklist.size > 0) {
    if (budget-- <= 0) {
      converged = false;
      break;
    }
    const block = order[worklist.pop()];
    let state = stateIn[block.id] as S;
    for (const element of block.elements) state = problem.transfer(element, state);
    for (const edge of block.succ) {
      const out = problem.edge ? problem.edge(edge, state) : state;
      const to = edge.to.id;
      const old = stateIn[to];
      if (old === undefined) {
        stateIn[to] = out;
      } else {
        const joined = problem.join(old, out);
        if (problem.equals(joined, old)) continue;
        stateIn[to] = joined;
      }
      worklist.push(rank[to]);
    }
  }

  // Per-element states, recomputed per block on first question (most callers ask about a few nodes).
  const beforeStates = new Map<FlowBlock, S[]>();
  const statesOf = (block: FlowBlock): S[] | undefined => {
    let states = beforeStates.get(block);
    if (states) return states;
    let state = stateIn[block.id];
    if (state === undefined || rank[block.id] < 0) return undefined;
    states = [state];
    for (const element of block.elements) states.push((state = problem.transfer(element, state)));
    beforeStates.set(block, states);
    return states;
  };
  const joinedAt = (node: ts.Node, offset: number): S | undefined => {
    let result: S | undefined;
    for (const { block, index } of graph.occurrences(node)) {
      const state = statesOf(block)?.[index + offset];
      if (state === undefined) continue;
      result = result === undefined ? state : problem.join(result, state);
    }
    return result;
  };

  return {
    before: (node) => joinedAt(node, 0),
    after: (node) => joinedAt(node, 1),
    atExit: stateIn[graph.exit.id],
    atThrowExit: stateIn[graph.throwExit.id],
    blockIn: (block) => stateIn[block.id],
    converged,
  };
}
