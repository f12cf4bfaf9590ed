import * as path from "node:path";

/** One spelling of a path everywhere: absolute, forward slashes (TypeScript's own convention). */
export function normalizePath(fileName: string): string {
  return fileName.replace(/\\/g, "/");
}

export function absolutePath(fileName: string, cwd = process.cwd()): string {
  return normalizePath(path.resolve(cwd, fileName));
}

/** True when `target` is `root` or inside it (after resolving `..`). Symlinks are checked by the caller with realpath. */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(target));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
