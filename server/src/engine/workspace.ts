// Monorepos: a folder that declares packages (package.json "workspaces", pnpm-workspace.yaml) or a solution tsconfig
// ("references") is analysed as one Program made of every package's tsconfig, so that whole-program rules (lock
// order) see calls from one package into another. Imports of a workspace package by name resolve to its sources
// (not to a build output that may not exist yet), as they do in the editor of a monorepo with project references.
import * as fs from "node:fs";
import * as path from "node:path";
import picomatch from "picomatch";
import { ts } from "./ts";
import { normalizePath } from "./paths";
// A broken package.json or tsconfig met while looking for the workspace is a ProjectLoadError (one line, exit code 2).
import { ProjectLoadError } from "./project";

/** A monorepo: the folder declaring it, the tsconfigs of its packages, and its packages by name (name → folder). */
export interface WorkspaceLayout {
  root: string;
  tsconfigs: string[];
  packages: Map<string, string>;
}

/** The nearest folder at or above `start` that declares a workspace with at least one tsconfig, if any. */
export function findWorkspace(start: string): WorkspaceLayout | undefined {
  let dir = fs.existsSync(start) && fs.statSync(start).isDirectory() ? path.resolve(start) : path.dirname(path.resolve(start));
  for (;;) {
    const layout = workspaceAt(dir);
    if (layout) return layout;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function workspaceAt(dir: string): WorkspaceLayout | undefined {
  const packageGlobs = [...packageJsonWorkspaces(dir), ...pnpmWorkspaces(dir)];
  const rootTsconfig = path.join(dir, "tsconfig.json");
  const referenced = referencedTsconfigs(rootTsconfig, new Set());
  if (packageGlobs.length === 0 && referenced.length === 0) return undefined;
  const excluded = packageGlobs.filter((g) => g.startsWith("!")).map((g) => picomatch(g.slice(1).replace(/^\.\//, "")));
  const packageDirs = packageGlobs
    .filter((g) => !g.startsWith("!"))
    .flatMap((g) => expandGlob(dir, g, "directory"))
    .filter((d) => !excluded.some((isExcluded) => isExcluded(relativePosix(dir, d))));
  const packages = new Map<string, string>();
  for (const packageDir of packageDirs) {
    const name = readJson(path.join(packageDir, "package.json"))?.name;
    if (typeof name === "string") packages.set(name, normalizePath(packageDir));
  }
  const tsconfigs = new Set(referenced);
  for (const packageDir of packageDirs) {
    const tsconfig = path.join(packageDir, "tsconfig.json");
    if (fs.existsSync(tsconfig)) tsconfigs.add(normalizePath(tsconfig));
  }
  // A root tsconfig that lists files of its own (not a pure solution file) is one more project.
  if (referenced.length > 0 && ownFiles(rootTsconfig)) tsconfigs.add(normalizePath(rootTsconfig));
  return tsconfigs.size > 0 ? { root: normalizePath(dir), tsconfigs: [...tsconfigs].sort(), packages } : undefined;
}

function packageJsonWorkspaces(dir: string): string[] {
  const workspaces = readJson(path.join(dir, "package.json"))?.workspaces;
  const globs = Array.isArray(workspaces) ? workspaces : (workspaces as { packages?: unknown } | undefined)?.packages;
  return Array.isArray(globs) ? globs.filter((g): g is string => typeof g === "string") : [];
}

/** The `packages:` list of pnpm-workspace.yaml (a list of quoted or bare globs; nothing else of YAML is needed). */
function pnpmWorkspaces(dir: string): string[] {
  const file = path.join(dir, "pnpm-workspace.yaml");
  if (!fs.existsSync(file)) return [];
  const globs: string[] = [];
  let inPackages = false;
  for (const line of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
    if (/^\S/.test(line)) inPackages = /^packages\s*:/.test(line);
    const item = inPackages ? /^\s+-\s*(['"]?)(.+?)\1\s*(#.*)?$/.exec(line) : null;
    if (item) globs.push(item[2]!);
  }
  return globs;
}

/** The tsconfigs a tsconfig's "references" name, and theirs (a reference names a tsconfig or its folder). */
function referencedTsconfigs(tsconfig: string, seen: Set<string>): string[] {
  if (seen.has(tsconfig) || !fs.existsSync(tsconfig)) return [];
  seen.add(tsconfig);
  const references = readTsconfigJson(tsconfig).references;
  if (!Array.isArray(references)) return [];
  return references.flatMap((reference: { path?: unknown }) => {
    if (typeof reference?.path !== "string") return [];
    let target = path.resolve(path.dirname(tsconfig), reference.path);
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) target = path.join(target, "tsconfig.json");
    return fs.existsSync(target) ? [normalizePath(target), ...referencedTsconfigs(target, seen)] : [];
  });
}

function ownFiles(tsconfig: string): boolean {
  const json = readTsconfigJson(tsconfig);
  return !(Array.isArray(json.files) && json.files.length === 0 && json.include === undefined);
}

/** A tsconfig's JSON (comments and trailing commas allowed, as TypeScript reads it); broken JSON is an error. */
function readTsconfigJson(tsconfig: string): Record<string, unknown> {
  const { config, error } = ts.readConfigFile(tsconfig, ts.sys.readFile);
  if (error) throw new ProjectLoadError(`${tsconfig}: ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`);
  return (config ?? {}) as Record<string, unknown>;
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new ProjectLoadError(`${file}: ${(error as Error).message}`);
  }
}

function relativePosix(root: string, target: string): string {
  return path.relative(root, target).split(path.sep).join("/");
}

/**
 * Files or folders matching a glob (picomatch syntax) relative to `root`, or absolute; a pattern without glob
 * characters is returned as is when it exists. node_modules and dot folders are never entered.
 */
export function expandGlob(root: string, pattern: string, kind: "file" | "directory"): string[] {
  const glob = normalizePath(pattern).replace(/^\.\//, "").replace(/\/$/, "");
  const isKind = (p: string) => fs.existsSync(p) && (kind === "directory" ? fs.statSync(p).isDirectory() : fs.statSync(p).isFile());
  if (!picomatch.scan(glob).isGlob) {
    const target = path.resolve(root, glob);
    return isKind(target) ? [normalizePath(target)] : [];
  }
  // Matched as absolute paths, so that `../*/tsconfig.json` works as the shell would expand it.
  const absoluteGlob = normalizePath(path.resolve(root, glob));
  const { base, glob: rest } = picomatch.scan(absoluteGlob);
  const isMatch = picomatch(absoluteGlob);
  // Without `**`, a match is never deeper than the pattern's own segments.
  const maxDepth = rest.includes("**") ? Infinity : rest.split("/").length;
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > maxDepth || !fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const full = normalizePath(path.join(dir, entry.name));
      if ((kind === "directory" ? entry.isDirectory() : entry.isFile()) && isMatch(full)) found.push(full);
      if (entry.isDirectory()) walk(full, depth + 1);
    }
  };
  walk(base, 1);
  return found;
}

/**
 * Where an import of a workspace package by name leads in its sources: `@acme/b` → the file its package.json names
 * when that is TypeScript, else `src/index.ts` or `index.ts`; `@acme/b/x` → `src/x.ts`, `x.ts` (or `…/index.ts`).
 */
export function workspaceSourceOf(specifier: string, packages: ReadonlyMap<string, string>): string | undefined {
  for (const [name, folder] of packages) {
    if (specifier !== name && !specifier.startsWith(`${name}/`)) continue;
    const subpath = specifier.slice(name.length + 1);
    const candidates = subpath
      ? [`src/${subpath}`, subpath].flatMap((p) => [`${p}.ts`, `${p}.tsx`, `${p}/index.ts`])
      : [...declaredEntries(folder), "src/index.ts", "src/index.tsx", "index.ts"];
    return candidates.map((c) => normalizePath(path.join(folder, c))).find((f) => fs.existsSync(f));
  }
  return undefined;
}

function declaredEntries(folder: string): string[] {
  const json = readJson(path.join(folder, "package.json")) ?? {};
  return [json.types, json.typings, json.source, json.main].filter(
    (entry): entry is string => typeof entry === "string" && /\.tsx?$/.test(entry) && !entry.endsWith(".d.ts"),
  );
}
