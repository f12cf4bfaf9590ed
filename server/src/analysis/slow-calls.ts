// Slow calls: operations whose duration is set by something outside the process (a remote service, a timer, a child
// process), from a configurable list with a reason per entry (in the spirit of Clippy's `await-holding-invalid-types`):
// the libraries' entries are data in `models/slow-call-libraries.ts`, a project adds its own.
// An entry matches by the module the callee comes from (import, or a client built from an import) and the called
// name; an entry without a module matches a global (`fetch`, `setTimeout`). Awaited calls to project functions are
// followed through the checker: a function that awaits (or returns) a slow call is slow too, with the chain.
import { ts } from "../engine/ts";
import {
  FUNCTION_KINDS,
  calleeName,
  functionName,
  importsOf,
  isFunctionLike,
  nodesOfKinds,
  propertyValue,
  receiverOf,
  skipAwait,
  skipParens,
  walkFunctionBody,
  type FunctionLike,
} from "./ast";
import { solveBottomUp } from "./flow/bottom-up";
import { SLOW_CALL_MODELS, SLOW_CALL_WRAPPERS, type SlowCallEntry } from "./models/slow-call-libraries";

export type { SlowCallEntry } from "./models/slow-call-libraries";

export interface SlowCall {
  call: ts.CallExpression | ts.NewExpression;
  /** The callee as written, shortened: `fetch`, `axios.get`, `this.stripe.charges.create`. */
  name: string;
  reason: string;
}

/** A slow operation reached from an awaited expression, through zero or more project functions. */
export interface SlowPath {
  /** Project functions called on the way, outermost first: `enrich` then `loadRates`. */
  steps: Array<{ name: string; call: ts.CallExpression }>;
  slow: SlowCall;
  /**
   * In a function's summary: the path is a timer whose duration is this parameter of the function (`delay(ms)` →
   * `setTimeout(resolve, ms)`), so a call that passes 0 for it, or leaves out a parameter whose default is 0, waits for
   * nothing.
   */
  durationParam?: number;
}

const GLOBAL = "<global>";

function moduleMatches(pattern: string, module: string): boolean {
  const normalized = module.replace(/^node:/, "");
  const p = pattern.replace(/^node:/, "");
  return p.endsWith("/*") ? normalized.startsWith(p.slice(0, -1)) : normalized === p;
}

/**
 * The module an expression's value comes from: an import (`axios`), a client built from one (`new Stripe(key)`,
 * `axios.create()`, `nodemailer.createTransport()`, `promisify(exec)`), a property or variable declared as one
 * (`private readonly s3: S3Client`). `<global>` for a global function; undefined when it comes from project code.
 */
export function moduleOrigin(expr: ts.Expression, checker: () => ts.TypeChecker, depth = 0): string | undefined {
  if (depth > 6) return undefined;
  const node = skipAwait(expr);
  const sourceFile = node.getSourceFile();
  if (ts.isIdentifier(node)) {
    const imported = importsOf(sourceFile).get(node.text);
    if (imported) return imported.module;
    return originOfDeclared(node, checker, depth);
  }
  if (ts.isPropertyAccessExpression(node)) {
    if (node.expression.kind === ts.SyntaxKind.ThisKeyword) return originOfDeclared(node.name, checker, depth);
    return moduleOrigin(node.expression, checker, depth + 1);
  }
  if (ts.isElementAccessExpression(node)) return moduleOrigin(node.expression, checker, depth + 1);
  if (ts.isCallExpression(node)) {
    const callee = skipParens(node.expression);
    const name = calleeName(node);
    const wrapped = SLOW_CALL_WRAPPERS.find((w) => w.name === name)?.arg;
    if (wrapped !== undefined && node.arguments[wrapped]) return moduleOrigin(node.arguments[wrapped], checker, depth + 1);
    return moduleOrigin(callee, checker, depth + 1);
  }
  if (ts.isNewExpression(node)) return moduleOrigin(node.expression, checker, depth + 1);
  return undefined;
}

