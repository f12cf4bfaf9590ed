// Control-flow graphs over raw ts.Nodes, one per function body (or per source file's top level), for the dataflow
// analyses of `dataflow.ts`. Blocks hold "elements" (calls, awaits, assignments, declarations, jumps, nested
// functions) in evaluation order; edges model branches, short circuits, loops, jumps, exceptions and finally blocks.
//
// Conventions a client can rely on:
// - An element that may throw (call, new, tagged template, await, yield, throw; not a logging call) is the last
//   element of its block; the block's "exception" edge leaves AFTER it, so the state on that edge includes the
//   element's own effect (undo it with ForwardProblem.edge if the effect only happens on success, e.g. a lock
//   acquisition).
// - "true"/"false" edges say whether `edge.condition` was truthy; for `??`, `??=` and `?.` they say whether it was
//   NOT nullish ("true" = the value is there: `?.` goes on with the chain, `??` skips its right side).
// - A finally body is built once per kind of exit that reaches it (normal, return, throw, each break/continue target),
//   so its nodes have several occurrences.
// - `process.exit(...)` never returns: after its exception edge, its block goes straight to `exit` (finally blocks
//   do not run), and whatever follows it is unreachable. A call of a function of the same file declared to return
//   `never` only has its exception edge.
// - `return`, `throw`, `break` and `continue` are elements too (the last of their block), so a client can tell which
//   jump an edge stands for.
// - Assignments (`=`, `+=`, `??=`, …, and `++` / `--`) and variable declarations are elements, after the values
//   they assign.
// - Nested functions and classes are single elements; their bodies are separate graphs (flowGraphOf(callback)).
//   Function declarations are hoisted, so they are not elements at all.
import { ts } from "../../engine/ts";
import { importedBinding, isAssignmentOperator } from "../ast";
import { declarationOf, variableDeclarationOf } from "../identity";
import { isFunctionLike, type FunctionLike } from "../node-index";

export type EdgeKind = "normal" | "true" | "false" | "exception";

export interface FlowBlock {
  id: number;
  elements: ts.Node[];
  succ: FlowEdge[];
  pred: FlowEdge[];
}

export interface FlowEdge {
  from: FlowBlock;
  to: FlowBlock;
  kind: EdgeKind;
  /** For "true"/"false" edges: the expression tested (absent for a for-in/of "has another item" test). */
  condition?: ts.Expression;
}

export interface FlowGraph {
  root: FunctionLike | ts.SourceFile;
  /** No elements. */
  entry: FlowBlock;
  /** Normal completion and `return` (no elements). */
  exit: FlowBlock;
  /** An uncaught exception leaves the function (no elements). */
  throwExit: FlowBlock;
  /** All blocks, entry first; unreachable blocks may exist (no preds). */
  blocks: FlowBlock[];
  /** Every (block, index) where `node` is an element (a finally body is copied per exit kind, so several). */
  occurrences(node: ts.Node): ReadonlyArray<{ block: FlowBlock; index: number }>;
  /**
   * Per copy of `statement` (one, or several in a finally body): the block it starts in and the block control is in
   * when it completes normally (a block no path reaches when it always jumps or throws). Empty if not built here.
   */
  spans(statement: ts.Statement): ReadonlyArray<StatementSpan>;
}

export interface StatementSpan {
  start: FlowBlock;
  end: FlowBlock;
}

type Occurrence = { block: FlowBlock; index: number };
const NO_OCCURRENCES: ReadonlyArray<Occurrence> = Object.freeze([]);
const NO_SPANS: ReadonlyArray<StatementSpan> = Object.freeze([]);

const graphs = new WeakMap<ts.Node, FlowGraph>();

/** Cached per root node (WeakMap). */
export function flowGraphOf(root: FunctionLike | ts.SourceFile): FlowGraph {
  let graph = graphs.get(root);
  if (!graph) {
    graph = new Builder(root).build();
    graphs.set(root, graph);
  }
  return graph;
}

/** The nearest ancestor-or-self of `node` that is an element of `graph`; undefined at the root or in a nested function. */
export function elementAt(graph: FlowGraph, node: ts.Node): ts.Node | undefined {
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (current === graph.root) return undefined;
    // Below a nested function or class is a different graph (the function itself is an element of this one).
    if (current !== node && (isFunctionLike(current) || ts.isClassLike(current))) return undefined;
    if (graph.occurrences(current).length > 0) return current;
  }
  return undefined;
}

const reachableCache = new WeakMap<FlowGraph, Uint8Array>();

