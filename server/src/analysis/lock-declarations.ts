// Which project function a lock declaration names: a locksmith.json `locks` entry (by `withLock` or `Class.method`, in
// the files its `file` glob matches) or a `@locksmith` JSDoc tag on the function itself. Shared by the lock helpers
// (lock-wrappers.ts) and the transaction dataflow, which counts a declared `row-lock` helper as a row lock.
import * as path from "node:path";
import picomatch from "picomatch";
import { declaredLocksOfProgram } from "../engine/config";
import type { DeclaredLocks, LockDeclaration } from "../engine/types";
import type { ts } from "../engine/ts";
import { functionName, type FunctionLike } from "./ast";
import { lockAnnotationOf } from "./lock-annotations";

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

/**
 * The `row-lock` declaration of `fn`: a helper that locks rows on the transaction it is given, declared in the
 * project's locksmith.json (the engine's declarations for `program`) or by its `@locksmith acquires row-lock` tag.
 */
export function declaredRowLockOf(fn: FunctionLike, program: ts.Program | undefined): LockDeclaration | undefined {
  const config = program && compileDeclarations(declaredLocksOfProgram(program)).find((d) => isDeclared(fn, d, d.entry.function));
  if (config) return config.entry.kind === "row-lock" ? config.entry : undefined;
  const annotation = lockAnnotationOf(fn);
  return annotation?.verb === "declares" && annotation.declaration.kind === "row-lock" ? annotation.declaration : undefined;
}
