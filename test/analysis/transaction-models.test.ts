// Transactions from the library table (server/src/analysis/models/transaction-libraries.ts) and where they are open
// (server/src/analysis/transactions.ts): each library's opener gives its form, handle, isolation level and retry;
// look-alikes the table does not describe give none; membership is the region (nested functions included) and, for
// BEGIN … COMMIT, the paths of the control-flow graph.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../server/src/engine/ts";
import { TRANSACTION_LIBRARY_MODELS } from "../../server/src/analysis/models/transaction-libraries";
import { transactionScopeOf, transactionScopesOf } from "../../server/src/analysis/transactions";
import { calleeName, nodesOfKinds } from "../../server/src/analysis/ast";

function parse(code: string): ts.SourceFile {
  return ts.createSourceFile("t.ts", code, ts.ScriptTarget.Latest, true);
}

/** The one transaction of `code`, as [form, handle, isolation, retried]. */
function scopeOf(code: string): [string, string | undefined, string | undefined, boolean] | undefined {
  const scopes = transactionScopesOf(parse(code));
  assert.ok(scopes.length <= 1, `${scopes.length} transactions in ${code}`);
  const scope = scopes[0];
  return scope && [scope.form, scope.handle?.key, scope.isolation, scope.retried];
}

/** The call `marker()` in `code`. */
function marker(sourceFile: ts.SourceFile, nth = 0): ts.CallExpression {
  const found: ts.CallExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "marker") found.push(node);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  assert.ok(found[nth], "no marker() call");
  return found[nth];
}

test("the table: each opener is a method or a function, with the arguments its form needs", () => {
  for (const library of TRANSACTION_LIBRARY_MODELS)
    for (const opener of library.opens) {
      assert.ok((opener.method === undefined) !== (opener.function === undefined), library.library);
      if (opener.form === "callback") assert.ok(opener.callbackArgs && opener.callbackArgs.length > 0, library.library);
      if (opener.form === "batch") assert.equal(typeof opener.arrayArg, "number", library.library);
      if (opener.function !== undefined) assert.ok(library.module, library.library);
    }
});

test("callback openers: the handle is the callback's parameter, the level where each library writes it", () => {
  assert.deepEqual(scopeOf(`knex.transaction(async (trx) => {}, { isolationLevel: "serializable" });`), [
    "callback",
    "trx",
    "serializable",
    false,
  ]);
  assert.deepEqual(scopeOf(`sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.SERIALIZABLE }, async (t) => {});`), [
    "callback",
    "t",
    "serializable",
    false,
  ]);
  assert.deepEqual(scopeOf(`dataSource.transaction("REPEATABLE READ", async (manager) => {});`), [
    "callback",
    "manager",
    "repeatable read",
    false,
  ]);
  assert.deepEqual(scopeOf(`prisma.$transaction(async (tx) => {}, { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead });`), [
    "callback",
    "tx",
    "repeatable read",
    false,
  ]);
  assert.deepEqual(scopeOf(`db.transaction(async (tx) => {}, { isolationLevel: "serializable" });`), [
    "callback",
    "tx",
    "serializable",
    false,
  ]);
  assert.deepEqual(scopeOf(`db.transaction().setIsolationLevel("serializable").execute(async (trx) => {});`), [
    "callback",
    "trx",
    "serializable",
    false,
  ]);
  assert.deepEqual(scopeOf(`em.transactional(async (inner) => {}, { isolationLevel: IsolationLevel.SERIALIZABLE });`), [
    "callback",
    "inner",
    "serializable",
    false,
  ]);
  // postgres.js: `sql.begin([options,] fn)`, the callback's `sql` the transaction's own connection.
  assert.deepEqual(scopeOf(`sql.begin(async (tx) => {});`), ["callback", "tx", undefined, false]);
  assert.deepEqual(scopeOf(`sql.begin("read write", async (tx) => {});`), ["callback", "tx", undefined, false]);
  // MongoDB / Mongoose: `session.withTransaction(fn)` joins the statements given the session (the callback's
  // parameter, or the receiver when it declares none) and runs the callback again on a transient error.
  const mongo = `import type { ClientSession } from "mongodb";\n`;
  assert.deepEqual(scopeOf(`${mongo}session.withTransaction(async (s) => {});`), ["callback", "s", undefined, true]);
  assert.deepEqual(scopeOf(`${mongo}session.withTransaction(async () => {});`), ["callback", "session", undefined, true]);
  // In a file that imports neither the driver nor Mongoose, a project's own `withTransaction` is not MongoDB's.
  assert.equal(scopeOf(`uow.withTransaction(async (trx) => {});`), undefined);
  assert.deepEqual(scopeOf(`connection.transaction(async (session) => {});`), ["callback", "session", undefined, false]);
});

