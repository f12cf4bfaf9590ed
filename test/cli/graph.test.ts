// `locksmith graph` in-process (dot, mermaid, json), and the lock-order analysis' incremental behaviour.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "./helpers";
import { KEYED_LOCK_MODULE } from "../helpers/lock-modules";
import { buildLockOrderGraph, type LockOrderGraph } from "../../server/src/analysis/lock-order/export";
import { summaryStats } from "../../server/src/analysis/lock-order/summary";
import { DEFAULT_COMPILER_OPTIONS, ProjectHost } from "../../server/src/engine/project";

const USERS = `import { Mutex } from "async-mutex";
import { dropSessionsOf } from "./sessions";
export const usersLock = new Mutex();
export async function deleteUser(id: string) {
  await usersLock.runExclusive(async () => {
    await dropSessionsOf(id);
  });
}
`;
const SESSIONS = `import { Mutex } from "async-mutex";
import { usersLock } from "./users";
export const sessionsLock = new Mutex();
const ordersLock = new Mutex();
export async function dropSessionsOf(id: string) {
  await sessionsLock.runExclusive(async () => {
    console.log(id);
  });
}
export async function expireAll() {
  await sessionsLock.runExclusive(async () => {
    await usersLock.runExclusive(async () => {
      await ordersLock.runExclusive(async () => {});
    });
  });
}
`;
const TSCONFIG = `{ "compilerOptions": { "strict": true, "module": "nodenext", "moduleResolution": "nodenext", "noEmit": true }, "include": ["src"] }\n`;

