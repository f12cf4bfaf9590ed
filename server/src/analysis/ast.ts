// Small, allocation-light helpers over raw ts.Nodes, shared by every rule. Hot paths walk ts.Node directly
// (ts-morph wrappers are kept for building fixes, where convenience matters more than speed).
import { ts } from "../engine/ts";
import type { Span } from "../engine/types";
import { normalizePath } from "../engine/paths";

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
  kindIndexes.set(index, (kinds = { offsets, positions }));
  return kinds;
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
  const { offsets, positions } = kindIndexOf(index);
  const end = index.subtreeEnd[start]!;
  const inRange = (kind: ts.SyntaxKind): Int32Array => {
    const from = lowerBound(positions, offsets[kind]!, offsets[kind + 1]!, start + 1);
    return positions.subarray(from, lowerBound(positions, from, offsets[kind + 1]!, end));
  };
  let found = kinds.length === 1 ? inRange(kinds[0]!) : Int32Array.from([...new Set(kinds)].flatMap((kind) => [...inRange(kind)])).sort();
  if (options.skipFunctions) {
    const functions = Int32Array.from(FUNCTION_KINDS.flatMap((kind) => [...inRange(kind)])).sort();
    // Keep a position unless it is a nested function or lies inside one (walkFunctionBody visits neither): functions
    // come in pre-order, so one pass suffices.
    const kept: number[] = [];
    let f = 0;
    let skipUntil = -1;
    for (const position of found) {
      while (f < functions.length && functions[f]! <= position) {
        if (functions[f]! >= skipUntil) skipUntil = index.subtreeEnd[functions[f]!]!;
        f++;
      }
      if (position >= skipUntil) kept.push(position);
    }
    found = Int32Array.from(kept);
  }
  const out = new Array<T>(found.length);
  for (let i = 0; i < found.length; i++) out[i] = index.nodes[found[i]!] as T;
  return out;
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

export function spanOf(node: ts.Node, sourceFile: ts.SourceFile = node.getSourceFile()): Span {
  return { file: normalizePath(sourceFile.fileName), start: node.getStart(sourceFile), end: node.getEnd() };
}

/** `a.b.c(...)` → "c"; `f(...)` → "f"; `a["b"](...)` → "b". */
export function calleeName(call: ts.CallExpression | ts.NewExpression): string | undefined {
  const callee = skipParens(call.expression);
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  if (ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)) return callee.argumentExpression.text;
  return undefined;
}

/** `a.b.c(...)` → the node `a.b`; `f(...)` → undefined. */
export function receiverOf(call: ts.CallExpression): ts.Expression | undefined {
  const callee = skipParens(call.expression);
  if (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) return callee.expression;
  return undefined;
}

export function skipParens(node: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isNonNullExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isTypeAssertionExpression(node)
  ) {
    node = node.expression;
  }
  return node;
}

/** Skips `await`, parentheses and casts: `await (x as any)` → x. */
export function skipAwait(node: ts.Expression): ts.Expression {
  node = skipParens(node);
  while (ts.isAwaitExpression(node)) node = skipParens(node.expression);
  return node;
}

/** The outermost expression that is just `node` wrapped in await/parens/casts. */
export function outerExpression(node: ts.Expression): ts.Expression {
  let current: ts.Expression = node;
  while (
    current.parent &&
    (ts.isAwaitExpression(current.parent) ||
      ts.isParenthesizedExpression(current.parent) ||
      ts.isAsExpression(current.parent) ||
      ts.isNonNullExpression(current.parent) ||
      ts.isSatisfiesExpression(current.parent))
  ) {
    current = current.parent as ts.Expression;
  }
  return current;
}

/** A stable textual key of an expression, ignoring whitespace, quote style and `?.` (comments inside it are kept). */
export function expressionKey(node: ts.Node, sourceFile?: ts.SourceFile): string {
  // Asked for again and again (every acquisition against every release candidate): computed once per node.
  let key = expressionKeys.get(node);
  if (key === undefined) {
    const n = ts.isExpression(node) ? skipParens(node) : node;
    key = n
      .getText(sourceFile ?? node.getSourceFile())
      .replace(/\s+/g, "")
      .replace(/['`]/g, '"')
      .replace(/\?\./g, ".");
    expressionKeys.set(node, key);
  }
  return key;
}
const expressionKeys = new WeakMap<ts.Node, string>();

/** Value of a string-like literal or a template without substitutions. */
export function stringValue(node: ts.Node | undefined): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteralLike(node)) return node.text;
  return undefined;
}

/** The function whose body contains `node` (or undefined at module level). */
export function enclosingFunction(node: ts.Node): FunctionLike | undefined {
  for (let current = node.parent; current; current = current.parent) if (isFunctionLike(current)) return current;
  return undefined;
}

/** The statement that directly contains `node`. */
export function enclosingStatement(node: ts.Node): ts.Statement | undefined {
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (ts.isStatement(current) || ts.isVariableStatement(current)) return current as ts.Statement;
    if (isFunctionLike(current)) return undefined;
  }
  return undefined;
}

/** A readable name of a function for messages: `transfer`, `AccountService.debit`, `<anonymous>`. */
export function functionName(fn: FunctionLike): string {
  const own =
    fn.name && (ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name) || ts.isStringLiteral(fn.name)) ? fn.name.text : undefined;
  let name = own;
  if (!name && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) {
    const parent = fn.parent;
    if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) name = parent.name.text;
    else if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) name = parent.name.getText();
  }
  if (ts.isConstructorDeclaration(fn)) name = "constructor";
  const cls = fn.parent && (ts.isClassDeclaration(fn.parent) || ts.isClassExpression(fn.parent)) ? fn.parent.name?.text : undefined;
  return cls && name ? `${cls}.${name}` : (name ?? "<anonymous>");
}

