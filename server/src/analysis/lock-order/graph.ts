// The project-wide lock-order graph: an edge A→B for each place where B is acquired while A is held, directly or
// through calls (across files), remembering the call chain. From it: cycles (inconsistent lock order), the same lock
// taken twice (re-entrance), and two instances of one class taken in argument order (`transfer(from, to)`).
//
// Composition is cheap: file summaries are cached per content (summary.ts); here calls made while a lock is held
// are resolved with the checker (only those), and what each called function acquires is computed once per run. Only
// functions that acquire a lock, that such calls reach, or that pass a callback to a lock helper are looked at.
import { ts } from "../../engine/ts";
import { normalizePath } from "../../engine/paths";
import type { DeclaredLocks, Span } from "../../engine/types";
import { importsOf, isFunctionLike, skipParens } from "../ast";
import { solveBottomUp } from "../flow/bottom-up";
import { ROOT, sameKey, sameRoot, type KeyRef } from "./keys";
import { NON_REENTRANT, type LockClass } from "./lock-class";
import {
  declaredLocksKey,
  fileSummary,
  functionSummaryAt,
  functionTableOf,
  type AcquisitionSummary,
  type CallSummary,
  type FileSummary,
  type FunctionSummary,
} from "./summary";

/** One call on the way from the function holding a lock to the function acquiring the next. */
export interface CallStep {
  caller: FunctionSummary;
  call: CallSummary;
  callee: FunctionSummary;
}

/** B (`inner`) acquired while A (`outer`) is held. */
export interface LockOrderEdge {
  from: LockClass;
  to: LockClass;
  /** The function holding A. */
  holder: FunctionSummary;
  outer: AcquisitionSummary;
  /** The function acquiring B (the holder itself when `via` is empty). */
  acquirer: FunctionSummary;
  inner: AcquisitionSummary;
  /** The calls from the holder to the acquirer (empty when B is acquired in the holder itself). */
  via: CallStep[];
  /** B's key in the holder's terms. */
  innerKey?: KeyRef;
  /** Where the edge is reported: the inner acquisition, or the holder's call that leads to it. */
  site: Span;
}

export interface LockOrderAnalysis {
  classes: Map<string, LockClass>;
  /** Edges between different lock classes. */
  edges: LockOrderEdge[];
  /** Each edge that lies on a cycle, with the shortest way back (edges B ⇝ A). */
  cycles: Array<{ edge: LockOrderEdge; back: LockOrderEdge[] }>;
  /** The same lock instance acquired while held. */
  reentries: LockOrderEdge[];
  /** Two instances of one class taken one inside the other, keys from different inputs, in no canonical order. */
  argumentOrders: LockOrderEdge[];
}

interface Reached {
  acquirer: FunctionSummary;
  acquisition: AcquisitionSummary;
  via: CallStep[];
  key?: KeyRef;
}

/** At most this many acquisitions are kept per function (the first found): a bound on the work, not on depth. */
const MAX_REACHED = 400;
const NOTHING_REACHED: readonly Reached[] = Object.freeze([]);

const analyses = new WeakMap<ts.Program, Map<string, LockOrderAnalysis>>();

/** The declared locks (locksmith.json `locks`) of every file, or of each file (those of the configuration applying to it). */
export type DeclaredLocksInput = DeclaredLocks | ((fileName: string) => DeclaredLocks | undefined) | undefined;

/**
 * Analyses `sourceFiles` of `program`, with the project's declared locks (locksmith.json `locks`) as lock helpers:
 * each file's summary is computed with its own configuration's (cached per Program, file set and declarations, so both
 * lock-order rules share one run).
 */
