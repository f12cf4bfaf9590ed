// Diagnostics the moment a file opens: the findings its text alone decides are published before any Program is built,
// then the full analysis (file rules on the focused Program, project rules on the whole one) adds to them. Every
// publication for the file is recorded from the open to the end of the analysis: no finding may disappear (and so
// none can disappear and reappear), and the last publication must equal what the whole-Program analysis of the same
// files publishes.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Diagnostic } from "vscode-languageserver/node";
import { Workspace } from "../../server/src/lsp/projects";
import { DEFAULT_SETTINGS } from "../../server/src/lsp/settings";
import { collectSourceFiles, DEFAULT_COMPILER_OPTIONS, ProjectHost } from "../../server/src/engine/project";
import { resolveConfig } from "../../server/src/engine/config";
import { Engine } from "../../server/src/engine/linter";
import { lintFileText } from "../../server/src/engine/syntax-lint";
import { defineRule, type ts } from "../../server/src/rule-kit";
import { RULES } from "../../rules/index";
import { makeWorkspace, startInProcess, uri, writeFile, REPO_ROOT, type Client } from "./harness";
import { duplicateFunction, slowCall, unguardedIncrement } from "./fake-rules";

const TSCONFIG = JSON.stringify({ compilerOptions: { strict: true, target: "es2022", module: "nodenext" }, include: ["src"] });
const RULES_UNDER_TEST = [unguardedIncrement, slowCall, duplicateFunction];

const LIB = `/** @slow */\nexport function fetchAll(): void {}\nexport function settle(): void {}\n`;
// Line 4: counter++ (text alone), line 5: a call of a function another file documents @slow (types), line 3: a
// function another file declares too (project rule).
const COUNTER = `import { fetchAll } from "./lib.js";\nlet counter = 0;\nexport function settle(): void {\n  counter++;\n  fetchAll();\n}\n`;
const EXPECTED = [
  "2:16 fake-duplicate-function settle is also declared in another file.",
  "3:2 fake-unguarded-increment counter++ races with other increments of counter.",
  "4:2 fake-slow-call fetchAll() is slow.",
];

const clients: Client[] = [];
after(async () => {
  for (const client of clients) {
    await client.connection.sendRequest("shutdown").catch(() => undefined);
    client.dispose();
  }
});

const show = (d: Diagnostic) => `${d.range.start.line}:${d.range.start.character} ${d.code} ${d.message}`;
const key = (d: Diagnostic) => JSON.stringify([d.code, d.range, d.message]);

function start(): Client {
  const client = startInProcess({ rules: RULES_UNDER_TEST });
  clients.push(client);
  return client;
}

const analysed = (client: Client, busyBefore = 0) =>
  client.waitFor(
    "the workspace analysis",
    () =>
      client.statuses.filter((s) => s.busy).length > busyBefore &&
      !client.statuses.at(-1)!.busy &&
      /problems?$/.test(client.statuses.at(-1)!.text),
  );

/** The publications for `file` from index `from` on, each as its sorted findings. */
function publicationsOf(client: Client, file: string, from = 0): string[][] {
  return client.publications
    .slice(from)
    .filter((p) => p.uri === uri(file))
    .map((p) => p.diagnostics.map(show).sort());
}

/** No finding published for `file` since `from` is missing from a later publication. */
function assertNoFindingDisappears(client: Client, file: string, from: number): void {
  const publications = client.publications.slice(from).filter((p) => p.uri === uri(file));
  for (let i = 1; i < publications.length; i++) {
    const later = new Set(publications[i]!.diagnostics.map(key));
    const gone = publications[i - 1]!.diagnostics.filter((d) => !later.has(key(d)));
    assert.deepEqual(gone.map(show), [], `publication ${i} of ${publications.length} dropped findings`);
  }
}

/** What a server that analyses the same files from disk, with the whole Program, publishes for `file`. */
async function fullAnalysis(files: Record<string, string>, rel: string): Promise<string[]> {
  const root = makeWorkspace(files);
  const client = start();
  await client.initialize(root);
  await analysed(client);
  return (client.diagnostics.get(uri(path.join(root, rel))) ?? []).map(show).sort();
}