test("the runtime's helpers retry unless told `retry: false`; only when imported from the runtime", () => {
  const imported = `import { withPgTransaction } from "@locksmith/runtime/postgres";\n`;
  assert.deepEqual(scopeOf(`${imported}withPgTransaction(pool, async (tx) => {});`), ["callback", "tx", undefined, true]);
  assert.deepEqual(scopeOf(`${imported}withPgTransaction(pool, async (tx) => {}, { isolation: "serializable", retry: false });`), [
    "callback",
    "tx",
    "serializable",
    false,
  ]);
  assert.equal(scopeOf(`import { withPgTransaction } from "./db";\nwithPgTransaction(pool, async (tx) => {});`), undefined);
});

test("batch, begin and returned-handle openers", () => {
  assert.deepEqual(scopeOf(`prisma.$transaction([a(), b()], { isolationLevel: "Serializable" });`), [
    "batch",
    undefined,
    "serializable",
    false,
  ]);
  assert.deepEqual(scopeOf(`async function f() { await queryRunner.startTransaction("SERIALIZABLE"); }`), [
    "begin-commit",
    "queryRunner",
    "serializable",
    false,
  ]);
  assert.deepEqual(scopeOf(`async function f() { await conn.beginTransaction(); }`), ["begin-commit", "conn", undefined, false]);
  assert.deepEqual(scopeOf(`async function f() { const t = await sequelize.transaction({ isolationLevel: "SERIALIZABLE" }); }`), [
    "begin-commit",
    "t",
    "serializable",
    false,
  ]);
});

test("look-alikes the table does not describe open nothing", () => {
  // A bare `transaction(…)` (no receiver), a callback where no library puts it, an `execute` not on a transaction.
  assert.equal(scopeOf(`transaction(async (tx) => {});`), undefined);
  assert.equal(scopeOf(`prisma.$transaction({ timeout: 5000 }, async (tx) => {});`), undefined);
  assert.equal(scopeOf(`db.selectFrom("seats").execute(async (trx) => {});`), undefined);
});

test("a callback's region: functions nested in it run inside, code around the opening call does not", () => {
  const sourceFile = parse(`async function f(ids: string[]) {
  marker();
  await knex.transaction(async (trx) => {
    await Promise.all(ids.map(async (id) => marker(id)));
  });
  marker();
}`);
  const [scope] = transactionScopesOf(sourceFile);
  assert.equal(transactionScopeOf(marker(sourceFile, 0)), undefined);
  assert.equal(transactionScopeOf(marker(sourceFile, 1)), scope);
  assert.equal(transactionScopeOf(marker(sourceFile, 2)), undefined);
});

test("BEGIN … COMMIT: open along paths, not from BEGIN to the end of the text", () => {
  const sourceFile = parse(`async function f(pool: any, ids: string[]) {
  const client = await pool.connect();
  for (const id of ids) {
    marker();
    await client.query("BEGIN");
    marker();
    await client.query("COMMIT");
    marker();
  }
}`);
  const [scope] = transactionScopesOf(sourceFile);
  assert.equal(scope?.form, "begin-commit");
  // Before BEGIN on the next iteration (after the previous COMMIT), between, after COMMIT.
  assert.equal(transactionScopeOf(marker(sourceFile, 0)), undefined);
  assert.equal(transactionScopeOf(marker(sourceFile, 1)), scope);
  assert.equal(transactionScopeOf(marker(sourceFile, 2)), undefined);
});