/** Whether some path from `graph.entry` reaches `block` (exception edges included). */
export function isReachable(graph: FlowGraph, block: FlowBlock): boolean {
  let reached = reachableCache.get(graph);
  if (!reached) {
    const seen = new Uint8Array(graph.blocks.length);
    const stack = [graph.entry];
    seen[graph.entry.id] = 1;
    while (stack.length > 0)
      for (const { to } of stack.pop()!.succ)
        if (!seen[to.id]) {
          seen[to.id] = 1;
          stack.push(to);
        }
    reachableCache.set(graph, (reached = seen));
  }
  return reached[block.id] === 1;
}

/** True for the elements that may throw, which therefore end their block. */
function mayThrow(node: ts.Node): boolean {
  switch (node.kind) {
    case ts.SyntaxKind.CallExpression:
      return (
        !isLoggingCall(node as ts.CallExpression) &&
        !isClockReading(node as ts.CallExpression) &&
        !isLoggedConversion(node as ts.CallExpression) &&
        !isCollectionCall(node as ts.CallExpression) &&
        !isStoreAccessorCall(node as ts.CallExpression)
      );
    case ts.SyntaxKind.NewExpression:
      return !isNewDate(node as ts.NewExpression);
    case ts.SyntaxKind.TaggedTemplateExpression:
    case ts.SyntaxKind.AwaitExpression:
    case ts.SyntaxKind.YieldExpression:
      return true;
    default:
      return false;
  }
}

const LOG_METHODS = new Set(["log", "debug", "info", "warn", "error", "trace", "verbose", "fatal"]);

/**
 * `console.debug(…)`, `logger.info(…)`, `this.logger.warn(…)`: logging is taken not to throw, so a log line between
 * an acquisition and the end of a `try` does not make its `catch` reachable with the lock held.
 */
function isLoggingCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.name) || !LOG_METHODS.has(callee.name.text)) return false;
  const receiver = callee.expression;
  const name = ts.isIdentifier(receiver) ? receiver.text : ts.isPropertyAccessExpression(receiver) ? receiver.name.text : "";
  return /^(console|logger|log|_logger|#logger)$/i.test(name);
}

/**
 * `logger.debug("…", { team: team?.toString() })`: a value's conversion to text (`x.toString()`, `String(x)`) for a log
 * line is taken not to throw, as the log call itself is.
 */
function isLoggedConversion(call: ts.CallExpression): boolean {
  const callee = call.expression;
  const conversion =
    (ts.isPropertyAccessExpression(callee) && callee.name.text === "toString" && call.arguments.length === 0) ||
    (ts.isIdentifier(callee) && callee.text === "String" && call.arguments.length === 1);
  if (!conversion) return false;
  for (let node: ts.Node = call; node.parent; node = node.parent) {
    const parent = node.parent;
    if (ts.isCallExpression(parent) && parent.arguments.includes(node as ts.Expression)) return isLoggingCall(parent);
    if (ts.isStatement(parent) || ts.isFunctionLike(parent)) return false;
  }
  return false;
}

/** `Date.now()`, `performance.now()`, and such a reading's `toString()`: a clock reading cannot throw. */
function isClockReading(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (call.arguments.length > 0 || !ts.isPropertyAccessExpression(callee)) return false;
  const receiver = callee.expression;
  if (callee.name.text === "toString") return ts.isCallExpression(receiver) && isClockReading(receiver);
  return callee.name.text === "now" && ts.isIdentifier(receiver) && (receiver.text === "Date" || receiver.text === "performance");
}

/** zustand's store factories, whose creator function receives the store's `set` and `get`. */
const STORE_FACTORIES = new Set(["create", "createStore", "createWithEqualityFn"]);

/**
 * `get()` / `set({ loading: true })` in a zustand store's creator (`create((set, get) => …)`, also through middleware
 * of zustand's own, such as `persist(…)`): the store's accessors read and replace its state, and do not throw.
 */
function isStoreAccessorCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (!ts.isIdentifier(callee)) return false;
  const parameter = declarationOf(callee);
  if (!parameter || !ts.isParameter(parameter)) return false;
  const creator = parameter.parent;
  if (!(ts.isArrowFunction(creator) || ts.isFunctionExpression(creator)) || creator.parameters.indexOf(parameter) > 1) return false;
  const sourceFile = call.getSourceFile();
  let argument: ts.Expression = creator;
  for (let parent = creator.parent; ts.isCallExpression(parent) && parent.arguments.includes(argument); parent = parent.parent) {
    // `create<State>()(creator)`: the curried form calls what the factory returned.
    const factory = ts.isCallExpression(parent.expression) ? parent.expression.expression : parent.expression;
    const imported = importedBinding(factory, sourceFile);
    if (!imported || (imported.module !== "zustand" && !imported.module.startsWith("zustand/"))) return false;
    if (STORE_FACTORIES.has(imported.imported)) return true;
    argument = parent;
  }
  return false;
}

