// The lock-library table (server/src/analysis/models/lock-libraries.ts) as the recognisers read it: for one entry of
// each library, what `lockObjectKind` and `lockAcquisitionOf` make of a small source, and that an entry added to a copy
// of the table is honoured. Each source is its own one-file program (no lib), so the checker only finds declarations.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../server/src/engine/ts";
import { boundNames, CALL_KINDS, nodesOfKinds } from "../../server/src/analysis/ast";
import { isReleaseOf, lockAcquisitionOf, lockObjectKind, resultBinding } from "../../server/src/analysis/locks";
import { LOCK_LIBRARY_MODELS, type LockLibraryModel } from "../../server/src/analysis/models/lock-libraries";

const FILE = "/virtual-project/src/file.ts";

function program(code: string): { sourceFile: ts.SourceFile; checker: ts.TypeChecker } {
  const sourceFile = ts.createSourceFile(FILE, code, ts.ScriptTarget.ES2022, true);
  const host = ts.createCompilerHost({ noLib: true });
  host.getSourceFile = (name) => (name === FILE ? sourceFile : undefined);
  host.fileExists = (name) => name === FILE;
  const built = ts.createProgram([FILE], { noLib: true, noResolve: true, target: ts.ScriptTarget.ES2022 }, host);
  return { sourceFile, checker: built.getTypeChecker() };
}

/** Every acquisition in `code` as `text: mechanism style [key k] [expires] [callback]`. */
function acquisitions(code: string, models: readonly LockLibraryModel[] = LOCK_LIBRARY_MODELS): string[] {
  const { sourceFile, checker } = program(code);
  const out: string[] = [];
  for (const node of nodesOfKinds(sourceFile, CALL_KINDS)) {
    const a = lockAcquisitionOf(node, () => checker, models);
    if (!a) continue;
    const callee = ts.isCallExpression(a.call) ? a.call.expression.getText() : "";
    const parts = [`${callee}: ${a.mechanism} ${a.style}`];
    if (a.key) parts.push(`key ${a.key.getText()}`);
    if (a.expires) parts.push("expires");
    if (a.callback) parts.push("callback");
    out.push(parts.join(" "));
  }
  return out;
}

/** The kind of the variable `name`'s last mention in `code`. */
function kindOf(code: string, name: string): ReturnType<typeof lockObjectKind> {
  const { sourceFile, checker } = program(code);
  let found: ts.Identifier | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === name) found = node;
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return lockObjectKind(found!, () => checker);
}

describe("lock-library models: objects", () => {
  test("constructors, factories, wrappers and type annotations from each library", () => {
    assert.deepStrictEqual(kindOf(`import { Mutex } from "async-mutex";\nconst m = new Mutex();\nm;`, "m"), {
      mechanism: "mutex",
      library: "async-mutex",
    });
    assert.deepStrictEqual(
      kindOf(`import { withTimeout, Semaphore } from "async-mutex";\nconst s = withTimeout(new Semaphore(2), 100);\ns;`, "s"),
      {
        mechanism: "semaphore",
        library: "async-mutex",
      },
    );
    assert.deepStrictEqual(kindOf(`import type { MutexInterface } from "async-mutex";\nlet m: MutexInterface;\nm;`, "m"), {
      mechanism: "mutex",
      library: "async-mutex",
    });
    assert.deepStrictEqual(
      kindOf(`import { createPgLockProvider } from "@locksmith/runtime";\nconst p = createPgLockProvider(pool);\np;`, "p"),
      {
        mechanism: "lease",
        library: "runtime",
      },
    );
    assert.deepStrictEqual(kindOf(`import Redlock from "redlock";\nconst r = new Redlock([client]);\nr;`, "r"), {
      mechanism: "redlock",
      library: "redlock",
    });
    assert.deepStrictEqual(kindOf(`import { Semaphore } from "redis-semaphore";\nlet s: Semaphore;\ns;`, "s"), {
      mechanism: "redis-semaphore",
      library: "redis-semaphore",
    });
    assert.deepStrictEqual(kindOf(`import AsyncLock from "async-lock";\nconst l = new AsyncLock();\nl;`, "l"), {
      mechanism: "keyed-lock",
      library: "async-lock",
    });
  });

  test("what the table does not name is not a lock", () => {
    assert.equal(kindOf(`class Mutex {}\nconst m = new Mutex();\nm;`, "m"), undefined);
    assert.equal(kindOf(`import { Mutex } from "async-mutex";\nconst m = Mutex();\nm;`, "m"), undefined); // a class, not a factory
    assert.equal(kindOf(`import AsyncLock from "async-lock";\nlet l: AsyncLock;\nl;`, "l"), undefined); // no type entry
    assert.equal(kindOf(`import { Pool } from "@locksmith/runtime";\nconst p = new Pool();\np;`, "p"), undefined);
  });
});

