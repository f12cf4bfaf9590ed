// Real database-heavy applications for `npm run bench`, fetched at a pinned commit into a cache folder outside the
// repository (never committed): ~/.cache/locksmith-bench, or $LOCKSMITH_BENCH_CACHE. Only source files are kept
// (.ts/.tsx/.js/… and .json), as no tool here reads anything else and no dependencies are installed.
//
// Where the files come from, in order: the cache; a local git directory that holds the commit (`--git-dir
// owner/name=PATH`, e.g. a partial clone); GitHub's tarball of the commit (codeload.github.com). Offline, with none of
// these, the corpus is skipped with a message saying so.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/**
 * Each corpus: the repository and commit, the ORM it uses, the file the first-diagnostics measurement opens (`open`,
 * one with a finding; bench/opening.js), and the tsconfig every tool is run on: a file
 * `tsconfig.locksmith-bench.json` written beside `tsconfig`, which extends it (or, with `compilerOptions`, one written
 * whole at the root) with `types: []` (no dependencies are installed, so there are no @types to load: a missing
 * `types` entry is a global error that stops `tsc` before type checking) and `incremental: false` (`tsc` would
 * otherwise write a build-info file and re-check nothing on the next run).
 *
 * documenso is a monorepo whose apps reach its packages through node_modules links; with none installed, its own
 * tsconfig is written here: the remix app and every package in one Program, `@documenso/*` mapped to `packages/*`
 * as the workspace links would, with the options of its base tsconfig.
 */
const REAL_CORPORA = [
  {
    id: "outline",
    repo: "outline/outline",
    sha: "d77dcdf853868c5d5fe125c895c9b71f0eff5c68",
    orm: "Sequelize",
    tsconfig: "tsconfig.json",
    open: "server/routes/api/comments/comments.ts",
  },
  {
    id: "documenso",
    repo: "documenso/documenso",
    sha: "75330166cc00b29c14399bc2e391e4b4d8080c00",
    orm: "Prisma",
    tsconfig: "tsconfig.json",
    compilerOptions: {
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "Bundler",
      jsx: "react-jsx",
      lib: ["DOM", "DOM.Iterable", "ESNext"],
      strict: true,
      useUnknownInCatchVariables: false,
      esModuleInterop: true,
      isolatedModules: true,
      resolveJsonModule: true,
      skipLibCheck: true,
      noEmit: true,
      paths: { "@documenso/*": ["./packages/*"], "~/*": ["./apps/remix/app/*"] },
    },
    include: ["apps/remix/**/*.ts", "apps/remix/**/*.tsx", "packages/**/*.ts", "packages/**/*.tsx"],
    exclude: ["**/node_modules", "**/dist", "**/build", "**/.react-router"],
  },
];

const SOURCE = /\.(?:[cm]?[jt]sx?|json)$/;
const BENCH_TSCONFIG = "tsconfig.locksmith-bench.json";

function cacheRoot() {
  return process.env.LOCKSMITH_BENCH_CACHE ?? path.join(os.homedir(), ".cache", "locksmith-bench");
}

/** `git` with its output; throws with git's message when it fails. */
function git(gitDir, args, options = {}) {
  const result = spawnSync("git", [`--git-dir=${gitDir}`, ...args], { maxBuffer: 1 << 30, ...options });
  if (result.status !== 0) throw new Error(`git ${args[0]}: ${String(result.stderr ?? result.error).trim()}`);
  return result.stdout;
}

/** From a local git directory: the commit's source files only (a partial clone may lack other blobs). */
function extractFromGitDir(gitDir, sha, dir) {
  const names = git(gitDir, ["ls-tree", "-r", "-z", "--name-only", sha]).toString("utf8").split("\0").filter((n) => SOURCE.test(n));
  fs.mkdirSync(dir, { recursive: true });
  // In batches: a command line has a length limit.
  for (let i = 0; i < names.length; i += 2000) {
    const archive = git(gitDir, ["archive", sha, "--", ...names.slice(i, i + 2000)]);
    const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive, maxBuffer: 1 << 30 });
    if (untar.status !== 0) throw new Error(`tar: ${String(untar.stderr).trim()}`);
  }
}

/** From GitHub's tarball of the commit, source files only. */
async function extractFromTarball(repo, sha, dir) {
  const url = `https://codeload.github.com/${repo}/tar.gz/${sha}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const archive = Buffer.from(await response.arrayBuffer());
  fs.mkdirSync(dir, { recursive: true });
  const patterns = ["*.ts", "*.tsx", "*.mts", "*.cts", "*.js", "*.jsx", "*.mjs", "*.cjs", "*.json"];
  const untar = spawnSync("tar", ["-xz", "-C", dir, "--strip-components=1", "--wildcards", ...patterns], { input: archive, maxBuffer: 1 << 30 });
  if (untar.status !== 0) throw new Error(`tar: ${String(untar.stderr).trim()}`);
}

/**
 * The corpus's folder, fetched if needed; or `{ skipped }` with the reason. `gitDirs` maps "owner/name" to a local
 * git directory to try first.
 */
async function prepareRealCorpus(spec, gitDirs = {}) {
  const dir = path.join(cacheRoot(), `${spec.repo.replace("/", "+")}@${spec.sha.slice(0, 12)}`);
  const done = path.join(dir, ".locksmith-bench-complete");
  if (!fs.existsSync(done)) {
    fs.rmSync(dir, { recursive: true, force: true });
    const attempts = [];
    if (gitDirs[spec.repo]) attempts.push(["local git directory", () => extractFromGitDir(gitDirs[spec.repo], spec.sha, dir)]);
    attempts.push(["codeload.github.com", () => extractFromTarball(spec.repo, spec.sha, dir)]);
    const errors = [];
    for (const [source, attempt] of attempts) {
      try {
        await attempt();
        errors.length = 0;
        break;
      } catch (error) {
        errors.push(`${source}: ${error.cause?.message ?? error.message}`);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    if (errors.length > 0) {
      return { skipped: `${spec.repo}@${spec.sha.slice(0, 12)} could not be fetched (offline?) — ${errors.join("; ")}. Pass --git-dir ${spec.repo}=<a git directory holding the commit> to use a local copy.` };
    }
    fs.writeFileSync(done, `${spec.repo}@${spec.sha}\n`);
  }
  const tsconfig = path.join(dir, spec.tsconfig);
  const benchTsconfig = path.join(path.dirname(tsconfig), BENCH_TSCONFIG);
  const compilerOptions = { ...spec.compilerOptions, types: [], incremental: false };
  const config = spec.compilerOptions
    ? { compilerOptions, include: spec.include, exclude: spec.exclude }
    : { extends: `./${path.basename(tsconfig)}`, compilerOptions };
  fs.writeFileSync(benchTsconfig, `${JSON.stringify(config, null, 2)}\n`);
  return { dir, tsconfig: benchTsconfig };
}

module.exports = { REAL_CORPORA, prepareRealCorpus };