/** Calls that queue a job or create an object at the payment provider: each makes something new, done once per call. */
const REMOTE_CREATIONS: ReadonlyArray<{ module: RegExp; call: RegExp }> = [
  { module: /^(?:bullmq|bull|bee-queue)$/, call: /^(?:add|addBulk)$/ },
  { module: /^stripe$/, call: /^create/ },
];

/**
 * The call queues a job (BullMQ, Bull, Bee-Queue `add`) or creates an object at the payment provider (a Stripe
 * `create…`): work done outside the process that makes something new on every call, with an id of its own.
 */
export function createsRemoteObject(node: ts.Node, checker: () => ts.TypeChecker): node is ts.CallExpression {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return false;
  const name = node.expression.name.text;
  const origin = moduleOrigin(node.expression.expression, checker);
  return origin !== undefined && REMOTE_CREATIONS.some((w) => w.module.test(origin) && w.call.test(name));
}

/** Options that name the object a remote creation makes: a second call with the same value gets the first's back. */
const DEDUPE_OPTIONS = ["idempotencyKey", "jobId", "deduplication"];

/**
 * The values a remote creation gives its dedupe options (a queue job's `jobId` or `deduplication`, Stripe's
 * `idempotencyKey`): only these make a repeated call a no-op; a key in the payload (`{ repoId: repo.id }`) does not.
 */
export function dedupeKeysOf(call: ts.CallExpression): ts.Expression[] {
  return call.arguments.flatMap((argument) =>
    DEDUPE_OPTIONS.flatMap((option) => {
      const value = propertyValue(skipParens(argument), option);
      return value ? [value] : [];
    }),
  );
}

/** Origin of a name from its declaration: initializer, else type annotation. `<global>` for ambient declarations. */
function originOfDeclared(name: ts.Identifier | ts.PrivateIdentifier, checker: () => ts.TypeChecker, depth: number): string | undefined {
  let symbol: ts.Symbol | undefined;
  try {
    symbol = checker().getSymbolAtLocation(name);
  } catch {
    return undefined;
  }
  if (!symbol) return ts.isIdentifier(name) ? GLOBAL : undefined;
  const declarations = symbol.declarations ?? [];
  if (declarations.length > 0 && declarations.every((d) => d.getSourceFile().isDeclarationFile)) return GLOBAL;
  for (const declaration of declarations) {
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isParameter(declaration)) {
      const fromInit = declaration.initializer ? moduleOrigin(declaration.initializer, checker, depth + 1) : undefined;
      if (fromInit) return fromInit;
      const type = declaration.type;
      if (type && ts.isTypeReferenceNode(type)) {
        const typeName = ts.isIdentifier(type.typeName) ? type.typeName : type.typeName.left;
        if (ts.isIdentifier(typeName)) {
          const imported = importsOf(declaration.getSourceFile()).get(typeName.text);
          if (imported) return imported.module;
        }
      }
    }
  }
  return undefined;
}

