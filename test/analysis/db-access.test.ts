// Database accesses in code (server/src/analysis/db/): what `dbAccessesIn` / `dbAccessOf` recognise for each library
// family — library, kind, table, row lock, handle, transaction, entity, assignments and WHERE conditions — plus the
// JS value behind a SQL placeholder and the read → write flows of a function. Snippets are parsed on their own (the
// recognisers never ask the type checker), and every access of a snippet is listed, in source order.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../server/src/engine/ts";
import { dbAccessOf, dbAccessesIn, placeholderValue, readModifyWritesIn, type DbAccess } from "../../server/src/analysis/db";
import { parseSql } from "../../server/src/analysis/sql";

const parse = (code: string) => ts.createSourceFile("/virtual-project/src/file.ts", code, ts.ScriptTarget.ES2022, true);

/** An access as plain data: expressions by their text, `column (atomic) = value` and `column op value`. */
function described(access: DbAccess): Record<string, unknown> {
  const out: Record<string, unknown> = { library: access.library, kind: access.kind };
  if (access.table !== undefined) out.table = access.table;
  if (access.lock) out.lock = access.lock;
  if (access.isolation) out.isolation = access.isolation;
  if (access.handle) out.handle = access.handle.getText();
  if (access.transactionOption) out.transaction = access.transactionOption.getText();
  if (access.entity) out.entity = access.entity.getText();
  if (access.assignments.length > 0)
    out.assignments = access.assignments.map((a) => `${a.column}${a.atomic ? " (atomic)" : ""}${a.value ? ` = ${a.value.getText()}` : ""}`);
  if (access.conditions.length > 0)
    out.conditions = access.conditions.map((c) => `${c.column} ${c.operator}${c.value ? ` ${c.value.getText()}` : ""}`);
  return out;
}

function accessesOf(code: string): Array<Record<string, unknown>> {
  return dbAccessesIn(parse(code)).map(described);
}

describe("dbAccessOf: raw SQL drivers", () => {
  test("pg: values array, { text, values }, transaction statements, template interpolations", () => {
    const code = `import { Pool } from "pg";
const pool = new Pool();
async function debit(id: string, amount: number) {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
  await pool.query({ text: "UPDATE accounts SET balance = balance - $1 WHERE id = $2", values: [amount, id] });
  await pool.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
  await pool.query("COMMIT");
  await pool.query(\`UPDATE accounts SET note = \${"x"} WHERE id = $1\`, [id]);
}`;
    assert.deepStrictEqual(accessesOf(code), [
      { library: "pg", kind: "read", table: "accounts", lock: "update", handle: "pool", conditions: ["id = id"] },
      { library: "pg", kind: "write", table: "accounts", handle: "pool", assignments: ["balance (atomic)"], conditions: ["id = id"] },
      { library: "pg", kind: "begin", isolation: "serializable", handle: "pool" },
      { library: "pg", kind: "commit", handle: "pool" },
      { library: "pg", kind: "write", table: "accounts", handle: "pool", assignments: ['note = "x"'], conditions: ["id = id"] },
    ]);
  });

  test("mysql2: positional placeholders, LOCK IN SHARE MODE", () => {
    const code = `import mysql from "mysql2/promise";
async function restock(conn: mysql.Connection, sku: string, qty: number) {
  await conn.execute("UPDATE inventory SET qty = ? WHERE sku = ?", [qty, sku]);
  await conn.query("SELECT qty FROM inventory WHERE sku = ? LOCK IN SHARE MODE", [sku]);
}`;
    assert.deepStrictEqual(accessesOf(code), [
      { library: "mysql2", kind: "write", table: "inventory", handle: "conn", assignments: ["qty = qty"], conditions: ["sku = sku"] },
      { library: "mysql2", kind: "read", table: "inventory", lock: "share", handle: "conn", conditions: ["sku = sku"] },
    ]);
  });

  test("better-sqlite3: the statement runs at run/get/all with their arguments as values; prepare alone runs nothing", () => {
    const code = `import Database from "better-sqlite3";
const db = new Database("app.db");
function take(id: number, holder: string) {
  const statement = db.prepare("UPDATE seats SET holder = ? WHERE id = ?");
  db.prepare("UPDATE seats SET holder = ? WHERE id = ?").run(holder, id);
  return db.prepare("SELECT holder FROM seats WHERE id = ?").get(id);
}`;
    assert.deepStrictEqual(accessesOf(code), [
      { library: "better-sqlite3", kind: "write", table: "seats", handle: "db", assignments: ["holder = holder"], conditions: ["id = id"] },
      { library: "better-sqlite3", kind: "read", table: "seats", handle: "db", conditions: ["id = id"] },
    ]);
  });

  test("sql templates and knex.raw", () => {
    const code = `import postgres from "postgres";
const sql = postgres();
async function hold(seat: string, user: string) {
  await sql\`UPDATE seats SET holder = \${user} WHERE id = \${seat}\`;
  await knex.raw("UPDATE seats SET holder = ? WHERE id = ?", [user, seat]);
}`;
    assert.deepStrictEqual(accessesOf(code), [
      { library: "sql", kind: "write", table: "seats", assignments: ["holder = user"], conditions: ["id = seat"] },
      { library: "knex", kind: "write", table: "seats", handle: "knex", assignments: ["holder = user"], conditions: ["id = seat"] },
    ]);
  });
});

