// The language server parses an edited buffer incrementally from its previous parse (TypeScript reuses, and moves,
// the nodes outside the edit), and caches facts about nodes per parse (NodeFacts). Neither may change what is
// reported: every example file goes through a seeded sequence of edits (lines inserted, deleted, duplicated,
// characters typed and erased, imports edited, identifiers renamed, undos back to an earlier text, several edits
// before one lint), and after each step the findings of the language server's host equal those of a host that parses
// every text from scratch, and the incremental tree equals a fresh parse of the same text node for node. A small
// file checks the facts that an edit far from a function changes (its file's imports, what a helper's helper returns).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RULES } from "../../rules/index";
import type { LintRun } from "../../server/src/engine/linter";
import type { Diagnostic } from "../../server/src/engine/types";
import { ts } from "../../server/src/engine/ts";
import { Workspace, type Project } from "../../server/src/lsp/projects";
import type { EditorSettings } from "../../server/src/lsp/settings";
import { REPO_ROOT } from "../lsp/harness";
import { random as mulberry32 } from "../reliability/fuzz";

const SETTINGS: EditorSettings = { enable: true, rules: {}, runtime: "auto", runtimePath: null, slowCalls: [] };
const STEPS = 40;

/** The fuzzers' seeded PRNG (mulberry32), so that a failure can be replayed, with the draws these edits need. */
function random(seed: number): { int(n: number): number; chance(p: number): boolean; pick<T>(items: readonly T[]): T } {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  return { int, chance: (p) => next() < p, pick: (items) => items[int(items.length)]! };
}
type Random = ReturnType<typeof random>;

/** Lines a user might type into a function body or at the top of a file. */
const STATEMENTS = [
  "const extra = 1;",
  "await new Promise((resolve) => setTimeout(resolve, 10));",
  'console.log("step");',
  "if (!extra) return;",
  'await pool.query("UPDATE accounts SET balance = balance - 1 WHERE id = $1", [accountId]);',
  'const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);',
  'import { Mutex } from "async-mutex";',
  "} finally {",
  "function helper() {",
];
/** Modules whose imports decide what a call is (which driver runs raw SQL, whether `repo.save` is TypeORM's). */
const MODULES = ["pg", "mysql2/promise", "ioredis", "typeorm", "knex", "async-mutex", "@locksmith/runtime/postgres"];
/** Characters typed inside a line: some of them open strings, templates, comments or blocks. */
const TYPED = "abxyz_09 .,;:=+-<>!?()[]{}\"'`/*";

type Edit = { name: string; apply(text: string, r: Random): string };

const lines = (text: string) => text.split("\n");
const indentOf = (line: string) => /^\s*/.exec(line)![0];

const EDITS: Edit[] = [
  { name: "insert a blank line", apply: (text, r) => spliceLines(text, r, (ls, i) => ls.splice(i, 0, "")) },
  { name: "insert a statement", apply: (text, r) => spliceLines(text, r, (ls, i) => ls.splice(i, 0, indentOf(ls[i] ?? "") + r.pick(STATEMENTS))) },
  { name: "delete a line", apply: (text, r) => spliceLines(text, r, (ls, i) => ls.splice(i, 1)) },
  { name: "duplicate a line", apply: (text, r) => spliceLines(text, r, (ls, i) => ls.splice(i, 0, ls[i]!)) },
  {
    name: "type characters",
    apply: (text, r) => {
      const at = r.int(text.length + 1);
      const typed = Array.from({ length: 1 + r.int(3) }, () => r.pick([...TYPED])).join("");
      return text.slice(0, at) + typed + text.slice(at);
    },
  },
  {
    name: "erase characters",
    apply: (text, r) => {
      // Inside one line (a line break is erased by "delete a line").
      const starts = lineStarts(text);
      const line = r.int(starts.length);
      const start = starts[line]!;
      const end = line + 1 < starts.length ? starts[line + 1]! - 1 : text.length;
      if (end === start) return text;
      const at = start + r.int(end - start);
      return text.slice(0, at) + text.slice(Math.min(end, at + 1 + r.int(3)));
    },
  },
  {
    // Facts about a call depend on the file's imports: an edit there changes them for calls far from the edit.
    name: "edit the imports",
    apply: (text, r) => {
      const ls = lines(text);
      const imports = ls.flatMap((line, i) => (line.startsWith("import ") ? [i] : []));
      const module = r.pick(MODULES);
      const choice = imports.length === 0 ? 0 : r.int(3);
      if (choice === 0) ls.splice(imports.length > 0 ? r.pick(imports) + 1 : 0, 0, `import * as driver${r.int(10)} from "${module}";`);
      else if (choice === 1) ls.splice(r.pick(imports), 1);
      else {
        const i = r.pick(imports);
        ls[i] = ls[i]!.replace(/"[^"]*"/, `"${module}"`);
      }
      return ls.join("\n");
    },
  },
  {
    name: "rename an identifier",
    apply: (text, r) => {
      const words = [...text.matchAll(/[A-Za-z_$][\w$]*/g)];
      if (words.length === 0) return text;
      const word = r.pick(words);
      // Another name of the file (`pool` becomes `client`) or a new one.
      const replacement = r.chance(0.5) ? r.pick(words)[0] : `${word[0]}${r.pick(["2", "X", "_old"])}`;
      return text.slice(0, word.index) + replacement + text.slice(word.index! + word[0].length);
    },
  },
];

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function spliceLines(text: string, r: Random, change: (ls: string[], i: number) => void): string {
  const ls = lines(text);
  change(ls, r.int(ls.length));
  return ls.join("\n");
}