const COLLECTION_METHODS = new Set(["has", "add", "delete", "get", "set", "clear"]);

/**
 * `this.busy.delete(id)` on a field (or `const`) made with `new Set(…)` / `new Map(…)`: a Set's or Map's own methods
 * cannot throw, so a `finally` that unmarks a busy key before releasing a lock always reaches the release.
 */
function isCollectionCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || !COLLECTION_METHODS.has(callee.name.text)) return false;
  const receiver = callee.expression;
  let initializer: ts.Expression | undefined;
  if (ts.isPropertyAccessExpression(receiver) && receiver.expression.kind === ts.SyntaxKind.ThisKeyword) {
    let cls: ts.Node | undefined = call.parent;
    while (cls && !ts.isClassLike(cls)) cls = cls.parent;
    const field =
      cls && ts.isClassLike(cls)
        ? cls.members.find((m) => ts.isPropertyDeclaration(m) && m.name.getText() === receiver.name.text)
        : undefined;
    initializer = field && ts.isPropertyDeclaration(field) ? field.initializer : undefined;
  } else if (ts.isIdentifier(receiver)) {
    const declaration = variableDeclarationOf(receiver);
    const list = declaration?.parent;
    if (list && ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Const) initializer = declaration.initializer;
  }
  return (
    !!initializer &&
    ts.isNewExpression(initializer) &&
    ts.isIdentifier(initializer.expression) &&
    /^(Set|Map|WeakSet|WeakMap)$/.test(initializer.expression.text)
  );
}

/** `new Date(ms)`, `new Date()`: a Date is made from any number (an invalid one holds NaN), never thrown. */
function isNewDate(node: ts.NewExpression): boolean {
  return ts.isIdentifier(node.expression) && node.expression.text === "Date" && (node.arguments?.length ?? 0) <= 1;
}

/** `process.exit(...)`: never returns. */
export function isProcessExit(call: ts.CallExpression): boolean {
  const callee = call.expression;
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === "process" &&
    ts.isIdentifier(callee.name) &&
    callee.name.text === "exit"
  );
}

const neverFunctions = new WeakMap<ts.Node, ReadonlySet<string>>();

/**
 * A call of a function or method of the same file whose declared return type is `never` (`function fail(…): never`,
 * `this.reject(…)` of the enclosing class), as TypeScript's own narrowing requires it to be declared.
 */
export function returnsNever(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return neverNamesIn(callee.getSourceFile()).has(callee.text);
  if (!ts.isPropertyAccessExpression(callee) || callee.expression.kind !== ts.SyntaxKind.ThisKeyword) return false;
  let owner: ts.Node | undefined = call.parent;
  while (owner && !ts.isClassLike(owner)) owner = owner.parent;
  return !!owner && neverNamesIn(owner).has(callee.name.text);
}

function neverNamesIn(scope: ts.SourceFile | ts.ClassLikeDeclaration): ReadonlySet<string> {
  let names = neverFunctions.get(scope);
  if (names) return names;
  const found = new Set<string>();
  const isNever = (type: ts.TypeNode | undefined) => type?.kind === ts.SyntaxKind.NeverKeyword;
  if (ts.isSourceFile(scope)) {
    for (const statement of scope.statements) {
      if (ts.isFunctionDeclaration(statement) && statement.name && isNever(statement.type)) found.add(statement.name.text);
      if (ts.isVariableStatement(statement))
        for (const d of statement.declarationList.declarations) {
          const init = d.initializer && ts.isParenthesizedExpression(d.initializer) ? d.initializer.expression : d.initializer;
          if (ts.isIdentifier(d.name) && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) && isNever(init.type))
            found.add(d.name.text);
        }
    }
  } else {
    for (const member of scope.members)
      if (ts.isMethodDeclaration(member) && ts.isIdentifier(member.name) && isNever(member.type)) found.add(member.name.text);
  }
  names = found;
  neverFunctions.set(scope, names);
  return names;
}

function hasQuestionDot(node: ts.Node): node is ts.PropertyAccessExpression | ts.ElementAccessExpression | ts.CallExpression {
  return (
    (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node) || ts.isCallExpression(node)) && !!node.questionDotToken
  );
}

