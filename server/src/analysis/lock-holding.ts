// Whether the lock an acquisition takes is held, along the paths of its function's control-flow graph: a forward
// dataflow where the acquisition takes it (not when it throws; for a try-lock, only on the branches where its result
// says it succeeded), a release gives it back, and `process.exit()` ends everything. Answers the two questions the
// lock rules ask: "can the lock be held when this node runs?" (held regions: lock-across-await) and "does some
// path leave the function with the lock still held, and what takes it?" (lock-release-not-guaranteed).
import { ts } from "../engine/ts";
import { boundNames, enclosingFunction, isInside, isLiteral, skipAwait, skipParens, stringValue } from "./ast";
import { isFunctionLike } from "./node-index";
import { elementAt, flowGraphOf, isProcessExit, type FlowBlock, type FlowEdge, type FlowGraph } from "./flow/cfg";
import { solveForward, type ForwardSolution } from "./flow/dataflow";
import { throwingCall } from "./throwing-calls";
import {
  errorTuple,
  isCollectionAccess,
  isQueuedCommand,
  isReleaseOf,
  ownerComparison,
  readsLockValue,
  resultBinding,
  returnsHolder,
  takingCall,
  type LockAcquisition,
} from "./locks";

/** A set of possibilities: the lock may be held, may be free. */
type Holding = number;
const HELD = 1;
const FREE = 2;

/**
 * What lets a lock leave its function still held, and the release that path goes around (`skipped`: the first release
 * that normal flow reaches from where the path parted from it; undefined when none can be found).
 */
export type Leak = (
  | { kind: "exit"; node: ts.ReturnStatement | ts.ThrowStatement | ts.BreakOrContinueStatement }
  | { kind: "throws"; node: ts.Node }
  | { kind: "branch"; condition: ts.Expression; truth: boolean }
  | { kind: "path" }
) & { skipped?: ts.Node };

export interface AcquisitionPaths {
  /**
   * Whether the lock may be held when `node` runs: on some path to it the acquisition succeeded and nothing released
   * it since (code of the acquisition's own function; nested functions run at other times).
   */
  heldAt(node: ts.Node): boolean;
  /** Whether the lock is held on every path to `node` (a release in one branch only ends this after the merge). */
  heldOnEveryPath(node: ts.Node): boolean;
  /**
   * The first thing (in source order) that takes some path out of the function with the lock held; undefined when every
   * path releases it. `cannotThrow` names further calls that throw nothing (a project function that cannot).
   */
  leak(cannotThrow?: (call: ts.CallExpression) => boolean): Leak | undefined;
  /** The names whose test is a test of the acquisition: its result's, and flags set from it. */
  readonly testedNames: ReadonlySet<string>;
  /** Whether the function may return normally with the lock held, and may return without it (a helper handing the lock to its caller). */
  atReturn(): { held: boolean; free: boolean };
}

const cache = new WeakMap<LockAcquisition, AcquisitionPaths>();

export function acquisitionPaths(acquisition: LockAcquisition): AcquisitionPaths {
  let paths = cache.get(acquisition);
  if (!paths) cache.set(acquisition, (paths = new HoldingAnalysis(acquisition)));
  return paths;
}

class HoldingAnalysis implements AcquisitionPaths {
  private readonly call: ts.Node;
  /** What takes the lock when it completes: the call, or the `exec()` of the MULTI the call is queued in. */
  private readonly taking: ts.Node;
  private readonly names: ReadonlySet<string>;
  /** The names a test of the acquisition reads: the result's, and flags set from it (`locked = rows[0]?.locked === true`). */
  private readonly tested: ReadonlySet<string>;
  /** Flags set true right after the lock is taken (`await claim(key); claimed = true`): false means not held. */
  private readonly heldFlags: ReadonlySet<string>;
  /** Tests the way to the acquisition decided, which come out the same where it holds the lock. */
  private readonly decided: DecidedTests;

  get testedNames(): ReadonlySet<string> {
    return this.tested;
  }
  /** `setError` of `const [setError, ok] = await tryCatch(acquire())`: truthy when the acquisition failed. */
  private readonly errorName: string | undefined;
  private readonly tupleHelper: ts.CallExpression | undefined;
  private readonly graph: FlowGraph;
  private solutionCache: ForwardSolution<Holding> | undefined;
  /** The solution where the calls `cannotThrow` names take no exception edge, for `leak`. */
  private leakSolution: { cannotThrow: (call: ts.CallExpression) => boolean; solution: ForwardSolution<Holding> } | undefined;

  constructor(private readonly acquisition: LockAcquisition) {
    this.call = acquisition.call;
    this.taking = takingCall(acquisition);
    const binding = resultBinding(acquisition);
    this.names = new Set(binding ? boundNames(binding).map((id) => id.text) : []);
    const tuple = errorTuple(acquisition);
    this.errorName = (tuple?.error.name as ts.Identifier | undefined)?.text;
    this.tupleHelper = tuple?.helper;
    const root = enclosingFunction(acquisition.call) ?? acquisition.call.getSourceFile();
    this.graph = flowGraphOf(root);
    this.tested =
      acquisition.style === "try" && this.names.size > 0 ? new Set([...this.names, ...successFlags(root, acquisition)]) : this.names;
    this.heldFlags = heldFlags(root, this.taking);
    this.decided = new DecidedTests(acquisition.call, root);
  }

