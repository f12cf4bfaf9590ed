// `locksmith locks`: the acquisitions Locksmith recognises and the project's own lock helpers, with why each counts.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "./helpers";
import { DECLARED_LOCK_MODULE, declaredLockJobs, KEYED_LOCK_MODULE, OPAQUE_LOCK_MODULE, packagedLockClient } from "../helpers/lock-modules";
import type { LockOrderGraph } from "../../server/src/analysis/lock-order/export";

const LOCKING = `import { Mutex } from "async-mutex";
const mutex = new Mutex();
export function withGlobalLock<T>(fn: () => Promise<T>): Promise<T> {
  return mutex.runExclusive(fn);
}
`;
const ORDERS = `import { withGlobalLock } from "./locking";
import { LeaseClient } from "./opaque-locks";
const leases = new LeaseClient();
export async function settle(id: string) {
  await withGlobalLock(async () => {
    await fetch("https://bank.example/" + id);
  });
  if (!(await leases.take(id))) return;
  await leases.give(id);
}
`;
const TSCONFIG = `{ "compilerOptions": { "strict": true, "module": "nodenext", "noEmit": true }, "include": ["src"] }\n`;
const CONFIG = `{ "locks": [{ "function": "LeaseClient.take", "kind": "lease", "acquires": "try", "releasedBy": "LeaseClient.give", "key": 0 }] }\n`;

