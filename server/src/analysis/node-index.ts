// Walking a file fast: a per-file index of every node in pre-order (a walk is a loop over an array, not a recursion
// through forEachChild), a per-kind index on top of it (`nodesOfKinds`), and per-parse memo tables (`NodeFacts`).
// Every rule walks the same files many times; this is the hot path. `ast.ts` re-exports it.
import { ts } from "../engine/ts";

export type FunctionLike =
  | ts.FunctionDeclaration
  | ts.MethodDeclaration
  | ts.FunctionExpression
  | ts.ArrowFunction
  | ts.ConstructorDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration;

export function isFunctionLike(node: ts.Node): node is FunctionLike {
  // One switch rather than seven ts.isX calls: this runs for every node of every walk.
  switch (node.kind) {
    case ts.SyntaxKind.FunctionDeclaration:
    case ts.SyntaxKind.MethodDeclaration:
    case ts.SyntaxKind.FunctionExpression:
    case ts.SyntaxKind.ArrowFunction:
    case ts.SyntaxKind.Constructor:
    case ts.SyntaxKind.GetAccessor:
    case ts.SyntaxKind.SetAccessor:
      return true;
    default:
      return false;
  }
}

/**
 * Every node of a file in the pre-order `ts.forEachChild` visits them, and for each the index just past its subtree.
 * Rules walk the same files many times (each rule, each function body); with the index a walk is a loop over an
 * array instead of a recursion through forEachChild. Built on a file's first walk; about 12 bytes per node.
 */
interface NodeIndex {
  nodes: ts.Node[];
  subtreeEnd: Int32Array;
}

const nodeIndexes = new WeakMap<ts.SourceFile, NodeIndex>();

function nodeIndexOf(sourceFile: ts.SourceFile): NodeIndex {
  let index = nodeIndexes.get(sourceFile);
  if (index) return index;
  const nodes: ts.Node[] = [];
  const ends: number[] = [];
  const add = (node: ts.Node): void => {
    const at = nodes.length;
    nodes.push(node);
    ends.push(0);
    ts.forEachChild(node, add);
    ends[at] = nodes.length;
  };
  add(sourceFile);
  index = { nodes, subtreeEnd: Int32Array.from(ends) };
  nodeIndexes.set(sourceFile, index);
  return index;
}

/**
 * Facts learnt about nodes, valid for one parse of a file. The language server parses an edited file incrementally:
 * nodes outside the edit are reused in the new tree, where what surrounds them (the imports, the other functions of
 * the file) may have changed, so a fact learnt in the old tree must not be served in the new one.
 */
export class NodeFacts<N extends ts.Node, V> {
  private readonly byFile = new WeakMap<ts.SourceFile, WeakMap<N, V>>();
  /** The last file asked about: consecutive questions are nearly always about one file. */
  private last: { file: ts.SourceFile; facts: WeakMap<N, V> } | undefined;

  /** Nodes in no file (built with ts.factory). */
  private readonly detached = new WeakMap<N, V>();

  private factsOf(node: N): WeakMap<N, V> {
    const file = node.getSourceFile() as ts.SourceFile | undefined;
    if (!file) return this.detached;
    if (this.last?.file === file) return this.last.facts;
    let facts = this.byFile.get(file);
    if (!facts) this.byFile.set(file, (facts = new WeakMap()));
    this.last = { file, facts };
    return facts;
  }

  get(node: N): V | undefined {
    return this.factsOf(node).get(node);
  }

  set(node: N, value: V): void {
    this.factsOf(node).set(node, value);
  }
}

/** Where `node` is in its file's index: pre-order never decreases `pos`, so a binary search finds it. -1 if absent. */
function positionIn(index: NodeIndex, node: ts.Node): number {
  const { nodes } = index;
  let low = 0;
  let high = nodes.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (nodes[mid]!.pos < node.pos) low = mid + 1;
    else high = mid;
  }
  for (let i = low; i < nodes.length && nodes[i]!.pos === node.pos; i++) if (nodes[i] === node) return i;
  return -1;
}

