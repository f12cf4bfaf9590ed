// The language server (the real `--stdio` binary) under bad input: malformed JSON-RPC, unknown methods, edits with
// out-of-range positions, changes to documents that were never opened, mutated (fuzzed) documents, a file deleted or renamed on disk, an invalid
// locksmith.json, requests after shutdown. After each, it must still be running and answering.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { Client, makeWorkspace, uri, writeFile } from "../lsp/harness";
import { corpus, REPO_ROOT } from "./corpus";
import { extremeInputs, mutants } from "./fuzz";

const SERVER = path.join(REPO_ROOT, "server", "bin", "locksmith-language-server.js");
/** Mutated documents fed to the server, spread over the corpus. */
const MUTANTS = 30;

const FLAGGED = `import Redis from "ioredis";
const redis = new Redis();
export async function run(id: string) {
  const ok = await redis.set(\`lock:\${id}\`, "1", "NX");
  if (!ok) return;
  await redis.del(\`lock:\${id}\`);
}
`;

let root: string;
let client: Client;
let stderr = "";
let exited: string | undefined;
let file: string;

function start(): Client {
  const child = spawn(process.execPath, [SERVER, "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  child.on("exit", (code, signal) => (exited = `exit code ${code}, signal ${signal}`));
  return new Client(
    createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!)),
    child.stdin!,
    child,
  );
}

/** Writes one framed message with an arbitrary body straight to the server's stdin. */
function sendRaw(body: string | Buffer): void {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  client.child!.stdin!.write(Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, "ascii"), bytes]));
}

let probes = 0;

/**
 * The server is alive, still analyses (an edit moving the findings down by a fresh number of lines is published) and
 * answers a request about the result.
 */
async function assertAnswering(after: string): Promise<void> {
  assert.equal(exited, undefined, `the server exited after ${after}: ${stderr}`);
  const shift = ++probes;
  await client.change(file, `${"// probe\n".repeat(shift)}${FLAGGED}`);
  const expiryLine = 3 + shift;
  const diagnostics = await client.waitForDiagnostics(
    file,
    (d) => d.some((x) => x.code === "lock-without-expiry" && x.range.start.line === expiryLine),
    `diagnostics after ${after}`,
  );
  const actions = await client.connection.sendRequest<unknown[]>("textDocument/codeAction", {
    textDocument: { uri: uri(file) },
    range: diagnostics[0]!.range,
    context: { diagnostics },
  });
  assert.ok(Array.isArray(actions) && actions.length > 0, `no code actions after ${after}`);
  assert.doesNotMatch(client.logs.join("\n"), /uncaught error|unhandled rejection/i, `after ${after}`);
}

before(async () => {
  root = makeWorkspace({ "src/flagged.ts": FLAGGED, "src/other.ts": "export const other = 1;\n" });
  file = path.join(root, "src", "flagged.ts");
  client = start();
  await client.initialize(root);
  await client.open(file);
  await assertAnswering("start");
});

