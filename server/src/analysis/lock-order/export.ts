// The lock-order graph as plain JSON, for `locksmith graph` and the language server's "Show lock order graph" view.
import { type ts } from "../../engine/ts";
import type { Span } from "../../engine/types";
import { describeEdge, functionLabel, keyLabel, lockName } from "./describe";
import { analyseLockOrder, type DeclaredLocksInput, type LockOrderEdge } from "./graph";
import type { LockKind } from "./lock-class";

/** A place in a file: absolute path, offsets, and 0-based line/character (as LSP ranges). */
export interface GraphLocation {
  file: string;
  startOffset: number;
  endOffset: number;
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export interface GraphNode {
  /** The lock class id (stable across edits). */
  id: string;
  /** `usersLock`, `AccountService.lock`, `accountLocks[key]`, `lock:account:${…}`, `accounts rows`. */
  label: string;
  kind: LockKind;
  /** The file declaring the lock object (object locks only). */
  file?: string;
  /** On at least one cycle (or a self-loop: argument order or re-entrance). */
  inCycle: boolean;
}

export interface GraphEdge {
  from: string;
  to: string;
  /**
   * "order": `to` acquired while `from` is held (different classes).
   * "argument-order": two instances of one class in argument order (a self-loop that can deadlock).
   * "reentry": the same instance acquired again (a self-loop that hangs).
   */
  kind: "order" | "argument-order" | "reentry";
  inCycle: boolean;
  /** How the edge arises: "`deleteUser` holds `usersLock` and calls `dropSessionsOf`, which acquires `sessionsLock`". */
  description: string;
  /** The function holding `from`. */
  holder: string;
  /** Where `from` is acquired. */
  outer: GraphLocation;
  /** Where `to` is acquired. */
  inner: GraphLocation;
  /** Where the edge is reported: the inner acquisition, or the holder's call leading to it. */
  site: GraphLocation;
  /** The calls from the holder to the acquirer, in order. */
  via: Array<{ caller: string; callee: string; location: GraphLocation }>;
}

export interface LockOrderGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Each cycle once, as the lock class ids along it (a self-loop is a cycle of one). */
  cycles: Array<{ nodes: string[] }>;
}

/**
 * Builds the project's lock-order graph from `sourceFiles` of `program` (the same analysis the rules use, cached per
 * file content). Shape: {@link LockOrderGraph} — `nodes` (lock classes), `edges` (with the source locations of both
 * acquisitions, the call chain and whether they lie on a cycle) and `cycles` (lists of node ids). JSON-serialisable.
 */
export function buildLockOrderGraph(
  program: ts.Program,
  sourceFiles: readonly ts.SourceFile[],
  declared?: DeclaredLocksInput,
): LockOrderGraph {
  const analysis = analyseLockOrder(program, sourceFiles, declared);
  const locate = locator(program);
  const cycleEdges = new Set(analysis.cycles.map((c) => c.edge));
  const cycles = new Map<string, string[]>();
  for (const { edge, back } of analysis.cycles) {
    const nodes = [edge.from.id, ...back.map((b) => b.from.id)];
    const smallest = nodes.indexOf([...nodes].sort()[0]!);
    const canonical = [...nodes.slice(smallest), ...nodes.slice(0, smallest)];
    cycles.set(canonical.join("\n"), canonical);
  }
  const selfLoops = [
    ...analysis.argumentOrders.map((e) => ["argument-order", e] as const),
    ...analysis.reentries.map((e) => ["reentry", e] as const),
  ];
  for (const [, edge] of selfLoops) cycles.set(edge.from.id, [edge.from.id]);
  const onCycle = new Set([...cycles.values()].flat());

  const toEdge = (edge: LockOrderEdge, kind: GraphEdge["kind"]): GraphEdge => ({
    from: edge.from.id,
    to: edge.to.id,
    kind,
    inCycle: kind !== "order" || cycleEdges.has(edge),
    description: plain(
      kind === "argument-order"
        ? `${functionLabel(edge.holder)} locks ${lockName(edge.to)} for ${keyLabel(edge.outer.key)} and then for ${keyLabel(edge.innerKey)}`
        : describeEdge(edge),
    ),
    holder: plain(functionLabel(edge.holder)),
    outer: locate(edge.outer.span),
    inner: locate(edge.inner.span),
    site: locate(edge.site),
    via: edge.via.map((step) => ({
      caller: plain(functionLabel(step.caller)),
      callee: plain(functionLabel(step.callee)),
      location: locate(step.call.span),
    })),
  });
  const nodes = [...analysis.classes.values()]
    .sort((a, b) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id))
    .map((c): GraphNode => ({
      id: c.id,
      label: c.label,
      kind: c.kind,
      ...(c.declaredIn ? { file: c.declaredIn } : {}),
      inCycle: onCycle.has(c.id),
    }));
  return {
    nodes,
    edges: [...analysis.edges.map((e) => toEdge(e, "order")), ...selfLoops.map(([kind, e]) => toEdge(e, kind))],
    cycles: [...cycles.values()].map((ids) => ({ nodes: ids })),
  };
}

function locator(program: ts.Program): (span: Span) => GraphLocation {
  return (span) => {
    const sourceFile = program.getSourceFile(span.file);
    const position = (offset: number) => (sourceFile ? sourceFile.getLineAndCharacterOfPosition(offset) : { line: 0, character: 0 });
    return { file: span.file, startOffset: span.start, endOffset: span.end, start: position(span.start), end: position(span.end) };
  };
}

/** Message text without its code backticks, for labels and tooltips. */
function plain(text: string): string {
  return text.replace(/`/g, "");
}
