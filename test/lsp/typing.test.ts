// Editor latency: a change that finds the server idle (opening a document is one) is analysed at once, later changes
// of a burst wait for the debounce and only the last text is published; and when typing pauses, the server finds files
// changed on disk that no file watcher reported (a client without one) and analyses them.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClientCapabilities, Diagnostic } from "vscode-languageserver/node";
import type { Rule } from "../../server/src/engine/types";
import { makeWorkspace, startInProcess, uri, writeFile, FULL_CAPABILITIES, type Client } from "./harness";
import { duplicateFunction, slowCall, unguardedIncrement } from "./fake-rules";

const TSCONFIG = JSON.stringify({
  compilerOptions: { strict: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext" },
  include: ["src"],
});
const RACE = "counter++ races with other increments of counter.";

const clients: Client[] = [];
after(async () => {
  for (const client of clients) {
    // Shut down first: a pending 20 s debounce timer would otherwise fire on a closed connection.
    await client.connection.sendRequest("shutdown").catch(() => undefined);
    client.dispose();
  }
});

/** `count` functions each incrementing the counter: findings on lines 3, 6, 9... (1-based). */
function increments(count: number): string {
  return `let counter = 0;\n${Array.from({ length: count }, (_, i) => `export function bump${i}(): void {\n  counter++;\n}\n`).join("")}`;
}

async function setUp(
  files: Record<string, string>,
  options: { debounceMs?: number; capabilities?: ClientCapabilities; rules?: readonly Rule[] } = {},
) {
  const root = makeWorkspace({ "tsconfig.json": TSCONFIG, "src/index.ts": "export {};\n", ...files });
  const client = startInProcess({
    rules: options.rules ?? [unguardedIncrement],
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
  });
  clients.push(client);
  await client.initialize(root, options.capabilities);
  // The workspace analysis also lints open documents: let it finish so that only typing triggers analyses below.
  await client.waitFor("the workspace analysis", () => client.statuses.some((s) => !s.busy && /^Locksmith: \d+ problems?$/.test(s.text)));
  const file = (name: string) => path.join(root, "src", name);
  const lines = (name: string): number[] | undefined => client.diagnostics.get(uri(file(name)))?.map((d) => d.range.start.line + 1);
  const publishedLines = (name: string, from: number): number[][] =>
    client.publications
      .slice(from)
      .filter((p) => p.uri === uri(file(name)))
      .map((p) => p.diagnostics.map((d) => d.range.start.line + 1));
  return { root, client, file, lines, publishedLines };
}

/** Changes locksmith.json on disk, which makes the server analyse the whole workspace again; waits until it has. */
async function reanalyseWorkspace(client: Client, root: string): Promise<void> {
  const analyses = client.statuses.filter((s) => s.busy).length;
  writeFile(root, "locksmith.json", "{}\n");
  await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
    changes: [{ uri: uri(path.join(root, "locksmith.json")), type: 2 }],
  });
  await client.waitFor(
    "the workspace analysis",
    () => client.statuses.filter((s) => s.busy).length > analyses && !client.statuses.at(-1)!.busy,
  );
}

/** Each diagnostic as "line:character-line:character rule" (0-based, as in LSP). */
const ranges = (diagnostics: Diagnostic[] | undefined) =>
  (diagnostics ?? []).map((d) => `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${d.code}`);

const messages = (diagnostics: Diagnostic[] | undefined) => (diagnostics ?? []).map((d) => `${d.range.start.line + 1}: ${d.message}`);

