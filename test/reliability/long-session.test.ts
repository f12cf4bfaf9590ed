// A long editing session over the protocol (server in this process, so its heap and timers can be measured): after a
// warm-up, 10,000 open/edit/close cycles over 200 documents. The heap (after a full GC) stays within 20% of its
// level after warm-up, and no timers, handles or listeners accumulate.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { createConnection } from "vscode-languageserver/node";
import { startServer } from "../../server/src/lsp/server";
import { Client, makeWorkspace, uri } from "../lsp/harness";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const CYCLES = 10_000;
const WARM_UP = 1_000;
const DOCUMENTS = 200;
const TEXT = (i: number) => `import Redis from "ioredis";
const redis = new Redis();
export async function run${i}(id: string) {
  const ok = await redis.set(\`lock:\${id}\`, "1", "NX");
  if (!ok) return;
  await redis.del(\`lock:\${id}\`);
}
`;

const root = makeWorkspace({ "src/anchor.ts": TEXT(0) });
const anchor = path.join(root, "src", "anchor.ts");
const toServer = new PassThrough();
const toClient = new PassThrough();
startServer(createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient)), { debounceMs: 20 });
const client = new Client(createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer)), toServer);

after(() => {
  client.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Snapshot {
  heap: number;
  timers: number;
  resources: number;
  listeners: number;
}

async function snapshot(): Promise<Snapshot> {
  // Let pending analyses finish and their timers fire before counting.
  await client.connection.sendRequest("textDocument/codeAction", {
    textDocument: { uri: uri(anchor) },
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    context: { diagnostics: [] },
  });
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 3; i++) gc();
  const resources = process.getActiveResourcesInfo();
  const streams = [toServer, toClient];
  return {
    heap: process.memoryUsage().heapUsed,
    timers: resources.filter((r) => r === "Timeout").length,
    resources: resources.length,
    listeners: [process, ...streams].reduce(
      (sum, emitter) => sum + emitter.eventNames().reduce((n, name) => n + emitter.listenerCount(name), 0),
      0,
    ),
  };
}

async function cycles(from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const doc = path.join(root, "src", `doc-${i % DOCUMENTS}.ts`);
    await client.open(doc, TEXT(i));
    await client.change(doc, `${TEXT(i)}\n// edit ${i}\n`);
    await client.close(doc);
    // Every so often, wait for an analysis of an open file, so the server really works during the session.
    if (i % 1000 === 999) {
      // A different number of leading lines each time moves every finding, so the server must publish anew.
      await client.change(anchor, `${"\n".repeat(Math.floor(i / 1000) + 1)}${TEXT(i)}`);
      await client.waitForDiagnostics(
        anchor,
        (d) => d.some((x) => (x.message as string).includes("SET NX")) && client.publications.at(-1)?.uri === uri(anchor),
      );
    }
  }
}

/** Polls `probe` until it holds (timers of the last debounced edits still have to fire or be cleared). */
async function settled(probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await probe()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("a long editing session", () => {
  test(`${CYCLES} open/edit/close cycles: heap within 20% of its level after warm-up, no timers or listeners accumulate`, async (t) => {
    await client.initialize(root);
    await client.open(anchor);
    await client.waitForDiagnostics(anchor, (d) => d.length > 0);
    await cycles(0, WARM_UP);
    const before = await snapshot();
    await cycles(WARM_UP, CYCLES);
    let end = await snapshot();
    await settled(async () => {
      end = await snapshot();
      return end.timers <= before.timers && end.resources <= before.resources && end.heap <= before.heap * 1.2;
    });
    t.diagnostic(
      `heap ${(before.heap / 1e6).toFixed(1)} MB → ${(end.heap / 1e6).toFixed(1)} MB; timers ${before.timers} → ${end.timers}; handles ${before.resources} → ${end.resources}; listeners ${before.listeners} → ${end.listeners}`,
    );
    assert.ok(end.heap <= before.heap * 1.2, `heap grew from ${before.heap} to ${end.heap} bytes`);
    assert.ok(end.timers <= before.timers, `timers: ${before.timers} → ${end.timers}`);
    assert.ok(end.resources <= before.resources, `active handles and requests: ${before.resources} → ${end.resources}`);
    assert.ok(end.listeners <= before.listeners, `listeners: ${before.listeners} → ${end.listeners}`);
    assert.deepEqual(
      [...client.diagnostics.entries()].filter(([u, d]) => u.includes("/doc-") && d.length > 0).map(([u]) => u),
      [],
      "closed documents still show diagnostics",
    );
  });
});