export function analyseLockOrder(
  program: ts.Program,
  sourceFiles: readonly ts.SourceFile[],
  declared?: DeclaredLocksInput,
): LockOrderAnalysis {
  const declaredFor = typeof declared === "function" ? declared : () => declared;
  const sets = new Map<DeclaredLocks | undefined, number>();
  const files = sourceFiles.map((sf) => {
    const own = declaredFor(sf.fileName);
    if (!sets.has(own)) sets.set(own, sets.size);
    return `${sf.fileName}:${sets.get(own)}`;
  });
  const key = `${files.join("\n")}\n${[...sets.keys()].map(declaredLocksKey).join("\n")}`;
  let perProgram = analyses.get(program);
  if (!perProgram) analyses.set(program, (perProgram = new Map()));
  let analysis = perProgram.get(key);
  if (!analysis) perProgram.set(key, (analysis = new Composer(program, declaredFor).run(sourceFiles)));
  return analysis;
}

class Composer {
  private checkerInstance: ts.TypeChecker | undefined;
  private readonly summaries = new Map<string, FileSummary | undefined>();
  /** Each function's reach, solved on the fixpoint (by object: a run's summaries are fixed while it lasts). */
  private readonly reached = new WeakMap<FunctionSummary, readonly Reached[]>();
  /**
   * Names under which a function that runs a callback parameter while holding a lock can be called. Calls passing
   * callbacks to anything else cannot hold a lock around them, so they are never resolved: in callback-heavy code
   * that was most of the checker's work.
   */
  private callbackRunnerNames = new Set<string>();

  constructor(
    private readonly program: ts.Program,
    /** The declared locks a file's summary is computed with. */
    private readonly declaredFor: (fileName: string) => DeclaredLocks | undefined,
  ) {}

  /** Created on first need: a project without nested locking never pays for binding every file. */
  private get checker(): ts.TypeChecker {
    return (this.checkerInstance ??= this.program.getTypeChecker());
  }

  run(sourceFiles: readonly ts.SourceFile[]): LockOrderAnalysis {
    const classes = new Map<string, LockClass>();
    const all: LockOrderEdge[] = [];
    const summaries = sourceFiles.map((sf) => this.summaryOf(sf));
    const runners = (this.callbackRunnerNames = callbackRunnerNames(summaries, sourceFiles));
    for (const [i, summary] of summaries.entries()) {
      // A file listed without functions acquires no lock: only a lock helper's callbacks can give it edges.
      const table = summary && (summary.table ?? (runners.size > 0 ? functionTableOf(summary, sourceFiles[i]!) : undefined));
      for (const info of table?.functions ?? []) {
        // A function without locks of its own has edges only through the callbacks it passes to a lock helper.
        if (!info.acquiring && !info.callbackCallees?.some((name) => runners.has(name))) continue;
        const fn = this.functionAt(info.file, info.start)!;
        for (const a of fn.acquisitions) classes.set(a.lockClass.id, a.lockClass);
        all.push(...this.edgesOf(fn));
      }
    }
    const edges: LockOrderEdge[] = [];
    const reentries: LockOrderEdge[] = [];
    const argumentOrders: LockOrderEdge[] = [];
    for (const edge of all) {
      classes.set(edge.to.id, edge.to);
      // A row this holder already holds, locked again (`UPDATE` after both `FOR UPDATE`s), waits for nobody: no edge.
      if (edge.from.id !== edge.to.id) {
        if (!alreadyHeld(edge) && !heldSinceEarlierPass(edge, this.program)) edges.push(edge);
      } else if (isReentry(edge)) reentries.push(edge);
      else if (isArgumentOrder(edge) && !this.coveredByHelperLock(edge)) argumentOrders.push(edge);
    }
    return { classes, edges, cycles: findCycles(edges), reentries, argumentOrders };
  }

  /**
   * As coveredByEarlierLock, through a project function called before the first key: `await lockAccounts(trx, ids)`
   * whose `whereIn("id", ids).forUpdate()` holds the whole class, in the order the database scans it, on the
   * transaction the caller passes in.
   */
  private coveredByHelperLock(edge: LockOrderEdge): boolean {
    const fn = edge.holder;
    if (edge.via.length > 0) return false;
    return fn.calls.some(
      (call) =>
        call.span.start < edge.outer.span.start &&
        this.reachThrough(fn, call).some((r) => r.acquisition.lockClass.id === edge.from.id && !r.acquisition.key),
    );
  }