/** What a lint reported, in full (positions, messages, related locations, fixes' edits), without the parse. */
interface Reported {
  results: Array<{ fileName: string; diagnostics: Diagnostic[]; directives: unknown[] }>;
  crashes: unknown[];
  skipped: unknown[];
}

function reported(run: LintRun): Reported {
  const plain = {
    results: run.results.map(({ sourceFile: _, ...result }) => result),
    crashes: run.crashes.map(({ stack: _, ...crash }) => crash),
    skipped: run.skipped,
  };
  return JSON.parse(JSON.stringify(plain, (_key, value: unknown) => (value instanceof Set ? [...value].sort() : value))) as Reported;
}

function findingsOf(run: LintRun): number {
  return run.results.reduce((sum, result) => sum + result.diagnostics.length, 0);
}

function childrenOf(node: ts.Node): ts.Node[] {
  const children: ts.Node[] = [];
  ts.forEachChild(node, (child) => {
    children.push(child);
  });
  return children;
}

function describeNode(node: ts.Node): string {
  return `${ts.SyntaxKind[node.kind]} ${node.pos}-${node.end}${textOf(node) ? ` "${textOf(node)}"` : ""}`;
}

function textOf(node: ts.Node): string {
  const named = ts.isIdentifier(node) || ts.isPrivateIdentifier(node) || ts.isLiteralExpression(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node);
  return named ? node.text : "";
}

/**
 * Where the parse found syntax errors (TypeScript's internal parseDiagnostics). Only where: the wording may differ, as
 * TypeScript's own incremental parser words one error by what came before it (`{ ... } =` after a reused block is
 * "Declaration or statement expected." without the hint about destructuring that a fresh parse adds).
 */