  private get solution(): ForwardSolution<Holding> {
    return (this.solutionCache ??= this.solve(undefined));
  }

  private solve(cannotThrow: ((call: ts.CallExpression) => boolean) | undefined): ForwardSolution<Holding> {
    return solveForward<Holding>(this.graph, {
      initial: FREE,
      join: (a, b) => a | b,
      equals: (a, b) => a === b,
      transfer: (element, state) => this.step(element, state),
      edge: (edge, state) => this.refineWith(cannotThrow, edge, state),
    });
  }

  private step(element: ts.Node, state: Holding): Holding {
    return element === this.taking ? HELD : this.isRelease(element) || this.releasedByInvokedFunction(element) ? FREE : state;
  }

  /**
   * `await (async () => { try { … } finally { release } })()`: a function invoked on the spot whose whole body is a
   * `try` that releases the lock in its `finally` (directly, or under a test of the handle: `if (lock) unlock(lock)`)
   * gives it back on every path before the code after the call runs, also when the call fails. An async function must
   * be awaited there: otherwise its `finally` runs later, while the caller goes on holding the lock.
   */
  private releasedByInvokedFunction(element: ts.Node): boolean {
    const call = ts.isAwaitExpression(element) ? skipParens(element.expression) : element;
    if (!ts.isCallExpression(call) || call.arguments.length > 0) return false;
    const fn = skipParens(call.expression);
    if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !fn.body || !ts.isBlock(fn.body)) return false;
    const isAsync = fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) ?? false;
    if (isAsync && !isAwaited(call)) return false;
    const [only, ...rest] = fn.body.statements;
    if (!only || rest.length > 0 || !ts.isTryStatement(only) || !only.finallyBlock) return false;
    return only.finallyBlock.statements.some((statement) => this.releasesIn(statement));
  }

  /**
   * `release(…);`, `await release(…);`, or either under a test of the handle it releases (`if (lock) unlock(lock)`, or
   * of the acquisition's result): where the handle is missing, nothing was taken.
   */
  private releasesIn(statement: ts.Statement, handle?: string): boolean {
    if (ts.isIfStatement(statement) && !statement.elseStatement && handle === undefined) {
      const test = skipParens(statement.expression);
      const body = ts.isBlock(statement.thenStatement) ? statement.thenStatement.statements : [statement.thenStatement];
      return ts.isIdentifier(test) && body.length === 1 && this.releasesIn(body[0]!, test.text);
    }
    if (!ts.isExpressionStatement(statement)) return false;
    const call = skipAwait(skipParens(statement.expression));
    if (!ts.isCallExpression(call) || !this.isRelease(call)) return false;
    return (
      handle === undefined ||
      this.names.has(handle) ||
      call.arguments.some((a) => ts.isIdentifier(skipParens(a)) && (skipParens(a) as ts.Identifier).text === handle)
    );
  }

  private isRelease(element: ts.Node): boolean {
    return (ts.isCallExpression(element) || ts.isTaggedTemplateExpression(element)) && isReleaseOf(element, this.acquisition, this.names);
  }

  private isInReleaseArguments(node: ts.Node): boolean {
    for (let parent = node.parent; parent && !ts.isStatement(parent); node = parent, parent = parent.parent)
      if (ts.isCallExpression(parent) && parent.arguments.includes(node as ts.Expression) && this.isRelease(parent)) return true;
    return false;
  }

  /** `refine`, where a call `cannotThrow` names takes no exception edge with the lock held. */
  private refineWith(cannotThrow: ((call: ts.CallExpression) => boolean) | undefined, edge: FlowEdge, state: Holding): Holding {
    return cannotThrow && edge.kind === "exception" && thrownBy(edge, cannotThrow) ? FREE : this.refine(edge, state);
  }

  private refine(edge: FlowEdge, state: Holding): Holding {
    const last = lastElement(edge.from);
    if (edge.kind === "exception") {
      // A failed acquisition (the call, or the await of its promise, throws) takes nothing; nor does the helper of an
      // [error, value] tuple wrapping it, which exists not to throw.
      const thrower = last && ts.isAwaitExpression(last) ? skipAwait(last) : last;
      if (thrower && (thrower === this.call || thrower === this.taking || thrower === this.tupleHelper)) return FREE;
      // A function invoked on the spot that releases in its `finally` has released when its call fails too.
      if (last && this.releasedByInvokedFunction(last)) return FREE;
      // Queuing a command on a MULTI (`multi().set(…).del(lockKey).exec()`) sends nothing: only its `exec()` can fail.
      if (thrower && isQueuedCommand(thrower)) return FREE;
      // A call of a built-in Map or Set (`this.consumers.get(topic)`) cannot throw, so it skips no release; nor is a
      // step of a shutdown that goes on to `process.exit()` taken to throw: the process ends there, and its locks with it.
      if (thrower && (isCollectionAccess(thrower) || (ts.isCallExpression(thrower) && isProcessExit(thrower)) || goesOnToExit(thrower)))
        return FREE;
      // The release's own arguments (`del(lockKey(id))`) built the same key when the lock was taken, and its owner
      // check reads the key the release deletes: neither is a way out.
      return thrower && (this.isInReleaseArguments(thrower) || readsLockValue(thrower, this.acquisition)) ? FREE : state;
    }
    if (edge.to === this.graph.exit && last && ts.isCallExpression(last) && isProcessExit(last)) return FREE;
    if (edge.condition && this.errorName !== undefined && (edge.kind === "true" || edge.kind === "false")) {
      const failedWhen = errorTest(edge.condition, this.errorName);
      if (failedWhen !== undefined && (edge.kind === "true") === failedWhen) return FREE;
    }
    if (
      edge.condition &&
      this.acquisition.style === "try" &&
      testsAcquisition(edge.condition, this.call, this.tested) &&
      !isPartPresenceTest(edge.condition)
    ) {
      const truth = acquiredWhenTrue(edge.condition, this.call, this.tested, resultKind(this.acquisition));
      // A test whose polarity cannot be read counts as failure.
      if (truth === undefined) return FREE;
      if ((edge.kind === "true") !== truth) return FREE;
      return state & HELD ? HELD : state;
    }
    // Any other acquisition whose result the code tests (`if (!(await locks.lock(key))) return`, a helper that always
    // answers true): on the side the test itself reads as "not acquired", the code holds nothing to release.
    if (edge.condition && (edge.kind === "true" || edge.kind === "false") && testsAcquisition(edge.condition, this.call, this.names)) {
      const truth = acquiredWhenTrue(edge.condition, this.call, this.names, resultKind(this.acquisition));
      if (truth !== undefined && (edge.kind === "true") !== truth) return FREE;
    }
    // `if ((await redis.get(key)) === token) del(key)`: on the side where the key holds another value, the lock is
    // no longer this caller's to release (it expired, and may be another holder's now).
    if (edge.condition && (edge.kind === "true" || edge.kind === "false") && this.acquisition.mechanism === "redis-set-nx") {
      const ours = ownerComparison(edge.condition, this.acquisition);
      if (ours !== undefined && (edge.kind === "true") !== ours) return FREE;
    }
    // `if (claimed) await release()`: a flag set true right after the lock was taken reads false only where it was not.
    if (edge.condition && (edge.kind === "true" || edge.kind === "false") && this.heldFlags.size > 0) {
      const truth = acquiredWhenTrue(edge.condition, this.call, this.heldFlags);
      if (truth !== undefined && testsAcquisition(edge.condition, this.call, this.heldFlags) && (edge.kind === "true") !== truth)
        return FREE;
    }
    // `if (!forced) release()` after `forced || take()`: a test the way to the acquisition decided comes out the same.
    if (edge.condition && (edge.kind === "true" || edge.kind === "false") && this.decided.excludes(edge.condition, edge.kind === "true"))
      return FREE;
    // `release?.()` / `if (release)`: a handle that is not there was never assigned by a completed acquisition.
    if (edge.condition && (edge.kind === "true" || edge.kind === "false") && this.names.size > 0) {
      const test = skipParens(edge.condition);
      if (ts.isIdentifier(test) && this.names.has(test.text) && edge.kind === "false") return FREE;
    }
    return state;
  }

  heldAt(node: ts.Node): boolean {
    return (this.stateAt(node) & HELD) !== 0;
  }

  heldOnEveryPath(node: ts.Node): boolean {
    return this.stateAt(node) === HELD;
  }

  /** The possibilities at `node`: FREE outside the acquisition's function and inside the acquisition itself. */
  private stateAt(node: ts.Node): Holding {
    const root = this.graph.root;
    if ((enclosingFunction(node) ?? node.getSourceFile()) !== root) return FREE;
    // The acquisition's own expression (`await mutex.acquire()`) runs before the lock is held.
    if (isInside(this.taking, node) || isInside(node, this.taking)) return FREE;
    const element = elementAt(this.graph, node);
    return element === undefined || isInside(this.taking, element) ? FREE : (this.solution.before(element) ?? FREE);
  }

  atReturn(): { held: boolean; free: boolean } {
    const state = this.solution.atExit ?? 0;
    return { held: (state & HELD) !== 0, free: (state & FREE) !== 0 };
  }

  leak(cannotThrow?: (call: ts.CallExpression) => boolean): Leak | undefined {
    const leak = this.leakIn(this.solution, undefined);
    // Only a function that leaks is solved again with the calls that cannot throw (resolving calls costs the checker).
    if (!leak || !cannotThrow) return leak;
    if (this.leakSolution?.cannotThrow !== cannotThrow) this.leakSolution = { cannotThrow, solution: this.solve(cannotThrow) };
    return this.leakIn(this.leakSolution.solution, cannotThrow);
  }

  private leakIn(solution: ForwardSolution<Holding>, cannotThrow: ((call: ts.CallExpression) => boolean) | undefined): Leak | undefined {
    const refine = (edge: FlowEdge, state: Holding) => this.refineWith(cannotThrow, edge, state);
    if (!((solution.atExit ?? 0) & HELD) && !((solution.atThrowExit ?? 0) & HELD)) return undefined;
    // Where the function can be left without passing a release: by any path, or by normal completion and jumps only.
    const anyPath = this.blocksLeadingOut([this.graph.exit, this.graph.throwExit], true);
    const normally = this.blocksLeadingOut([this.graph.exit], false);
    // The release a leak goes around is looked for only for the leak named.
    const skippedBy = new Map<Leak, () => ts.Node | undefined>();
    const skipping = (leak: Leak, find: () => ts.Node | undefined): Leak => (skippedBy.set(leak, find), leak);
    const exits: Leak[] = [];
    const branches: Leak[] = [];
    const throwers: Leak[] = [];
    for (const block of this.graph.blocks) {
      const stateIn = solution.blockIn(block);
      if (stateIn === undefined) continue;
      let state = stateIn;
      for (const element of block.elements) state = this.step(element, state);
      const last = lastElement(block);
      for (const edge of block.succ) {
        if (!(refine(edge, state) & HELD)) continue;
        if (edge.kind === "exception") {
          if (last && anyPath.has(edge.to)) {
            // A call that throws skips the release its normal completion goes on to.
            const continuation = block.succ.filter((e) => e.kind !== "exception").map((e) => e.to);
            if (ts.isThrowStatement(last)) exits.push(skipping({ kind: "exit", node: last }, () => this.releaseBesides(block)));
            else
              throwers.push(skipping({ kind: "throws", node: last }, () => this.releaseAhead(continuation) ?? this.releaseBesides(block)));
          }
        } else if (last && isJump(last)) {
          if (normally.has(edge.to)) exits.push(skipping({ kind: "exit", node: last }, () => this.releaseBesides(block)));
        } else if (edge.condition && (edge.kind === "true" || edge.kind === "false")) {
          // A branch that skips the release: this side leaves without it, the other side does not.
          const other = block.succ.find((e) => e !== edge && e.kind !== "exception");
          if (normally.has(edge.to) && other && !normally.has(other.to))
            branches.push(
              skipping({ kind: "branch", condition: edge.condition, truth: edge.kind === "true" }, () => this.releaseAhead([other.to])),
            );
        }
      }
    }
    const first = (list: Leak[]) => list.sort((a, b) => positionOf(a) - positionOf(b))[0];
    // A rethrow in a catch only passes on what a call in the try threw: that call is the cause to name.
    const inCatch = (leak: Leak) => leak.kind === "exit" && isInCatch(leak.node);
    const leak = first(exits.filter((e) => !inCatch(e))) ?? first(branches) ?? first(throwers) ?? first(exits);
    if (!leak) return { kind: "path" };
    leak.skipped = skippedBy.get(leak)?.();
    return leak;
  }

  /** The first release (in text order) that normal flow from the start of `starts` reaches before any other release. */
  private releaseAhead(starts: readonly FlowBlock[], avoid: ReadonlySet<FlowBlock> = new Set()): ts.Node | undefined {
    const found: ts.Node[] = [];
    const seen = new Set<FlowBlock>(avoid);
    const stack = starts.filter((b) => !seen.has(b));
    while (stack.length > 0) {
      const block = stack.pop()!;
      if (seen.has(block)) continue;
      seen.add(block);
      const release = block.elements.find((element) => this.isRelease(element));
      if (release) {
        found.push(release);
        continue;
      }
      for (const edge of block.succ) if (edge.kind !== "exception" && this.refine(edge, HELD) & HELD) stack.push(edge.to);
    }
    return found.sort((a, b) => a.getStart() - b.getStart())[0];
  }

  /**
   * The release that a path ending in `block` (a jump, a throw) turned away from: back from `block` while the lock is
   * held, the nearest block with another way on that reaches a release.
   */
  private releaseBesides(block: FlowBlock): ts.Node | undefined {
    const behind = new Set<FlowBlock>([block]);
    let layer = [block];
    while (layer.length > 0) {
      const next: FlowBlock[] = [];
      for (const current of layer)
        for (const edge of current.pred) {
          const from = edge.from;
          if (behind.has(from) || edge.kind === "exception" || !(this.refine(edge, HELD) & HELD)) continue;
          if (from.elements.some((element) => this.isRelease(element))) continue;
          behind.add(from);
          next.push(from);
        }
      const ways = next.flatMap((from) => from.succ.filter((e) => e.kind !== "exception" && !behind.has(e.to)).map((e) => e.to));
      const release = ways.length > 0 ? this.releaseAhead(ways, behind) : undefined;
      if (release) return release;
      layer = next;
    }
    return undefined;
  }

  /** Blocks from whose entry some path reaches one of `exits` without passing a release (through exception edges or not). */
  private blocksLeadingOut(exits: FlowBlock[], throughExceptions: boolean): Set<FlowBlock> {
    const found = new Set<FlowBlock>(exits);
    const stack = [...exits];
    while (stack.length > 0) {
      for (const edge of stack.pop()!.pred) {
        const from = edge.from;
        if (found.has(from) || (!throughExceptions && edge.kind === "exception")) continue;
        // An edge that always frees the lock (the failure side of a try-lock, the "not ours" side of an owner check).
        if (!(this.refine(edge, HELD) & HELD)) continue;
        // A release ends its block (calls may throw), so every edge out of that block passes it.
        if (from.elements.some((element) => this.isRelease(element))) continue;
        found.add(from);
        stack.push(from);
      }
    }
    return found;
  }
}

