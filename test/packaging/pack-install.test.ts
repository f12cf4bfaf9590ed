// The packages as a team installs them: `npm pack` of @locksmith/cli, @locksmith/runtime and eslint-plugin-locksmith,
// installed (with the repository's typescript, pg, eslint, @typescript-eslint/parser and @types versions, from the npm cache
// when it has them) into two fresh projects, a CommonJS one with `moduleResolution: node` that imports the runtime
// package and an ESM one with `nodenext` that vendors it. In each: `npx locksmith lint` finds the races, the row-lock
// suggestion (from the JSON output) and `--fix` repair them, the project's own `tsc` compiles the result, and the
// compiled code runs correctly against the local PostgreSQL. The CommonJS project also has the ESLint plugin, run by
// `npx eslint` with typed linting on the same files, before the CLI's fix and with `--fix` where the CLI's runs. Both projects run at once; one install each, shared by every
// assertion.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pgConfig } from "../runtime/services";

const REPO_ROOT = path.join(__dirname, "..", "..", "..");
const FIXTURE = path.join(REPO_ROOT, "test", "packaging", "fixtures", "app");
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "server", "package.json"), "utf8")) as { version: string }).version;
const { packPackages } = require(path.join(REPO_ROOT, "scripts", "pack-packages.js")) as { packPackages(out: string): string[] };

/** The version of a package the repository itself installed (so npm finds it in its cache). */
const installed = (name: string) => (require(`${name}/package.json`) as { version: string }).version;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user's shell: none of the npm_* variables of the `npm test` running this (its local prefix
 * would send the projects' npm commands to the repository) but the npm cache and registry, and PG* for the database.
 */
function userEnv(): NodeJS.ProcessEnv {
  const kept = /^npm_config_(cache|registry|userconfig)$/i;
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || kept.test(key)));
  const pg = pgConfig();
  return {
    ...env,
    PGHOST: pg.host,
    PGPORT: String(pg.port),
    PGUSER: pg.user,
    PGDATABASE: pg.database,
    NO_COLOR: "1",
    ...(pg.password ? { PGPASSWORD: pg.password } : {}),
  };
}