describe("dbAccessOf: query builders", () => {
  test("knex: reads with and without a terminal, locks, transacting, updates, increments, inserts", () => {
    const code = `import Knex from "knex";
const knex = Knex({});
async function move(trx: any, id: string, next: number, n: number) {
  await knex("accounts").where({ id }).first();
  await knex("accounts").where("id", id).forUpdate().transacting(trx).first();
  await knex("accounts").where("id", id).andWhere("version", ">=", 3).update({ balance: next, qty: knex.raw("qty - ?", [n]) });
  await knex("stock").where({ sku: id }).decrement("qty", n);
  await knex.select("id").from("orders").where({ id });
  await trx("orders").insert({ id });
  await knex("accounts");
}`;
    assert.deepStrictEqual(accessesOf(code), [
      { library: "knex", kind: "read", table: "accounts", handle: "knex", conditions: ["id = id"] },
      { library: "knex", kind: "read", table: "accounts", lock: "update", handle: "knex", transaction: "trx", conditions: ["id = id"] },
      {
        library: "knex",
        kind: "write",
        table: "accounts",
        handle: "knex",
        assignments: ["balance = next", 'qty (atomic) = knex.raw("qty - ?", [n])'],
        conditions: ["id = id", "version >= 3"],
      },
      { library: "knex", kind: "write", table: "stock", handle: "knex", assignments: ["qty (atomic)"], conditions: ["sku = id"] },
      { library: "knex", kind: "read", table: "orders", handle: "knex", conditions: ["id = id"] },
      { library: "knex", kind: "write", table: "orders", handle: "trx" },
    ]);
  });

  test("Drizzle: select ... for(update), update ... set with a sql template computed by the database, where filters", () => {
    const code = `import { sql, eq, ne, and, or } from "drizzle-orm";
async function drizzled(db: any, id: string, n: number, next: number, teamId: string) {
  await db.select().from(accounts).where(eq(accounts.id, id)).for("update");
  await db.update(accounts).set({ balance: sql\`\${accounts.balance} - \${n}\`, note: next }).where(eq(accounts.id, id));
  await db.select().from(accounts).where(and(eq(accounts.teamId, teamId), ne(accounts.id, id), or(eq(accounts.a, 1), eq(accounts.b, 2))));
}`;
    assert.deepStrictEqual(accessesOf(code), [
      { library: "drizzle", kind: "read", table: "accounts", lock: "update", handle: "db", conditions: ["id = id"] },
      {
        library: "drizzle",
        kind: "write",
        table: "accounts",
        handle: "db",
        assignments: ["balance (atomic) = sql`${accounts.balance} - ${n}`", "note = next"],
        conditions: ["id = id"],
      },
      // A disjunction pins no column: only the two conjuncts that compare a column are conditions.
      { library: "drizzle", kind: "read", table: "accounts", handle: "db", conditions: ["teamId = teamId", "id <> id"] },
    ]);
  });

  test("Kysely: selectFrom ... forUpdate, updateTable with values or an expression callback; no execute, no access", () => {
    const code = `import { Kysely } from "kysely";
async function kysely(db: Kysely<any>, id: string, n: number, next: number) {
  await db.selectFrom("accounts as a").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
  await db.updateTable("accounts").set({ balance: next }).where("id", "=", id).where("version", "=", 3).execute();
  await db.updateTable("inventory").set((eb) => ({ qty: eb("qty", "-", n) })).where("sku", "=", id).execute();
  await db.selectFrom("accounts").selectAll().compile();
}`;
    assert.deepStrictEqual(accessesOf(code), [
      // Reads record their WHERE as writes do (a read that leaves the written row out by its key, `id != x`).
      { library: "kysely", kind: "read", table: "accounts", lock: "update", handle: "db", conditions: ["id = id"] },
      {
        library: "kysely",
        kind: "write",
        table: "accounts",
        handle: "db",
        assignments: ["balance = next"],
        conditions: ["id = id", "version = 3"],
      },
      {
        library: "kysely",
        kind: "write",
        table: "inventory",
        handle: "db",
        assignments: ['qty (atomic) = eb("qty", "-", n)'],
        conditions: ["sku = id"],
      },
    ]);
  });
});