/** Calls `visit` for every node below `root` (pre-order). Return false from `visit` to skip a subtree. */
export function walk(root: ts.Node, visit: (node: ts.Node) => boolean | void): void {
  const sourceFile = ts.isSourceFile(root) ? root : root.pos >= 0 ? (root.getSourceFile() as ts.SourceFile | undefined) : undefined;
  const index = sourceFile && nodeIndexOf(sourceFile);
  const start = index ? positionIn(index, root) : -1;
  if (!index || start < 0) {
    // A node outside any parsed file (built with ts.factory): walk it directly.
    const go = (node: ts.Node): void => {
      if (visit(node) === false) return;
      ts.forEachChild(node, go);
    };
    ts.forEachChild(root, go);
    return;
  }
  const { nodes, subtreeEnd } = index;
  for (let i = start + 1, end = subtreeEnd[start]!; i < end;) i = visit(nodes[i]!) === false ? subtreeEnd[i]! : i + 1;
}

/**
 * The nodes of a file grouped by kind, as positions in its NodeIndex (each kind's positions ascending): rules that
 * look for a few kinds (calls, awaits, loops, functions) visit only those instead of walking every node. Built in
 * one pass over the index, on the first such query of a file.
 */
interface KindIndex {
  /** For kind k, its positions are `positions[offsets[k]]` up to (not including) `positions[offsets[k + 1]]`. */
  offsets: Int32Array;
  positions: Int32Array;
  /** Several kinds' positions merged and sorted, per set of kinds asked for (a few sets, asked for again and again). */
  merged: Map<string, Int32Array>;
}

const kindIndexes = new WeakMap<NodeIndex, KindIndex>();

function kindIndexOf(index: NodeIndex): KindIndex {
  let kinds = kindIndexes.get(index);
  if (kinds) return kinds;
  const { nodes } = index;
  const offsets = new Int32Array(ts.SyntaxKind.Count + 1);
  for (const node of nodes) offsets[node.kind + 1]!++;
  for (let k = 1; k < offsets.length; k++) offsets[k]! += offsets[k - 1]!;
  const next = offsets.slice(0, -1);
  const positions = new Int32Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) positions[next[nodes[i]!.kind]!++] = i;
  kindIndexes.set(index, (kinds = { offsets, positions, merged: new Map() }));
  return kinds;
}

/** A list of kinds as a key (callers pass the same constant lists again and again: joined once each). */
const kindSetKeys = new WeakMap<readonly ts.SyntaxKind[], string>();

/** The positions of all nodes of the given kinds in a file, ascending (cached per set of kinds). */
function mergedPositions(kindIndex: KindIndex, wanted: readonly ts.SyntaxKind[]): Int32Array {
  let key = kindSetKeys.get(wanted);
  if (key === undefined) kindSetKeys.set(wanted, (key = wanted.join()));
  let merged = kindIndex.merged.get(key);
  if (merged) return merged;
  const { offsets, positions } = kindIndex;
  const kinds = [...new Set(wanted)];
  merged = new Int32Array(kinds.reduce((length, kind) => length + offsets[kind + 1]! - offsets[kind]!, 0));
  let at = 0;
  for (const kind of kinds) {
    merged.set(positions.subarray(offsets[kind]!, offsets[kind + 1]!), at);
    at += offsets[kind + 1]! - offsets[kind]!;
  }
  merged.sort();
  kindIndex.merged.set(key, merged);
  return merged;
}

/** First place in `positions[from, to)` holding a value ≥ `value`. */
function lowerBound(positions: Int32Array, from: number, to: number, value: number): number {
  while (from < to) {
    const mid = (from + to) >>> 1;
    if (positions[mid]! < value) from = mid + 1;
    else to = mid;
  }
  return from;
}

export const FUNCTION_KINDS = [
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
];

/**
 * The nodes of the given kinds below `root`, in the order `walk` visits them: what a walk that only acts on those
 * kinds would see, without visiting the rest. With `skipFunctions`, none inside a function nested in `root` (as
 * `walkFunctionBody`).
 */
