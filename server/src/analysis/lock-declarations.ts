// Which project function a lock declaration names: a locksmith.json `locks` entry (by `withLock` or `Class.method`, in
// the files its `file` glob matches) or a `@locksmith` JSDoc tag on the function itself. Shared by the lock helpers
// (lock-wrappers.ts) and the transaction dataflow, which counts a declared `row-lock` helper as a row lock.
import * as path from "node:path";
import picomatch from "picomatch";
import { declaredLocksOfProgram } from "../engine/config";
import type { DeclaredLocks, LockDeclaration } from "../engine/types";
import { ts } from "../engine/ts";
import { code, functionName, nodesOfKinds, type FunctionLike } from "./ast";
import { lockAnnotationOf, mayHaveLockAnnotations } from "./lock-annotations";
import { namedFunctionsIn, projectFunctionOf } from "./slow-calls";

/** Where a declaration comes from: the `locks` of locksmith.json, or a `@locksmith` tag on the function. */
export type DeclarationOrigin = "locksmith.json" | "JSDoc";

export interface CompiledDeclaration {
  entry: LockDeclaration;
  /** The declared function's own name (`acquire` of `RedisLockService.acquire`), for the cheap name test. */
  name: string;
  inFile(fileName: string): boolean;
}

const compiled = new WeakMap<DeclaredLocks, CompiledDeclaration[]>();

export function compileDeclarations(declared: DeclaredLocks | undefined): CompiledDeclaration[] {
  if (!declared) return [];
  let entries = compiled.get(declared);
  if (!entries)
    compiled.set(
      declared,
      (entries = declared.entries.map((entry) => {
        const match = entry.file ? picomatch(entry.file, { dot: true }) : undefined;
        return {
          entry,
          name: lastSegment(entry.function),
          inFile: (fileName) => !match || match(path.relative(declared.root, fileName).split(path.sep).join("/")),
        };
      })),
    );
  return entries;
}

export function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf(".") + 1);
}

/** Whether `fn` is the function a declaration names (`withLock`, or `Class.method`), in the file it names. */
export function isDeclared(fn: FunctionLike, declared: CompiledDeclaration, qualifiedName: string): boolean {
  const wanted = qualifiedName.includes(".") ? qualifiedName : lastSegment(qualifiedName);
  const own = functionName(fn);
  return (wanted.includes(".") ? own === wanted : lastSegment(own) === wanted) && declared.inFile(fn.getSourceFile().fileName);
}

/** A helper declared to lock rows on the transaction it is given (`row-lock`), with where the declaration is. */
export interface RowLockHelper {
  fn: FunctionLike;
  declaration: LockDeclaration;
  origin: DeclarationOrigin;
}

/**
 * The `row-lock` declaration of `fn`: a helper that locks rows on the transaction it is given, declared in
 * `declared` (a locksmith.json's `locks`; it wins) or by its `@locksmith acquires row-lock` tag.
 */
export function rowLockHelperOf(fn: FunctionLike, declared: DeclaredLocks | undefined): RowLockHelper | undefined {
  const config = compileDeclarations(declared).find((d) => isDeclared(fn, d, d.entry.function));
  if (config) return config.entry.kind === "row-lock" ? { fn, declaration: config.entry, origin: "locksmith.json" } : undefined;
  const annotation = lockAnnotationOf(fn);
  return annotation?.verb === "declares" && annotation.declaration.kind === "row-lock"
    ? { fn, declaration: annotation.declaration, origin: "JSDoc" }
    : undefined;
}

/**
 * The `row-lock` declaration of `fn` as a call in `fromFile` sees it: with the `locks` of the configuration that applies
 * to that file (the engine's declarations for `program`), or its tag.
 */
export function declaredRowLockOf(fn: FunctionLike, program: ts.Program | undefined, fromFile: string): LockDeclaration | undefined {
  return rowLockHelperOf(fn, program && declaredLocksOfProgram(program, fromFile))?.declaration;
}

/** The calls of a file to declared row-lock helpers (for `locksmith locks` and the hover), in source order. */
export function rowLockHelperCallsIn(
  sourceFile: ts.SourceFile,
  program: ts.Program,
  checker: () => ts.TypeChecker,
  declared: DeclaredLocks | undefined,
): Array<{ call: ts.CallExpression; helper: RowLockHelper }> {
  const names = rowLockHelperNames(program, declared);
  if (names.size === 0) return [];
  const found: Array<{ call: ts.CallExpression; helper: RowLockHelper }> = [];
  for (const call of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
    const callee = call.expression;
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    if (!name || !names.has(name)) continue;
    const fn = projectFunctionOf(call, checker());
    const helper = fn && rowLockHelperOf(fn, declared);
    if (helper) found.push({ call, helper });
  }
  return found;
}

/** Names a declared row-lock helper may be called by: its locksmith.json entries', and the functions tagged so. */
function rowLockHelperNames(program: ts.Program, declared: DeclaredLocks | undefined): Set<string> {
  const names = new Set(compileDeclarations(declared).flatMap((d) => (d.entry.kind === "row-lock" ? [d.name] : [])));
  for (const sourceFile of program.getSourceFiles())
    if (!sourceFile.isDeclarationFile && mayHaveLockAnnotations(sourceFile))
      for (const fn of namedFunctionsIn(sourceFile).values()) if (rowLockHelperOf(fn, undefined)) names.add(lastSegment(functionName(fn)));
  return names;
}

/** A parameter by name and 1-based position, as a reader counts: "`work` (argument 2)". */
export function parameterLabel(fn: FunctionLike, index: number): string {
  const name = fn.parameters[index]?.name;
  const position = `argument ${index + 1}`;
  return name && ts.isIdentifier(name) ? `${code(name.text)} (${position})` : position;
}

/** What a call of a row-lock helper does, in words: "locks the `Account` rows whose id is `accountId` (argument 2) …". */
export function rowLockHelperEffect(helper: RowLockHelper): string {
  const { declaration, fn } = helper;
  const rows = declaration.table ? `the ${code(declaration.table)} rows` : "the rows";
  const key = declaration.key !== undefined ? ` whose id is ${parameterLabel(fn, declaration.key)}` : "";
  return `locks ${rows}${key} on the transaction passed as ${parameterLabel(fn, declaration.transaction!)}, until that transaction ends (as \`SELECT … FOR UPDATE\`)`;
}