/** The last link of an optional chain, where a short circuit lands (TypeScript's own notion of the outermost chain). */
function isOutermostOptionalChain(node: ts.Node): boolean {
  const parent = node.parent;
  if (!ts.isOptionalChain(parent)) return true;
  if (hasQuestionDot(parent)) return true; // `a?.b?.c`: `?.c` starts a chain of its own
  return parent.expression !== node;
}

function skipParentheses(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  return node;
}

type Exit = { kind: "normal" } | { kind: "return" } | { kind: "throw" } | { kind: "break" | "continue"; frame: number };

/** A statement that `break` (and for loops `continue`) can target. */
interface JumpFrame {
  type: "jump";
  labels: readonly string[];
  /** Loops and switches take an unlabelled break; labelled blocks only a labelled one. */
  unlabelledBreak: boolean;
  breakTarget: FlowBlock;
  continueTarget: FlowBlock | undefined;
}

interface TryFrame {
  type: "try";
  /** Set while building the try block only: exceptions in the catch block go on to the finally or outwards. */
  catchEntry: FlowBlock | undefined;
  finallyBlock: ts.Block | undefined;
  /** Entry of the finally copy per exit kind. */
  copies: Map<string, FlowBlock>;
  after: FlowBlock;
}

type Frame = JumpFrame | TryFrame;

class Builder {
  private readonly blocks: FlowBlock[] = [];
  private readonly occurrences = new Map<ts.Node, Occurrence[]>();
  private readonly spans = new Map<ts.Statement, StatementSpan[]>();
  private readonly entry: FlowBlock;
  private readonly exit: FlowBlock;
  private readonly throwExit: FlowBlock;
  private current: FlowBlock;
  private frames: Frame[] = [];
  /** Where a short-circuited optional chain lands, innermost chain last. */
  private readonly chainEnds: FlowBlock[] = [];

  constructor(private readonly root: FunctionLike | ts.SourceFile) {
    this.entry = this.newBlock();
    this.exit = this.newBlock();
    this.throwExit = this.newBlock();
    this.current = this.newBlock();
    this.edge(this.entry, this.current);
  }

  build(): FlowGraph {
    const root = this.root;
    if (ts.isSourceFile(root)) {
      this.statements(root.statements);
    } else {
      for (const parameter of root.parameters) {
        if (parameter.initializer) this.expr(parameter.initializer);
        this.binding(parameter.name);
      }
      const body = root.body;
      if (body) {
        if (ts.isBlock(body)) this.statement(body);
        else this.expr(body);
      }
    }
    this.edge(this.current, this.exit);
    const occurrences = this.occurrences;
    const spans = this.spans;
    return {
      root,
      entry: this.entry,
      exit: this.exit,
      throwExit: this.throwExit,
      blocks: this.blocks,
      occurrences: (node) => occurrences.get(node) ?? NO_OCCURRENCES,
      spans: (statement) => spans.get(statement) ?? NO_SPANS,
    };
  }

  private newBlock(): FlowBlock {
    const block: FlowBlock = { id: this.blocks.length, elements: [], succ: [], pred: [] };
    this.blocks.push(block);
    return block;
  }

  private edge(from: FlowBlock, to: FlowBlock, kind: EdgeKind = "normal", condition?: ts.Expression): void {
    const edge: FlowEdge = condition ? { from, to, kind, condition } : { from, to, kind };
    from.succ.push(edge);
    to.pred.push(edge);
  }

  /** After return/throw/break/continue: what follows is unreachable, in a block of its own with no preds. */
  private deadEnd(): void {
    this.current = this.newBlock();
  }

  private addElement(node: ts.Node): void {
    const block = this.current;
    const list = this.occurrences.get(node);
    const occurrence = { block, index: block.elements.length };
    if (list) list.push(occurrence);
    else this.occurrences.set(node, [occurrence]);
    block.elements.push(node);
    if (!mayThrow(node)) return;
    this.route(block, this.frames.length, { kind: "throw" }, "exception");
    if (ts.isCallExpression(node) && isProcessExit(node)) {
      this.edge(block, this.exit);
      this.deadEnd();
      return;
    }
    // A function of this file declared to return `never` only throws: nothing after the call runs.
    if (ts.isCallExpression(node) && returnsNever(node)) {
      this.deadEnd();
      return;
    }
    this.current = this.newBlock();
    this.edge(block, this.current);
  }