/**
 * Whether the statement `node` is in is followed, in its statement list, by `process.exit(…)` with no statement between
 * that could go elsewhere (a jump, a throw, a `try`): `this.stop(); await sleep(1000); process.exit(1)`.
 */
function goesOnToExit(node: ts.Node): boolean {
  let statement: ts.Node = node;
  while (statement.parent && !ts.isBlock(statement.parent) && !ts.isSourceFile(statement.parent)) {
    if (isFunctionLike(statement.parent)) return false;
    statement = statement.parent;
  }
  const list = statement.parent && (statement.parent as ts.Block | ts.SourceFile).statements;
  if (!list || (!ts.isExpressionStatement(statement) && !ts.isVariableStatement(statement))) return false;
  for (const next of list.slice(list.indexOf(statement as ts.Statement) + 1)) {
    const expression = ts.isExpressionStatement(next) ? skipAwait(next.expression) : undefined;
    if (expression && ts.isCallExpression(expression) && isProcessExit(expression)) return true;
    if (!ts.isExpressionStatement(next) && !ts.isVariableStatement(next)) return false;
  }
  return false;
}

function isInCatch(node: ts.Node): boolean {
  for (let current = node.parent; current && !ts.isFunctionLike(current); current = current.parent)
    if (ts.isCatchClause(current)) return true;
  return false;
}