test("nested transactions: the innermost region decides", () => {
  const sourceFile = parse(`async function f(pool: any) {
  const client = await pool.connect();
  await client.query("BEGIN");
  await prisma.$transaction(async (tx) => {
    marker();
  });
  marker();
  await client.query("COMMIT");
}`);
  assert.equal(transactionScopeOf(marker(sourceFile, 0))?.handle?.key, "tx");
  assert.equal(transactionScopeOf(marker(sourceFile, 1))?.handle?.key, "client");
});

test("managed transactions: a @Transactional() of a CLS library is a transaction around the method, at its level", () => {
  const method = (imports: string, decorator: string) =>
    `${imports}
class Accounts {
  ${decorator}
  async debit() {}
}`;
  assert.deepEqual(
    scopeOf(
      method(
        `import { IsolationLevel, Transactional } from "typeorm-transactional";`,
        `@Transactional({ isolationLevel: IsolationLevel.SERIALIZABLE })`,
      ),
    ),
    ["callback", undefined, "serializable", false],
  );
  // @nestjs-cls/transactional takes the connection name first.
  assert.deepEqual(
    scopeOf(
      method(
        `import { Transactional } from "@nestjs-cls/transactional";`,
        `@Transactional("billing", { isolationLevel: "RepeatableRead" })`,
      ),
    ),
    ["callback", undefined, "repeatable read", false],
  );
  assert.deepEqual(scopeOf(method(`import { Transactional } from "@mikro-orm/core";`, `@Transactional()`)), [
    "callback",
    undefined,
    undefined,
    false,
  ]);
  // A project's own decorator of that name, or one not imported, is not known to open anything.
  assert.equal(scopeOf(method(`import { Transactional } from "./transactional";`, `@Transactional()`)), undefined);
  assert.equal(scopeOf(method(``, `@Transactional()`)), undefined);
});

test("managed transactions: runners only when they are the library's (imported, or called on a TransactionHost)", () => {
  assert.deepEqual(scopeOf(`import { runInTransaction } from "typeorm-transactional";\nrunInTransaction(async () => {});`), [
    "callback",
    undefined,
    undefined,
    false,
  ]);
  assert.equal(scopeOf(`async function runInTransaction(fn: () => Promise<void>) {}\nrunInTransaction(async () => {});`), undefined);
  const host = (field: string) => `class Credits {
  constructor(private readonly host: ${field}) {}
  spend() { return this.host.withTransaction({ isolationLevel: "Serializable" }, async () => {}); }
}`;
  assert.deepEqual(scopeOf(host("TransactionHost<TransactionalAdapterPrisma>")), ["callback", undefined, "serializable", false]);
  // MongoDB's `session.withTransaction(fn)` is not this one.
  assert.equal(scopeOf(host("ClientSession")), undefined);
});

test("managed transactions: which statements take part (every repository of the ORM, or those through txHost.tx)", () => {
  const cls = parse(`import { Transactional, TransactionHost } from "@nestjs-cls/transactional";
class Credits {
  constructor(private readonly txHost: TransactionHost<Adapter>, private readonly prisma: PrismaClient) {}
  @Transactional()
  async spend(id: string) {
    await this.txHost.tx.user.update({ where: { id }, data: { credits: 1 } });
    await this.prisma.user.update({ where: { id }, data: { credits: 1 } });
  }
}`);
  const [inside, outside] = nodesOfKinds<ts.CallExpression>(cls, [ts.SyntaxKind.CallExpression]).filter((c) => calleeName(c) === "update");
  assert.equal(transactionScopeOf(inside!)?.form, "callback");
  assert.equal(transactionScopeOf(outside!), undefined);
  const typeorm = parse(`import { Transactional } from "typeorm-transactional";
class Accounts {
  constructor(@InjectRepository(Account) private readonly accounts: Repository<Account>) {}
  @Transactional()
  async rename(id: number, name: string) {
    await this.accounts.update({ id }, { name });
  }
}`);
  const [update] = nodesOfKinds<ts.CallExpression>(typeorm, [ts.SyntaxKind.CallExpression]).filter((c) => calleeName(c) === "update");
  assert.equal(transactionScopeOf(update!)?.form, "callback");
});