const dirs: string[] = [];
function project(withConfig: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-locks-"));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, "src"));
  fs.writeFileSync(path.join(dir, "tsconfig.json"), TSCONFIG);
  fs.writeFileSync(path.join(dir, "src", "locking.ts"), LOCKING);
  fs.writeFileSync(path.join(dir, "src", "opaque-locks.ts"), OPAQUE_LOCK_MODULE);
  fs.writeFileSync(path.join(dir, "src", "orders.ts"), ORDERS);
  if (withConfig) fs.writeFileSync(path.join(dir, "locksmith.json"), CONFIG);
  return dir;
}
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("locksmith locks", () => {
  test("json: inferred and declared helpers with why, and every acquisition with the helper it goes through", async () => {
    const { code, stdout, stderr } = await runCli(["locks", "--format", "json"], project(true));
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const result = JSON.parse(stdout);
    assert.deepEqual(
      result.helpers.map((h: { function: string; file: string; line: number; kind: string; because: string }) => [
        h.function,
        `${h.file}:${h.line}`,
        h.kind,
        h.because,
      ]),
      [
        ["withGlobalLock", "src/locking.ts:3", "runs-callback", "inferred from its acquisition at src/locking.ts:4"],
        ["LeaseClient.take", "src/opaque-locks.ts:10", "acquires", "declared in locksmith.json"],
      ],
    );
    assert.deepEqual(
      result.acquisitions.map(
        (a: { file: string; line: number; style: string; via: string; released: Array<{ line: number }>; releasedWhen?: string }) => [
          `${a.file}:${a.line}`,
          a.style,
          a.via,
          a.released.map((r) => r.line),
          a.releasedWhen,
        ],
      ),
      [
        ["src/orders.ts:5", "scoped", "withGlobalLock", [], "its callback settles"],
        // The declared lease, given back by the declared `releasedBy` on the same receiver and key.
        ["src/orders.ts:8", "try", "LeaseClient.take", [9], undefined],
      ],
    );
  });

  test("text: without the declaration, the opaque lease is not a lock; a bad format is a usage error", async () => {
    const dir = project(false);
    const { code, stdout } = await runCli(["locks"], dir);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /^Lock helpers of the project \(1\)\n {2}withGlobalLock {2}src\/locking\.ts:3 {2}runs a callback under `mutex` \(mutex\)/,
    );
    assert.match(
      stdout,
      /\nLock acquisitions \(1\)\n {2}src\/orders\.ts:5:9 {2}`mutex` \(taken by `withGlobalLock`\) {2}mutex, scoped, through withGlobalLock; released when its callback settles\n$/,
    );
    const bad = await runCli(["locks", "--format", "yaml"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown format "yaml"/);
  });

  test("text: a method decorator over a lock is a helper, and each decorated method an acquisition", async () => {
    const dir = project(false);
    fs.writeFileSync(path.join(dir, "src", "locks.ts"), KEYED_LOCK_MODULE);
    fs.writeFileSync(
      path.join(dir, "src", "rates.ts"),
      `import { Logged, Serialized, WithLock } from "./locks.js";
export class Rates {
  @Serialized()
  async refresh() {}
  @WithLock("rates")
  async store() {}
  @Logged()
  async read() {}
}
`,
    );
    const { code, stdout } = await runCli(["locks"], dir);
    assert.equal(code, 0);
    const lines = stdout.split("\n");
    assert.ok(
      lines.includes(
        "  Serialized  src/locks.ts:19  runs the decorated method under `ordersLock` (mutex): inferred from its acquisition at src/locks.ts:23",
      ),
      stdout,
    );
    assert.ok(
      lines.includes(
        "  WithLock  src/locks.ts:32  runs the decorated method under `mutex` (mutex): inferred from its call of withLock at src/locks.ts:35",
      ),
      stdout,
    );
    assert.ok(
      lines.includes(
        "  src/rates.ts:3:4  `ordersLock` (taken by `Serialized`)  mutex, scoped, through Serialized; released when the method settles",
      ),
      stdout,
    );
    assert.ok(
      lines.includes(
        '  src/rates.ts:5:4  the lock `WithLock` takes for `"rates"`  mutex, scoped, through WithLock; released when the method settles',
      ),
      stdout,
    );
    // A library lock taken and released by hand: where the release is.
    assert.ok(lines.includes("  src/locks.ts:23:29  `ordersLock`  mutex, blocking; released at src/locks.ts:27"), stdout);
    assert.ok(!stdout.includes("Logged"), stdout);
  });

  test("JSDoc tags declare the project's own locks; a tag that does not parse and a contradicted declaration are problems", async () => {
    const dir = project(false);
    const annotated = OPAQUE_LOCK_MODULE.replace(
      "  async take(name: string)",
      "  /** @locksmith try-acquires lease key=name */\n  async take(name: string)",
    ).replace("  async give(name: string)", "  /** @locksmith releases */\n  async give(name: string)");
    fs.writeFileSync(path.join(dir, "src", "opaque-locks.ts"), annotated);
    fs.writeFileSync(
      path.join(dir, "src", "tagged.ts"),
      `import { Mutex } from "async-mutex";
const mutex = new Mutex();
/** @locksmith runs-callback lease callback=work */
export function viaMutex<T>(work: () => Promise<T>): Promise<T> {
  return mutex.runExclusive(work);
}
/** @locksmith acquires mutx key=id */
export async function typo(id: string): Promise<void> {}
`,
    );
    fs.writeFileSync(path.join(dir, "locksmith.json"), `{ "locks": [{ "function": "Nowhere.lock", "kind": "mutex", "callback": 0 }] }\n`);
    const { code, stdout, stderr } = await runCli(["locks", "--format", "json"], dir);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const result = JSON.parse(stdout);
    assert.deepEqual(
      result.helpers.map((h: { function: string; kind: string; because: string }) => [h.function, h.kind, h.because]),
      [
        ["withGlobalLock", "runs-callback", "inferred from its acquisition at src/locking.ts:4"],
        ["LeaseClient.take", "acquires", "declared in JSDoc"],
      ],
    );
    assert.deepEqual(
      result.acquisitions.map((a: { file: string; line: number; style: string; via: string }) => [`${a.file}:${a.line}`, a.style, a.via]),
      [
        ["src/orders.ts:5", "scoped", "withGlobalLock"],
        ["src/orders.ts:8", "try", "LeaseClient.take"],
      ],
    );
    assert.deepEqual(
      result.problems.map((p: { file: string; line: number; message: string }) => `${p.file}:${p.line} ${p.message}`),
      [
        "src/tagged.ts:4 viaMutex is declared in JSDoc as running `work` (argument 1) under a lease, but its body takes a lock that never expires (line 5): the declaration is used; check it",
        'src/tagged.ts:8 @locksmith acquires mutx key=id: unknown lock kind "mutx" (expected mutex, rw, lease, semaphore, row-lock) (the tag is ignored)',
        'locksmith.json:1 locksmith.json "locks" declares Nowhere.lock, but no function of the project has that name',
      ],
    );
    // `lint` says the same on stderr, once each, besides its findings.
    const lint = await runCli(["lint", "--format", "json"], dir);
    assert.deepEqual(
      lint.stderr
        .trimEnd()
        .split("\n")
        .map((line) => line.split(": ", 2).join(": ")),
      ["locksmith: src/tagged.ts:4", "locksmith: src/tagged.ts:8", "locksmith: locksmith.json"],
    );
  });

  test("lint: a declaration its body contradicts is reported once on stderr, however many calls and rules see it", async () => {
    const dir = project(false);
    // Declared a lease; its body takes an in-process mutex (never expires). Called from two files.
    fs.writeFileSync(path.join(dir, "locksmith.json"), `{ "locks": [{ "function": "withGlobalLock", "kind": "lease", "callback": 0 }] }\n`);
    fs.writeFileSync(
      path.join(dir, "src", "refunds.ts"),
      `import { withGlobalLock } from "./locking";
export async function refund(id: string) {
  await withGlobalLock(async () => {
    await fetch("https://bank.example/refund/" + id);
  });
}
`,
    );
    const { stderr } = await runCli(["lint", "--format", "json"], dir);
    const problem =
      "locksmith: src/locking.ts:3: withGlobalLock is declared in locksmith.json as running `fn` (argument 1) under a lease, but its body takes a lock that never expires (line 4): the declaration is used; check it\n";
    assert.equal(stderr.split(problem).length - 1, 1, stderr);
    // The declaration is used: both calls hold a lease across the fetch (not a mutex).
    const { stdout } = await runCli(["lint", "--format", "json"], dir);
    const messages = JSON.parse(stdout).flatMap((r: { messages: Array<{ ruleId: string; message: string }> }) => r.messages);
    const underLease = messages.filter(
      (m: { ruleId: string; message: string }) => m.ruleId === "lock-across-await" && /lease/.test(m.message),
    );
    assert.equal(underLease.length, 2, JSON.stringify(messages, null, 2));
  });

  test("row-lock helpers, declared in locksmith.json or by a tag, are listed with their table, key, transaction and calls", async () => {
    const dir = project(false);
    fs.writeFileSync(
      path.join(dir, "src", "rows.ts"),
      `import { Pool, type PoolClient } from "pg";
const pool = new Pool();
/** @locksmith acquires row-lock transaction=client key=walletId table=wallets */
export async function lockWallet(client: PoolClient, walletId: string) {
  await client.query("SELECT lock_wallet($1)", [walletId]);
}
export async function lockLedger(client: PoolClient) {
  await client.query("CALL lock_ledger()");
}
export async function pay(walletId: string) {
  const client = await pool.connect();
  await lockLedger(client);
  await lockWallet(client, walletId);
  client.release();
}
`,
    );
    fs.writeFileSync(
      path.join(dir, "locksmith.json"),
      `{ "locks": [{ "function": "lockLedger", "kind": "row-lock", "transaction": 0, "table": "ledger" }] }\n`,
    );
    const json = JSON.parse((await runCli(["locks", "--format", "json"], dir)).stdout);
    assert.deepEqual(json.rowLocks, [
      {
        file: "src/rows.ts",
        line: 7,
        column: 1,
        function: "lockLedger",
        kind: "row-lock",
        table: "ledger",
        transaction: "`client` (argument 1)",
        because: "declared in locksmith.json",
      },
      {
        file: "src/rows.ts",
        line: 4,
        column: 1,
        function: "lockWallet",
        kind: "row-lock",
        table: "wallets",
        key: "`walletId` (argument 2)",
        transaction: "`client` (argument 1)",
        because: "declared in JSDoc",
      },
    ]);
    assert.deepEqual(
      json.acquisitions
        .filter((a: { mechanism: string }) => a.mechanism === "row-lock")
        .map((a: { file: string; line: number; lock: string; via: string; releasedWhen: string }) => [
          `${a.file}:${a.line}`,
          a.lock,
          a.via,
          a.releasedWhen,
        ]),
      [
        ["src/rows.ts:12", "`ledger` rows (locked by `lockLedger`)", "lockLedger", "its transaction ends"],
        ["src/rows.ts:13", "`wallets` rows (locked by `lockWallet`)", "lockWallet", "its transaction ends"],
      ],
    );
    assert.deepEqual(json.problems, []);
    const text = (await runCli(["locks"], dir)).stdout.split("\n");
    assert.ok(text.includes("Row-lock helpers of the project (2)"), text.join("\n"));
    assert.ok(
      text.includes(
        "  lockWallet  src/rows.ts:4  locks `wallets` rows whose id is `walletId` (argument 2) on the transaction `client` (argument 1): declared in JSDoc",
      ),
      text.join("\n"),
    );
  });

  test("graph: a lock helper declared in locksmith.json is a lock class of the lock-order graph, one per literal key", async () => {
    const dir = project(false);
    fs.writeFileSync(path.join(dir, "src", "lock-client.ts"), DECLARED_LOCK_MODULE);
    fs.writeFileSync(path.join(dir, "src", "jobs.ts"), declaredLockJobs(["stock", "orders"]));
    const withoutDeclaration = JSON.parse((await runCli(["graph", "-f", "json"], dir)).stdout) as LockOrderGraph;
    assert.deepEqual(withoutDeclaration.edges, []);
    fs.writeFileSync(
      path.join(dir, "locksmith.json"),
      `{ "locks": [{ "function": "LockClient.hold", "kind": "mutex", "key": 0, "callback": 1 }] }\n`,
    );
    const { code, stdout } = await runCli(["graph", "-f", "json"], dir);
    assert.equal(code, 0);
    const graph = JSON.parse(stdout) as LockOrderGraph;
    assert.deepEqual(
      graph.nodes.filter((n) => n.inCycle).map((n) => [n.label, n.kind, n.file]),
      [
        ["orders", "mutex", path.join(dir, "src", "lock-client.ts")],
        ["stock", "mutex", path.join(dir, "src", "lock-client.ts")],
      ],
    );
    assert.deepEqual(graph.edges.map((e) => [e.description, e.inCycle]).sort(), [
      ["restock acquires orders while holding stock", true],
      ["ship acquires stock while holding orders", true],
    ]);
  });

  test("a package's lock client, declared in locksmith.json or by the tag it ships, is a helper (no problem: the package has it)", async () => {
    for (const tagged of [false, true]) {
      const dir = project(false);
      for (const [rel, text] of Object.entries(packagedLockClient(tagged))) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      }
      fs.writeFileSync(path.join(dir, "src", "jobs.ts"), declaredLockJobs(["orders", "stock"]));
      if (!tagged)
        fs.writeFileSync(
          path.join(dir, "locksmith.json"),
          `{ "locks": [{ "function": "LockClient.hold", "kind": "mutex", "key": 0, "callback": 1 }] }\n`,
        );
      const result = JSON.parse((await runCli(["locks", "--format", "json"], dir)).stdout);
      const helper = result.helpers.find((h: { function: string }) => h.function === "LockClient.hold");
      assert.deepEqual(
        [helper?.file, helper?.because],
        ["node_modules/lockkit/index.d.ts", tagged ? "declared in JSDoc" : "declared in locksmith.json"],
        JSON.stringify(result.helpers),
      );
      assert.equal(result.acquisitions.filter((a: { via: string }) => a.via === "LockClient.hold").length, 4);
      assert.deepEqual(result.problems, []);
    }
  });
});