describe("lock-library models: methods", () => {
  test("async-mutex: acquire waits, runExclusive runs its callback, read is not an rwlock's here", () => {
    const code = `import { Mutex } from "async-mutex";
const m = new Mutex();
async function f() {
  await m.acquire();
  await m.runExclusive(async () => {});
  await m.runExclusive();
  await m.read();
  await m.acquire({ ifAvailable: true });
}`;
    assert.deepStrictEqual(acquisitions(code), [
      "m.acquire: mutex blocking",
      "m.runExclusive: mutex scoped callback",
      "m.acquire: mutex try",
    ]);
  });

  test("runtime: tryAcquire tries, withLease is keyed and expires, rwlock read, lockAll imported and called bare", () => {
    const code = `import { createRedisLockProvider, RWLock, lockAll } from "@locksmith/runtime";
const p = createRedisLockProvider(redis);
const rw = new RWLock();
async function f() {
  await p.tryAcquire("k");
  await p.withLease("k", async () => {});
  await rw.read();
  await lockAll(["a", "b"], async () => {});
}`;
    assert.deepStrictEqual(acquisitions(code), [
      'p.tryAcquire: lease try key "k" expires',
      'p.withLease: lease scoped key "k" expires callback',
      "rw.read: rwlock blocking",
      'lockAll: keyed-lock scoped key ["a", "b"] callback',
    ]);
  });

  test("redlock: using runs under the lock, acquire waits; both keyed by the resources and expiring", () => {
    const code = `import Redlock from "redlock";
const redlock = new Redlock([client]);
async function f() {
  await redlock.using(["r"], 1000, async () => {});
  await redlock.acquire(["r"], 1000);
}`;
    assert.deepStrictEqual(acquisitions(code), [
      'redlock.using: redlock scoped key ["r"] expires callback',
      'redlock.acquire: redlock blocking key ["r"] expires',
    ]);
  });

  test("redis-semaphore: tryAcquire tries, acquire waits, both expire", () => {
    const code = `import { Semaphore } from "redis-semaphore";
const s = new Semaphore(client, "k", 3);
async function f() {
  await s.tryAcquire();
  await s.acquire();
}`;
    assert.deepStrictEqual(acquisitions(code), [
      "s.tryAcquire: redis-semaphore try expires",
      "s.acquire: redis-semaphore blocking expires",
    ]);
  });

  test("async-lock: acquire with a callback runs it under the key's lock; using is not its method", () => {
    const code = `import AsyncLock from "async-lock";
const lock = new AsyncLock();
async function f() {
  await lock.acquire("k", async () => {});
  await lock.using("k", async () => {});
}`;
    assert.deepStrictEqual(acquisitions(code), ['lock.acquire: keyed-lock scoped key "k" callback']);
  });
});

describe("lock-library models: a copy of the table with another library", () => {
  const keyed: LockLibraryModel = {
    library: "my-keyed-lock",
    module: /^@acme\/keyed-lock$/,
    objects: [{ export: "KeyedLock", via: "new", mechanism: "keyed-lock" }],
    methods: [
      { name: "hold", effect: "run-under-lock" },
      { name: "grab", effect: "try-acquire" },
    ],
  };
  const code = `import { KeyedLock } from "@acme/keyed-lock";
const locks = new KeyedLock();
async function f() {
  await locks.hold("k", async () => {});
  await locks.grab("k");
}`;

  test("the new entry is honoured when passed", () => {
    assert.deepStrictEqual(acquisitions(code, [...LOCK_LIBRARY_MODELS, keyed]), [
      'locks.hold: keyed-lock scoped key "k" callback',
      'locks.grab: keyed-lock try key "k"',
    ]);
  });

  test("and unknown without it", () => {
    assert.deepStrictEqual(acquisitions(code), []);
  });
});

describe("releases match what the acquisition took by identity, not by text", () => {
  /** The calls of `code` that release its one acquisition, as text. */
  function releases(code: string): string[] {
    const { sourceFile, checker } = program(code);
    const calls = nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(sourceFile, CALL_KINDS);
    const acquisition = calls.map((node) => lockAcquisitionOf(node, () => checker)).find((a) => a !== undefined);
    assert.ok(acquisition, "no acquisition");
    const binding = resultBinding(acquisition);
    const names = new Set(binding ? boundNames(binding).map((id) => id.text) : []);
    return calls.filter((call) => call !== acquisition.call && isReleaseOf(call, acquisition, names)).map((call) => call.getText());
  }

  test("a DEL of the key under an alias releases it; a DEL of a callback's own `key` does not", () => {
    const code = `import Redis from "ioredis";
const redis = new Redis();
async function sync(id: string) {
  const key = \`lock:sync:\${id}\`;
  await redis.set(key, "1", "PX", 30000, "NX");
  const held = key;
  await Promise.all(["a", "b"].map((key) => redis.del(key)));
  await redis.del(held);
}`;
    assert.deepStrictEqual(releases(code), ["redis.del(held)"]);
  });

  test("release() on an alias of the lock it returned gives it back", () => {
    const code = `import Redlock from "redlock";
const redlock = new Redlock([client]);
async function f() {
  const lock = await redlock.acquire(["k"], 5000);
  const held = lock;
  await held.release();
}`;
    assert.deepStrictEqual(releases(code), ["held.release()"]);
  });
});
