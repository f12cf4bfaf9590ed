// Protocol tests: the language server in-process over streams, spoken to in plain LSP.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CodeAction, WorkspaceEdit } from "vscode-languageserver/node";
import { readVendoredRuntime } from "../../server/src/engine/runtime-import";
import { applyWorkspaceEdit, makeWorkspace, startInProcess, uri, writeFile, FULL_CAPABILITIES, type Client } from "./harness";
import { FAKE_RULES, INCREMENT_HELP, duplicateFunction, unguardedIncrement } from "./fake-rules";

const TSCONFIG = JSON.stringify({
  compilerOptions: { strict: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext" },
  include: ["src"],
});
const COUNTER = `let counter = 0;\nexport async function bump() {\n  counter++;\n}\n`;
const INCREMENT = unguardedIncrement.meta.id;

const clients: Client[] = [];
after(() => {
  for (const client of clients) client.dispose();
});

async function setUp(
  files: Record<string, string>,
  options: { rules?: typeof FAKE_RULES; capabilities?: typeof FULL_CAPABILITIES; debounceMs?: number } = {},
) {
  const root = makeWorkspace({ "tsconfig.json": TSCONFIG, "src/index.ts": "export {};\n", ...files });
  const client = startInProcess({
    rules: options.rules ?? [unguardedIncrement, duplicateFunction],
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
  });
  clients.push(client);
  const init = await client.initialize(root, options.capabilities);
  return { root, client, init };
}

async function codeActions(client: Client, file: string, line: number, only?: string[]): Promise<CodeAction[]> {
  return client.connection.sendRequest("textDocument/codeAction", {
    textDocument: { uri: uri(file) },
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    context: { diagnostics: [], ...(only ? { only } : {}) },
  });
}

function applied(edit: WorkspaceEdit | undefined, file: string, text: string): Map<string, string> {
  assert.ok(edit, "the action has an edit");
  return applyWorkspaceEdit(edit, new Map([[uri(file), text]]));
}

describe("language server (in-process)", () => {
  test("initialize announces code actions with fix-all, resolve and the server's commands", async () => {
    const { init } = await setUp({});
    assert.deepEqual(init.capabilities.codeActionProvider, {
      codeActionKinds: ["quickfix", "source.fixAll.locksmith"],
      resolveProvider: true,
    });
    assert.deepEqual(init.capabilities.executeCommandProvider, {
      commands: ["locksmith.server.showDocumentation", "locksmith.server.lintWorkspace", "locksmith.server.vendorRuntime"],
    });
    assert.equal(init.serverInfo?.name, "locksmith");
  });

  test("publishes a finding for an open file with source, code, severity, related locations and help", async () => {
    const { root, client } = await setUp({});
    const file = path.join(root, "src", "counter.ts");
    await client.open(file, COUNTER);
    const [diagnostic] = await client.waitForDiagnostics(file, (d) => d.length === 1);
    const range = { start: { line: 2, character: 2 }, end: { line: 2, character: 11 } };
    assert.deepEqual(diagnostic, {
      range,
      severity: 2,
      source: "locksmith",
      code: INCREMENT,
      message: "counter++ races with other increments of counter.",
      relatedInformation: [
        {
          location: { uri: uri(file), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
          message: "file starts here",
        },
        // The help, apart from the headline: last, at the finding's own location.
        { location: { uri: uri(file), range }, message: INCREMENT_HELP },
      ],
    });
  });

  test("as-you-type changes are debounced and only the latest text is published", async () => {
    // A debounce far longer than handling the burst takes, even on a loaded machine (20 ms was not: the second text
    // was analysed before the third had been read).
    const { root, client } = await setUp({}, { debounceMs: 1000 });
    const file = path.join(root, "src", "counter.ts");
    await client.open(file, COUNTER);
    await client.waitForDiagnostics(file, (d) => d.length === 1);
    const before = client.publications.length;
    // Three edits in one write (a burst already sent): the intermediate ones (two findings, then none) must never be
    // published. The first change finds the server idle, but its analysis waits until the rest of what the editor has
    // already sent is handled.
    await client.sendTogether([
      client.changeMessage(file, `${COUNTER}export function again() {\n  counter++;\n}\n`),
      client.changeMessage(file, "let counter = 0;\n"),
      client.changeMessage(file, `${COUNTER}export function third() {\n  counter++;\n  counter++;\n}\n`),
    ]);
    const final = await client.waitForDiagnostics(file, (d) => d.length === 3);
    assert.deepEqual(
      final.map((d) => d.range.start.line),
      [2, 5, 6],
    );
    const published = client.publications.slice(before).filter((p) => p.uri === uri(file));
    assert.deepEqual(
      published.map((p) => p.diagnostics.length),
      [3],
    );
  });

  test("offers the fix (preferred), the suggestion, disable line/file and documentation; the fix vendors the runtime", async () => {
    const { root, client } = await setUp({});
    const file = path.join(root, "src", "counter.ts");
    await client.open(file, COUNTER);
    await client.waitForDiagnostics(file, (d) => d.length === 1);
    const actions = await codeActions(client, file, 2);
    assert.deepEqual(
      actions.map((a) => [a.title, a.kind, a.isPreferred ?? false]),
      [
        ["Run the increment under a Mutex", "quickfix", true],
        ["Remove the increment", "quickfix", false],
        [`Disable ${INCREMENT} for this line`, "quickfix", false],
        [`Disable ${INCREMENT} for the entire file`, "quickfix", false],
        [`Show documentation for ${INCREMENT}`, "quickfix", false],
      ],
    );
    const runtimeFile = path.join(root, "src", "locksmith-runtime.ts");
    const fixed = applied(actions[0]!.edit, file, COUNTER);
    assert.equal(
      fixed.get(uri(file)),
      `import { Mutex } from "./locksmith-runtime.js";\n\nlet counter = 0;\nexport async function bump() {\n  await new Mutex().runExclusive(() => counter++);\n}\n`,
    );
    assert.equal(fixed.get(uri(runtimeFile)), readVendoredRuntime());
    assert.deepEqual(actions[0]!.edit!.documentChanges![0], { kind: "create", uri: uri(runtimeFile), options: { ignoreIfExists: true } });
    assert.equal(applied(actions[1]!.edit, file, COUNTER).get(uri(file)), `let counter = 0;\nexport async function bump() {\n  \n}\n`);
    assert.equal(
      applied(actions[2]!.edit, file, COUNTER).get(uri(file)),
      `let counter = 0;\nexport async function bump() {\n  // locksmith-disable-next-line ${INCREMENT}\n  counter++;\n}\n`,
    );
    assert.equal(applied(actions[3]!.edit, file, COUNTER).get(uri(file)), `/* locksmith-disable ${INCREMENT} */\n${COUNTER}`);
    assert.deepEqual(actions[4]!.command, {
      title: `Show documentation for ${INCREMENT}`,
      command: "locksmith.server.showDocumentation",
      arguments: [INCREMENT],
    });
  });

  test("disabling for a line adds the rule to an existing directive instead of stacking a second one", async () => {
    const { root, client } = await setUp({});
    const file = path.join(root, "src", "counter.ts");
    const text = `let counter = 0;\nexport async function bump() {\n  // locksmith-disable-next-line other-rule -- reviewed\n  counter++;\n}\n`;
    await client.open(file, text);
    await client.waitForDiagnostics(file, (d) => d.length === 1);
    const actions = await codeActions(client, file, 3);
    const disable = actions.find((a) => a.title === `Disable ${INCREMENT} for this line`);
    assert.equal(
      applied(disable!.edit, file, text).get(uri(file)),
      `let counter = 0;\nexport async function bump() {\n  // locksmith-disable-next-line other-rule, ${INCREMENT} -- reviewed\n  counter++;\n}\n`,
    );
  });

  test("with resolve support, edits are computed by codeAction/resolve", async () => {
    const capabilities = structuredClone(FULL_CAPABILITIES);
    capabilities.textDocument!.codeAction!.resolveSupport = { properties: ["edit"] };
    capabilities.textDocument!.codeAction!.dataSupport = true;
    const { root, client } = await setUp({}, { capabilities });
    const file = path.join(root, "src", "counter.ts");
    await client.open(file, COUNTER);
    await client.waitForDiagnostics(file, (d) => d.length === 1);
    const actions = await codeActions(client, file, 2);
    assert.equal(actions[1]!.edit, undefined);
    assert.ok(actions[1]!.data);
    const resolved: CodeAction = await client.connection.sendRequest("codeAction/resolve", actions[1]);
    assert.equal(applied(resolved.edit, file, COUNTER).get(uri(file)), `let counter = 0;\nexport async function bump() {\n  \n}\n`);
  });

  test("source.fixAll.locksmith applies every safe fix (fix-on-save)", async () => {
    const { root, client } = await setUp({});
    const file = path.join(root, "src", "counter.ts");
    const text = `let counter = 0;\nexport async function bump() {\n  counter++;\n  counter++;\n}\n`;
    await client.open(file, text);
    await client.waitForDiagnostics(file, (d) => d.length === 2);
    const actions = await codeActions(client, file, 0, ["source.fixAll"]);
    assert.deepEqual(
      actions.map((a) => [a.title, a.kind]),
      [["Fix all auto-fixable Locksmith problems", "source.fixAll.locksmith"]],
    );
    const fixed = applied(actions[0]!.edit, file, text);
    assert.equal(
      fixed.get(uri(file)),
      `import { Mutex } from "./locksmith-runtime.js";\n\nlet counter = 0;\nexport async function bump() {\n  await new Mutex().runExclusive(() => counter++);\n  await new Mutex().runExclusive(() => counter++);\n}\n`,
    );
    assert.equal(fixed.get(uri(path.join(root, "src", "locksmith-runtime.ts"))), readVendoredRuntime());
    // The buffer the server analyses is still the unfixed one until the client applies the edit.
    assert.equal((await codeActions(client, file, 2)).length > 0, true);
    assert.deepEqual(await codeActions(client, file, 0, ["quickfix"]), []);
  });

  test("settings are read per resource and a change re-validates (severity, off, slow calls, enable)", async () => {
    const { root, client } = await setUp({});
    const file = path.join(root, "src", "counter.ts");
    await client.open(file, COUNTER);
    await client.waitForDiagnostics(file, (d) => d.length === 1 && d[0]!.severity === 2);
    const changeSettings = async (settings: Record<string, unknown>) => {
      client.settings = settings;
      await client.connection.sendNotification("workspace/didChangeConfiguration", { settings: null });
    };
    await changeSettings({ rules: { [INCREMENT]: "error" } });
    await client.waitForDiagnostics(file, (d) => d.length === 1 && d[0]!.severity === 1);
    await changeSettings({ slowCalls: ["sendEmail", { module: "axios", call: "*", reason: "makes an HTTP request" }] });
    await client.waitForDiagnostics(
      file,
      (d) => d[0]?.message === "counter++ races with other increments of counter (slow calls: sendEmail, axios#*).",
    );
    await changeSettings({ rules: { [INCREMENT]: "off" } });
    await client.waitForDiagnostics(file, (d) => d.length === 0);
    await changeSettings({ enable: false, rules: { [INCREMENT]: "error" } });
    await client.waitFor("enable: false to keep diagnostics empty", () => client.diagnostics.get(uri(file))?.length === 0);
    assert.deepEqual(await codeActions(client, file, 2), []);
    await changeSettings({ runtime: "package", rules: "not an object" });
    await client.waitForDiagnostics(file, (d) => d.length === 1 && d[0]!.severity === 2);
    assert.ok(client.logs.some((l) => l.includes('locksmith.rules must map rule ids to "off" | "warn" | "error", got "not an object"')));
    const [fix] = await codeActions(client, file, 2);
    assert.match(applied(fix!.edit, file, COUNTER).get(uri(file))!, /^import \{ Mutex \} from "@locksmith\/runtime";\n/);
  });

  test("a broken locksmith.json is reported in the log and the status, analysis continues; fixing it reloads", async () => {
    const { root, client } = await setUp({ "locksmith.json": `{ "rules": { "${INCREMENT}": "loud" } }` });
    const file = path.join(root, "src", "counter.ts");
    await client.open(file, COUNTER);
    await client.waitForDiagnostics(file, (d) => d.length === 1 && d[0]!.severity === 2);
    const status = await client.waitFor("a warning status", () => client.statuses.find((s) => s.level === "warning"));
    assert.equal(status.text, "Locksmith: configuration problem");
    assert.equal(
      status.detail,
      `${path.join(root, "locksmith.json")}: "rules.${INCREMENT}" must be "off", "warn" or "error" (or [severity, options]), got "loud" (using the default configuration)`,
    );
    assert.ok(client.logs.some((l) => l.includes(`got "loud"`)));
    writeFile(root, "locksmith.json", `{ "rules": { "${INCREMENT}": "error" } }`);
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: [{ uri: uri(path.join(root, "locksmith.json")), type: 2 }],
    });
    await client.waitForDiagnostics(file, (d) => d.length === 1 && d[0]!.severity === 1);
    await client.waitFor("an ok status", () => client.statuses.at(-1)?.level === "ok");
  });

  test("an open test file gets no diagnostics by default; nonProductionFiles: [] in locksmith.json lints it", async () => {
    const { root, client } = await setUp({}, { rules: [unguardedIncrement] });
    const spec = path.join(root, "src", "counter.test.ts");
    const file = path.join(root, "src", "counter.ts");
    await client.open(spec, COUNTER);
    await client.open(file, COUNTER);
    await client.waitForDiagnostics(file, (d) => d.length === 1);
    await client.waitFor("both files analysed", () => client.statuses.at(-1)?.text === "Locksmith: 1 problem");
    assert.deepEqual(client.diagnostics.get(uri(spec)) ?? [], []);
    writeFile(root, "locksmith.json", '{ "nonProductionFiles": [] }');
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: [{ uri: uri(path.join(root, "locksmith.json")), type: 1 }],
    });
    await client.waitForDiagnostics(spec, (d) => d.length === 1 && d[0]!.code === INCREMENT);
  });

  test("project rules see the whole workspace: closed files get findings and lose them when another file changes", async () => {
    const { root, client } = await setUp({ "src/a.ts": "export function transfer() {}\n", "src/b.ts": "export function other() {}\n" });
    const a = path.join(root, "src", "a.ts");
    const b = path.join(root, "src", "b.ts");
    await client.waitFor("workspace analysis", () => client.statuses.some((s) => !s.busy && s.text === "Locksmith: 0 problems"));
    await client.open(b, "export function other() {}\n");
    await client.change(b, "export function transfer() {}\n");
    const [inA] = await client.waitForDiagnostics(a, (d) => d.length === 1);
    assert.equal(inA!.message, "transfer is also declared in another file.");
    assert.deepEqual(inA!.relatedInformation, [
      {
        location: { uri: uri(b), range: { start: { line: 0, character: 16 }, end: { line: 0, character: 24 } } },
        message: "other declaration",
      },
    ]);
    await client.waitForDiagnostics(b, (d) => d.length === 1);
    await client.change(b, "export function other() {}\n");
    await client.waitForDiagnostics(a, (d) => d.length === 0);
    await client.waitForDiagnostics(b, (d) => d.length === 0);
  });

  test("after an edit, the file's project findings are published moved along with it before the project rules run again", async () => {
    const { root, client } = await setUp({ "src/a.ts": "export function transfer() {}\n", "src/b.ts": "export function transfer() {}\n" });
    const b = path.join(root, "src", "b.ts");
    await client.waitFor("workspace analysis", () => client.statuses.some((s) => !s.busy && s.text === "Locksmith: 2 problems"));
    await client.open(b, "export function transfer() {}\n");
    await client.waitForDiagnostics(b, (d) => d.length === 1);
    const before = client.publications.length;
    await client.change(b, "// a comment\nexport function transfer() {}\n");
    await client.waitForDiagnostics(b, (d) => d.length === 1 && d[0]!.range.start.line === 1);
    const first = client.publications.slice(before).find((p) => p.uri === uri(b))!;
    assert.deepEqual(
      first.diagnostics.map((d) => [d.code, d.range]),
      [["fake-duplicate-function", { start: { line: 1, character: 16 }, end: { line: 1, character: 24 } }]],
    );
  });

  test("work-done progress is reported while the workspace is analysed", async () => {
    const { client } = await setUp({ "src/a.ts": "let counter = 0;\ncounter++;\n" });
    await client.waitFor("progress end", () => client.progress.some((p) => (p as { value: { kind: string } }).value.kind === "end"));
    assert.deepEqual((client.progress[0] as { value: unknown }).value, {
      kind: "begin",
      title: "Locksmith",
      cancellable: true,
      message: "Finding files",
      percentage: 0,
    });
  });

  test("a crashing rule is logged and the other rules still report", async () => {
    const { root, client } = await setUp({}, { rules: FAKE_RULES });
    const file = path.join(root, "src", "counter.ts");
    await client.open(file, COUNTER);
    await client.waitForDiagnostics(file, (d) => d.length === 1);
    await client.waitFor("the crash in the log", () =>
      client.logs.find((l) => l.startsWith(`Locksmith: rule fake-crashing failed on ${file}: boom`)),
    );
  });

  test("bad requests get empty answers or errors, and the server keeps working", async () => {
    const { root, client } = await setUp({});
    const file = path.join(root, "src", "counter.ts");
    assert.deepEqual(await codeActions(client, path.join(root, "src", "not-open.ts"), 0), []);
    assert.equal(
      await client.connection.sendRequest("workspace/executeCommand", { command: "locksmith.server.nope", arguments: [] }),
      null,
    );
    assert.equal(
      await client.connection.sendRequest("workspace/executeCommand", { command: "locksmith.server.showDocumentation", arguments: [42] }),
      null,
    );
    assert.equal(
      await client.connection.sendRequest("codeAction/resolve", { title: "x", data: "garbage" }).then((a) => (a as CodeAction).title),
      "x",
    );
    await client.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri: "untitled:Untitled-1", version: 2 },
      contentChanges: [{ text: "x" }],
    });
    await client.open(file, COUNTER);
    await client.waitForDiagnostics(file, (d) => d.length === 1);
  });

  test("a cancelled code-action request is answered with RequestCancelled", async () => {
    const { root, client } = await setUp({});
    const file = path.join(root, "src", "counter.ts");
    await client.open(file, COUNTER);
    await client.waitForDiagnostics(file, (d) => d.length === 1);
    const source = new (await import("vscode-jsonrpc/node")).CancellationTokenSource();
    const pending = client.connection.sendRequest(
      "textDocument/codeAction",
      {
        textDocument: { uri: uri(file) },
        range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } },
        context: { diagnostics: [] },
      },
      source.token,
    );
    source.cancel();
    await assert.rejects(pending, (error: { code?: number }) => error.code === -32800);
  });

  test("the Vendor runtime command writes the single-file runtime and updates an outdated copy", async () => {
    const { root, client } = await setUp({ "src/locksmith-runtime.ts": "// old copy\n" });
    const result = await client.connection.sendRequest("workspace/executeCommand", {
      command: "locksmith.server.vendorRuntime",
      arguments: [{ uri: uri(root) }],
    });
    assert.deepEqual(result, { path: path.join(root, "src", "locksmith-runtime.ts"), result: "updated" });
    assert.equal(fs.readFileSync(path.join(root, "src", "locksmith-runtime.ts"), "utf8"), readVendoredRuntime());
  });

  test("Show documentation asks the client to show the rule's page", async () => {
    const { client } = await setUp({});
    const result = await client.connection.sendRequest("workspace/executeCommand", {
      command: "locksmith.server.showDocumentation",
      arguments: [INCREMENT],
    });
    assert.match((result as { uri: string }).uri, new RegExp(`/rules/docs/${INCREMENT}\\.md$`));
    assert.deepEqual(client.shownDocuments, [(result as { uri: string }).uri]);
  });

  test("hover: a lock declaration its body contradicts, and a tag that does not parse, at the calls and the function's name", async () => {
    const { root, client } = await setUp({
      "src/queue.ts": `export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** @locksmith runs-callback lease callback=task */
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
/** @locksmith acquires mutx key=id */
export async function take(id: string): Promise<void> {}
export function idle(): void {}
`,
      "src/jobs.ts": `import { SerialQueue } from "./queue";
const queue = new SerialQueue();
export async function nightly() {
  await queue.run(async () => {});
}
`,
    });
    const hover = async (file: string, line: number, character: number) =>
      (
        (await client.connection.sendRequest("textDocument/hover", {
          textDocument: { uri: uri(path.join(root, "src", file)) },
          position: { line, character },
        })) as { contents: { value: string } } | null
      )?.contents.value;
    const contradiction =
      "SerialQueue.run is declared in JSDoc as running `task` (argument 1) under a lease, but its body takes a lock that never expires (line 5): the declaration is used; check it.";
    assert.equal(
      await hover("jobs.ts", 3, 15),
      [
        "**Locksmith**: `SerialQueue.run` runs its callback (argument 1) while holding `SerialQueue.run` (a lease that expires).",
        "",
        "Here: `SerialQueue.run` (taken by `queue.run`). Why: declared in JSDoc. If this is wrong, declare the helper in `locksmith.json` (`locks`) or with a `@locksmith` JSDoc tag.",
        "",
        `Problem: ${contradiction}`,
      ].join("\n"),
    );
    assert.equal(await hover("queue.ts", 3, 3), `**Locksmith**: ${contradiction}`);
    assert.equal(
      await hover("queue.ts", 10, 24),
      '**Locksmith**: @locksmith acquires mutx key=id: unknown lock kind "mutx" (expected mutex, rw, lease, semaphore, row-lock) (the tag is ignored).',
    );
    assert.equal(await hover("queue.ts", 11, 17), undefined);
  });

  test("hover: a call of a row-lock helper declared by a tag says which rows it locks, on which transaction, and why", async () => {
    const { root, client } = await setUp({
      "src/accounts.ts": `import { Pool, type PoolClient } from "pg";
export const pool = new Pool();
/** @locksmith acquires row-lock transaction=tx key=id table=accounts */
export async function lockAccountRow(tx: PoolClient, id: string): Promise<void> {
  await tx.query("SELECT lock_account($1)", [id]);
}
export async function credit(id: string, amount: number) {
  const tx = await pool.connect();
  await lockAccountRow(tx, id);
  tx.release();
}
`,
    });
    const hover = (await client.connection.sendRequest("textDocument/hover", {
      textDocument: { uri: uri(path.join(root, "src", "accounts.ts")) },
      position: { line: 8, character: 10 },
    })) as { contents: { value: string } } | null;
    assert.equal(
      hover?.contents.value,
      [
        "**Locksmith**: `lockAccountRow` locks the `accounts` rows whose id is `id` (argument 2) on the transaction passed as `tx` (argument 1), until that transaction ends (as `SELECT … FOR UPDATE`).",
        "",
        "Why: declared in JSDoc as a `row-lock`. A read of those rows after this call, on the same transaction, is protected; one before it, or on another handle, is not.",
      ].join("\n"),
    );
  });
});
