// Files changed on disk (workspace/didChangeWatchedFiles): the server re-analyses only the changed files and the files
// importing them, runs the project rules again, publishes only diagnostics that changed, and reloads projects only
// when a tsconfig changes. A recording rule shows which files the file rules ran on.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Diagnostic } from "vscode-languageserver/node";
import { RULES } from "../../rules/index";
import { makeWorkspace, REPO_ROOT, startInProcess, uri, writeFile, type Client } from "./harness";
import { duplicateFunction, recordingRule, slowCall, unguardedIncrement } from "./fake-rules";

const TSCONFIG = JSON.stringify({
  compilerOptions: { strict: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext" },
  include: ["src"],
});
const CHANGED = 2;
const CREATED = 1;
const DELETED = 3;

const clients: Client[] = [];
after(() => {
  for (const client of clients) client.dispose();
});

/** db.ts ← service.ts ← app.ts (imports), other.ts and index.ts on their own. */
const FILES = {
  "tsconfig.json": TSCONFIG,
  "src/index.ts": "export {};\n",
  "src/db.ts": "export function query(): void {}\n",
  "src/service.ts": `import { query } from "./db.js";\nexport function run(): void {\n  query();\n}\n`,
  "src/app.ts": `import { run } from "./service.js";\nexport function main(): void {\n  run();\n}\n`,
  "src/other.ts": "export function other(): void {}\n",
};

async function setUp(extraFiles: Record<string, string> = {}) {
  const root = makeWorkspace({ ...FILES, ...extraFiles });
  const checked: string[] = [];
  const client = startInProcess({ rules: [unguardedIncrement, duplicateFunction, slowCall, recordingRule(checked)] });
  clients.push(client);
  await client.initialize(root);
  await client.waitFor("the workspace analysis", () => client.statuses.some((s) => !s.busy && s.text === "Locksmith: 0 problems"));
  const file = (name: string) => path.join(root, "src", name);
  /** Writes (or deletes) files on disk, notifies the server and returns what it then published and ran the file rules on. */
  const onDisk = async (changes: Array<[name: string, text: string | undefined, type: number]>, settled: () => boolean) => {
    checked.length = 0;
    const publishedBefore = client.publications.length;
    const logsBefore = client.logs.length;
    for (const [name, text] of changes) {
      if (text === undefined) fs.rmSync(file(name));
      else writeFile(root, `src/${name}`, text);
    }
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: changes.map(([name, , type]) => ({ uri: uri(file(name)), type })),
    });
    const log = await client.waitFor("the re-analysis to finish", () =>
      client.logs.slice(logsBefore).find((l) => l.includes("changed on disk")),
    );
    await client.waitFor("the expected diagnostics", settled);
    const published = client.publications
      .slice(publishedBefore)
      .map((p) => [path.basename(p.uri), p.diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`)]);
    return { checked: [...checked].map((f) => path.basename(f)).sort(), published: Object.fromEntries(published), log };
  };
  const diagnostics = (name: string): Diagnostic[] => client.diagnostics.get(uri(file(name))) ?? [];
  return { root, client, file, onDisk, diagnostics, checked };
}

describe("files changed on disk", () => {
  test("a changed closed file: it and its importers are re-linted, project rules re-run, only changed diagnostics published", async () => {
    const { onDisk, diagnostics } = await setUp();
    // db.ts now documents query() as slow (a finding in service.ts, which calls it), increments a counter (a finding in
    // db.ts itself) and declares other() again (a project-rule finding in db.ts and in other.ts, not re-linted).
    const db = `/** @slow */\nexport function query(): void {}\nlet counter = 0;\nexport function other(): void {\n  counter++;\n}\n`;
    const result = await onDisk(
      [["db.ts", db, CHANGED]],
      () => diagnostics("other.ts").length === 1 && diagnostics("service.ts").length === 1,
    );
    assert.deepEqual(result.checked, ["app.ts", "db.ts", "service.ts"]);
    assert.deepEqual(result.published, {
      // File-rule findings first, then project-rule findings.
      "db.ts": ["5: counter++ races with other increments of counter.", "4: other is also declared in another file."],
      "service.ts": ["3: query() is slow."],
      "other.ts": ["1: other is also declared in another file."],
    });
    assert.match(result.log, /^Locksmith: 1 file changed on disk; re-linted 3 files in \d+ ms$/);
  });

  test("saving an open file re-lints the files importing it with what it now declares (typing in it does not)", async () => {
    const { client, root, file, diagnostics, checked } = await setUp();
    await client.open(file("db.ts"));
    const slow = `/** @slow */\nexport function query(): void {}\nlet counter = 0;\nexport function bump(): void {\n  counter++;\n}\n`;
    await client.change(file("db.ts"), slow);
    await client.waitFor("the buffer analysed", () => diagnostics("db.ts").length === 1);
    // Typing analyses the typed file only: service.ts still has what it had with the old db.ts.
    assert.deepEqual(diagnostics("service.ts"), []);
    checked.length = 0;
    const logsBefore = client.logs.length;
    writeFile(root, "src/db.ts", slow);
    await client.connection.sendNotification("textDocument/didSave", { textDocument: { uri: uri(file("db.ts")) } });
    const log = await client.waitFor("the re-analysis after the save", () =>
      client.logs.slice(logsBefore).find((l) => l.includes("changed on disk")),
    );
    await client.waitFor("service.ts's finding", () => diagnostics("service.ts").length === 1);
    assert.deepEqual(
      diagnostics("service.ts").map((d) => `${d.range.start.line + 1}: ${d.message}`),
      ["3: query() is slow."],
    );
    assert.deepEqual([...checked].map((f) => path.basename(f)).sort(), ["app.ts", "db.ts", "service.ts"]);
    assert.match(log, /^Locksmith: 1 file changed on disk; re-linted 3 files in \d+ ms$/);
  });

  test("a deleted file loses its diagnostics and so do the project-rule findings it caused; a created file is analysed", async () => {
    const { onDisk, diagnostics } = await setUp();
    await onDisk(
      [["db.ts", "export function query(): void {}\nexport function other(): void {}\n", CHANGED]],
      () => diagnostics("other.ts").length === 1,
    );
    const deleted = await onDisk([["other.ts", undefined, DELETED]], () => diagnostics("db.ts").length === 0);
    assert.deepEqual(deleted.checked, []);
    assert.deepEqual(deleted.published, { "other.ts": [], "db.ts": [] });

    const late = `import { query } from "./db.js";\nexport function later(): void {\n  query();\n}\n`;
    await onDisk([["db.ts", "/** @slow */\nexport function query(): void {}\n", CHANGED]], () => diagnostics("service.ts").length === 1);
    const created = await onDisk([["late.ts", late, CREATED]], () => diagnostics("late.ts").length === 1);
    assert.deepEqual(created.checked, ["late.ts"]);
    assert.deepEqual(created.published, { "late.ts": ["3: query() is slow."] });
  });

  test("an open file importing the changed file is re-linted with its buffer", async () => {
    const { client, file, onDisk, diagnostics } = await setUp();
    const buffer = `import { query } from "./db.js";\nlet counter = 0;\nexport function run(): void {\n  query();\n  counter++;\n}\n`;
    await client.open(file("service.ts"), buffer);
    await client.waitFor("the buffer analysed", () => diagnostics("service.ts").length === 1);
    const result = await onDisk(
      [["db.ts", "/** @slow */\nexport function query(): void {}\n", CHANGED]],
      () => diagnostics("service.ts").length === 2,
    );
    assert.deepEqual(result.published, { "service.ts": ["4: query() is slow.", "5: counter++ races with other increments of counter."] });
    assert.deepEqual(result.checked, ["app.ts", "db.ts", "service.ts"]);
  });

  test("a declaration file with globals re-lints every file; a tsconfig change reloads the project", async () => {
    const { root, client, onDisk, diagnostics, checked } = await setUp({
      "src/globals.d.ts": "declare function audit(): void;\n",
      "src/other.ts": "export function other(): void {\n  audit();\n}\n",
    });
    const globals = await onDisk(
      [["globals.d.ts", "/** @slow */\ndeclare function audit(): void;\n", CHANGED]],
      () => diagnostics("other.ts").length === 1,
    );
    assert.deepEqual(globals.checked, ["app.ts", "db.ts", "index.ts", "other.ts", "service.ts"]);
    assert.deepEqual(globals.published, { "other.ts": ["2: audit() is slow."] });

    checked.length = 0;
    writeFile(root, "tsconfig.json", TSCONFIG.replace('"strict":true', '"strict":false'));
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: [{ uri: uri(path.join(root, "tsconfig.json")), type: CHANGED }],
    });
    await client.waitFor("every file analysed again", () => new Set(checked).size === 5);
  });
});

describe("files changed on disk, on the examples", () => {
  test("fixing a cross-file lock order inversion on disk re-lints two files and clears the finding in both", async (t) => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-lsp-examples-")));
    after(() => fs.rmSync(root, { recursive: true, force: true }));
    fs.cpSync(path.join(REPO_ROOT, "examples"), root, { recursive: true });
    // The examples import pg, ioredis, async-mutex and the runtime: resolve them from the repository, as in place.
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"));
    const checked: string[] = [];
    const client = startInProcess({ rules: [...RULES, recordingRule(checked)] });
    clients.push(client);
    await client.initialize(root);
    const audit = path.join(root, "src", "bank", "audit.ts");
    const ledger = path.join(root, "src", "bank", "ledger.ts");
    const inversion = (file: string) =>
      (client.diagnostics.get(uri(file)) ?? []).filter((d) => d.code === "inconsistent-lock-order").length;
    await client.waitFor("the inversion reported in both files", () => inversion(audit) === 1 && inversion(ledger) === 1, 60000);
    await client.waitFor("the workspace analysis", () => client.statuses.some((s) => !s.busy && /problems$/.test(s.text)), 60000);

    const fullStart = performance.now();
    const full = (await client.connection.sendRequest("workspace/executeCommand", {
      command: "locksmith.server.lintWorkspace",
      arguments: [],
    })) as { files: number };
    const fullMs = performance.now() - fullStart;

    const wrong = fs.readFileSync(audit, "utf8");
    const right = wrong.replace(
      "await auditLock.runExclusive(async () => {\n    await ledgerLock.runExclusive(async () => {",
      "await ledgerLock.runExclusive(async () => {\n    await auditLock.runExclusive(async () => {",
    );
    assert.notEqual(right, wrong);
    const timings: number[] = [];
    for (const [text, expected] of [
      [right, 0],
      [wrong, 1],
      [right, 0],
    ] as const) {
      checked.length = 0;
      const logsBefore = client.logs.length;
      fs.writeFileSync(audit, text);
      const start = performance.now();
      await client.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(audit), type: CHANGED }] });
      await client.waitFor("the inversion to follow the change", () => inversion(audit) === expected && inversion(ledger) === expected);
      timings.push(performance.now() - start);
      const log = await client.waitFor("the server's timing", () =>
        client.logs.slice(logsBefore).find((l) => l.includes("changed on disk")),
      );
      assert.match(log, /re-linted 2 files in \d+ ms$/);
      assert.deepEqual(checked.map((f) => path.relative(root, f)).sort(), ["src/bank/audit.ts", "src/bank/ledger.ts"]);
      t.diagnostic(log);
    }
    t.diagnostic(
      `one change on disk: ${timings.map((ms) => `${Math.round(ms)} ms`).join(", ")} until published (20 ms debounce included); whole workspace (${full.files} files): ${Math.round(fullMs)} ms`,
    );
  });
});