describe("typing: leading edge and debounce", () => {
  test("with a 20 s debounce, an opened document is analysed at once and the changes right after it wait", async () => {
    const { client, file, lines, publishedLines } = await setUp({}, { debounceMs: 20000 });
    const counter = file("counter.ts");
    await client.open(counter, increments(1));
    // Opening is the document's first change: the leading edge, far sooner than the debounce.
    await client.waitFor("the opened document's findings (leading edge)", () => lines("counter.ts")?.length === 1, 10000);
    assert.deepEqual(lines("counter.ts"), [3]);

    // Two changes sent together: the first finds the server idle, but the second arrives before its analysis starts
    // (the server first handles what the editor has already sent), so both wait for the 20 s debounce.
    const before = client.publications.length;
    await client.sendTogether([client.changeMessage(counter, increments(2)), client.changeMessage(counter, increments(3))]);
    // A barrier far below the debounce: another document opened after them is analysed (its own leading edge)...
    const other = file("other.ts");
    await client.open(other, `let counter = 0;\n\n\nexport function late(): void {\n  counter++;\n}\n`);
    await client.waitFor("the other document's findings (leading edge)", () => lines("other.ts")?.length === 1, 10000);
    assert.deepEqual(lines("other.ts"), [5]);
    // ...while the burst's text is still unanalysed: nothing new was published for it.
    assert.deepEqual(publishedLines("counter.ts", before), []);
    assert.deepEqual(lines("counter.ts"), [3]);
  });

  test("a burst of changes right after opening is debounced: only the last text's findings are published", async () => {
    const debounceMs = 3000;
    const { client, file, lines, publishedLines } = await setUp({}, { debounceMs });
    const counter = file("counter.ts");
    const before = client.publications.length;
    // Sent together: the open finds the server idle (its findings may or may not make it before the first change
    // supersedes them); every later change comes while an analysis is pending, within the debounce.
    await client.sendTogether([
      client.openMessage(counter, increments(1)),
      client.changeMessage(counter, increments(2)),
      client.changeMessage(counter, increments(3)),
      client.changeMessage(counter, increments(4)),
    ]);
    await client.waitFor("the last text's findings", () => lines("counter.ts")?.length === 4);
    assert.deepEqual(lines("counter.ts"), [3, 6, 9, 12]);
    const published = publishedLines("counter.ts", before);
    // Never the intermediate texts (two or three findings): the last text's, perhaps after the opened text's.
    const expected = [[[3, 6, 9, 12]], [[3], [3, 6, 9, 12]]];
    assert.ok(
      expected.some((e) => JSON.stringify(e) === JSON.stringify(published)),
      `published: ${JSON.stringify(published)}`,
    );
  });

  test("a workspace analysis during a burst leaves the document being typed in to its own pending analysis", async () => {
    const { root, client, file, lines, publishedLines } = await setUp({}, { debounceMs: 20000 });
    const counter = file("counter.ts");
    await client.open(counter, increments(1));
    await client.waitFor("the opened document's findings", () => lines("counter.ts")?.length === 1, 10000);
    const before = client.publications.length;
    await client.sendTogether([client.changeMessage(counter, increments(2)), client.changeMessage(counter, increments(3))]);
    // The configuration changes on disk: the whole workspace is analysed again, open documents included...
    await reanalyseWorkspace(client, root);
    // ...but not the one with an analysis pending (20 s): the burst's intermediate text is not published.
    assert.deepEqual(publishedLines("counter.ts", before), []);
    assert.deepEqual(lines("counter.ts"), [3]);
  });

  test("project findings computed on a newer text than the file findings wait for it, with the right positions", async () => {
    const debounceMs = 5000;
    const { root, client, file } = await setUp(
      { "src/index.ts": "export function shared(): void {}\n" },
      { debounceMs, rules: [unguardedIncrement, duplicateFunction] },
    );
    const counter = file("counter.ts");
    const text = `let counter = 0;\nexport function shared(): void {\n  counter++;\n}\n`;
    await client.open(counter, text);
    await client.waitFor("the opened document's project step", () => client.diagnostics.get(uri(counter))?.length === 2);
    assert.deepEqual(ranges(client.diagnostics.get(uri(counter))), [
      "2:2-2:11 fake-unguarded-increment",
      "1:16-1:22 fake-duplicate-function",
    ]);
    const before = client.publications.length;
    // A burst that shifts everything down two lines; its analysis waits for the debounce.
    await client.sendTogether([client.changeMessage(counter, `\n${text}`), client.changeMessage(counter, `\n\n${text}`)]);
    // Meanwhile a workspace analysis runs the project rules on the newest buffer (the duplicate now on line 3, 0-based).
    await reanalyseWorkspace(client, root);
    // Not published then: they would be paired with the file findings of the older text, stamped with the newer version.
    assert.deepEqual(
      client.publications.slice(before).filter((p) => p.uri === uri(counter)),
      [],
    );
    // The pending analysis publishes both for the newest text, the project finding where the project rules found it.
    await client.waitFor(
      "the burst's analysis",
      () => client.publications.slice(before).some((p) => p.uri === uri(counter)),
      debounceMs + 10000,
    );
    const first = client.publications.slice(before).find((p) => p.uri === uri(counter))!;
    assert.deepEqual(ranges(first.diagnostics), ["4:2-4:11 fake-unguarded-increment", "3:16-3:22 fake-duplicate-function"]);
  });
});