  /** Every acquisition made while one of `fn`'s locks is held. */
  private edgesOf(fn: FunctionSummary): LockOrderEdge[] {
    const edges: LockOrderEdge[] = [];
    for (const outer of fn.acquisitions) {
      for (const inner of fn.acquisitions) {
        if (inner === outer || !within(outer, inner.span.start)) continue;
        edges.push({
          from: outer.lockClass,
          to: inner.lockClass,
          holder: fn,
          outer,
          acquirer: fn,
          inner,
          via: [],
          ...(inner.key ? { innerKey: inner.key } : {}),
          site: inner.span,
        });
      }
      for (const call of fn.calls) {
        if (!within(outer, call.span.start)) continue;
        for (const reached of this.reachThrough(fn, call)) {
          edges.push({
            from: outer.lockClass,
            to: reached.acquisition.lockClass,
            holder: fn,
            outer,
            acquirer: reached.acquirer,
            inner: reached.acquisition,
            via: reached.via,
            ...(reached.key ? { innerKey: reached.key } : {}),
            site: call.span,
          });
        }
      }
    }
    // Callbacks this function passes to another that calls them while holding its own locks (`withLock(() => ...)`).
    for (const call of fn.calls) {
      if (call.callbacks.length === 0 || !this.callbackRunnerNames.has(nameTextAt(fn.file, call.nameAt, this.program))) continue;
      const callee = this.resolve(fn, call);
      if (!callee) continue;
      for (const { outer, invocation, callback } of this.callbacksRunUnderLock(fn, call, callee)) {
        for (const reached of this.reach(callback)) {
          const via = [{ caller: callee, call: invocation, callee: callback }, ...reached.via];
          const site = reached.via.length === 0 ? reached.acquisition.span : reached.via[0]!.call.span;
          edges.push({
            from: outer.lockClass,
            to: reached.acquisition.lockClass,
            holder: callee,
            outer,
            acquirer: reached.acquirer,
            inner: reached.acquisition,
            via,
            site,
          });
        }
      }
    }
    return edges;
  }

  /** The locks `callee` holds while it invokes a callback that `caller` passes to it at `call`. */
  private callbacksRunUnderLock(
    caller: FunctionSummary,
    call: CallSummary,
    callee: FunctionSummary,
  ): Array<{ outer: AcquisitionSummary; invocation: CallSummary; callback: FunctionSummary }> {
    const out: Array<{ outer: AcquisitionSummary; invocation: CallSummary; callback: FunctionSummary }> = [];
    for (const { index, start } of call.callbacks) {
      const callback = this.functionAt(caller.file, start);
      if (!callback) continue;
      // A runner that also calls the callback without its lock (`if (held) return fn()`) may be reentrant: skip it.
      const bypass = callee.calls.some((c) => c.calleeParam === index && !callee.acquisitions.some((a) => within(a, c.span.start)));
      if (bypass) continue;
      for (const invocation of callee.calls) {
        if (invocation.calleeParam !== index) continue;
        for (const outer of callee.acquisitions) if (within(outer, invocation.span.start)) out.push({ outer, invocation, callback });
      }
    }
    return out;
  }

  /**
   * What a call may acquire: the callee's reach, plus that of the callbacks passed to it that it invokes (`reachOf`:
   * the reach of a function, by default solved on the fixpoint; inside the fixpoint, the current iterate).
   */
  private reachThrough(
    caller: FunctionSummary,
    call: CallSummary,
    reachOf: (fn: FunctionSummary) => readonly Reached[] = (fn) => this.reach(fn),
  ): Reached[] {
    const callee = this.resolve(caller, call);
    if (!callee) return [];
    const out: Reached[] = [];
    for (const reached of reachOf(callee)) {
      const key = reached.key && rewriteKey(reached.key, call);
      out.push({
        acquirer: reached.acquirer,
        acquisition: reached.acquisition,
        via: [{ caller, call, callee }, ...reached.via],
        ...(key ? { key } : {}),
      });
    }
    for (const { callback, invocation } of this.invokedCallbacks(caller, call, callee)) {
      for (const reached of reachOf(callback)) {
        out.push({
          acquirer: reached.acquirer,
          acquisition: reached.acquisition,
          via: [{ caller, call, callee }, { caller: callee, call: invocation, callee: callback }, ...reached.via],
          ...(reached.key ? { key: reached.key } : {}),
        });
      }
    }
    return out;
  }