  /**
   * Leaves `from` for `exit` as seen from frame depth `depth`: through the innermost catch (throws) or finally on the
   * way, else to the jump's target, `exit` or `throwExit`.
   */
  private route(from: FlowBlock, depth: number, exit: Exit, kind: EdgeKind): void {
    for (let i = depth - 1; i >= 0; i--) {
      const frame = this.frames[i];
      if (frame.type === "try") {
        if (exit.kind === "throw" && frame.catchEntry) return this.edge(from, frame.catchEntry, kind);
        if (frame.finallyBlock) return this.edge(from, this.finallyCopy(frame, i, exit), kind);
      } else if ((exit.kind === "break" || exit.kind === "continue") && exit.frame === i) {
        const target = exit.kind === "break" ? frame.breakTarget : frame.continueTarget;
        if (target) this.edge(from, target, kind);
        return;
      }
    }
    this.edge(from, exit.kind === "throw" ? this.throwExit : this.exit, kind);
  }

  /** The entry of the copy of `frame`'s finally body for `exit` (built on first use), which then goes on to `exit`. */
  private finallyCopy(frame: TryFrame, depth: number, exit: Exit): FlowBlock {
    const key = exit.kind === "break" || exit.kind === "continue" ? `${exit.kind}:${exit.frame}` : exit.kind;
    const existing = frame.copies.get(key);
    if (existing) return existing;
    const entry = this.newBlock();
    frame.copies.set(key, entry);
    const saved = { current: this.current, frames: this.frames };
    // The finally body runs outside its try statement: its own throws and jumps go to the frames around it.
    this.frames = this.frames.slice(0, depth);
    this.current = entry;
    this.statement(frame.finallyBlock!);
    if (exit.kind === "normal") this.edge(this.current, frame.after);
    else this.route(this.current, depth, exit, exit.kind === "throw" ? "exception" : "normal");
    this.current = saved.current;
    this.frames = saved.frames;
    return entry;
  }

  // ---- statements ----

  private statements(list: readonly ts.Statement[]): void {
    for (const statement of list) this.statement(statement);
  }

  private statement(node: ts.Statement, labels: readonly string[] = []): void {
    const start = this.current;
    this.statementFlow(node, labels);
    const span = { start, end: this.current };
    const list = this.spans.get(node);
    if (list) list.push(span);
    else this.spans.set(node, [span]);
  }

  private statementFlow(node: ts.Statement, labels: readonly string[]): void {
    switch (node.kind) {
      case ts.SyntaxKind.Block:
        return this.statements((node as ts.Block).statements);
      case ts.SyntaxKind.ExpressionStatement:
        return this.expr((node as ts.ExpressionStatement).expression);
      case ts.SyntaxKind.VariableStatement: {
        const statement = node as ts.VariableStatement;
        if (statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) return;
        return this.declarations(statement.declarationList);
      }
      case ts.SyntaxKind.IfStatement:
        return this.ifStatement(node as ts.IfStatement);
      case ts.SyntaxKind.WhileStatement:
        return this.whileStatement(node as ts.WhileStatement, labels);
      case ts.SyntaxKind.DoStatement:
        return this.doStatement(node as ts.DoStatement, labels);
      case ts.SyntaxKind.ForStatement:
        return this.forStatement(node as ts.ForStatement, labels);
      case ts.SyntaxKind.ForInStatement:
      case ts.SyntaxKind.ForOfStatement:
        return this.forInOf(node as ts.ForInStatement | ts.ForOfStatement, labels);
      case ts.SyntaxKind.LabeledStatement:
        return this.labelled(node as ts.LabeledStatement, labels);
      case ts.SyntaxKind.SwitchStatement:
        return this.switchStatement(node as ts.SwitchStatement, labels);
      case ts.SyntaxKind.TryStatement:
        return this.tryStatement(node as ts.TryStatement);
      case ts.SyntaxKind.ReturnStatement: {
        const statement = node as ts.ReturnStatement;
        if (statement.expression) this.expr(statement.expression);
        this.addElement(statement);
        this.route(this.current, this.frames.length, { kind: "return" }, "normal");
        return this.deadEnd();
      }
      case ts.SyntaxKind.ThrowStatement: {
        const statement = node as ts.ThrowStatement;
        this.expr(statement.expression);
        this.addElement(statement);
        this.route(this.current, this.frames.length, { kind: "throw" }, "exception");
        return this.deadEnd();
      }
      case ts.SyntaxKind.BreakStatement:
      case ts.SyntaxKind.ContinueStatement:
        return this.jump(node as ts.BreakOrContinueStatement);
      case ts.SyntaxKind.ClassDeclaration:
        // Evaluated where it stands (static initializers, decorators), unlike a hoisted function declaration.
        return this.addElement(node);
      case ts.SyntaxKind.ExportAssignment:
        return this.expr((node as ts.ExportAssignment).expression);
      case ts.SyntaxKind.WithStatement: {
        const statement = node as ts.WithStatement;
        this.expr(statement.expression);
        return this.statement(statement.statement);
      }
      default:
        // Function/interface/type/enum/module/import declarations, empty and debugger statements: no flow here.
        return;
    }
  }