function displayName(call: ts.CallExpression | ts.NewExpression): string {
  const text = call.expression.getText().replace(/\s+/g, "");
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The entry a single call matches, if any. */
export function matchSlowCall(
  call: ts.CallExpression | ts.NewExpression,
  entries: readonly SlowCallEntry[],
  checker: () => ts.TypeChecker,
): SlowCall | undefined {
  const callee = skipParens(call.expression);
  // `import { setTimeout as sleep } from "node:timers/promises"`: match the exported name.
  const imported = ts.isIdentifier(callee) ? importsOf(callee.getSourceFile()).get(callee.text) : undefined;
  const name = imported && imported.imported !== "default" && imported.imported !== "*" ? imported.imported : calleeName(call);
  if (!name) return undefined;
  const candidates = entries.filter((e) => e.call === "*" || e.call === name);
  if (candidates.length === 0) return undefined;
  const origin = moduleOrigin(callee, checker);
  if (!origin) return undefined;
  const entry = candidates.find((e) =>
    e.module === undefined ? origin === GLOBAL && ts.isIdentifier(callee) : origin !== GLOBAL && moduleMatches(e.module, origin),
  );
  return entry ? { call, name: displayName(call), reason: entry.reason } : undefined;
}

/**
 * The calls whose completion an awaited (or returned) expression waits for: the call itself and the calls its
 * callee is chained on (`got(url).json()`, innermost first), the elements of `Promise.all([...])`, and every call in a
 * `new Promise(executor)` executor (`setTimeout(resolve, ms)`, `https.get(url, cb)`).
 */
export function awaitedCalls(expr: ts.Expression): Array<ts.CallExpression | ts.NewExpression> {
  const out: Array<ts.CallExpression | ts.NewExpression> = [];
  const visit = (e: ts.Expression): void => {
    const node = skipAwait(e);
    if (ts.isConditionalExpression(node)) {
      visit(node.whenTrue);
      visit(node.whenFalse);
      return;
    }
    if (ts.isNewExpression(node)) {
      const executor = node.arguments?.[0] && skipParens(node.arguments[0]);
      if (ts.isIdentifier(node.expression) && node.expression.text === "Promise" && executor && isFunctionLike(executor) && executor.body) {
        if (ts.isCallExpression(executor.body)) out.push(executor.body);
        const settlers = new Set(executor.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : "")).filter(Boolean));
        walkFunctionBody(executor.body, (n) => {
          if (ts.isCallExpression(n) && !isDroppedInExecutor(n, settlers)) out.push(n);
        });
      }
      return;
    }
    if (!ts.isCallExpression(node)) return;
    const callee = skipParens(node.expression);
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Promise") {
      for (const arg of node.arguments) if (ts.isArrayLiteralExpression(arg)) arg.elements.forEach((element) => visit(element));
      return;
    }
    // Innermost first: `got(url).json()` is reported as `got`, `ky.get(url).json()` as `ky.get`.
    // A receiver that is awaited itself (`(await fetch(url)).json()`) is that await's business.
    const receiver = receiverOf(node);
    if (receiver && !ts.isAwaitExpression(skipParens(receiver))) visit(receiver);
    out.push(node);
  };
  visit(expr);
  return out;
}

/**
 * A call in a Promise executor that cannot settle the promise: a statement of its own (its result dropped) given
 * neither a callback nor the executor's `resolve`/`reject` (a stray `sleep(500);` is not waited for).
 */
function isDroppedInExecutor(call: ts.CallExpression, settlers: ReadonlySet<string>): boolean {
  if (!ts.isExpressionStatement(call.parent)) return false;
  return !call.arguments.some((arg) => {
    const node = skipParens(arg);
    return isFunctionLike(node) || (ts.isIdentifier(node) && settlers.has(node.text));
  });
}

const fileFunctions = new WeakMap<ts.SourceFile, ReadonlyMap<string, FunctionLike>>();
const programNames = new WeakMap<ts.Program, { functions: ReadonlySet<string>; aliases: ReadonlySet<string> }>();

/** projectFunctionNames and projectAliasNames, from one pass over the project's own files. Cached per Program. */
function programNamesOf(program: ts.Program): { functions: ReadonlySet<string>; aliases: ReadonlySet<string> } {
  let names = programNames.get(program);
  if (names) return names;
  const functions = new Set<string>();
  const aliases = new Set<string>();
  for (const sourceFile of program.getSourceFiles()) {
    if (sourceFile.isDeclarationFile || sourceFile.fileName.includes("/node_modules/")) continue;
    for (const name of namedFunctionsIn(sourceFile).keys()) functions.add(name);
    for (const name of factoryValuesIn(sourceFile).keys()) {
      functions.add(name);
      aliases.add(name);
    }
    for (const specifier of nodesOfKinds<ts.ExportSpecifier | ts.ImportSpecifier>(sourceFile, ALIAS_KINDS))
      if (specifier.propertyName) aliases.add(specifier.name.text);
  }
  programNames.set(program, (names = { functions, aliases }));
  return names;
}

const ALIAS_KINDS = [ts.SyntaxKind.ExportSpecifier, ts.SyntaxKind.ImportSpecifier];

/**
 * Names of the functions and methods with a body that the project's own files declare (the declarations
 * projectFunctionOf can return). A method call whose name is not among them cannot reach project code, and the
 * checker (a type check of the receiver, the costliest question a rule asks while typing) need not be asked.
 */