function run(cwd: string, command: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: userEnv(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Fails with the command's output when it did not end as expected. */
function expectCode(result: Run, code: number, what: string): Run {
  assert.equal(result.code, code, `${what} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

interface ProjectKind {
  label: string;
  packageJson: Record<string, unknown>;
  tsconfig: Record<string, unknown>;
  locksmithJson?: Record<string, unknown>;
  /** Where the inserted imports import the runtime from. */
  runtime: { core: string; postgres: string };
  /** Also installs eslint-plugin-locksmith, ESLint and typescript-eslint's parser, and lints with them. */
  eslintPlugin?: boolean;
}

const COMPILER = { target: "ES2022", strict: true, rootDir: "src", outDir: "build", skipLibCheck: true };
const KINDS: ProjectKind[] = [
  {
    label: "CommonJS, moduleResolution node, runtime package, ESLint plugin",
    packageJson: {},
    // TypeScript 6 deprecates node10 resolution; such projects silence it until they move.
    tsconfig: { ...COMPILER, module: "commonjs", moduleResolution: "node", ignoreDeprecations: "6.0" },
    runtime: { core: "@locksmith/runtime", postgres: "@locksmith/runtime/postgres" },
    // Here the runtime package resolves, so ESLint can apply the fixes that import it (it never creates a file).
    eslintPlugin: true,
  },
  {
    label: "ESM, moduleResolution nodenext, vendored runtime",
    packageJson: { type: "module" },
    tsconfig: { ...COMPILER, module: "nodenext", moduleResolution: "nodenext" },
    locksmithJson: { runtime: "vendor" },
    runtime: { core: "./locksmith-runtime.js", postgres: "./locksmith-runtime.js" },
  },
];

interface Finding {
  file: string;
  line: number;
  ruleId: string;
  fixable: boolean;
  suggestions: string[];
}

/** An ESLint-shaped JSON report (`locksmith lint --format json` and `eslint --format json` print the same shape). */
type JsonReport = Array<{
  filePath: string;
  messages: Array<{
    line: number;
    ruleId: string;
    fix?: unknown;
    suggestions?: Array<{ desc: string; fix: { range: [number, number]; text: string } }>;
  }>;
}>;

function jsonReport(result: Run, what: string): JsonReport {
  assert.ok(result.stdout.startsWith("["), `${what} printed no JSON report (exit ${result.code}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as JsonReport;
}

function findingsOf(report: JsonReport, root: string): Finding[] {
  return report.flatMap((r) =>
    r.messages.map((m) => ({
      file: path.relative(root, r.filePath),
      line: m.line,
      ruleId: m.ruleId,
      fixable: m.fix !== undefined,
      suggestions: (m.suggestions ?? []).map((s) => s.desc),
    })),
  );
}

/**
 * The typed ESLint set-up of docs/eslint-plugin.md, reduced to typescript-eslint's parser (its whole package would add
 * install time and its own findings) and Locksmith's rules.
 */
const ESLINT_CONFIG = `import tsParser from "@typescript-eslint/parser";
import locksmith from "eslint-plugin-locksmith";

export default [
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tsParser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  locksmith.configs.recommended,
];
`;

/** What `npx eslint` did in the project: a run before any fix, and `eslint --fix` where `locksmith lint --fix` runs. */
interface EslintOutcome {
  lint: Run;
  fix: Run;
  fixed: Record<string, string>;
}

/** Everything one project's run produced, checked by the tests below. */
interface Outcome {
  root: string;
  install: Run;
  lint: Run;
  findings: Finding[];
  fix: Run;
  fixed: Record<string, string>;
  vendored: string | undefined;
  shippedVendored: string;
  tsc: Run;
  check: Run;
  eslint: EslintOutcome | undefined;
}

async function tryProject(kind: ProjectKind, tarballs: string[], root: string): Promise<Outcome> {
  const [cli, runtime, eslintPlugin] = tarballs as [string, string, string];
  fs.cpSync(FIXTURE, root, { recursive: true });
  const write = (file: string, value: unknown) => fs.writeFileSync(path.join(root, file), `${JSON.stringify(value, null, 2)}\n`);
  write("package.json", {
    name: "app",
    version: "1.0.0",
    private: true,
    ...kind.packageJson,
    dependencies: { "@locksmith/runtime": `file:${runtime}`, pg: installed("pg") },
    devDependencies: {
      "@locksmith/cli": `file:${cli}`,
      typescript: installed("typescript"),
      "@types/pg": installed("@types/pg"),
      "@types/node": installed("@types/node"),
      ...(kind.eslintPlugin
        ? {
            "eslint-plugin-locksmith": `file:${eslintPlugin}`,
            eslint: installed("eslint"),
            "@typescript-eslint/parser": installed("@typescript-eslint/parser"),
          }
        : {}),
    },
  });
  write("tsconfig.json", { compilerOptions: kind.tsconfig, include: ["src"] });
  if (kind.locksmithJson) write("locksmith.json", kind.locksmithJson);
  if (kind.eslintPlugin) fs.writeFileSync(path.join(root, "eslint.config.mjs"), ESLINT_CONFIG);
  const install = expectCode(await run(root, "npm", "install", "--prefer-offline", "--no-audit", "--no-fund"), 0, "npm install");

  // Both read the untouched files: at once.
  const eslint = (...args: string[]) => run(root, "npx", "eslint", "--format", "json", ...args, "src");
  const [lint, eslintLint] = await Promise.all([
    run(root, "npx", "locksmith", "lint", "--format", "json"),
    kind.eslintPlugin ? eslint() : undefined,
  ]);
  const report = jsonReport(lint, "npx locksmith lint");
  const findings = findingsOf(report, root);
  // The row lock is a suggestion (the editor offers it; --fix does not apply it): applied here as an editor would.
  const wallet = path.join(root, "src", "wallet.ts");
  const interest = report.find((r) => r.filePath === wallet)?.messages.find((m) => m.line === 15);
  const rowLock = interest?.suggestions?.find((s) => s.desc.startsWith("Lock the row"));
  if (rowLock) {
    const text = fs.readFileSync(wallet, "utf8");
    fs.writeFileSync(wallet, text.slice(0, rowLock.fix.range[0]) + rowLock.fix.text + text.slice(rowLock.fix.range[1]));
  }

  const sources = () => Object.fromEntries(["wallet.ts", "docs.ts"].map((f) => [f, fs.readFileSync(path.join(root, "src", f), "utf8")]));
  let eslintOutcome: EslintOutcome | undefined;
  if (eslintLint) {
    // `eslint --fix` on the same text as `locksmith lint --fix` below, which then starts again from that text.
    const unfixed = sources();
    eslintOutcome = { lint: eslintLint, fix: await eslint("--fix"), fixed: sources() };
    for (const [file, text] of Object.entries(unfixed)) fs.writeFileSync(path.join(root, "src", file), text);
  }

  const fix = await run(root, "npx", "locksmith", "lint", "--fix");
  const fixed = sources();
  const vendoredPath = path.join(root, "src", "locksmith-runtime.ts");
  const vendored = fs.existsSync(vendoredPath) ? fs.readFileSync(vendoredPath, "utf8") : undefined;
  const shippedVendored = fs.readFileSync(
    path.join(root, "node_modules", "@locksmith", "cli", "runtime", "dist", "vendor", "locksmith-runtime.ts"),
    "utf8",
  );
  const tsc = await run(root, "npx", "tsc", "-p", ".");
  const check = tsc.code === 0 ? await run(root, process.execPath, "check.mjs") : { code: -1, stdout: "", stderr: "not run: tsc failed" };
  return { root, install, lint, findings, fix, fixed, vendored, shippedVendored, tsc, check, eslint: eslintOutcome };
}

const FIXED_WALLET = (postgres: string) => `import type { Pool } from "pg";
import { withPgTransaction } from "${postgres}";

/** Two concurrent debits both read the same balance: one is lost (\`--fix\`: one atomic UPDATE). */
export async function debit(pool: Pool, id: string, amount: number): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  const balance: number = rows[0].balance;
  if (balance < amount) throw new Error("insufficient funds");
  const updated = await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", [amount, id]);
  if (updated.rowCount === 0) throw new Error("insufficient funds");
}

/** The same race, with a new balance SQL cannot compute as it is written (the suggestion: lock the row). */
export async function addInterest(pool: Pool, id: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
    const balance: number = rows[0].balance;
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [Math.round(balance * 1.1), id]);
  });
}
`;

const FIXED_DOCS = (core: string) => `import type { Pool } from "pg";
import { ConflictError } from "${core}";

/** A compare-and-set whose lost race goes unnoticed (\`--fix\`: throw ConflictError when no row changed). */
export async function rename(pool: Pool, id: string, title: string): Promise<void> {
  const { rows: [doc] } = await pool.query("SELECT title, version FROM docs WHERE id = $1", [id]);
  const updated = await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [title, id, doc.version]);
  if (updated.rowCount === 0) throw new ConflictError("docs changed concurrently");
}
`;

const ROW_LOCK = "Lock the row: read with FOR UPDATE inside withPgTransaction";
const OPTIMISTIC = "Optimistic update: write only if `balance` is unchanged, retry with backoff on conflict";
const RACES: Finding[] = [
  { file: "src/docs.ts", line: 6, ruleId: "unchecked-optimistic-update", fixable: true, suggestions: [] },
  { file: "src/wallet.ts", line: 8, ruleId: "select-then-update", fixable: true, suggestions: [ROW_LOCK, OPTIMISTIC] },
  { file: "src/wallet.ts", line: 15, ruleId: "select-then-update", fixable: false, suggestions: [ROW_LOCK, OPTIMISTIC] },
];

/** An installed package's files, relative to its folder, with `/` separators. */
function packageFiles(pkg: string): string[] {
  return (fs.readdirSync(pkg, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(pkg, f)).isFile())
    .map((f) => f.split(path.sep).join("/"));
}

/** A package's README is read on npm's site: a relative link there leads nowhere. */
function assertReadmeLinksOnlyToTheWeb(pkg: string): void {
  assert.doesNotMatch(
    fs.readFileSync(path.join(pkg, "README.md"), "utf8"),
    /\]\((?!https?:)[^)#]+\)/,
    `${pkg}/README.md links only to the web`,
  );
}

describe("npm pack, then install into fresh projects", () => {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-pack-")));
  let tarballs: string[] = [];
  const outcomes = new Map<string, Promise<Outcome>>();
  before(() => {
    tarballs = packPackages(path.join(tmp, "tarballs"));
    for (const kind of KINDS) {
      const root = path.join(tmp, kind.packageJson["type"] === "module" ? "esm-app" : "cjs-app");
      const outcome = tryProject(kind, tarballs, root);
      outcome.catch(() => undefined); // reported by the tests that await it
      outcomes.set(kind.label, outcome);
    }
  });
  after(async () => {
    await Promise.allSettled(outcomes.values());
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("the CLI package ships compiled JavaScript, its docs, schema and vendored runtime, a README and a LICENSE", async () => {
    const { root } = await outcomes.get(KINDS[0]!.label)!;
    const pkg = path.join(root, "node_modules", "@locksmith", "cli");
    const kinds = new Set(
      packageFiles(pkg).map((f) =>
        f.startsWith("dist/") ? `dist/*${path.extname(f)}` : f.startsWith("rules/docs/") ? "rules/docs/*.md" : f,
      ),
    );
    assert.deepEqual([...kinds].sort(), [
      "LICENSE",
      "README.md",
      "dist/*.js",
      "package.json",
      "rules/docs/*.md",
      "runtime/dist/vendor/locksmith-runtime.ts",
      "server/bin/locksmith-language-server.js",
      "server/bin/locksmith.js",
      "server/bin/start.js",
      "server/schema/locksmith.schema.json",
    ]);
    const manifest = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(manifest["private"], undefined);
    assert.equal(manifest["scripts"], undefined);
    assert.deepEqual(manifest["bin"], {
      locksmith: "server/bin/locksmith.js",
      "locksmith-language-server": "server/bin/locksmith-language-server.js",
    });
    assert.deepEqual(Object.keys(manifest["dependencies"] as object).sort(), [
      "@ts-morph/common",
      "picomatch",
      "ts-morph",
      "vscode-languageserver",
      "vscode-languageserver-protocol",
      "vscode-languageserver-textdocument",
    ]);
    assertReadmeLinksOnlyToTheWeb(pkg);
    // The runtime is published under the same license, which its package carries too (npm packs LICENSE by itself).
    const license = fs.readFileSync(path.join(REPO_ROOT, "LICENSE"), "utf8");
    assert.equal(fs.readFileSync(path.join(pkg, "LICENSE"), "utf8"), license);
    assert.equal(fs.readFileSync(path.join(root, "node_modules", "@locksmith", "runtime", "LICENSE"), "utf8"), license);
  });

  for (const kind of KINDS) {
    describe(kind.label, () => {
      test("npx locksmith lint: exit 1, the three races, with the fixes and suggestions", async () => {
        const { lint, findings } = await outcomes.get(kind.label)!;
        assert.equal(lint.code, 1, lint.stderr);
        assert.deepEqual(findings, RACES);
      });

      test(`the suggestion and --fix import the runtime from ${kind.runtime.postgres}, and then lint is clean`, async () => {
        const { fix, fixed, vendored, shippedVendored } = await outcomes.get(kind.label)!;
        assert.deepEqual(fix, { code: 0, stdout: "", stderr: "" });
        assert.equal(fixed["wallet.ts"], FIXED_WALLET(kind.runtime.postgres));
        assert.equal(fixed["docs.ts"], FIXED_DOCS(kind.runtime.core));
        assert.equal(vendored, kind.locksmithJson ? shippedVendored : undefined);
      });

      if (kind.eslintPlugin) {
        test("npx eslint with locksmith.configs.recommended and typed linting: exit 1, the same races as locksmith/<rule>", async () => {
          const { root, eslint } = await outcomes.get(kind.label)!;
          const { lint } = eslint!;
          assert.equal(lint.code, 1, lint.stderr);
          const expected = RACES.map((race) => ({ ...race, ruleId: `locksmith/${race.ruleId}` }));
          assert.deepEqual(findingsOf(jsonReport(lint, "npx eslint"), root), expected);
        });

        test("eslint --fix applies the same Locksmith fixes as locksmith lint --fix, and nothing remains", async () => {
          const { root, eslint } = await outcomes.get(kind.label)!;
          const { fix, fixed } = eslint!;
          const remaining = findingsOf(jsonReport(fix, "npx eslint --fix"), root);
          assert.deepEqual({ code: fix.code, stderr: fix.stderr, remaining }, { code: 0, stderr: "", remaining: [] });
          assert.deepEqual(fixed, { "wallet.ts": FIXED_WALLET(kind.runtime.postgres), "docs.ts": FIXED_DOCS(kind.runtime.core) });
        });
      }

      test("the project's own tsc compiles the fixed code", async () => {
        const { tsc } = await outcomes.get(kind.label)!;
        assert.deepEqual(tsc, { code: 0, stdout: "", stderr: "" });
      });

      test("against PostgreSQL, the fixed code loses no update and reports the lost compare-and-set", async () => {
        const { check } = await outcomes.get(kind.label)!;
        expectCode(check, 0, "node check.mjs");
        const result = JSON.parse(check.stdout) as { winner: string; docs: Array<{ title: string }> };
        assert.deepEqual(result, {
          // 11 concurrent debits of 10 from 100: ten succeed, one is refused, none is lost.
          debits: { fulfilled: 10, "Error: insufficient funds": 1 },
          // 5 concurrent 10 % interest runs under the row lock: 1000 → 1100 → 1210 → 1331 → 1464 → 1610.
          interest: { fulfilled: 5 },
          // Both renames read version 1 before either wrote: one wins, the other learns it lost.
          renames: { fulfilled: 1, "ConflictError: docs changed concurrently": 1 },
          winner: result.winner,
          accounts: [
            { id: "a", balance: 0 },
            { id: "b", balance: 1610 },
          ],
          docs: [{ title: result.winner, version: 2 }],
        });
        assert.ok(["from A", "from B"].includes(result.winner));
      });
    });
  }

  test("the ESLint plugin package: compiled JavaScript that runs @locksmith/cli's engine (one copy), typings, README, LICENSE", async () => {
    const { root } = await outcomes.get(KINDS.find((kind) => kind.eslintPlugin)!.label)!;
    const pkg = path.join(root, "node_modules", "eslint-plugin-locksmith");
    const kinds = new Set(packageFiles(pkg).map((f) => (/^dist\/[^/]+\.js$/.test(f) ? "dist/*.js" : f)));
    assert.deepEqual([...kinds].sort(), ["LICENSE", "README.md", "dist/*.js", "dist/index.d.ts", "package.json"]);
    const {
      description: _description,
      keywords: _keywords,
      ...manifest
    } = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8"));
    assert.deepEqual(manifest, {
      name: "eslint-plugin-locksmith",
      version: VERSION,
      license: "MIT",
      main: "dist/index.js",
      types: "dist/index.d.ts",
      engines: { node: ">=20" },
      dependencies: { "@locksmith/cli": VERSION },
      peerDependencies: { "@typescript-eslint/parser": ">=8.0.0", eslint: ">=9.0.0" },
      peerDependenciesMeta: { "@typescript-eslint/parser": { optional: true } },
    });
    // The plugin requires the engine from the CLI package the project installed, not a copy of its own.
    assert.equal(fs.existsSync(path.join(pkg, "node_modules")), false);
    for (const file of packageFiles(path.join(pkg, "dist")).filter((f) => f.endsWith(".js"))) {
      const requires = [...fs.readFileSync(path.join(pkg, "dist", file), "utf8").matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
      assert.deepEqual(
        requires.filter((r) => !/^(node:|\.\/|@locksmith\/cli\/dist\/)/.test(r)),
        [],
        `${file} requires only Node, its own files and @locksmith/cli`,
      );
    }
    assertReadmeLinksOnlyToTheWeb(pkg);
    assert.equal(fs.readFileSync(path.join(pkg, "LICENSE"), "utf8"), fs.readFileSync(path.join(REPO_ROOT, "LICENSE"), "utf8"));
  });

  test("npm pack of the uncompiled eslint-plugin/ folder refuses in one line", async () => {
    const { code, stderr } = await run(path.join(REPO_ROOT, "eslint-plugin"), "npm", "pack", "--dry-run");
    assert.deepEqual(
      { code, first: stderr.split("\n")[0] },
      {
        code: 1,
        first:
          "Pack eslint-plugin-locksmith with npm run pack:packages at the repository root: it stages the compiled package (dist/packages/eslint-plugin).",
      },
    );
  });

  test("the bins: versions, the language server's usage, and a broken installation in one line with exit 2", async () => {
    const { root } = await outcomes.get(KINDS[0]!.label)!;
    const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
    const [version, serverVersion, help, noTransport] = await Promise.all([
      run(root, "npx", "-p", "@locksmith/cli", "locksmith", "--version"), // as the docs write it: the installed package
      run(root, bin("locksmith-language-server"), "--version"),
      run(root, bin("locksmith-language-server"), "--help"),
      run(root, bin("locksmith-language-server")),
    ]);
    assert.deepEqual(version, { code: 0, stdout: `${VERSION}\n`, stderr: "" });
    assert.deepEqual(serverVersion, { code: 0, stdout: `${VERSION}\n`, stderr: "" });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: locksmith-language-server --stdio\n/);
    assert.deepEqual(noTransport, {
      code: 2,
      stdout: "",
      stderr:
        "locksmith-language-server: no transport given: start it with --stdio (or --node-ipc, --socket=<port>, --pipe=<name>); --help for usage\n",
    });
    // A dependency lost from node_modules (an interrupted install): one line naming it, exit 2, for both bins.
    const tsMorph = path.join(root, "node_modules", "ts-morph");
    fs.renameSync(tsMorph, `${tsMorph}.away`);
    try {
      const broken = await Promise.all([run(root, "npx", "locksmith", "lint"), run(root, bin("locksmith-language-server"), "--stdio")]);
      assert.deepEqual(
        broken,
        ["locksmith", "locksmith-language-server"].map((name) => ({
          code: 2,
          stdout: "",
          stderr: `${name}: broken installation: Cannot find module 'ts-morph' (reinstall @locksmith/cli, or run \`npm run build\` in a checkout)\n`,
        })),
      );
    } finally {
      fs.renameSync(`${tsMorph}.away`, tsMorph);
    }
  });
});