function lastElement(block: FlowBlock): ts.Node | undefined {
  return block.elements[block.elements.length - 1];
}

function isJump(node: ts.Node): node is ts.ReturnStatement | ts.BreakOrContinueStatement {
  return ts.isReturnStatement(node) || ts.isBreakStatement(node) || ts.isContinueStatement(node);
}

function positionOf(leak: Leak): number {
  return leak.kind === "branch" ? leak.condition.getStart() : leak.kind === "path" ? Infinity : leak.node.getStart();
}

/** Whether `condition` tests the acquisition: contains the call or reads its result. */
function testsAcquisition(condition: ts.Expression, call: ts.Node, names: ReadonlySet<string>): boolean {
  if (isInside(call, condition)) return true;
  let found = false;
  const look = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && names.has(n.text)) found = true;
    if (!found) ts.forEachChild(n, look);
  };
  look(condition);
  return found;
}

/** How many rows a statement changed: `result.rowCount`, `rows.length`, mysql2's `affectedRows`, Prisma's `count`. */
const ROW_COUNT = /^(rowCount|affectedRows|length|count|changes)$/;

/**
 * How a try-lock's result says it succeeded, beyond being truthy: "row-count", the lock is a row the statement inserts
 * (a lock table), taken when its row count is not 0; "lock-value", the result holds the SQL lock function's value in a
 * column (`rows[0].locked` of `SELECT pg_try_advisory_lock(…) AS locked`), true (or 1) when it was taken.
 */