function parseErrors(sourceFile: ts.SourceFile): string[] {
  const diagnostics = (sourceFile as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics ?? [];
  return diagnostics.map((d) => `${d.start}+${d.length}`);
}

/**
 * Walks the incremental tree and a fresh parse of the same text together: same kinds, positions and names, and every
 * node's parent is the node above it in the new tree (NodeFacts finds a node's parse through its parents). Returns
 * the number of nodes compared.
 */
function assertSameTree(actual: ts.SourceFile, where: string): number {
  const expected = ts.createSourceFile(actual.fileName, actual.text, { languageVersion: actual.languageVersion, impliedNodeFormat: actual.impliedNodeFormat }, true);
  let compared = 0;
  const stack: Array<[ts.Node, ts.Node]> = [[actual, expected]];
  for (let pair = stack.pop(); pair; pair = stack.pop()) {
    const [a, e] = pair;
    compared++;
    if (a.kind !== e.kind || a.pos !== e.pos || a.end !== e.end || textOf(a) !== textOf(e)) {
      assert.fail(`${where}: the incremental parse has ${describeNode(a)} where a fresh parse has ${describeNode(e)}`);
    }
    const aChildren = childrenOf(a);
    const eChildren = childrenOf(e);
    assert.equal(aChildren.length, eChildren.length, `${where}: children of ${describeNode(a)}`);
    aChildren.forEach((child, i) => {
      if (child.parent !== a) assert.fail(`${where}: the parent of ${describeNode(child)} is not ${describeNode(a)}`);
      stack.push([child, eChildren[i]!]);
    });
  }
  assert.deepEqual(parseErrors(actual), parseErrors(expected), `${where}: where the syntax errors are`);
  return compared;
}

function allNodes(root: ts.Node): Set<ts.Node> {
  const nodes = new Set<ts.Node>();
  const visit = (node: ts.Node): void => {
    nodes.add(node);
    ts.forEachChild(node, visit);
  };
  visit(root);
  return nodes;
}

/** A project folder and two Workspaces over it: the language server's (incremental parsing) and a reference. */
class Comparison {
  steps = 0;
  findings = 0;
  nodes = 0;
  /** Steps whose parse reused nodes of the previous one: the incremental parser was at work. */
  reusingSteps = 0;
  private readonly incremental: Workspace;
  private readonly fresh: Workspace;
  private readonly previousNodes = new Map<string, Set<ts.Node>>();

  constructor(root: string) {
    this.incremental = this.workspace(root);
    this.fresh = this.workspace(root);
  }

  private workspace(root: string): Workspace {
    const workspace = new Workspace(RULES, (message) => assert.fail(message));
    workspace.setFolders([root]);
    workspace.scan();
    return workspace;
  }

  files(): string[] {
    return this.incremental.allProjects().flatMap((p) => [...p.files]).sort();
  }

  private projects(file: string): { project: Project; reference: Project } {
    const project = this.incremental.projectFor(file);
    const reference = this.fresh.projectFor(file);
    assert.equal(project.host.incrementalParsing, true, "the language server's host parses incrementally");
    // Every text parsed from scratch: this host never shares a node with the other one, nor with its own older parses.
    reference.host.incrementalParsing = false;
    return { project, reference };
  }

  /** A keystroke the language server's host hears of without linting after it (a burst of changes). */
  type(file: string, text: string): void {
    this.projects(file).project.host.setFileText(file, text);
  }

  /** Lints `text` as `file` in both Workspaces: the same findings, and a tree equal to a fresh parse. Returns what was reported. */
  step(file: string, text: string, where: string): Reported {
    const { project, reference } = this.projects(file);
    project.host.setFileText(file, text);
    reference.host.setFileText(file, text);
    const fail = (message: string) => assert.fail(message);
    const actual = project.lintFocused(file, SETTINGS, {}, fail);
    const expected = reference.lintFocused(file, SETTINGS, {}, fail);
    const findings = reported(expected);
    assert.deepEqual(reported(actual), findings, `${where}: findings`);

    const sourceFile = actual.results[0]?.sourceFile;
    assert.ok(sourceFile, `${where}: no result`);
    assert.equal(sourceFile.text, text, `${where}: the host linted another text`);
    assert.notEqual(sourceFile, expected.results[0]?.sourceFile, `${where}: the reference shares the parse`);
    this.nodes += assertSameTree(sourceFile, where);
    const nodes = allNodes(sourceFile);
    const previous = this.previousNodes.get(file);
    if (previous && [...nodes].some((node) => node !== sourceFile && previous.has(node))) this.reusingSteps++;
    this.previousNodes.set(file, nodes);
    this.steps++;
    this.findings += findingsOf(actual);
    return findings;
  }

  summary(): string {
    return `${this.steps} steps, ${this.findings} findings and ${this.nodes} nodes compared; nodes of the previous parse reused by ${this.reusingSteps} steps`;
  }
}

/** A temporary folder for `files` (relative path → text) whose imports of the drivers resolve. */
function projectFolder(copyOf: string | undefined, files: Record<string, string> = {}): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-incremental-")));
  if (copyOf) fs.cpSync(copyOf, root, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  // The drivers' types (pg, mysql2, ioredis, ...) must resolve, or most findings would not be there to compare.
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
  return root;
}

const WALLET = `import type { Pool } from "pg";

async function readAccount(pool: Pool, id: string): Promise<{ balance: number }> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  return rows[0];
}

async function loadAccount(pool: Pool, id: string): Promise<{ balance: number }> {
  return await readAccount(pool, id);
}

export async function debit(pool: Pool, id: string, amount: number): Promise<void> {
  const account = await loadAccount(pool, id);
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [account.balance - amount, id]);
}
`;

describe("incremental parsing", () => {
  test("facts about functions the edit did not touch are learnt again: their file's imports or a helper they call changed", (t) => {
    const root = projectFolder(undefined, {
      "tsconfig.json": JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", target: "es2022", skipLibCheck: true }, include: ["src"] }),
      "src/wallet.ts": WALLET,
    });
    try {
      const file = path.join(root, "src", "wallet.ts");
      const comparison = new Comparison(root);
      const pg = comparison.step(file, WALLET, "as on disk");
      // `debit` and `loadAccount` are reused by the next parses; what their calls are (which driver, whether the
      // helper returns a read) is not.
      const mysql = comparison.step(file, WALLET.replace(`"pg"`, `"mysql2/promise"`), "the import changed to mysql2");
      const messages = (r: Reported) => r.results.flatMap((result) => result.diagnostics.map((d) => [d.message, d.help]));
      assert.notDeepEqual(messages(mysql), messages(pg), "the driver decides the finding's wording");
      assert.deepEqual(comparison.step(file, WALLET, "the import changed back"), pg);
      const noRead = comparison.step(file, WALLET.replace(/const \{ rows \} = await pool\.query\(.*\);/, "const rows = [{ balance: 0 }];"), "the helper's helper reads nothing");
      assert.deepEqual(noRead, { results: [{ fileName: file, diagnostics: [], directives: [] }], crashes: [], skipped: [] });
      assert.deepEqual(comparison.step(file, WALLET, "the helper's helper reads again"), pg);
      assert.deepEqual(pg.results[0]!.diagnostics.map((d) => d.ruleId), ["select-then-update"]);
      assert.equal(comparison.reusingSteps, 4, "each edit reused nodes of the previous parse");
      t.diagnostic(comparison.summary());
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test("examples/: after every edit the findings and the tree are those of a parse from scratch", (t) => {
    // A copy: the edits stay in memory, but nothing here may depend on the repository's files staying as they are.
    const root = projectFolder(path.join(REPO_ROOT, "examples"));
    try {
      const comparison = new Comparison(root);
      const files = comparison.files();
      assert.ok(files.length >= 15, `only ${files.length} files`);
      for (const [index, file] of files.entries()) {
        const seed = 0x5eed + index;
        const r = random(seed);
        const original = fs.readFileSync(file, "utf8");
        const history: string[] = [];
        const done: string[] = [];
        let text = original;
        for (let step = 0; step <= STEPS; step++) {
          if (step === STEPS) {
            // Back to the file as it is on disk, as an editor's "revert" does.
            done.push("revert");
            text = original;
          } else if (history.length > 0 && r.chance(0.15)) {
            done.push("undo");
            text = history.pop()!;
          } else {
            history.push(text);
            const count = r.chance(0.2) ? 2 + r.int(3) : 1;
            const names: string[] = [];
            for (let i = 0; i < count; i++) {
              const edit = r.pick(EDITS);
              names.push(edit.name);
              text = edit.apply(text, r);
              // Each keystroke reaches the host; only the last text is parsed (at the next lint).
              if (i < count - 1) comparison.type(file, text);
            }
            done.push(names.join(" + "));
          }
          comparison.step(file, text, `${path.relative(root, file)}, step ${step} (seed ${seed}; ${done.join(", ")})`);
        }
      }
      t.diagnostic(`${files.length} files, ${comparison.summary()}`);
      assert.ok(comparison.findings >= 400, `only ${comparison.findings} findings compared`);
      // The host did parse incrementally (else this compared two parses from scratch).
      assert.ok(comparison.reusingSteps >= comparison.steps * 0.75, `nodes of the previous parse reused by only ${comparison.reusingSteps} of ${comparison.steps} steps`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