  private declarations(list: ts.VariableDeclarationList): void {
    for (const declaration of list.declarations) {
      if (declaration.initializer) this.expr(declaration.initializer);
      this.binding(declaration.name);
      this.addElement(declaration);
    }
  }

  /** Computed keys and defaults of a destructuring pattern (defaults taken as always evaluated). */
  private binding(name: ts.BindingName): void {
    if (ts.isIdentifier(name)) return;
    for (const element of name.elements) {
      if (ts.isOmittedExpression(element)) continue;
      if (element.propertyName && ts.isComputedPropertyName(element.propertyName)) this.expr(element.propertyName.expression);
      if (element.initializer) this.expr(element.initializer);
      this.binding(element.name);
    }
  }

  private ifStatement(node: ts.IfStatement): void {
    const then = this.newBlock();
    const after = this.newBlock();
    const otherwise = node.elseStatement ? this.newBlock() : after;
    this.condition(node.expression, then, otherwise);
    this.current = then;
    this.statement(node.thenStatement);
    this.edge(this.current, after);
    if (node.elseStatement) {
      this.current = otherwise;
      this.statement(node.elseStatement);
      this.edge(this.current, after);
    }
    this.current = after;
  }

  private loopBody(body: ts.Statement, labels: readonly string[], breakTarget: FlowBlock, continueTarget: FlowBlock): void {
    this.frames.push({ type: "jump", labels, unlabelledBreak: true, breakTarget, continueTarget });
    this.statement(body);
    this.frames.pop();
  }

  private whileStatement(node: ts.WhileStatement, labels: readonly string[]): void {
    const head = this.newBlock();
    const body = this.newBlock();
    const after = this.newBlock();
    this.edge(this.current, head);
    this.current = head;
    this.condition(node.expression, body, after);
    this.current = body;
    this.loopBody(node.statement, labels, after, head);
    this.edge(this.current, head);
    this.current = after;
  }

  private doStatement(node: ts.DoStatement, labels: readonly string[]): void {
    const body = this.newBlock();
    const test = this.newBlock();
    const after = this.newBlock();
    this.edge(this.current, body);
    this.current = body;
    this.loopBody(node.statement, labels, after, test);
    this.edge(this.current, test);
    this.current = test;
    this.condition(node.expression, body, after);
    this.current = after;
  }

  private forStatement(node: ts.ForStatement, labels: readonly string[]): void {
    const init = node.initializer;
    if (init) {
      if (ts.isVariableDeclarationList(init)) this.declarations(init);
      else this.expr(init);
    }
    const head = this.newBlock();
    const body = this.newBlock();
    const next = this.newBlock();
    const after = this.newBlock();
    this.edge(this.current, head);
    this.current = head;
    if (node.condition) this.condition(node.condition, body, after);
    else this.edge(head, body);
    this.current = body;
    this.loopBody(node.statement, labels, after, next);
    this.edge(this.current, next);
    this.current = next;
    if (node.incrementor) this.expr(node.incrementor);
    this.edge(this.current, head);
    this.current = after;
  }

  private forInOf(node: ts.ForInStatement | ts.ForOfStatement, labels: readonly string[]): void {
    this.expr(node.expression);
    const head = this.newBlock();
    const body = this.newBlock();
    const after = this.newBlock();
    this.edge(this.current, head);
    // "true": one more item (the loop may run zero times).
    this.edge(head, body, "true");
    this.edge(head, after, "false");
    this.current = body;
    const init = node.initializer;
    if (ts.isVariableDeclarationList(init)) {
      for (const declaration of init.declarations) {
        this.binding(declaration.name);
        this.addElement(declaration);
      }
    } else {
      this.expr(init);
    }
    this.loopBody(node.statement, labels, after, head);
    this.edge(this.current, head);
    this.current = after;
  }