describe("first diagnostics of an opened file", () => {
  test("the text-only findings come at once, the full analysis only adds to them and ends where the whole-Program analysis ends", async () => {
    const files = { "tsconfig.json": TSCONFIG, "src/lib.ts": LIB };
    const root = makeWorkspace(files);
    const client = start();
    await client.initialize(root);
    await analysed(client);
    // A new buffer (not on disk, so nothing is shown for it yet) opened with findings of all three kinds.
    const counter = path.join(root, "src", "counter.ts");
    const from = client.publications.length;
    await client.open(counter, COUNTER);
    await client.waitForDiagnostics(counter, (d) => d.length === 3);
    // The project rules run after the file rules; wait until the server is idle again and nothing more comes.
    await client.waitFor(
      "the project rules",
      () => !client.statuses.at(-1)!.busy && client.statuses.at(-1)!.text === "Locksmith: 4 problems",
    );
    const published = publicationsOf(client, counter, from);
    // First: only what the text decides (the slow call needs the checker and another file; the duplicate, the project).
    assert.deepEqual(published[0], [EXPECTED[1]]);
    assert.deepEqual(published.at(-1), EXPECTED);
    assertNoFindingDisappears(client, counter, from);
    fs.writeFileSync(counter, COUNTER);
    assert.deepEqual(published.at(-1), await fullAnalysis({ ...files, "src/counter.ts": COUNTER }, "src/counter.ts"));
  });

  test("a file opened as the server starts, before the workspace analysis: no finding disappears on the way", async () => {
    const files = { "tsconfig.json": TSCONFIG, "src/lib.ts": LIB, "src/counter.ts": COUNTER };
    const root = makeWorkspace(files);
    const client = start();
    await client.initialize(root);
    const counter = path.join(root, "src", "counter.ts");
    await client.open(counter);
    await analysed(client);
    await client.waitForDiagnostics(counter, (d) => d.length === 3);
    const published = publicationsOf(client, counter);
    assert.deepEqual(published[0], [EXPECTED[1]]);
    assert.deepEqual(published.at(-1), EXPECTED);
    assertNoFindingDisappears(client, counter, 0);
  });

  test("a file whose findings are already shown (analysed from disk) is not replaced by its text-only findings when opened", async () => {
    const files = { "tsconfig.json": TSCONFIG, "src/lib.ts": LIB, "src/counter.ts": COUNTER };
    const root = makeWorkspace(files);
    const client = start();
    await client.initialize(root);
    await analysed(client);
    const counter = path.join(root, "src", "counter.ts");
    assert.deepEqual(client.diagnostics.get(uri(counter))?.map(show).sort(), EXPECTED);
    const from = client.publications.length;
    await client.open(counter);
    // A barrier: a buffer opened after it, whose project finding (settle declared three times) comes with the project
    // rules, which run after those of the file opened first.
    const other = path.join(root, "src", "other.ts");
    await client.open(other, "export function settle(): void {}\n");
    await client.waitForDiagnostics(other, (d) => d.length === 1);
    for (const publication of publicationsOf(client, counter, from)) assert.deepEqual(publication, EXPECTED);
    assert.deepEqual(client.diagnostics.get(uri(counter))?.map(show).sort(), EXPECTED);
  });
});

describe("text-only findings of the real rules", () => {
  test("on examples/, every finding published before the analysis is one the whole-Program analysis reports", () => {
    const folder = path.join(REPO_ROOT, "examples");
    const workspace = new Workspace(RULES, (message) => assert.fail(message));
    workspace.setFolders([folder]);
    workspace.scan();
    const early = new Map<string, number>();
    for (const project of workspace.allProjects()) {
      const run = project.lintFiles([...project.files], DEFAULT_SETTINGS, {}, (message) => assert.fail(message));
      assert.deepEqual(run.crashes, []);
      for (const result of run.results) {
        const full = new Set(result.diagnostics.map((d) => JSON.stringify(d)));
        const text = project.lintText(result.fileName, fs.readFileSync(result.fileName, "utf8"), DEFAULT_SETTINGS, assert.fail);
        for (const diagnostic of text.result?.diagnostics ?? []) {
          const where = `${path.relative(folder, result.fileName)} ${diagnostic.ruleId}`;
          early.set(where, (early.get(where) ?? 0) + 1);
          assert.ok(full.has(JSON.stringify(diagnostic)), `${where} at ${diagnostic.span.start} is not in the full analysis`);
        }
      }
    }
    assert.ok(collectSourceFiles([folder], folder).length > 5);
    // Redis locks without expiry need no other file (lockCheckerFor asks about the project only when the checker is
    // needed). The optimistic-update check follows reads into project functions (the Program's file list), and so
    // does the retry check (is the loop's read a fresh read of the row it compares and sets?): both wait for the full
    // analysis.
    assert.equal(early.get("src/jobs/job-lock.ts lock-without-expiry"), 2);
    assert.equal(early.get("src/inventory/pg-price-list.ts unchecked-optimistic-update"), undefined);
    assert.equal(early.get("src/inventory/pg-price-list.ts retry-without-backoff"), undefined);
  });
});