export function nodesOfKinds<T extends ts.Node = ts.Node>(
  root: ts.Node,
  kinds: readonly ts.SyntaxKind[],
  options: { skipFunctions?: boolean } = {},
): T[] {
  const sourceFile = ts.isSourceFile(root) ? root : root.pos >= 0 ? (root.getSourceFile() as ts.SourceFile | undefined) : undefined;
  const index = sourceFile && nodeIndexOf(sourceFile);
  const start = index ? positionIn(index, root) : -1;
  if (!index || start < 0) {
    // A node outside any parsed file (built with ts.factory): walk it.
    const out: T[] = [];
    const wanted = new Set(kinds);
    (options.skipFunctions ? walkFunctionBody : walk)(root, (node) => {
      if (wanted.has(node.kind)) out.push(node as T);
    });
    return out;
  }
  const kindIndex = kindIndexOf(index);
  const { offsets, positions } = kindIndex;
  const end = index.subtreeEnd[start]!;
  const inRange = (kind: ts.SyntaxKind): Int32Array => {
    const from = lowerBound(positions, offsets[kind]!, offsets[kind + 1]!, start + 1);
    return positions.subarray(from, lowerBound(positions, from, offsets[kind + 1]!, end));
  };
  // Several kinds: the whole file's positions of those kinds merged once per file and set of kinds (a typed array
  // sorted natively), then the part below `root`, found by binary search like one kind's.
  const inRanges = (wanted: readonly ts.SyntaxKind[]): Int32Array => {
    const merged = mergedPositions(kindIndex, wanted);
    const from = lowerBound(merged, 0, merged.length, start + 1);
    return merged.subarray(from, lowerBound(merged, from, merged.length, end));
  };
  const found = kinds.length === 1 ? inRange(kinds[0]!) : inRanges(kinds);
  if (options.skipFunctions) {
    const functions = inRanges(FUNCTION_KINDS);
    // Keep a position unless it is a nested function or lies inside one (walkFunctionBody visits neither): functions
    // come in pre-order, so one pass suffices.
    const kept: T[] = [];
    let f = 0;
    let skipUntil = -1;
    for (const position of found) {
      while (f < functions.length && functions[f]! <= position) {
        if (functions[f]! >= skipUntil) skipUntil = index.subtreeEnd[functions[f]!]!;
        f++;
      }
      if (position >= skipUntil) kept.push(index.nodes[position] as T);
    }
    return kept;
  }
  const out = new Array<T>(found.length);
  for (let i = 0; i < found.length; i++) out[i] = index.nodes[found[i]!] as T;
  return out;
}

const identifiersByName = new WeakMap<ts.SourceFile, Map<string, ts.Identifier[]>>();

/**
 * The identifiers of `sourceFile` spelled `name`, in file order: "where is this function named?" asked once per
 * function costs the uses of its name, not a walk of every identifier of the file (quadratic in a file of many).
 */
export function identifiersNamed(sourceFile: ts.SourceFile, name: string): readonly ts.Identifier[] {
  let byName = identifiersByName.get(sourceFile);
  if (!byName) {
    byName = new Map();
    for (const id of nodesOfKinds<ts.Identifier>(sourceFile, [ts.SyntaxKind.Identifier])) {
      const same = byName.get(id.text);
      if (same) same.push(id);
      else byName.set(id.text, [id]);
    }
    identifiersByName.set(sourceFile, byName);
  }
  return byName.get(name) ?? [];
}

/** Call and tagged-template expressions: the shapes a database statement or a lock call takes. */
export const CALL_KINDS = [ts.SyntaxKind.CallExpression, ts.SyntaxKind.TaggedTemplateExpression];

/** Like walk, but does not descend into nested functions (their code runs at another time). */
export function walkFunctionBody(body: ts.Node, visit: (node: ts.Node) => boolean | void): void {
  walk(body, (node) => {
    if (isFunctionLike(node)) return false;
    return visit(node);
  });
}