describe("dbAccessOf: ORMs", () => {
  test("Prisma: model methods, compound unique keys, filters, atomic operations; calls without Prisma's shape are not accesses", () => {
    const code = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
async function prismaFlows(id: string, version: number, amount: number, next: number) {
  await prisma.account.findUnique({ where: { id } });
  await prisma.$transaction(async (tx) => {
    await tx.account.update({ where: { id_version: { id, version } }, data: { balance: { decrement: amount }, version: next } });
  });
  await prisma.account.updateMany({ where: { id, balance: { gte: amount } }, data: { balance: next } });
  await prisma.account.findFirst({});
  await prisma.account.update({ where: { id } });
  await prisma.account.deleteMany({ where: { id } });
}`;
    assert.deepStrictEqual(accessesOf(code), [
      { library: "prisma", kind: "read", table: "account", handle: "prisma", conditions: ["id = id"] },
      {
        library: "prisma",
        kind: "write",
        table: "account",
        handle: "tx",
        assignments: ["balance (atomic) = { decrement: amount }", "version = next"],
        conditions: ["id = id", "version = version"],
      },
      {
        library: "prisma",
        kind: "write",
        table: "account",
        handle: "prisma",
        assignments: ["balance = next"],
        conditions: ["id = id", "balance >= amount"],
      },
      { library: "prisma", kind: "write", table: "account", handle: "prisma", conditions: ["id = id"] },
    ]);
  });

  test("TypeORM: repository and manager methods, entity saves, the query builder", () => {
    const code = `import { DataSource } from "typeorm";
const dataSource = new DataSource({} as any);
async function typeorm(id: string) {
  const repo = dataSource.getRepository(Account);
  const account = await repo.findOne({ where: { id }, lock: { mode: "pessimistic_write" } });
  await repo.findOneBy({ id });
  await dataSource.manager.findOne(Account, { where: { id } });
  await repo.save(account);
  await dataSource.manager.save(account);
  await repo.update({ id }, { balance: 5 });
  await repo.increment({ id }, "balance", 5);
  await dataSource.manager.createQueryBuilder(Account, "a").setLock("pessimistic_read").where("a.id = :id AND a.version = :v", { id, v: 3 }).getOne();
  await dataSource.manager.createQueryBuilder().update(Account).set({ balance: () => "balance - 1", note: "x" }).where("id = :id", { id }).execute();
}`;
    assert.deepStrictEqual(accessesOf(code), [
      { library: "typeorm", kind: "read", table: "account", lock: "update", handle: "repo", conditions: ["id = id"] },
      { library: "typeorm", kind: "read", table: "account", handle: "repo", conditions: ["id = id"] },
      { library: "typeorm", kind: "read", table: "account", handle: "dataSource.manager", conditions: ["id = id"] },
      { library: "typeorm", kind: "write", table: "account", handle: "repo", entity: "account" },
      // The manager saves whatever table the entity came from.
      { library: "typeorm", kind: "write", handle: "dataSource.manager", entity: "account" },
      { library: "typeorm", kind: "write", table: "account", handle: "repo", assignments: ["balance = 5"], conditions: ["id = id"] },
      { library: "typeorm", kind: "write", table: "account", handle: "repo", assignments: ["balance (atomic)"], conditions: ["id = id"] },
      { library: "typeorm", kind: "read", table: "account", lock: "share", handle: "dataSource", conditions: ["id = id", "version = 3"] },
      {
        library: "typeorm",
        kind: "write",
        table: "account",
        handle: "dataSource",
        assignments: ['balance (atomic) = () => "balance - 1"', 'note = "x"'],
        conditions: ["id = id"],
      },
    ]);
  });

  test("Sequelize: model reads with transaction and lock, model and instance writes", () => {
    const code = `import { Model, Sequelize } from "sequelize";
async function sequelize(id: string, t: any, balance: number) {
  const account = await Account.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
  await Account.findOne({ where: { id }, lock: t.LOCK.SHARE });
  await account.save();
  await account.update({ balance }, { transaction: t });
  await Account.update({ balance }, { where: { id } });
  await account.increment("balance", { by: 5 });
  await Account.increment({ balance: 5 }, { where: { id } });
  await account.reload();
}`;
    assert.deepStrictEqual(accessesOf(code), [
      { library: "sequelize", kind: "read", table: "account", lock: "update", handle: "Account", transaction: "t" },
      { library: "sequelize", kind: "read", table: "account", lock: "share", handle: "Account", conditions: ["id = id"] },
      { library: "sequelize", kind: "write", handle: "account", entity: "account" },
      { library: "sequelize", kind: "write", handle: "account", transaction: "t", entity: "account", assignments: ["balance = balance"] },
      {
        library: "sequelize",
        kind: "write",
        table: "account",
        handle: "Account",
        assignments: ["balance = balance"],
        conditions: ["id = id"],
      },
      { library: "sequelize", kind: "write", handle: "account", entity: "account", assignments: ["balance (atomic)"] },
      {
        library: "sequelize",
        kind: "write",
        table: "account",
        handle: "Account",
        assignments: ["balance (atomic) = 5"],
        conditions: ["id = id"],
      },
    ]);
  });
});

describe("dbAccessOf: Redis", () => {
  test("GET / SET / HSET / INCRBY by key; SET NX is a lock, not a write; a Map is not Redis", () => {
    const code = `import Redis from "ioredis";
const client = new Redis();
async function redisFlows(key: string, value: string, sessions: Map<string, string>) {
  await this.redis.get(\`balance:\${key}\`);
  await client.set(key, value);
  await client.SET(key, value, "NX");
  await client.incrby(key, 5);
  await client.hset("user:1", "name", value);
  await client.hget("user:1", "name");
  sessions.get(key);
}`;
    assert.deepStrictEqual(accessesOf(code), [
      { library: "redis", kind: "read", table: "redis:`balance:${key}`", handle: "this.redis" },
      { library: "redis", kind: "write", table: "redis:key", handle: "client", assignments: ["value = value"] },
      { library: "redis", kind: "write", table: "redis:key", handle: "client", assignments: ["value (atomic)"] },
      { library: "redis", kind: "write", table: 'redis:"user:1"#"name"', handle: "client", assignments: ["value = value"] },
      { library: "redis", kind: "read", table: 'redis:"user:1"#"name"', handle: "client" },
    ]);
  });
});

describe("dbAccessOf: what is not an access", () => {
  test("inner links of a chain, non-calls, and calls of no database library", () => {
    const file = parse(`import Knex from "knex";
const knex = Knex({});
const rows = [1, 2].find((n) => n > 1);
knex("accounts").where({ id: 1 }).first();`);
    const calls: ts.Node[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) calls.push(node);
      ts.forEachChild(node, visit);
    };
    visit(file);
    assert.deepStrictEqual(
      calls.map((call) => [call.getText(), dbAccessOf(call)?.kind ?? null]),
      [
        ["Knex({})", null],
        ["[1, 2].find((n) => n > 1)", null],
        ['knex("accounts").where({ id: 1 }).first()', "read"],
        ['knex("accounts").where({ id: 1 })', null],
        ['knex("accounts")', null],
      ],
    );
    assert.equal(dbAccessOf(file.statements[0]!), undefined);
  });
});

describe("placeholderValue", () => {
  /** The value of each placeholder of the one SQL call in `code`, asked through the access and through the call. */
  function values(code: string): Array<[string | null, string | null]> {
    const [access] = dbAccessesIn(parse(code));
    assert.ok(access?.sql);
    return parseSql(access.sql.text).placeholders.map((p) => [
      placeholderValue(access, p)?.getText() ?? null,
      placeholderValue(access.node, p)?.getText() ?? null,
    ]);
  }

  test("pg values array, by placeholder number", () => {
    assert.deepStrictEqual(values(`import { Pool } from "pg"; pool.query("UPDATE t SET a = $2 WHERE id = $1 AND v = $3", [id, next]);`), [
      ["next", "next"],
      ["id", "id"],
      [null, null],
    ]);
  });

  test("pg { text, values } and mysql2 { sql, values }", () => {
    assert.deepStrictEqual(values(`import { Pool } from "pg"; pool.query({ text: "SELECT * FROM t WHERE id = $1", values: [id] });`), [
      ["id", "id"],
    ]);
    assert.deepStrictEqual(
      values(`import mysql from "mysql2"; conn.query({ sql: "SELECT * FROM t WHERE a = ? AND b = ?", values: [a, ...rest] });`),
      [
        ["a", "a"],
        [null, null],
      ],
    );
  });

  test("better-sqlite3 run arguments", () => {
    assert.deepStrictEqual(values(`import Database from "better-sqlite3"; db.prepare("UPDATE t SET a = ? WHERE id = ?").run(next, id);`), [
      ["next", "next"],
      ["id", "id"],
    ]);
  });

  test("template interpolations, in a tagged template or a query's first argument", () => {
    assert.deepStrictEqual(values("sql`UPDATE t SET a = ${next} WHERE id = ${id}`;"), [
      ["next", "next"],
      ["id", "id"],
    ]);
    assert.deepStrictEqual(values('import { Pool } from "pg"; pool.query(`SELECT * FROM t WHERE id = ${id} AND v = $1`, [v]);'), [
      ["id", "id"],
      ["v", "v"],
    ]);
  });

  test("a call that runs no SQL has no placeholder values", () => {
    const call = parse("pool.query(text, [id]);").statements[0]! as ts.ExpressionStatement;
    assert.equal(placeholderValue(call.expression as ts.CallExpression, { style: "numbered", index: 0, offset: 0 }), undefined);
  });
});

describe("readModifyWritesIn", () => {
  test("a value read from a row and written back to the same table, with the guard that decides the write", () => {
    const file = parse(`import { Pool } from "pg";
async function debit(pool: Pool, id: string, amount: number) {
  const { rows: [account] } = await pool.query("SELECT balance, version FROM accounts WHERE id = $1", [id]);
  if (account.balance < amount) return;
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2 AND version = $3", [account.balance - amount, id, account.version]);
  await pool.query("UPDATE audit SET seen = $1 WHERE id = $2", [account.balance, id]);
}`);
    const fn = file.statements[1] as ts.FunctionDeclaration;
    const flows = readModifyWritesIn(fn);
    assert.deepStrictEqual(
      flows.map((flow) => ({
        readLine: file.getLineAndCharacterOfPosition(flow.read.node.getStart()).line + 1,
        writeLine: file.getLineAndCharacterOfPosition(flow.write.node.getStart()).line + 1,
        data: flow.data && { column: flow.data.column, assigned: flow.data.assignment.column, value: flow.data.value.getText() },
        control: flow.control && {
          column: flow.control.column,
          condition: flow.control.condition.getText(),
          earlyExit: flow.control.earlyExit,
        },
        guards: flow.guards.map((g) => `${g.column} ${g.operator} ${g.value?.getText()}`),
      })),
      [
        {
          readLine: 3,
          writeLine: 5,
          data: { column: "balance", assigned: "balance", value: "account.balance - amount" },
          control: { column: "balance", condition: "account.balance < amount", earlyExit: true },
          guards: ["version = account.version"],
        },
      ],
    );
    assert.equal(readModifyWritesIn(fn), flows);
  });
});