after(() => {
  client.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("language server robustness", () => {
  test("malformed JSON-RPC bodies", async () => {
    for (const body of [
      "{not json",
      "",
      "null",
      "[]",
      "42",
      '"text"',
      '{"jsonrpc":"2.0"}',
      '{"jsonrpc":"1.0","id":1,"method":"initialize"}',
      '{"jsonrpc":"2.0","id":{},"method":"textDocument/codeAction","params":42}',
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
    ]) {
      sendRaw(body);
    }
    await assertAnswering("malformed messages");
  });

  test("unknown methods: requests answered with MethodNotFound, notifications ignored", async () => {
    await assert.rejects(
      client.connection.sendRequest("locksmith/noSuchMethod", { x: 1 }),
      (error: { code?: number }) => error.code === -32601,
    );
    await client.connection.sendNotification("locksmith/noSuchNotification", { x: 1 });
    await client.connection.sendNotification("$/noSuchNotification");
    await assertAnswering("unknown methods");
  });

  test("requests with wrong parameters", async () => {
    for (const [method, params] of [
      ["textDocument/codeAction", { textDocument: { uri: "not a uri" }, range: null, context: {} }],
      [
        "textDocument/codeAction",
        {
          textDocument: { uri: uri(path.join(root, "src", "missing.ts")) },
          range: { start: { line: -5, character: 0 }, end: { line: 1e9, character: 1e9 } },
          context: { diagnostics: [] },
        },
      ],
      ["codeAction/resolve", { title: "forged", data: { uri: uri(file), version: 999, ruleId: "nope", index: 42 } }],
      ["workspace/executeCommand", { command: "locksmith.server.noSuchCommand", arguments: [1, 2, 3] }],
      ["workspace/executeCommand", { command: "locksmith.server.showDocumentation", arguments: [{ not: "a rule" }] }],
      ["locksmith/lockOrderGraph", { uri: "file:///nowhere/at/all.ts" }],
    ] as const) {
      await client.connection.sendRequest(method, params).catch(() => undefined);
    }
    await assertAnswering("requests with wrong parameters");
  });

  test("edits with out-of-range positions, and to documents never opened", async () => {
    const notOpened = uri(path.join(root, "src", "other.ts"));
    await client.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri: notOpened, version: 7 },
      contentChanges: [{ text: "garbage(" }],
    });
    await client.connection.sendNotification("textDocument/didClose", { textDocument: { uri: notOpened } });
    // The next version of the document, as the harness counts them.
    const versions = (client as unknown as { versions: Map<string, number> }).versions;
    versions.set(file, versions.get(file)! + 1);
    await client.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri: uri(file), version: versions.get(file) },
      contentChanges: [
        { range: { start: { line: 9999, character: 0 }, end: { line: 10000, character: 5 } }, text: "// far away\n" },
        { range: { start: { line: 2, character: 500 }, end: { line: 1, character: 0 } }, text: "" },
        { range: { start: { line: -1, character: -1 }, end: { line: 0, character: 0 } }, text: "" },
      ],
    });
    // Whatever the server made of those edits, the full-text change of assertAnswering brings it back in step.
    await assertAnswering("out-of-range edits");
  });

  test("an open file deleted, then another renamed, on disk", async () => {
    const other = path.join(root, "src", "other.ts");
    const renamed = path.join(root, "src", "renamed.ts");
    fs.renameSync(other, renamed);
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: [
        { uri: uri(other), type: 3 },
        { uri: uri(renamed), type: 1 },
      ],
    });
    const deleted = writeFile(root, "src/deleted.ts", FLAGGED);
    await client.open(deleted);
    await client.waitForDiagnostics(deleted, (d) => d.length > 0);
    fs.rmSync(deleted);
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(deleted), type: 3 }] });
    await client.change(deleted, `${FLAGGED}\n// still typing in a deleted file\n`);
    await client.close(deleted);
    await assertAnswering("deleted and renamed files");
  });

  test("mutated and extreme documents (10,000-deep nesting, 5 MB): no crash, no rule failure, still answering", async () => {
    const mutant = path.join(root, "src", "mutant.ts");
    const inputs = mutants(corpus(), 1, 99);
    await client.open(mutant, "");
    const extremes = extremeInputs("").filter((input) => !input.slow && /^(10000 nested|5 MB single line|NUL)/.test(input.mutation));
    const fed = [...extremes, ...Array.from({ length: MUTANTS }, (_, i) => inputs[Math.floor((i * inputs.length) / MUTANTS)]!)];
    for (const input of fed) {
      await client.change(mutant, input.text);
      await assertAnswering(`${input.origin} [${input.mutation}]`);
    }
    await client.close(mutant);
    assert.doesNotMatch(client.logs.join("\n"), /Locksmith: rule .* failed/);
  });

  test("an invalid locksmith.json: a clear message in the status and the log, analysis continues with defaults", async () => {
    const config = writeFile(root, "locksmith.json", '{ "rules": { "lock-without-expiry": "sometimes" }');
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(config), type: 1 }] });
    const status = await client.waitFor("a warning status", () =>
      client.statuses.find((s) => s.level === "warning" && /locksmith\.json/.test(s.detail ?? "")),
    );
    assert.match(status.detail!, /locksmith\.json: is not valid JSON \(line 1, column \d+\)/);
    await client.waitFor("the configuration problem in the log", () =>
      client.logs.some((l) => /locksmith\.json: is not valid JSON/.test(l)),
    );
    await assertAnswering("an invalid locksmith.json");
    fs.rmSync(config);
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(config), type: 3 }] });
  });

  test("after shutdown: requests get InvalidRequest, notifications are ignored, exit ends the process", async () => {
    await client.connection.sendRequest("shutdown");
    const late = (method: string, params: unknown) =>
      client.connection.sendRequest(method, params).then(
        (result) => `answered ${JSON.stringify(result)}`,
        (error: { code?: number }) => `error ${error.code}`,
      );
    // LSP: "If a server receives requests after a shutdown request those requests should error with InvalidRequest."
    const codeAction = {
      textDocument: { uri: uri(file) },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [] },
    };
    assert.equal(await late("textDocument/codeAction", codeAction), "error -32600");
    assert.equal(await late("codeAction/resolve", { title: "x" }), "error -32600");
    assert.equal(await late("workspace/executeCommand", { command: "locksmith.server.lintWorkspace", arguments: [] }), "error -32600");
    assert.equal(await late("locksmith/lockOrderGraph", {}), "error -32600");
    await client.change(file, "export const late = 1;\n");
    assert.equal(exited, undefined, `the server exited before "exit": ${stderr}`);
    await client.connection.sendNotification("exit");
    await client.waitFor("the process to exit", () => exited);
    assert.match(exited!, /exit code 0/);
    assert.doesNotMatch(stderr, /Error|at /);
  });
});