  private labelled(node: ts.LabeledStatement, outer: readonly string[]): void {
    const labels = [...outer, node.label.text];
    const inner = node.statement;
    switch (inner.kind) {
      case ts.SyntaxKind.LabeledStatement:
      case ts.SyntaxKind.WhileStatement:
      case ts.SyntaxKind.DoStatement:
      case ts.SyntaxKind.ForStatement:
      case ts.SyntaxKind.ForInStatement:
      case ts.SyntaxKind.ForOfStatement:
      case ts.SyntaxKind.SwitchStatement:
        return this.statement(inner, labels);
    }
    const after = this.newBlock();
    this.frames.push({ type: "jump", labels, unlabelledBreak: false, breakTarget: after, continueTarget: undefined });
    this.statement(inner);
    this.frames.pop();
    this.edge(this.current, after);
    this.current = after;
  }

  private jump(node: ts.BreakOrContinueStatement): void {
    this.addElement(node);
    const isContinue = node.kind === ts.SyntaxKind.ContinueStatement;
    const label = node.label?.text;
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const frame = this.frames[i];
      if (frame.type !== "jump") continue;
      if (isContinue && !frame.continueTarget) continue;
      if (label !== undefined ? frame.labels.includes(label) : isContinue || frame.unlabelledBreak) {
        this.route(this.current, this.frames.length, { kind: isContinue ? "continue" : "break", frame: i }, "normal");
        break;
      }
    }
    // No target is a syntax error: the statement just ends the flow.
    this.deadEnd();
  }

  private switchStatement(node: ts.SwitchStatement, labels: readonly string[]): void {
    this.expr(node.expression);
    const clauses = node.caseBlock.clauses;
    const bodies = clauses.map(() => this.newBlock());
    const after = this.newBlock();
    // Case tests run in source order; when none matches, control goes to `default` wherever it stands.
    let defaultBody: FlowBlock | undefined;
    clauses.forEach((clause, i) => {
      if (ts.isDefaultClause(clause)) {
        defaultBody = bodies[i];
        return;
      }
      this.expr(clause.expression);
      const next = this.newBlock();
      this.edge(this.current, bodies[i], "true", clause.expression);
      this.edge(this.current, next, "false", clause.expression);
      this.current = next;
    });
    this.edge(this.current, defaultBody ?? after);
    this.frames.push({ type: "jump", labels, unlabelledBreak: true, breakTarget: after, continueTarget: undefined });
    clauses.forEach((clause, i) => {
      this.current = bodies[i];
      this.statements(clause.statements);
      // Fall-through into the next clause's body.
      this.edge(this.current, i + 1 < bodies.length ? bodies[i + 1] : after);
    });
    this.frames.pop();
    this.current = after;
  }

  private tryStatement(node: ts.TryStatement): void {
    const after = this.newBlock();
    const catchEntry = node.catchClause ? this.newBlock() : undefined;
    const frame: TryFrame = { type: "try", catchEntry, finallyBlock: node.finallyBlock, copies: new Map(), after };
    const depth = this.frames.length;
    this.frames.push(frame);
    this.statement(node.tryBlock);
    const ends = [this.current];
    frame.catchEntry = undefined;
    if (node.catchClause && catchEntry) {
      this.current = catchEntry;
      if (node.catchClause.variableDeclaration) {
        this.binding(node.catchClause.variableDeclaration.name);
        this.addElement(node.catchClause.variableDeclaration);
      }
      this.statement(node.catchClause.block);
      ends.push(this.current);
    }
    this.frames.pop();
    const target = node.finallyBlock ? this.finallyCopy(frame, depth, { kind: "normal" }) : after;
    for (const end of ends) this.edge(end, target);
    this.current = after;
  }

  // ---- expressions ----

  /** Branches on `node`'s truthiness to `whenTrue` / `whenFalse`, short-circuiting `&&`, `||` and `!` precisely. */
  private condition(node: ts.Expression, whenTrue: FlowBlock, whenFalse: FlowBlock): void {
    const test = skipParentheses(node);
    if (ts.isPrefixUnaryExpression(test) && test.operator === ts.SyntaxKind.ExclamationToken)
      return this.condition(test.operand, whenFalse, whenTrue);
    if (ts.isBinaryExpression(test)) {
      const op = test.operatorToken.kind;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
        const right = this.newBlock();
        if (op === ts.SyntaxKind.AmpersandAmpersandToken) this.condition(test.left, right, whenFalse);
        else this.condition(test.left, whenTrue, right);
        this.current = right;
        return this.condition(test.right, whenTrue, whenFalse);
      }
    }
    if (test.kind === ts.SyntaxKind.TrueKeyword) return this.edge(this.current, whenTrue, "true", test);
    if (test.kind === ts.SyntaxKind.FalseKeyword) return this.edge(this.current, whenFalse, "false", test);
    this.expr(test);
    this.edge(this.current, whenTrue, "true", test);
    this.edge(this.current, whenFalse, "false", test);
  }

  /** The elements of an expression, in evaluation order (post-order, left to right). */
  private readonly expr = (node: ts.Node): void => {
    if (ts.isOptionalChain(node) && isOutermostOptionalChain(node)) {
      const end = this.newBlock();
      this.chainEnds.push(end);
      this.exprCore(node);
      this.chainEnds.pop();
      this.edge(this.current, end);
      this.current = end;
      return;
    }
    this.exprCore(node);
  };

  private exprCore(node: ts.Node): void {
    switch (node.kind) {
      case ts.SyntaxKind.ArrowFunction:
      case ts.SyntaxKind.FunctionExpression:
      case ts.SyntaxKind.ClassExpression:
      case ts.SyntaxKind.MethodDeclaration:
      case ts.SyntaxKind.GetAccessor:
      case ts.SyntaxKind.SetAccessor:
        // A separate graph: the value is made here, the body runs whenever it is called.
        return this.addElement(node);
      case ts.SyntaxKind.ConditionalExpression: {
        const conditional = node as ts.ConditionalExpression;
        const whenTrue = this.newBlock();
        const whenFalse = this.newBlock();
        const after = this.newBlock();
        this.condition(conditional.condition, whenTrue, whenFalse);
        this.current = whenTrue;
        this.expr(conditional.whenTrue);
        this.edge(this.current, after);
        this.current = whenFalse;
        this.expr(conditional.whenFalse);
        this.edge(this.current, after);
        this.current = after;
        return;
      }
      case ts.SyntaxKind.BinaryExpression:
        return this.binary(node as ts.BinaryExpression);
    }
    if (ts.isTypeNode(node)) return;
    if (hasQuestionDot(node) && this.chainEnds.length > 0) {
      // `a?.b(...)`: the rest of the chain runs only when `a` is there.
      this.expr(node.expression);
      const rest = this.newBlock();
      this.edge(this.current, rest, "true", node.expression);
      this.edge(this.current, this.chainEnds[this.chainEnds.length - 1], "false", node.expression);
      this.current = rest;
      if (ts.isCallExpression(node)) {
        for (const argument of node.arguments) this.expr(argument);
        return this.addElement(node);
      }
      if (ts.isElementAccessExpression(node)) this.expr(node.argumentExpression);
      return;
    }
    ts.forEachChild(node, this.expr);
    switch (node.kind) {
      case ts.SyntaxKind.CallExpression:
      case ts.SyntaxKind.NewExpression:
      case ts.SyntaxKind.TaggedTemplateExpression:
      case ts.SyntaxKind.AwaitExpression:
      case ts.SyntaxKind.YieldExpression:
      case ts.SyntaxKind.DeleteExpression:
        this.addElement(node);
        return;
      case ts.SyntaxKind.PrefixUnaryExpression:
      case ts.SyntaxKind.PostfixUnaryExpression: {
        // `x++`, `--row.count`: an assignment, like `x += 1` (an element where it runs, for analyses of bindings).
        const operator = (node as ts.PrefixUnaryExpression | ts.PostfixUnaryExpression).operator;
        if (operator === ts.SyntaxKind.PlusPlusToken || operator === ts.SyntaxKind.MinusMinusToken) this.addElement(node);
      }
    }
  }

  private binary(node: ts.BinaryExpression): void {
    const op = node.operatorToken.kind;
    switch (op) {
      case ts.SyntaxKind.AmpersandAmpersandToken:
      case ts.SyntaxKind.BarBarToken:
      case ts.SyntaxKind.QuestionQuestionToken:
      case ts.SyntaxKind.AmpersandAmpersandEqualsToken:
      case ts.SyntaxKind.BarBarEqualsToken:
      case ts.SyntaxKind.QuestionQuestionEqualsToken: {
        this.expr(node.left);
        const right = this.newBlock();
        const after = this.newBlock();
        // Which outcome of the left side evaluates the right side ("true" = truthy, or not nullish for ??).
        const rightOn =
          op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.AmpersandAmpersandEqualsToken ? "true" : "false";
        this.edge(this.current, right, rightOn, node.left);
        this.edge(this.current, after, rightOn === "true" ? "false" : "true", node.left);
        this.current = right;
        this.expr(node.right);
        if (isAssignmentOperator(op)) this.addElement(node);
        this.edge(this.current, after);
        this.current = after;
        return;
      }
    }
    this.expr(node.left);
    this.expr(node.right);
    if (isAssignmentOperator(op)) this.addElement(node);
  }
}