  /** The callbacks `caller` passes at `call` that `callee` invokes, with the callee's call of each. */
  private invokedCallbacks(
    caller: FunctionSummary,
    call: CallSummary,
    callee: FunctionSummary,
  ): Array<{ callback: FunctionSummary; invocation: CallSummary }> {
    const out: Array<{ callback: FunctionSummary; invocation: CallSummary }> = [];
    for (const { index, start } of call.callbacks) {
      const callback = this.functionAt(caller.file, start);
      const invocation = callee.calls.find((c) => c.calleeParam === index);
      if (callback && invocation) out.push({ callback, invocation });
    }
    return out;
  }

  /**
   * What calling `fn` may acquire (its own acquisitions and those of the functions it calls), keys in `fn`'s terms.
   * Bottom-up on the core's fixpoint (flow/bottom-up.ts `solveBottomUp`): chains of any length, and the same answer for a
   * function of a recursive cycle whichever of its members is asked first.
   */
  private reach(fn: FunctionSummary): readonly Reached[] {
    return solveBottomUp<readonly Reached[], FunctionSummary>(
      fn,
      {
        callees: (f) =>
          f.calls.flatMap((call) => {
            const callee = this.resolve(f, call);
            return callee ? [callee, ...this.invokedCallbacks(f, call, callee).map((c) => c.callback)] : [];
          }),
        compose: (f, reachOf) => {
          const out: Reached[] = f.acquisitions.map((acquisition) => ({
            acquirer: f,
            acquisition,
            via: [],
            ...(acquisition.key ? { key: acquisition.key } : {}),
          }));
          for (const call of f.calls) {
            if (out.length >= MAX_REACHED) break;
            for (const reached of this.reachThrough(f, call, reachOf))
              if (!out.some((r) => r.acquisition === reached.acquisition)) out.push(reached);
          }
          return out;
        },
        same: (a, b) => a.length === b.length && a.every((r, i) => r.acquisition === b[i]!.acquisition),
        empty: NOTHING_REACHED,
        hasBody: () => true,
      },
      this.reached,
    );
  }

  private summaryOf(sourceFile: ts.SourceFile): FileSummary | undefined {
    const file = normalizePath(sourceFile.fileName);
    if (!this.summaries.has(file)) {
      const analysable =
        !sourceFile.isDeclarationFile && !file.includes("/node_modules/") && !this.program.isSourceFileDefaultLibrary(sourceFile);
      this.summaries.set(file, analysable ? fileSummary(sourceFile, this.program, this.declaredFor(sourceFile.fileName)) : undefined);
    }
    return this.summaries.get(file);
  }

  /** The summary of the function starting at `start` of `file` (an analysed file of the Program). */
  private functionAt(file: string, start: number): FunctionSummary | undefined {
    const summary = this.summaries.get(file);
    const sourceFile = summary && this.program.getSourceFile(file);
    return sourceFile && functionSummaryAt(summary, start, sourceFile);
  }