type ResultKind = "row-count" | "lock-value" | "holder" | undefined;

/** "holder": a Redis `SET … NX GET` answers with the value already there (the holder), null when this call took it. */
function resultKind(acquisition: LockAcquisition): ResultKind {
  if (returnsHolder(acquisition)) return "holder";
  return acquisition.mechanism === "lock-table"
    ? "row-count"
    : acquisition.mechanism === "pg-advisory" || acquisition.mechanism === "mysql-named"
      ? "lock-value"
      : undefined;
}

/**
 * Whether `condition` being true means the lock was acquired; undefined when that cannot be read. `kind`: how the
 * result says so (see ResultKind).
 */
function acquiredWhenTrue(
  condition: ts.Expression,
  call: ts.Node,
  names: ReadonlySet<string>,
  kind: ResultKind = undefined,
): boolean | undefined {
  const node = skipAwait(condition);
  if (node === call || (ts.isIdentifier(node) && names.has(node.text))) return kind !== "holder";
  if (kind === "row-count" && ts.isPropertyAccessExpression(node) && ROW_COUNT.test(node.name.text))
    return acquiredWhenTrue(node.expression, call, names) === true ? true : undefined;
  if (kind === "lock-value" && isColumnOfResult(node, call, names)) return true;
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = acquiredWhenTrue(node.operand, call, names, kind);
    return inner === undefined ? undefined : !inner;
  }
  if (ts.isBinaryExpression(node)) {
    const op = node.operatorToken.kind;
    // `rowCount > 0`: taken when true; `rowCount < 1`: taken when false.
    if (kind === "row-count" && ts.isNumericLiteral(skipParens(node.right)) && acquiredWhenTrue(node.left, call, names, kind) === true) {
      const n = Number((skipParens(node.right) as ts.NumericLiteral).text);
      if ((op === ts.SyntaxKind.GreaterThanToken && n === 0) || (op === ts.SyntaxKind.GreaterThanEqualsToken && n === 1)) return true;
      if ((op === ts.SyntaxKind.LessThanToken && n === 1) || (op === ts.SyntaxKind.LessThanEqualsToken && n === 0)) return false;
    }
    const equality =
      op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken
        ? true
        : op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken
          ? false
          : undefined;
    if (equality === undefined) return undefined;
    // The holder's reply compared: taken only where it is null (`holder === null`).
    const subjectKind = kind === "holder" ? undefined : kind;
    const [subject, other] =
      acquiredWhenTrue(node.left, call, names, subjectKind) === true
        ? [node.left, node.right]
        : acquiredWhenTrue(node.right, call, names, subjectKind) === true
          ? [node.right, node.left]
          : [undefined, undefined];
    if (!subject || !other) return undefined;
    const value = skipParens(other);
    if (kind === "holder")
      return value.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(value) && value.text === "undefined") ? equality : undefined;
    const success =
      stringValue(value) === "OK" || value.kind === ts.SyntaxKind.TrueKeyword || (ts.isNumericLiteral(value) && value.text === "1");
    const failure =
      value.kind === ts.SyntaxKind.NullKeyword ||
      value.kind === ts.SyntaxKind.FalseKeyword ||
      (ts.isIdentifier(value) && value.text === "undefined") ||
      (ts.isNumericLiteral(value) && value.text === "0");
    if (!success && !failure) return undefined;
    return success === equality;
  }
  return undefined;
}