describe("text-only lint: rules sharing caches", () => {
  // Rule A asks the checker inside a try and caches a fallback answer per SourceFile when that fails; rule B reads the
  // cache and asks the checker itself on a miss. In the full analysis A caches the real answer and B reports nothing.
  const answers = new WeakMap<ts.SourceFile, string>();
  const ruleA = defineRule({
    meta: { id: "fake-a", description: "test rule", defaultSeverity: "warn", messages: {} },
    checkFile(context) {
      let answer = "fallback";
      try {
        answer = context.checker.getNumberType() ? "real" : "none";
      } catch {
        // A stop of the text-only lint, caught here as analyses catch the checker's failures.
      }
      answers.set(context.sourceFile, answer);
    },
  });
  const ruleB = defineRule({
    meta: { id: "fake-b", description: "test rule", defaultSeverity: "warn", messages: { fallback: "fallback answer" } },
    checkFile(context) {
      const answer = answers.get(context.sourceFile) ?? (context.checker.getNumberType() ? "real" : "none");
      if (answer === "fallback") context.report({ messageId: "fallback", span: { file: context.fileName, start: 0, end: 1 } });
    },
  });
  const text = "export const x = 1;\n";
  const file = "/virtual/src/a.ts";
  const config = resolveConfig({}, undefined, "/virtual", [ruleA, ruleB], {});
  const settingsFor = () => ({ runtimeImport: { mode: "package" as const, specifier: "@locksmith/runtime" } });

  test("a rule that caught its stop may have cached a fallback: the next rule gets a new parse, and is held back itself", () => {
    const host = new ProjectHost(DEFAULT_COMPILER_OPTIONS, [file]);
    host.setFileText(file, text);
    const full = new Engine([ruleA, ruleB], config, settingsFor).lint(host.getProgram(), [file]);
    assert.deepEqual(full.results[0]!.diagnostics, []);
    const early = lintFileText([ruleA, ruleB], config, settingsFor, file, text, DEFAULT_COMPILER_OPTIONS);
    assert.deepEqual(early.heldBack, ["fake-a", "fake-b"]);
    assert.deepEqual(early.result?.diagnostics, []);
  });
});