  /**
   * The project function a call invokes (following imports), or undefined (library, unknown, not a function).
   * Asking the checker is the expensive part of composition (a new Program has a cold checker), so answers are kept
   * in the caller's file summary and reused while the callee's file is unchanged.
   */
  private resolve(caller: FunctionSummary, call: CallSummary): FunctionSummary | undefined {
    const callerSummary = this.summaries.get(caller.file);
    const known = callerSummary?.resolved.get(call.nameAt);
    if (known !== undefined) {
      if (known === null) return undefined;
      const calleeFile = this.program.getSourceFile(known.file);
      const calleeSummary = calleeFile && this.summaryOf(calleeFile);
      if (calleeSummary?.hash === known.hash) return this.functionAt(known.file, known.start);
    }
    let result: FunctionSummary | undefined;
    const sourceFile = this.program.getSourceFile(caller.file);
    const nameNode = sourceFile && identifierAt(sourceFile, call.nameAt);
    if (nameNode) {
      let symbol = this.checker.getSymbolAtLocation(nameNode);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
      const fn = functionOfDeclaration(symbol?.valueDeclaration ?? symbol?.declarations?.[0]);
      const calleeSummary = fn && this.summaryOf(fn.getSourceFile());
      result = calleeSummary && this.functionAt(calleeSummary.file, fn!.getStart());
      callerSummary?.resolved.set(
        call.nameAt,
        result && calleeSummary ? { file: result.file, start: result.start, hash: calleeSummary.hash } : null,
      );
    }
    return result;
  }
}

/** The identifier text at `offset` of a file (the callee's name of a call summary). */
function nameTextAt(file: string, offset: number, program: ts.Program): string {
  const text = program.getSourceFile(file)?.text ?? "";
  const match = /[A-Za-z_$][\w$]*/y;
  match.lastIndex = offset;
  return match.exec(text)?.[0] ?? "";
}

/**
 * Every name a callback runner may be called by: its own name, and the local names of imports that may refer to it
 * (renamed imports of that name, and every default import, whose local name is free).
 */
function callbackRunnerNames(summaries: ReadonlyArray<FileSummary | undefined>, sourceFiles: readonly ts.SourceFile[]): Set<string> {
  const names = new Set<string>();
  for (const summary of summaries) {
    // Only a function that acquires a lock can run a callback under one.
    for (const fn of summary?.summarised.values() ?? []) {
      if (!fn.acquiring) continue;
      const runsCallbackUnderLock = fn.calls.some(
        (c) => c.calleeParam !== undefined && fn.acquisitions.some((a) => within(a, c.span.start)),
      );
      if (runsCallbackUnderLock) names.add(fn.name.slice(fn.name.lastIndexOf(".") + 1));
    }
  }
  if (names.size === 0) return names;
  for (const sourceFile of sourceFiles) {
    for (const [local, info] of importsOf(sourceFile)) if (info.imported === "default" || names.has(info.imported)) names.add(local);
  }
  return names;
}

/** Whether `outer`'s lock may be held at the call or acquisition starting at `offset` (of its own function's summary). */
function within(outer: AcquisitionSummary, offset: number): boolean {
  return outer.heldAt.includes(offset);
}

/** Rewrites a callee's key into the caller's terms through the argument passed for the key's parameter. */
function rewriteKey(key: KeyRef, call: CallSummary): KeyRef {
  const arg = key.param !== undefined ? call.args[key.param] : undefined;
  if (!arg || key.root === undefined) return { ...key, input: false, ordered: false, opaque: true };
  const { param: _param, fields: _fields, ...rest } = arg;
  const fields = `${arg.fields ?? ""}${key.fields ?? ""}`;
  return {
    ...rest,
    pattern: key.pattern.replace(ROOT, arg.pattern),
    ...(fields ? { fields } : {}),
    ...(arg.param !== undefined ? { param: arg.param } : {}),
  };
}

/** The same instance again: an unkeyed lock, or equal keys. Only mechanisms that wait for (or refuse) their own owner. */
function isReentry(edge: LockOrderEdge): boolean {
  if (!NON_REENTRANT.has(edge.to.kind) || edge.to.reentrant) return false;
  // A second acquisition that waits (a mutex, a keyed lock) reached through a call whose promise is dropped on the way
  // waits for nobody who waits for it: the holder goes on and releases, and the call acquires after it.
  if (WAITING_KINDS.has(edge.to.kind) && edge.via.some((step) => step.call.detached)) return false;
  const outerKey = edge.outer.key;
  const innerKey = edge.innerKey;
  if (!outerKey && !innerKey) return true;
  return !!outerKey && !!innerKey && sameKey(outerKey, innerKey);
}