const dirs: string[] = [];
function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-graph-"));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, "src"));
  fs.writeFileSync(path.join(dir, "tsconfig.json"), TSCONFIG);
  fs.writeFileSync(path.join(dir, "src", "users.ts"), USERS);
  fs.writeFileSync(path.join(dir, "src", "sessions.ts"), SESSIONS);
  return dir;
}
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("locksmith graph", () => {
  test("dot: nodes are lock classes, edges carry the acquisition's location, the cycle is red", async () => {
    const { code, stdout, stderr } = await runCli(["graph", "-p", "tsconfig.json"], project());
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.equal(
      stdout,
      `digraph lock_order {
  rankdir=LR;
  node [shape=box, fontname="Helvetica"];
  edge [fontname="Helvetica", fontsize=10];
  n0 [label="ordersLock\\n(mutex)"];
  n1 [label="sessionsLock\\n(mutex)", color=red, fontcolor=red, penwidth=2];
  n2 [label="usersLock\\n(mutex)", color=red, fontcolor=red, penwidth=2];
  n1 -> n2 [label="src/sessions.ts:12", tooltip="expireAll acquires usersLock while holding sessionsLock", color=red, fontcolor=red, penwidth=2];
  n1 -> n0 [label="src/sessions.ts:13", tooltip="expireAll acquires ordersLock while holding sessionsLock"];
  n2 -> n0 [label="src/sessions.ts:13", tooltip="expireAll acquires ordersLock while holding usersLock"];
  n2 -> n1 [label="src/users.ts:6", tooltip="deleteUser holds usersLock and calls dropSessionsOf, which acquires sessionsLock", color=red, fontcolor=red, penwidth=2];
}
`,
    );
  });

  test("mermaid", async () => {
    const { code, stdout } = await runCli(["graph", "--format", "mermaid", "src"], project());
    assert.equal(code, 0);
    assert.equal(
      stdout,
      `flowchart LR
  n0["ordersLock (mutex)"]
  n1["sessionsLock (mutex)"]
  n2["usersLock (mutex)"]
  n1 -->|"src/sessions.ts:12"| n2
  n1 -->|"src/sessions.ts:13"| n0
  n2 -->|"src/sessions.ts:13"| n0
  n2 -->|"src/users.ts:6"| n1
  classDef cycle stroke:#d00,stroke-width:2px,color:#d00;
  class n1,n2 cycle;
  linkStyle 0,3 stroke:#d00,stroke-width:2px;
`,
    );
  });

  test("json: the shape the language server sends", async () => {
    const dir = project();
    const { code, stdout } = await runCli(["graph", "-f", "json"], dir);
    assert.equal(code, 0);
    const graph = JSON.parse(stdout) as LockOrderGraph;
    const real = fs.realpathSync(dir).split(path.sep).join("/");
    const file = (name: string) => [`${real}/src/${name}`, `${dir.split(path.sep).join("/")}/src/${name}`];
    assert.deepEqual(
      graph.nodes.map((n) => [n.label, n.kind, n.inCycle]),
      [
        ["ordersLock", "mutex", false],
        ["sessionsLock", "mutex", true],
        ["usersLock", "mutex", true],
      ],
    );
    assert.deepEqual(graph.cycles.length, 1);
    assert.deepEqual([...graph.cycles[0]!.nodes].map((id) => graph.nodes.find((n) => n.id === id)!.label).sort(), [
      "sessionsLock",
      "usersLock",
    ]);
    const viaCall = graph.edges.find((e) => e.via.length > 0)!;
    assert.equal(viaCall.kind, "order");
    assert.equal(viaCall.inCycle, true);
    assert.equal(viaCall.description, "deleteUser holds usersLock and calls dropSessionsOf, which acquires sessionsLock");
    assert.ok(file("users.ts").includes(viaCall.site.file));
    assert.deepEqual(viaCall.site.start, { line: 5, character: 10 });
    assert.deepEqual(viaCall.outer.start, { line: 4, character: 8 });
    assert.ok(file("sessions.ts").includes(viaCall.inner.file));
    assert.deepEqual(viaCall.inner.start, { line: 5, character: 8 });
    assert.deepEqual(
      viaCall.via.map((v) => [v.caller, v.callee]),
      [["deleteUser", "dropSessionsOf"]],
    );
  });

  test("json: the project's own lock helpers and decorators are nodes, classed by key template", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-graph-"));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, "src"));
    fs.writeFileSync(path.join(dir, "tsconfig.json"), TSCONFIG);
    fs.writeFileSync(path.join(dir, "src", "locks.ts"), KEYED_LOCK_MODULE);
    fs.writeFileSync(
      path.join(dir, "src", "orders.ts"),
      `import { withLock, Serialized, withStock } from "./locks.js";
export async function ship(orderId: string, sku: string) {
  await withLock(\`order:\${orderId}\`, async () => {
    await withLock(\`stock:\${sku}\`, async () => {});
  });
}
export async function restock(orderId: string, sku: string) {
  await withLock(\`stock:\${sku}\`, async () => {
    await withLock(\`order:\${orderId}\`, async () => {});
  });
}
export class Orders {
  @Serialized()
  async close() {
    await withStock(async () => {});
  }
}
`,
    );
    const { code, stdout } = await runCli(["graph", "-f", "json"], dir);
    assert.equal(code, 0);
    const graph = JSON.parse(stdout) as LockOrderGraph;
    assert.deepEqual(
      graph.nodes.map((n) => [n.label, n.kind, n.inCycle]),
      [
        ["order:${…}", "mutex", true],
        ["ordersLock", "mutex", false],
        ["stock:${…}", "mutex", true],
        ["stockLock", "mutex", false],
        // The helper's own class, as the TC39 decorator of the module takes it (keyed by the decorator's argument).
        ["withLock", "mutex", false],
      ],
    );
    assert.deepEqual(graph.edges.map((e) => e.description).sort(), [
      "Orders.close acquires stockLock while holding ordersLock",
      "restock acquires order:${…} while holding stock:${…}",
      "ship acquires stock:${…} while holding order:${…}",
    ]);
  });

  test("usage errors", async () => {
    const dir = project();
    assert.deepEqual(await runCli(["graph", "--format", "svg"], dir), {
      code: 2,
      stdout: "",
      stderr: 'locksmith: unknown graph format "svg" (expected one of: dot, mermaid, json)\n',
    });
    const help = await runCli(["graph", "--help"], dir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: locksmith graph/);
  });
});