describe("typing: files changed on disk that no watcher reported", () => {
  // A client without a file watcher: the server is never told about changes on disk.
  const { didChangeWatchedFiles: _watcher, ...workspaceWithoutWatcher } = FULL_CAPABILITIES.workspace!;
  const NO_WATCHER: ClientCapabilities = { ...FULL_CAPABILITIES, workspace: workspaceWithoutWatcher };
  // Declared in index.ts too: the project rule's finding in index.ts shows that the opened buffer's project step
  // (and the disk sweep before it) ran, so the disk is changed only after that sweep.
  const SHARED = "export function shared(): void {}\n";
  const DUPLICATE = "shared is also declared in another file.";

  async function openAndSettle(client: Client, file: string, text: string, index: string) {
    await client.open(file, text);
    await client.waitForDiagnostics(index, (d) => d.length === 1, "the opened buffer's project step");
  }

  test("a closed file changed on disk is analysed again when typing in another file pauses, with the files importing it", async () => {
    const b1 = `/** @slow */\nexport function query(): void {}\nlet counter = 0;\nexport function bump(): void {\n  counter++;\n}\n`;
    const a1 = `import { query } from "./b.js";\nexport function run(): void {\n  query();\n}\n`;
    const { root, client, file, lines } = await setUp(
      { "src/a.ts": a1, "src/b.ts": b1, "src/index.ts": SHARED },
      { capabilities: NO_WATCHER, rules: [unguardedIncrement, slowCall, duplicateFunction] },
    );
    assert.deepEqual(messages(client.diagnostics.get(uri(file("b.ts")))), [`5: ${RACE}`]);
    assert.deepEqual(messages(client.diagnostics.get(uri(file("a.ts")))), ["3: query() is slow."]);
    await openAndSettle(client, file("a.ts"), a1 + SHARED, file("index.ts"));
    assert.deepEqual(messages(client.diagnostics.get(uri(file("a.ts")))), ["3: query() is slow.", `5: ${DUPLICATE}`]);

    // On disk only: query() is no longer slow, and b.ts increments twice (lines 4 and 5).
    writeFile(
      root,
      "src/b.ts",
      `export function query(): void {}\nlet counter = 0;\nexport function bump(): void {\n  counter++;\n  counter++;\n}\n`,
    );
    const logsBefore = client.logs.length;
    await client.change(
      file("a.ts"),
      `import { query } from "./b.js";\nexport function run(): void {\n  query();\n  query();\n}\n${SHARED}`,
    );
    await client.waitFor(
      "b.ts analysed again from disk",
      () => JSON.stringify(lines("b.ts")) === "[4,5]" && JSON.stringify(lines("a.ts")) === "[6]",
    );
    assert.deepEqual(messages(client.diagnostics.get(uri(file("b.ts")))), [`4: ${RACE}`, `5: ${RACE}`]);
    assert.deepEqual(messages(client.diagnostics.get(uri(file("a.ts")))), [`6: ${DUPLICATE}`]);
    const log = await client.waitFor("the disk-change log", () => client.logs.slice(logsBefore).find((l) => l.includes("changed on disk")));
    // b.ts (closed) and a.ts (open, importing it).
    assert.match(log, /^Locksmith: 1 file changed on disk; re-linted 2 files in \d+ ms$/);
  });

  test("a closed file deleted on disk loses its findings when typing in another file pauses", async () => {
    const a1 = `let counter = 0;\nexport function run(): void {\n  counter++;\n}\n`;
    const b1 = `let counter = 0;\nexport function bump(): void {\n  counter++;\n}\n`;
    const { client, file, lines, publishedLines } = await setUp(
      { "src/a.ts": a1, "src/b.ts": b1, "src/index.ts": SHARED },
      { capabilities: NO_WATCHER, rules: [unguardedIncrement, duplicateFunction] },
    );
    assert.deepEqual(lines("b.ts"), [3]);
    await openAndSettle(client, file("a.ts"), a1 + SHARED, file("index.ts"));

    fs.rmSync(file("b.ts"));
    const before = client.publications.length;
    const logsBefore = client.logs.length;
    await client.change(file("a.ts"), `let counter = 0;\nexport function run(): void {\n  counter++;\n  counter++;\n}\n${SHARED}`);
    await client.waitFor("b.ts's findings cleared", () => lines("b.ts")?.length === 0 && JSON.stringify(lines("a.ts")) === "[3,4,6]");
    assert.deepEqual(publishedLines("b.ts", before), [[]]);
    assert.deepEqual(messages(client.diagnostics.get(uri(file("a.ts")))), [`3: ${RACE}`, `4: ${RACE}`, `6: ${DUPLICATE}`]);
    const log = await client.waitFor("the disk-change log", () => client.logs.slice(logsBefore).find((l) => l.includes("changed on disk")));
    assert.match(log, /^Locksmith: 1 file changed on disk; re-linted 0 files in \d+ ms$/);
  });
});