/** Locks whose second acquisition by their holder waits for the first (the others refuse it at once). */
const WAITING_KINDS: ReadonlySet<string> = new Set(["mutex", "keyed-lock"]);

/** `transfer(from, to)` locking `from` then `to`: keys from two different inputs, and nothing put them in order. */
function isArgumentOrder(edge: LockOrderEdge): boolean {
  const a = edge.outer.key;
  const b = edge.innerKey;
  if (!a || !b || a.opaque || b.opaque || !a.input || !b.input || a.ordered || b.ordered) return false;
  if (sameRoot(a, b) || sameKey(a, b) || coveredByEarlierLock(edge) || alreadyHeld(edge)) return false;
  // All rows of a parent (`WHERE albumId = $1`), then one row by id: two ways of selecting, not two keys of one kind.
  if (edge.outer.keyDomain !== edge.inner.keyDomain) return false;
  const orderedByBranch =
    edge.outer.orderedByBranch || (edge.via.length === 0 ? edge.inner.orderedByBranch : edge.via[0]!.call.orderedByBranch);
  return !orderedByBranch;
}

/**
 * The holder already holds the whole class, in a canonical order, when it takes the two keys: a keyless acquisition
 * of the same class is held (`SELECT ... WHERE id = ANY($1) ORDER BY id FOR UPDATE` before the UPDATEs).
 */
function coveredByEarlierLock(edge: LockOrderEdge): boolean {
  return edge.holder.acquisitions.some(
    (a) => a.lockClass.id === edge.from.id && !a.key && a.span.start < edge.outer.span.start && within(a, edge.outer.span.start),
  );
}

/**
 * The second key is already held where it is taken again: the statement re-locks a row this holder holds (`UPDATE …
 * WHERE id = $to` after `SELECT … FOR UPDATE` of both), which waits for nobody. The order that counts is the one the
 * first acquisitions took, reported on its own edge.
 */
function alreadyHeld(edge: LockOrderEdge): boolean {
  const inner = edge.innerKey;
  if (!inner || edge.via.length > 0) return false;
  return edge.holder.acquisitions.some(
    (a) =>
      a.lockClass.id === edge.to.id &&
      a.span.start < edge.site.start &&
      within(a, edge.site.start) &&
      // The same key, or a row of what a locking read returned (`UPDATE … WHERE id = run.id` after `run` was read FOR UPDATE).
      ((!!a.key && sameKey(a.key, inner)) || (a.rows !== undefined && isRowOf(a.rows, inner, edge.inner))),
  );
}

/**
 * A loop whose body takes B by a key that is the same on every pass (`UPDATE users … WHERE id = $userId`, the key
 * declared before the loop and not reassigned in it) as one of its own statements, and then A later in the body:
 * A is held at B only from an earlier pass, and that pass took B first, so B is held already and the second pass
 * waits for nobody. The order is B → A on every pass (pattern 196).
 */
function heldSinceEarlierPass(edge: LockOrderEdge, program: ts.Program): boolean {
  const key = edge.innerKey;
  if (edge.via.length > 0 || edge.holder !== edge.acquirer || !key || key.opaque || key.root === undefined || key.declaredAt === undefined)
    return false;
  if (edge.inner.span.start >= edge.outer.span.start) return false;
  const sourceFile = program.getSourceFile(edge.inner.span.file);
  const inner = sourceFile && nodeAtSpan(sourceFile, edge.inner.span);
  const outer = sourceFile && nodeAtSpan(sourceFile, edge.outer.span);
  if (!inner || !outer) return false;
  // The statement of the loop body that holds B: every pass that reaches A ran it first.
  let statement: ts.Node = inner;
  while (statement.parent && !ts.isBlock(statement.parent) && !isFunctionLike(statement.parent)) {
    if (ts.isStatement(statement.parent) && !ts.isExpressionStatement(statement.parent) && !ts.isVariableStatement(statement.parent))
      return false;
    statement = statement.parent;
  }
  const body = statement.parent;
  const loop = body?.parent;
  if (!body || !loop || !isLoop(loop) || (loop as ts.IterationStatement).statement !== body) return false;
  if (outer.getStart() < body.getStart() || outer.getEnd() > body.getEnd()) return false;
  // The key's root is declared before the loop and keeps its value in it.
  if (key.declaredAt >= loop.getStart()) return false;
  let reassigned = false;
  const visit = (node: ts.Node): void => {
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      ts.isIdentifier(skipParens(node.left)) &&
      (skipParens(node.left) as ts.Identifier).text === key.root
    )
      reassigned = true;
    if (!reassigned) ts.forEachChild(node, visit);
  };
  visit(body);
  return !reassigned;
}