/**
 * A named column of a row of the result (`result.rows[0]?.locked`, `rows[0].pg_try_advisory_lock`, `[row].held`): for
 * `SELECT pg_try_advisory_lock(…)` the only column is the lock function's value. Not the row count, nor `rows` itself.
 */
function isColumnOfResult(node: ts.Expression, call: ts.Node, names: ReadonlySet<string>): boolean {
  if (!ts.isPropertyAccessExpression(node) || ROW_COUNT.test(node.name.text) || /^(rows|fields|command)$/.test(node.name.text))
    return false;
  let inner: ts.Expression = skipParens(node.expression);
  while (ts.isPropertyAccessExpression(inner) || ts.isElementAccessExpression(inner) || ts.isNonNullExpression(inner))
    inner = skipParens(inner.expression);
  return skipAwait(inner) === call || (ts.isIdentifier(inner) && names.has(inner.text));
}

/**
 * `a?.b` and `a ?? b` test whether `a` is there; when `a` is a part of a try-lock's result (`result.rows[0]?.locked`),
 * that says whether the statement returned a row, not whether it took the lock.
 */
function isPartPresenceTest(condition: ts.Expression): boolean {
  const parent = condition.parent;
  const presence =
    ((ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent) || ts.isCallExpression(parent)) &&
      !!parent.questionDotToken &&
      parent.expression === condition) ||
    (ts.isBinaryExpression(parent) &&
      parent.left === condition &&
      (parent.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
        parent.operatorToken.kind === ts.SyntaxKind.QuestionQuestionEqualsToken));
  const part = skipParens(condition);
  return presence && (ts.isPropertyAccessExpression(part) || ts.isElementAccessExpression(part));
}

/**
 * Flags set from a try-lock's result: a variable of `fn` every assignment of which (apart from a `false`, `null` or
 * `undefined` start) is a reading of success (`locked = rows[0]?.locked === true`, `const ok = res === "OK"`). Testing
 * the flag tests the acquisition.
 */
function successFlags(fn: ts.Node, acquisition: LockAcquisition): string[] {
  const call = acquisition.call;
  const binding = resultBinding(acquisition);
  const names = new Set(binding ? boundNames(binding).map((id) => id.text) : []);
  const kind = resultKind(acquisition);
  const assigned = localAssignments(fn);
  const flags: string[] = [];
  for (const [name, values] of assigned) {
    if (names.has(name)) continue;
    const set = values.filter((v) => !isUnset(v));
    if (set.length > 0 && set.every((v) => testsAcquisition(v, call, names) && acquiredWhenTrue(v, call, names, kind) === true))
      flags.push(name);
  }
  return flags;
}

