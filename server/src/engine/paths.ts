import * as fs from "node:fs";
import * as path from "node:path";

/** One spelling of a path everywhere: absolute, forward slashes (TypeScript's own convention). */
export function normalizePath(fileName: string): string {
  return fileName.replace(/\\/g, "/");
}

export function absolutePath(fileName: string, cwd = process.cwd()): string {
  return normalizePath(path.resolve(cwd, fileName));
}

/** True when `target` is `root` or inside it (after resolving `..`). Paths Locksmith writes to use isInsideReal. */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(target));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** `target` with symlinks resolved as far as it exists (a file not created yet resolves through its folders). */
export function realPath(target: string): string {
  for (let current = path.resolve(target); ; current = path.dirname(current)) {
    try {
      return path.join(fs.realpathSync(current), path.relative(current, path.resolve(target)));
    } catch {
      if (path.dirname(current) === current) return path.resolve(target);
    }
  }
}

/** isInside, and still inside once symlinks are followed: for every path Locksmith writes to. */
export function isInsideReal(root: string, target: string): boolean {
  return isInside(root, target) && isInside(realPath(root), realPath(target));
}