export function projectFunctionNames(program: ts.Program): ReadonlySet<string> {
  return programNamesOf(program).functions;
}

/**
 * The names by which a call may invoke a project function declared under another name: the value a factory returned
 * (`const withLock = lockFor(db)`, as projectFunctionOf follows it) and an export or import under another name
 * (`export { a as b }`).
 */
export function projectAliasNames(program: ts.Program): ReadonlySet<string> {
  return programNamesOf(program).aliases;
}

const fileFunctionsByName = new WeakMap<ts.SourceFile, Map<string, FunctionLike[]>>();

/** The functions with a body of a file, by the last part of their name (`get` for `AccountRepo.get`). */
function functionsByName(sourceFile: ts.SourceFile): Map<string, FunctionLike[]> {
  let byName = fileFunctionsByName.get(sourceFile);
  if (byName) return byName;
  byName = new Map();
  for (const fn of nodesOfKinds<FunctionLike>(sourceFile, FUNCTION_KINDS)) {
    if (!fn.body) continue;
    const name = functionName(fn).split(".").pop()!;
    const list = byName.get(name);
    if (list) list.push(fn);
    else byName.set(name, [fn]);
  }
  fileFunctionsByName.set(sourceFile, byName);
  return byName;
}

const programFunctionsByName = new WeakMap<ts.Program, ReadonlyMap<string, readonly FunctionLike[]>>();

/** Every function with a body of the project's own files (not packages), by the last part of its name. Cached per Program. */
export function projectFunctionsByName(program: ts.Program): ReadonlyMap<string, readonly FunctionLike[]> {
  const cached = programFunctionsByName.get(program);
  if (cached) return cached;
  const functions = new Map<string, FunctionLike[]>();
  for (const sourceFile of program.getSourceFiles()) {
    if (sourceFile.isDeclarationFile || sourceFile.fileName.includes("/node_modules/")) continue;
    for (const [name, list] of functionsByName(sourceFile)) {
      const all = functions.get(name);
      if (all) all.push(...list);
      else functions.set(name, [...list]);
    }
  }
  programFunctionsByName.set(program, functions);
  return functions;
}

const NAMED_FUNCTION_KINDS = [
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.VariableDeclaration,
  ts.SyntaxKind.PropertyDeclaration,
  ts.SyntaxKind.PropertyAssignment,
];

/**
 * The functions and methods with a body a file declares, by name (`function f`, `m() {}`, `const f = () => …`,
 * `p = function () {…}`; the last of a name wins). Cached per file.
 */
export function namedFunctionsIn(sourceFile: ts.SourceFile): ReadonlyMap<string, FunctionLike> {
  const cached = fileFunctions.get(sourceFile);
  if (cached) return cached;
  const functions = new Map<string, FunctionLike>();
  for (const node of nodesOfKinds<
    ts.FunctionDeclaration | ts.MethodDeclaration | ts.VariableDeclaration | ts.PropertyDeclaration | ts.PropertyAssignment
  >(sourceFile, NAMED_FUNCTION_KINDS)) {
    const name = node.name;
    if (!name || !(ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name))) continue;
    if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) {
      if (node.body) functions.set(name.text, node);
    } else {
      const initializer = node.initializer && skipParens(node.initializer);
      if (initializer && (ts.isArrowFunction(initializer) || ts.isFunctionExpression(initializer))) functions.set(name.text, initializer);
    }
  }
  fileFunctions.set(sourceFile, functions);
  return functions;
}

/**
 * The project function a call invokes, through the checker (following import aliases). `functionNames` (from
 * projectFunctionNames) lets a method call of a name no project function has skip the checker.
 */