/**
 * Flags that say the lock is held: a local set to `true` by the statement right after the one that takes the lock
 * (`await claimKey(key); claimed = true`), or first thing in the branch its successful test enters, and otherwise only
 * to true (after other acquisitions), false, null or undefined. Nothing runs between the two that could throw, so a
 * test that reads the flag as false runs where this acquisition does not hold the lock.
 */
function heldFlags(fn: ts.Node, taking: ts.Node): Set<string> {
  const assigned = localAssignments(fn);
  const rightAfterTaking = (value: ts.Expression) => {
    const assignment = value.parent;
    const statement = assignment.parent;
    if (!ts.isBinaryExpression(assignment) || !ts.isExpressionStatement(statement) || !ts.isBlock(statement.parent)) return false;
    const statements = statement.parent.statements;
    const index = statements.indexOf(statement);
    // The first statement of the branch a test of the acquisition takes on success (`if (await take()) { held = true`).
    if (index === 0 && takenOnEntry(statement.parent, taking)) return true;
    const previous = statements[index - 1];
    return (
      !!previous &&
      (ts.isExpressionStatement(previous) || ts.isVariableStatement(previous)) &&
      isInside(taking, previous) &&
      enclosingFunction(taking) === enclosingFunction(statement)
    );
  };
  const flags = new Set<string>();
  for (const [name, values] of assigned) {
    const set = values.filter((v) => !isUnset(v));
    // Other `true`s (after other acquisitions sharing the flag) do not matter: false still means this one is not held.
    if (set.length > 0 && set.every((v) => skipParens(v).kind === ts.SyntaxKind.TrueKeyword) && set.some(rightAfterTaking)) flags.add(name);
  }
  return flags;
}

/**
 * Whether entering `block` means the lock was just taken: it is the `then` of an `if` whose condition is the taking
 * call or has it as one of its `&&` operands (`if (kind === "bids" && (await take(key)))`), so the call answered truthy.
 */
function takenOnEntry(block: ts.Block, taking: ts.Node): boolean {
  const statement = block.parent;
  if (!ts.isIfStatement(statement) || statement.thenStatement !== block) return false;
  const conjuncts = (node: ts.Expression): ts.Expression[] => {
    const inner = skipParens(node);
    return ts.isBinaryExpression(inner) && inner.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken
      ? [...conjuncts(inner.left), ...conjuncts(inner.right)]
      : [skipAwait(inner)];
  };
  return conjuncts(statement.expression).some((operand) => operand === taking);
}

/**
 * What the tests on the way to the acquisition decided, for a later test of the same value to repeat: `forced ||
 * take()` takes the lock only where `forced` is false, `kind === "bids" && take()` only where that comparison is true,
 * a take under `case "events":` only where the switch's value is "events". Only tests of values nothing in the function
 * assigns (identifiers, property reads, literals, comparisons), and not inside a loop, where a later round tests anew.
 */
class DecidedTests {
  private readonly truths = new Map<string, boolean>();
  /** The switch value's text → the case labels (literal texts) under which the lock is taken. */
  private readonly cases = new Map<string, Set<string>>();
  private readonly assigned: Set<string>;

  constructor(call: ts.Node, root: ts.Node) {
    this.assigned = assignedTexts(root);
    for (let node = call; node.parent && node !== root; node = node.parent) {
      const parent = node.parent;
      if (parent === root || isFunctionLike(parent)) break;
      if (ts.isIterationStatement(parent, false)) {
        this.truths.clear();
        this.cases.clear();
        break;
      }
      if (ts.isIfStatement(parent) && node !== parent.expression) this.note(parent.expression, node === parent.thenStatement);
      else if (ts.isConditionalExpression(parent) && node !== parent.condition) this.note(parent.condition, node === parent.whenTrue);
      else if (ts.isBinaryExpression(parent) && parent.right === node) {
        const op = parent.operatorToken.kind;
        if (op === ts.SyntaxKind.AmpersandAmpersandToken) this.note(parent.left, true);
        else if (op === ts.SyntaxKind.BarBarToken) this.note(parent.left, false);
      } else if (ts.isCaseClause(parent) && node !== parent.expression) this.noteCase(parent);
    }
  }