describe("lock-order analysis is incremental", () => {
  test("after an edit to one file only that file's summary is recomputed, and the graph follows the edit", () => {
    const host = new ProjectHost(DEFAULT_COMPILER_OPTIONS, []);
    const files = ["/incremental/src/users.ts", "/incremental/src/sessions.ts"];
    host.setFileText(files[0]!, USERS);
    host.setFileText(files[1]!, SESSIONS);
    const graphOf = () => {
      const program = host.getProgram();
      return buildLockOrderGraph(
        program,
        files.map((f) => program.getSourceFile(f)!),
      );
    };
    assert.equal(graphOf().cycles.length, 1);
    const before = summaryStats.computed;
    // Take the users lock after the sessions lock is released: the cycle disappears.
    host.setFileText(
      files[1]!,
      SESSIONS.replace(
        "await sessionsLock.runExclusive(async () => {\n    await usersLock",
        "await usersLock.runExclusive(async () => {\n    await usersLock",
      ).replace(
        "await usersLock.runExclusive(async () => {\n      await ordersLock",
        "await sessionsLock.runExclusive(async () => {\n      await ordersLock",
      ),
    );
    const after = graphOf();
    assert.equal(summaryStats.computed - before, 1, "only the edited file is summarised again");
    assert.deepEqual(after.cycles, []);
    const again = summaryStats.computed;
    graphOf();
    assert.equal(summaryStats.computed, again, "nothing is recomputed without an edit");
  });

  test("a function without locks is summarised only when a call made under a lock reaches it, in any later Program", () => {
    const host = new ProjectHost(DEFAULT_COMPILER_OPTIONS, []);
    const unrelated = Array.from(
      { length: 20 },
      (_, i) => `export function format${i}(s: string) { return [s].map((x) => x.trim()); }\n`,
    ).join("");
    const files = {
      locks: "/lazy/src/locks.ts",
      relay: "/lazy/src/relay.ts",
      holder: "/lazy/src/holder.ts",
    };
    host.setFileText(
      files.locks,
      `import { Mutex } from "async-mutex";
export const aLock = new Mutex();
export const bLock = new Mutex();
export async function takeB() {
  await bLock.runExclusive(async () => {});
}
export async function bThenA() {
  await bLock.runExclusive(async () => {
    await aLock.runExclusive(async () => {});
  });
}
`,
    );
    host.setFileText(
      files.relay,
      `import { takeB } from "./locks";
export async function relay() {
  await takeB();
}
export async function otherRelay() {
  await takeB();
}
${unrelated}`,
    );
    const holder = (callee: string) => `import { aLock } from "./locks";
import { ${callee} } from "./relay";
export async function aThenB() {
  await aLock.runExclusive(async () => {
    await ${callee}();
  });
}
`;
    host.setFileText(files.holder, holder("relay"));
    const graphOf = () => {
      const program = host.getProgram();
      return buildLockOrderGraph(
        program,
        Object.values(files).map((f) => program.getSourceFile(f)!),
      );
    };
    // Each edge on a cycle: its holder, and the calls it goes through.
    const cycleEdges = (graph: LockOrderGraph) => graph.edges.filter((e) => e.inCycle).map((e) => [e.holder, e.via.map((v) => v.callee)]);
    const before = summaryStats.functions;
    assert.deepEqual(cycleEdges(graphOf()), [
      ["bThenA", []],
      ["aThenB", ["relay", "takeB"]],
    ]);
    // takeB, bThenA and aThenB acquire locks; relay is reached from aThenB's held call. Nothing else.
    assert.equal(summaryStats.functions - before, 4);

    // The holder now calls the other relay: relay.ts is unchanged (its file summary is reused), and the function
    // reached for the first time is summarised on the new Program's tree.
    host.setFileText(files.holder, holder("otherRelay"));
    const second = summaryStats.functions;
    assert.deepEqual(cycleEdges(graphOf()), [
      ["bThenA", []],
      ["aThenB", ["otherRelay", "takeB"]],
    ]);
    assert.equal(summaryStats.functions - second, 2, "aThenB again (its file changed), and otherRelay");
  });
});