export function projectFunctionOf(
  call: ts.CallExpression,
  checker: ts.TypeChecker,
  functionNames?: ReadonlySet<string>,
  depth = 0,
): FunctionLike | undefined {
  const callee = skipParens(call.expression);
  const nameNode = ts.isPropertyAccessExpression(callee) ? callee.name : ts.isIdentifier(callee) ? callee : undefined;
  if (!nameNode) return undefined;
  // Only a property name is sure to be the declared name (an imported function may be renamed: `import { a as b }`).
  if (functionNames && ts.isPropertyAccessExpression(callee) && !functionNames.has(callee.name.text)) return undefined;
  let symbol = checker.getSymbolAtLocation(nameNode);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  for (const declaration of symbol?.declarations ?? []) {
    const file = declaration.getSourceFile();
    if (file.isDeclarationFile || file.fileName.includes("/node_modules/")) continue;
    if ((ts.isFunctionDeclaration(declaration) || ts.isMethodDeclaration(declaration)) && declaration.body) return declaration;
    const initializer =
      ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isPropertyAssignment(declaration)
        ? declaration.initializer
        : undefined;
    const fn = initializer && skipParens(initializer);
    if (fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return fn;
    // A property of an object literal naming a function of its scope (`return { withLock, reset }`, `{ run: runTask }`):
    // that function.
    const named = ts.isShorthandPropertyAssignment(declaration)
      ? checker.getShorthandAssignmentValueSymbol(declaration)
      : fn && ts.isIdentifier(fn) && ts.isPropertyAssignment(declaration)
        ? checker.getSymbolAtLocation(fn)
        : undefined;
    const local = named?.valueDeclaration;
    if (local && ts.isFunctionDeclaration(local) && local.body && !local.getSourceFile().isDeclarationFile) return local;
    // A name holding what a project factory returns: the function the factory returns.
    const made = depth < MAX_FACTORY_DEPTH ? factoryCallOf(declaration) : undefined;
    const factory = made && projectFunctionOf(made, checker, undefined, depth + 1);
    const returned = factory && returnedFunction(factory);
    if (returned) return returned;
  }
  return undefined;
}

const MAX_FACTORY_DEPTH = 2;
const fileFactoryValues = new WeakMap<ts.SourceFile, ReadonlyMap<string, ts.CallExpression>>();

/**
 * The names a file gives to the result of a call, by name: `const withLock = lockFor(db)`, a field `withLock =
 * lockFor(db)` or one its constructor sets (`this.withLock = lockFor(db)`). When the call is of a project factory that
 * returns a function, calling the name calls that function (projectFunctionOf). Cached per file.
 */
function factoryValuesIn(sourceFile: ts.SourceFile): ReadonlyMap<string, ts.CallExpression> {
  const cached = fileFactoryValues.get(sourceFile);
  if (cached) return cached;
  const values = new Map<string, ts.CallExpression>();
  for (const node of nodesOfKinds<ts.VariableDeclaration | ts.PropertyDeclaration | ts.ConstructorDeclaration>(
    sourceFile,
    FACTORY_VALUE_KINDS,
  )) {
    if (ts.isConstructorDeclaration(node)) {
      for (const statement of node.body?.statements ?? []) {
        const assigned = thisFieldAssignment(statement);
        if (assigned) values.set(assigned.name, assigned.call);
      }
      continue;
    }
    const initializer = node.initializer && skipParens(node.initializer);
    if (ts.isIdentifier(node.name) && initializer && ts.isCallExpression(initializer)) values.set(node.name.text, initializer);
  }
  fileFactoryValues.set(sourceFile, values);
  return values;
}

const FACTORY_VALUE_KINDS = [ts.SyntaxKind.VariableDeclaration, ts.SyntaxKind.PropertyDeclaration, ts.SyntaxKind.Constructor];

/** `this.name = f(…);`: the field and the call. */
function thisFieldAssignment(statement: ts.Statement): { name: string; call: ts.CallExpression } | undefined {
  const expr = ts.isExpressionStatement(statement) ? statement.expression : undefined;
  if (!expr || !ts.isBinaryExpression(expr) || expr.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return undefined;
  const target = expr.left;
  const value = skipParens(expr.right);
  if (!ts.isPropertyAccessExpression(target) || target.expression.kind !== ts.SyntaxKind.ThisKeyword || !ts.isCallExpression(value))
    return undefined;
  return { name: target.name.text, call: value };
}

/** The call whose result a declaration holds: its initializer, or for a field, what its class's constructor assigns it. */
function factoryCallOf(declaration: ts.Declaration): ts.CallExpression | undefined {
  if (!ts.isVariableDeclaration(declaration) && !ts.isPropertyDeclaration(declaration)) return undefined;
  if (!ts.isIdentifier(declaration.name)) return undefined;
  const initializer = declaration.initializer && skipParens(declaration.initializer);
  if (initializer) return ts.isCallExpression(initializer) ? initializer : undefined;
  if (!ts.isPropertyDeclaration(declaration) || !ts.isClassLike(declaration.parent)) return undefined;
  const name = declaration.name.text;
  for (const member of declaration.parent.members)
    if (ts.isConstructorDeclaration(member))
      for (const statement of member.body?.statements ?? []) {
        const assigned = thisFieldAssignment(statement);
        if (assigned?.name === name) return assigned.call;
      }
  return undefined;
}

/** The function a factory returns: its expression body, or the one function its `return` statements all return. */
function returnedFunction(factory: FunctionLike): FunctionLike | undefined {
  const body = factory.body && ts.isBlock(factory.body) ? undefined : factory.body && skipParens(factory.body as ts.Expression);
  if (body) return ts.isArrowFunction(body) || ts.isFunctionExpression(body) ? body : undefined;
  const returns = factory.body
    ? nodesOfKinds<ts.ReturnStatement>(factory.body, [ts.SyntaxKind.ReturnStatement], { skipFunctions: true })
    : [];
  const value = returns.length === 1 && returns[0]!.expression ? skipParens(returns[0]!.expression) : undefined;
  return value && (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) ? value : undefined;
}

/** An awaited (or returned) call of a function body, in order: a slow call itself, or a project function it calls. */
type AwaitedStep = { slow: SlowCall } | { fn: FunctionLike; call: ts.CallExpression };

/** Finds slow calls (and chains through project functions), memoised per function and entry list. */
export class SlowCallFinder {
  /** Whether each project function awaits or returns a slow operation (null: it does not), on the core's fixpoint. */
  private readonly summaries = new Map<FunctionLike, SlowPath | null>();
  private readonly steps = new Map<FunctionLike, readonly AwaitedStep[]>();

  constructor(
    private readonly entries: readonly SlowCallEntry[],
    private readonly checker: () => ts.TypeChecker,
    /** The Program the checker is for (its project functions' names are a first filter). */
    private readonly program?: ts.Program,
  ) {}

  /** The first slow operation an awaited expression waits for, directly or through project functions. */
  slowPathOf(expr: ts.Expression): SlowPath | undefined {
    return this.firstSlow(this.awaitedSteps(expr), (fn) => this.summaryOf(fn));
  }

  /** The awaited calls of `expr`, up to the first that is slow itself (nothing after it is waited for first). */
  private awaitedSteps(expr: ts.Expression, out: AwaitedStep[] = []): AwaitedStep[] {
    for (const call of awaitedCalls(expr)) {
      const slow = matchSlowCall(call, this.entries, this.checker);
      if (slow) {
        const duration = timerDuration(call);
        if (duration && isZero(duration)) continue;
        out.push({ slow });
        break;
      }
      if (!ts.isCallExpression(call)) continue;
      const fn = projectFunctionOf(call, this.checker(), this.program && projectFunctionNames(this.program));
      if (fn) out.push({ fn, call });
    }
    return out;
  }

  /** The first step that waits; `owner` is the function the steps are in (undefined for an expression asked directly). */
  private firstSlow(
    steps: readonly AwaitedStep[],
    summaryAt: (fn: FunctionLike) => SlowPath | null | undefined,
    owner?: FunctionLike,
  ): SlowPath | undefined {
    for (const step of steps) {
      if ("slow" in step) {
        const duration = timerDuration(step.slow.call);
        if (duration && isZero(duration)) continue;
        return { steps: [], slow: step.slow, ...paramOf(duration, owner) };
      }
      const inner = summaryAt(step.fn);
      if (!inner) continue;
      let passed: ts.Expression | undefined;
      if (inner.durationParam !== undefined) {
        passed = argumentFor(step.call, step.fn, inner.durationParam);
        if (passed && isZero(passed)) continue;
      }
      return { steps: [{ name: functionName(step.fn), call: step.call }, ...inner.steps], slow: inner.slow, ...paramOf(passed, owner) };
    }
    return undefined;
  }

  /**
   * What `fn` awaits or returns, in order, up to its first call that is slow itself: solved bottom-up on the core's
   * fixpoint (flow/bottom-up.ts `solveBottomUp`), so a slow call any number of calls down is found, and a recursive
   * cycle's members get one answer whichever is asked first.
   */
  private summaryOf(fn: FunctionLike): SlowPath | undefined {
    const path = solveBottomUp<SlowPath | null>(
      fn,
      {
        callees: (f) => this.stepsOf(f).flatMap((step) => ("fn" in step ? [step.fn] : [])),
        compose: (f, summaryAt) => this.firstSlow(this.stepsOf(f), summaryAt, f) ?? null,
        same: (a, b) => a?.slow.call === b?.slow.call && a?.steps.length === b?.steps.length && a?.durationParam === b?.durationParam,
        empty: null,
      },
      this.summaries,
    );
    return path ?? undefined;
  }

  private stepsOf(fn: FunctionLike): readonly AwaitedStep[] {
    let steps = this.steps.get(fn);
    if (!steps) {
      const out: AwaitedStep[] = [];
      const body = fn.body;
      if (body && !ts.isBlock(body)) this.awaitedSteps(body, out);
      if (body && ts.isBlock(body))
        walkFunctionBody(body, (node) => {
          if (out.length > 0 && "slow" in out[out.length - 1]!) return false;
          if (ts.isAwaitExpression(node)) this.awaitedSteps(node.expression, out);
          else if (ts.isReturnStatement(node) && node.expression) this.awaitedSteps(node.expression, out);
          return true;
        });
      this.steps.set(fn, (steps = out));
    }
    return steps;
  }
}

const finders = new WeakMap<ts.TypeChecker, Map<string, SlowCallFinder>>();

/**
 * The finder for the default slow calls plus `extra`, one per Program (its checker) and list, so the function
 * summaries are shared by every file of a run.
 */
export function slowCallFinderFor(program: ts.Program, checker: ts.TypeChecker, extra: readonly SlowCallEntry[]): SlowCallFinder {
  let byList = finders.get(checker);
  if (!byList) finders.set(checker, (byList = new Map()));
  const key = JSON.stringify(extra);
  let finder = byList.get(key);
  if (!finder) byList.set(key, (finder = new SlowCallFinder([...SLOW_CALL_MODELS, ...extra], () => checker, program)));
  return finder;
}

/**
 * The duration a timer call is given: the promise form's first argument (`import { setTimeout } from
 * "node:timers/promises"`), the callback form's second (`setTimeout(resolve, ms)`, 0 when left out).
 */
function timerDuration(call: ts.CallExpression | ts.NewExpression): ts.Expression | undefined {
  if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression)) return undefined;
  const imported = importsOf(call.getSourceFile()).get(call.expression.text);
  if (imported) return imported.imported === "setTimeout" && /timers\/promises$/.test(imported.module) ? call.arguments[0] : undefined;
  if (call.expression.text !== "setTimeout") return undefined;
  return call.arguments[1] ?? ts.factory.createNumericLiteral(0);
}

function isZero(expr: ts.Expression): boolean {
  const value = skipParens(expr);
  return ts.isNumericLiteral(value) && Number(value.text) === 0;
}

/** `{ durationParam }` when `duration` names a parameter of `owner` (by name, as written in its parameter list). */
function paramOf(duration: ts.Expression | undefined, owner: FunctionLike | undefined): { durationParam?: number } {
  const value = duration && skipParens(duration);
  if (!value || !owner || !ts.isIdentifier(value)) return {};
  const index = owner.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === value.text);
  return index >= 0 ? { durationParam: index } : {};
}

/** What `call` gives `fn`'s parameter `index`: the argument, or the parameter's default when it is left out. */
function argumentFor(call: ts.CallExpression, fn: FunctionLike, index: number): ts.Expression | undefined {
  if (call.arguments.some((arg) => ts.isSpreadElement(arg))) return undefined;
  return call.arguments[index] ?? fn.parameters[index]?.initializer;
}