  private note(expression: ts.Expression, truth: boolean): void {
    const test = skipParens(expression);
    if (ts.isPrefixUnaryExpression(test) && test.operator === ts.SyntaxKind.ExclamationToken) return this.note(test.operand, !truth);
    if (ts.isBinaryExpression(test)) {
      const op = test.operatorToken.kind;
      // Both sides of a true `&&` (a false `||`) are known; of a false `&&`, neither.
      if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
        if ((op === ts.SyntaxKind.AmpersandAmpersandToken) === truth) {
          this.note(test.left, truth);
          this.note(test.right, truth);
        }
        return;
      }
    }
    if (this.isSteady(test)) this.truths.set(textOf(test), truth);
  }

  /** Under a case (and the empty cases falling into it), unless a case with statements falls through into it. */
  private noteCase(clause: ts.CaseClause): void {
    const clauses = clause.parent.clauses;
    const labels = new Set<string>();
    for (let i = clauses.indexOf(clause); i >= 0; i--) {
      const current = clauses[i]!;
      if (current !== clause && current.statements.length > 0) {
        const last = current.statements[current.statements.length - 1]!;
        if (!ts.isBreakStatement(last) && !ts.isReturnStatement(last) && !ts.isThrowStatement(last) && !ts.isContinueStatement(last))
          return;
        break;
      }
      if (!ts.isCaseClause(current) || !isLiteral(current.expression)) return;
      labels.add(textOf(current.expression));
    }
    const value = clause.parent.parent.expression;
    if (this.isSteady(skipParens(value))) this.cases.set(textOf(value), labels);
  }

  private isSteady(node: ts.Expression): boolean {
    if (isLiteral(node)) return true;
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node))
      return !this.assigned.has(textOf(node)) && (ts.isIdentifier(node) || this.isSteady(skipParens(node.expression)));
    if (node.kind === ts.SyntaxKind.ThisKeyword) return true;
    if (ts.isBinaryExpression(node) && /^(===|!==|==|!=)$/.test(node.operatorToken.getText()))
      return this.isSteady(skipParens(node.left)) && this.isSteady(skipParens(node.right));
    return false;
  }

  /** Whether the `truth` side of a test of `condition` cannot run where the lock was taken. */
  excludes(condition: ts.Expression, truth: boolean): boolean {
    const clause = condition.parent;
    if (ts.isCaseClause(clause) && clause.expression === condition) {
      const labels = this.cases.get(textOf(clause.parent.parent.expression));
      if (!labels || !isLiteral(condition)) return false;
      const label = textOf(condition);
      return truth ? !labels.has(label) : labels.size === 1 && labels.has(label);
    }
    const known = this.truths.get(textOf(skipParens(condition)));
    return known !== undefined && known !== truth;
  }
}

function textOf(node: ts.Node): string {
  return node.getText().replace(/\s+/g, "");
}

/** The texts of everything `root` (nested functions included) assigns: `x = …`, `a.b += …`, `x++`, `[a, b] = …`. */
function assignedTexts(root: ts.Node): Set<string> {
  const texts = new Set<string>();
  const target = (node: ts.Expression): void => {
    const inner = skipParens(node);
    if (ts.isArrayLiteralExpression(inner)) inner.elements.forEach(target);
    else if (ts.isObjectLiteralExpression(inner))
      for (const property of inner.properties) {
        if (ts.isShorthandPropertyAssignment(property)) texts.add(property.name.text);
        else if (ts.isPropertyAssignment(property)) target(property.initializer);
        else if (ts.isSpreadAssignment(property)) target(property.expression);
      }
    else if (ts.isSpreadElement(inner)) target(inner.expression);
    else texts.add(textOf(inner));
  };
  const visit = (node: ts.Node): void => {
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    )
      target(node.left);
    else if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
    )
      target(node.operand);
    else if ((ts.isForOfStatement(node) || ts.isForInStatement(node)) && !ts.isVariableDeclarationList(node.initializer))
      target(node.initializer);
    ts.forEachChild(node, visit);
  };
  visit(root);
  return texts;
}

/** Every value assigned to each local name of `fn` (declarations and plain `=`), outside nested functions. */
function localAssignments(fn: ts.Node): Map<string, ts.Expression[]> {
  const assigned = new Map<string, ts.Expression[]>();
  const note = (name: string, value: ts.Expression) => assigned.set(name, [...(assigned.get(name) ?? []), value]);
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) note(node.name.text, node.initializer);
    else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(node.left))
      note(node.left.text, node.right);
    if (!isFunctionLike(node)) ts.forEachChild(node, visit);
  };
  ts.forEachChild(fn, visit);
  return assigned;
}

function isUnset(value: ts.Expression): boolean {
  const v = skipParens(value);
  return v.kind === ts.SyntaxKind.FalseKeyword || v.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(v) && v.text === "undefined");
}

/** `if (error)` means failure when true, `if (!error)` when false; undefined for any other condition. */
function errorTest(condition: ts.Expression, name: string): boolean | undefined {
  const node = skipParens(condition);
  if (ts.isIdentifier(node)) return node.text === name ? true : undefined;
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
    const operand = skipParens(node.operand);
    return ts.isIdentifier(operand) && operand.text === name ? false : undefined;
  }
  return undefined;
}

/** `await f()`, `await (f())`: the caller waits for the call to settle. */
export function isAwaited(call: ts.Node): boolean {
  let node = call;
  while (ts.isParenthesizedExpression(node.parent)) node = node.parent;
  return ts.isAwaitExpression(node.parent);
}

/** Whether the exception edge leaves a call `cannotThrow` names (directly, or the await of its promise). */
function thrownBy(edge: FlowEdge, cannotThrow: (call: ts.CallExpression) => boolean): boolean {
  const call = throwingCall(edge);
  return call !== undefined && cannotThrow(call);
}