export interface ImportInfo {
  module: string;
  /** "default", "*" or the exported name. */
  imported: string;
}

const importCache = new WeakMap<ts.SourceFile, Map<string, ImportInfo>>();

/** Local name → what it was imported as, from ES imports and top-level `require` destructuring. Cached per file. */
export function importsOf(sourceFile: ts.SourceFile): Map<string, ImportInfo> {
  let map = importCache.get(sourceFile);
  if (map) return map;
  map = new Map();
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const module = statement.moduleSpecifier.text;
      const clause = statement.importClause;
      if (!clause) continue;
      if (clause.name) map.set(clause.name.text, { module, imported: "default" });
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) map.set(bindings.name.text, { module, imported: "*" });
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements)
          map.set(element.name.text, { module, imported: (element.propertyName ?? element.name).text });
      }
    } else if (
      ts.isImportEqualsDeclaration(statement) &&
      ts.isExternalModuleReference(statement.moduleReference) &&
      ts.isStringLiteral(statement.moduleReference.expression)
    ) {
      map.set(statement.name.text, { module: statement.moduleReference.expression.text, imported: "*" });
    } else if (ts.isVariableStatement(statement)) {
      for (const decl of statement.declarationList.declarations) {
        const init = decl.initializer && skipAwait(decl.initializer);
        if (!init || !ts.isCallExpression(init) || !ts.isIdentifier(init.expression) || init.expression.text !== "require") continue;
        const module = stringValue(init.arguments[0]);
        if (!module) continue;
        if (ts.isIdentifier(decl.name)) map.set(decl.name.text, { module, imported: "*" });
        else if (ts.isObjectBindingPattern(decl.name)) {
          for (const element of decl.name.elements) {
            if (ts.isIdentifier(element.name))
              map.set(element.name.text, {
                module,
                imported: element.propertyName && ts.isIdentifier(element.propertyName) ? element.propertyName.text : element.name.text,
              });
          }
        }
      }
    }
  }
  importCache.set(sourceFile, map);
  return map;
}

/**
 * What module an identifier or `ns.Name` expression refers to, syntactically: `Mutex` imported from "async-mutex" →
 * { module: "async-mutex", imported: "Mutex" }; `am.Mutex` with `import * as am` → same.
 */
export function importedBinding(node: ts.Expression, sourceFile: ts.SourceFile): ImportInfo | undefined {
  const n = skipParens(node);
  const imports = importsOf(sourceFile);
  if (ts.isIdentifier(n)) return imports.get(n.text);
  if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression)) {
    const ns = imports.get(n.expression.text);
    if (ns && (ns.imported === "*" || ns.imported === "default")) return { module: ns.module, imported: n.name.text };
  }
  return undefined;
}

/** True if `node` is lexically inside `ancestor`. */
export function isInside(node: ts.Node, ancestor: ts.Node): boolean {
  for (let current: ts.Node | undefined = node; current; current = current.parent) if (current === ancestor) return true;
  return false;
}

/** Identifiers bound by a declaration name (plain or destructuring). */
export function boundNames(name: ts.BindingName): ts.Identifier[] {
  if (ts.isIdentifier(name)) return [name];
  const out: ts.Identifier[] = [];
  for (const element of name.elements) if (!ts.isOmittedExpression(element)) out.push(...boundNames(element.name));
  return out;
}

/** True if `node` mentions any identifier whose text is in `names`. */
export function mentions(node: ts.Node, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  let found = false;
  const go = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && names.has(n.text)) {
      // `x.names` property names are not references.
      if (!(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) {
        found = true;
        return;
      }
    }
    ts.forEachChild(n, go);
  };
  if (ts.isIdentifier(node)) go(node);
  else ts.forEachChild(node, go);
  return found;
}

/** Leading whitespace of the line `pos` is on. */
export function indentationAt(sourceFile: ts.SourceFile, pos: number): string {
  const lineStart = sourceFile.getLineStarts()[sourceFile.getLineAndCharacterOfPosition(pos).line]!;
  const match = /^[ \t]*/.exec(sourceFile.text.slice(lineStart, pos));
  return match ? match[0] : "";
}

/** The file's indentation unit (two spaces unless the file clearly uses tabs or four spaces). */
export function indentUnit(sourceFile: ts.SourceFile): string {
  const text = sourceFile.text;
  if (/^\t/m.test(text) && !/^ {2}\S/m.test(text)) return "\t";
  if (/^ {4}\S/m.test(text) && !/^ {2}\S/m.test(text)) return "    ";
  return "  ";
}

/** A line-number helper for messages ("line 12"). */
export function lineOf(node: ts.Node, sourceFile: ts.SourceFile = node.getSourceFile()): number {
  return sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
}

/** Inline code for a message: `text`, or the bare text when it holds a backtick itself (a template literal). */
export function code(text: string): string {
  return text.includes("`") ? text : `\`${text}\``;
}

/** `{ name: value }` / `{ name }` in an object literal (options objects of drivers and ORMs): the value expression. */
export function propertyValue(object: ts.Expression | undefined, name: string): ts.Expression | undefined {
  const node = object && skipParens(object);
  if (!node || !ts.isObjectLiteralExpression(node)) return undefined;
  for (const p of node.properties) {
    if (
      ts.isPropertyAssignment(p) &&
      (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) &&
      p.name.text === name
    )
      return p.initializer;
    if (ts.isShorthandPropertyAssignment(p) && p.name.text === name) return p.name;
  }
  return undefined;
}