describe("first diagnostics of a file opened as the server starts again", () => {
  // Each session is a new server on the same storage folder: the first analyses the workspace and keeps its findings,
  // the next opens the counter file at once, before its workspace analysis.
  async function session(root: string, storagePath: string, open?: { file: string; text?: string }): Promise<Client> {
    const client = startInProcess({ rules: RULES_UNDER_TEST, storagePath });
    clients.push(client);
    await client.initialize(root);
    if (open) await client.open(open.file, open.text);
    await analysed(client);
    return client;
  }

  async function reopened(change: (root: string, first: Client) => unknown, text?: (counter: string) => string) {
    const files = { "tsconfig.json": TSCONFIG, "src/lib.ts": LIB, "src/counter.ts": COUNTER };
    const root = makeWorkspace(files);
    const storage = fs.mkdtempSync(path.join(path.dirname(root), "locksmith-storage-"));
    const counter = path.join(root, "src", "counter.ts");
    const first = await session(root, storage);
    assert.deepEqual(first.diagnostics.get(uri(counter))?.map(show).sort(), EXPECTED);
    assert.equal(fs.readdirSync(storage).length, 1);
    await change(root, first);
    // The session ends (what it has not kept yet, it keeps now).
    await first.connection.sendRequest("shutdown");
    const client = await session(root, storage, { file: counter, ...(text ? { text: text(COUNTER) } : {}) });
    await client.waitFor("the project rules", () => client.statuses.at(-1)!.text.startsWith("Locksmith: "));
    assertNoFindingDisappears(client, counter, 0);
    return publicationsOf(client, counter);
  }

  test("nothing changed: the first publication holds every finding of the last analysis, and none changes after", async () => {
    const published = await reopened(() => {});
    assert.deepEqual(published[0], EXPECTED);
    for (const publication of published) assert.deepEqual(publication, EXPECTED);
  });

  test("another file changed, one the file does not import: its file-rule findings at once, the project rules' later", async () => {
    const published = await reopened((root) => writeFile(root, "src/unrelated.ts", "export const unrelated = 1;\n"));
    assert.deepEqual(published[0], [EXPECTED[1], EXPECTED[2]]);
    assert.deepEqual(published.at(-1), EXPECTED);
  });

  test("a file it imports changed: only what its text decides at once, then what the analysis finds now", async () => {
    const published = await reopened((root) => writeFile(root, "src/lib.ts", LIB.replace("/** @slow */\n", "")));
    assert.deepEqual(published[0], [EXPECTED[1]]);
    assert.deepEqual(published.at(-1), [EXPECTED[0], EXPECTED[1]]);
  });

  test("the file itself was opened with another text than it had: only what its text decides at once", async () => {
    const published = await reopened(
      () => {},
      (text) => `// edited\n${text}`,
    );
    assert.deepEqual(published[0], ["4:2 fake-unguarded-increment counter++ races with other increments of counter."]);
    assert.deepEqual(published.at(-1)?.length, 3);
  });

  test("a file declaring globals appeared: nothing kept is used", async () => {
    const published = await reopened((root) => writeFile(root, "src/globals.ts", "declare function settleAll(): void;\n"));
    assert.deepEqual(published[0], [EXPECTED[1]]);
    assert.deepEqual(published.at(-1), EXPECTED);
  });

  /** Opens lib.ts in the first session (with `text` typed into it, if given), then a disk change keeps the findings again. */
  async function libOpenedWhenKept(root: string, first: Client, text?: string): Promise<void> {
    const lib = path.join(root, "src", "lib.ts");
    await first.open(lib);
    if (text !== undefined) await first.change(lib, text);
    await first.waitFor("the buffer's project rules", () => first.statuses.at(-1)!.text === "Locksmith: 4 problems");
    const logs = first.logs.length;
    const unrelated = writeFile(root, "src/unrelated.ts", "export const unrelated = 1;\n");
    await first.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(unrelated), type: 1 }] });
    await first.waitFor("the disk change's analysis", () => first.logs.slice(logs).some((l) => l.includes("changed on disk")));
  }

  test("an import edited in its buffer and saved after the findings were last kept: nothing depending on it is used", async () => {
    const withoutSlow = LIB.replace("/** @slow */\n", "");
    const published = await reopened(async (root, first) => {
      // lib.ts loses its @slow in its buffer; its importers (counter.ts) are analysed with that only once it is saved.
      await libOpenedWhenKept(root, first, withoutSlow);
      // Saved, and the session ends before it hears of it.
      fs.writeFileSync(path.join(root, "src", "lib.ts"), withoutSlow);
    });
    assert.deepEqual(published[0], [EXPECTED[1]]);
    assert.deepEqual(published.at(-1), [EXPECTED[0], EXPECTED[1]]);
  });

  test("an import only opened (its buffer is its file) when the findings were last kept: they are used", async () => {
    const published = await reopened((root, first) => libOpenedWhenKept(root, first));
    // Opening a file is a change of its buffer to the text on disk, which leaves its importers' findings as they were.
    for (const publication of published) assert.deepEqual(publication, EXPECTED);
  });
});

describe("the real rules after a restart", () => {
  test("on examples/, every file opened as the server starts again shows its complete findings first, and keeps them", async () => {
    const folder = path.join(REPO_ROOT, "examples");
    const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-storage-"));
    const sessionOn = async (open: readonly string[]) => {
      const client = startInProcess({ storagePath });
      clients.push(client);
      await client.initialize(folder);
      for (const file of open) await client.open(file);
      await client.waitFor(
        "the workspace analysis",
        () => client.progress.some((p) => (p as { value?: { kind?: string } }).value?.kind === "end"),
        600_000,
      );
      return client;
    };
    const first = await sessionOn([]);
    await first.connection.sendRequest("shutdown");
    const files = collectSourceFiles([folder], folder);
    const withFindings = files.filter((file) => (first.diagnostics.get(uri(file)) ?? []).length > 0);
    assert.ok(withFindings.length > 10);
    const again = await sessionOn(files);
    let findings = 0;
    for (const file of files) {
      const published = again.publications.filter((p) => p.uri === uri(file)).map((p) => p.diagnostics.map(show).sort());
      const complete = (first.diagnostics.get(uri(file)) ?? []).map(show).sort();
      for (const publication of published) assert.deepEqual(publication, complete, path.relative(folder, file));
      findings += complete.length;
    }
    assert.ok(findings >= 29);
  });
});