function isLoop(node: ts.Node): boolean {
  return (
    ts.isForStatement(node) || ts.isForOfStatement(node) || ts.isForInStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)
  );
}

/** The outermost node spanning exactly `span` (the summary's offsets, in the program's text of its file). */
function nodeAtSpan(sourceFile: ts.SourceFile, span: Span): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (found || node.getEnd() < span.start || node.pos > span.end) return;
    if (node.getStart(sourceFile) === span.start && node.getEnd() === span.end) found = node;
    else ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/** `row.id` (`row[0].id`) as the key of a statement that selects by `id`: one of the rows `row` holds. */
function isRowOf(rows: string, key: KeyRef, inner: AcquisitionSummary): boolean {
  const column = new RegExp(`^${ROOT}(?:\\[0\\])?\\.(\\w+)$`).exec(key.pattern)?.[1];
  return key.root === rows && !!column && !!inner.keyDomain && column.toLowerCase() === inner.keyDomain.replace(/_/g, "");
}

/** Each edge A→B for which the graph has a way back B ⇝ A, with the shortest such way. */
function findCycles(edges: readonly LockOrderEdge[]): LockOrderAnalysis["cycles"] {
  const outgoing = new Map<string, LockOrderEdge[]>();
  for (const edge of edges) {
    const list = outgoing.get(edge.from.id) ?? [];
    list.push(edge);
    outgoing.set(edge.from.id, list);
  }
  const shortestPath = (from: string, to: string): LockOrderEdge[] | undefined => {
    const previous = new Map<string, LockOrderEdge | undefined>([[from, undefined]]);
    const queue = [from];
    while (queue.length > 0) {
      const current = queue.shift()!;
      if (current === to) {
        const path: LockOrderEdge[] = [];
        for (let edge = previous.get(to); edge; edge = previous.get(edge.from.id)) path.unshift(edge);
        return path;
      }
      for (const edge of outgoing.get(current) ?? []) {
        if (previous.has(edge.to.id)) continue;
        previous.set(edge.to.id, edge);
        queue.push(edge.to.id);
      }
    }
    return undefined;
  };
  const cycles: LockOrderAnalysis["cycles"] = [];
  for (const edge of edges) {
    const back = shortestPath(edge.to.id, edge.from.id);
    if (back) cycles.push({ edge, back });
  }
  return cycles;
}

function identifierAt(sourceFile: ts.SourceFile, offset: number): ts.Identifier | undefined {
  let found: ts.Identifier | undefined;
  const visit = (node: ts.Node): void => {
    if (found || offset < node.pos || offset >= node.end) return;
    if (ts.isIdentifier(node) && node.getStart(sourceFile) === offset) {
      found = node;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/** The function a declaration introduces: a function or method, or a variable/property initialised with one. */
function functionOfDeclaration(declaration: ts.Declaration | undefined): ts.Node | undefined {
  if (!declaration) return undefined;
  if (isFunctionLike(declaration)) return declaration.body ? declaration : undefined;
  if (
    (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isPropertyAssignment(declaration)) &&
    declaration.initializer
  ) {
    const init = skipParens(declaration.initializer);
    return isFunctionLike(init) ? init : undefined;
  }
  return undefined;
}
