// The SQL statement parser (server/src/analysis/sql.ts): statement kinds, the table, an UPDATE's SET list, the WHERE
// comparisons and where the clause ends, row locks, isolation levels and placeholders. Tables of SQL text with the
// exact parse, in a compact form: each placeholder is `style:index@offset`, `whereEnd` is the text before it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { maskLiterals, parseSql, type SqlPlaceholder } from "../../server/src/analysis/sql";

interface Parsed {
  kind: string;
  table?: string;
  lock?: string;
  isolation?: string;
  assignments?: Array<{ column: string; expression: string; expressionStart: number; selfRelative: boolean; placeholders: string[] }>;
  conditions?: Array<{ column: string; operator: string; expression: string; placeholders: string[] }>;
  beforeWhereEnd?: string;
  placeholders: string[];
}

const placeholder = (p: SqlPlaceholder) => `${p.style}:${p.index}@${p.offset}`;

/** Everything parseSql says about `sql`; empty lists and absent fields are left out. */
function parsed(sql: string): Parsed {
  const s = parseSql(sql);
  const out: Parsed = { kind: s.kind, placeholders: s.placeholders.map(placeholder) };
  if (s.table !== undefined) out.table = s.table;
  if (s.lock !== undefined) out.lock = s.lock;
  if (s.isolation !== undefined) out.isolation = s.isolation;
  if (s.assignments.length > 0)
    out.assignments = s.assignments.map((a) => ({
      column: a.column,
      expression: a.expression,
      expressionStart: a.expressionStart,
      selfRelative: a.selfRelative,
      placeholders: a.placeholders.map(placeholder),
    }));
  if (s.conditions.length > 0)
    out.conditions = s.conditions.map((c) => ({
      column: c.column,
      operator: c.operator,
      expression: c.expression,
      placeholders: c.placeholders.map(placeholder),
    }));
  if (s.whereEnd !== undefined) out.beforeWhereEnd = sql.slice(0, s.whereEnd);
  return out;
}

function table(cases: Array<{ sql: string; expected: Parsed }>): void {
  for (const { sql, expected } of cases) test(sql.replace(/\s+/g, " "), () => assert.deepStrictEqual(parsed(sql), expected));
}

describe("parseSql: statement kinds and isolation levels", () => {
  table([
    { sql: "BEGIN", expected: { kind: "begin", placeholders: [] } },
    { sql: "start transaction", expected: { kind: "begin", placeholders: [] } },
    { sql: "BEGIN ISOLATION LEVEL SERIALIZABLE", expected: { kind: "begin", isolation: "serializable", placeholders: [] } },
    {
      sql: "START TRANSACTION ISOLATION LEVEL REPEATABLE READ",
      expected: { kind: "begin", isolation: "repeatable read", placeholders: [] },
    },
    { sql: "START REPLICA", expected: { kind: "other", placeholders: [] } },
    { sql: "COMMIT", expected: { kind: "commit", placeholders: [] } },
    { sql: "END", expected: { kind: "commit", placeholders: [] } },
    { sql: "ROLLBACK", expected: { kind: "rollback", placeholders: [] } },
    { sql: "ABORT", expected: { kind: "rollback", placeholders: [] } },
    { sql: "ROLLBACK TO SAVEPOINT before_debit", expected: { kind: "other", placeholders: [] } },
    {
      sql: "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
      expected: { kind: "set-isolation", isolation: "read committed", placeholders: [] },
    },
    {
      sql: "SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED",
      expected: { kind: "set-isolation", isolation: "read uncommitted", placeholders: [] },
    },
    { sql: "SET search_path TO app", expected: { kind: "other", placeholders: [] } },
    { sql: "WITH due AS (SELECT id FROM invoices) UPDATE invoices SET paid = true", expected: { kind: "other", placeholders: [] } },
    { sql: "LOCK TABLE accounts", expected: { kind: "other", placeholders: [] } },
    { sql: "(SELECT id FROM accounts)", expected: { kind: "select", table: "accounts", placeholders: [] } },
    {
      sql: "INSERT INTO ledger (account_id, amount) VALUES ($1, $2)",
      expected: {
        kind: "insert",
        table: "ledger",
        assignments: [
          { column: "account_id", expression: "$1", expressionStart: 48, selfRelative: false, placeholders: ["numbered:0@48"] },
          { column: "amount", expression: "$2", expressionStart: 52, selfRelative: false, placeholders: ["numbered:1@52"] },
        ],
        placeholders: ["numbered:0@48", "numbered:1@52"],
      },
    },
    {
      sql: "REPLACE INTO `counters` (name, value) VALUES (?, ?)",
      expected: {
        kind: "insert",
        table: "counters",
        assignments: [
          { column: "name", expression: "?", expressionStart: 46, selfRelative: false, placeholders: ["positional:0@46"] },
          { column: "value", expression: "?", expressionStart: 49, selfRelative: false, placeholders: ["positional:1@49"] },
        ],
        placeholders: ["positional:0@46", "positional:1@49"],
      },
    },
    {
      sql: "INSERT INTO marks(mark, height) VALUE (?, ?)",
      expected: {
        kind: "insert",
        table: "marks",
        assignments: [
          { column: "mark", expression: "?", expressionStart: 39, selfRelative: false, placeholders: ["positional:0@39"] },
          { column: "height", expression: "?", expressionStart: 42, selfRelative: false, placeholders: ["positional:1@42"] },
        ],
        placeholders: ["positional:0@39", "positional:1@42"],
      },
    },
    {
      sql: "INSERT INTO events (kind, at) VALUES ($1, now()), ($2, now())",
      expected: { kind: "insert", table: "events", placeholders: ["numbered:0@38", "numbered:1@51"] },
    },
    {
      sql: "INSERT INTO archive (id, total) SELECT id, total FROM orders WHERE id = $1",
      expected: { kind: "insert", table: "archive", placeholders: ["numbered:0@72"] },
    },
    {
      sql: "DELETE FROM sessions WHERE expires_at < now()",
      expected: {
        kind: "delete",
        table: "sessions",
        conditions: [{ column: "expires_at", operator: "<", expression: "now()", placeholders: [] }],
        beforeWhereEnd: "DELETE FROM sessions WHERE expires_at < now()",
        placeholders: [],
      },
    },
  ]);
});

describe("parseSql: table names", () => {
  table([
    {
      sql: 'SELECT * FROM "public"."Accounts" WHERE id = $1',
      expected: {
        kind: "select",
        table: "accounts",
        conditions: [{ column: "id", operator: "=", expression: "$1", placeholders: ["numbered:0@45"] }],
        beforeWhereEnd: 'SELECT * FROM "public"."Accounts" WHERE id = $1',
        placeholders: ["numbered:0@45"],
      },
    },
    { sql: "SELECT * FROM `shop`.`Orders`", expected: { kind: "select", table: "orders", placeholders: [] } },
    { sql: "SELECT * FROM [dbo].[Seats]", expected: { kind: "select", table: "seats", placeholders: [] } },
    { sql: "SELECT 'from notes' AS label FROM accounts", expected: { kind: "select", table: "accounts", placeholders: [] } },
    { sql: "SELECT * FROM ONLY accounts", expected: { kind: "select", table: "accounts", placeholders: [] } },
    {
      sql: "UPDATE ONLY accounts SET balance = $1",
      expected: {
        kind: "update",
        table: "accounts",
        assignments: [{ column: "balance", expression: "$1", expressionStart: 35, selfRelative: false, placeholders: ["numbered:0@35"] }],
        placeholders: ["numbered:0@35"],
      },
    },
    {
      sql: "UPDATE accounts a SET balance = $1",
      expected: {
        kind: "update",
        table: "accounts",
        assignments: [{ column: "balance", expression: "$1", expressionStart: 32, selfRelative: false, placeholders: ["numbered:0@32"] }],
        placeholders: ["numbered:0@32"],
      },
    },
  ]);
});

describe("parseSql: UPDATE ... SET", () => {
  table([
    {
      sql: "UPDATE accounts SET balance = balance - $1, updated_at = now() WHERE id = $2",
      expected: {
        kind: "update",
        table: "accounts",
        assignments: [
          { column: "balance", expression: "balance - $1", expressionStart: 30, selfRelative: true, placeholders: ["numbered:0@40"] },
          { column: "updated_at", expression: "now()", expressionStart: 57, selfRelative: false, placeholders: [] },
        ],
        conditions: [{ column: "id", operator: "=", expression: "$2", placeholders: ["numbered:1@74"] }],
        beforeWhereEnd: "UPDATE accounts SET balance = balance - $1, updated_at = now() WHERE id = $2",
        placeholders: ["numbered:0@40", "numbered:1@74"],
      },
    },
    {
      sql: 'UPDATE inventory SET "qty" = "qty" + ? WHERE sku = ?',
      expected: {
        kind: "update",
        table: "inventory",
        assignments: [
          { column: "qty", expression: '"qty" + ?', expressionStart: 29, selfRelative: true, placeholders: ["positional:0@37"] },
        ],
        conditions: [{ column: "sku", operator: "=", expression: "?", placeholders: ["positional:1@51"] }],
        beforeWhereEnd: 'UPDATE inventory SET "qty" = "qty" + ? WHERE sku = ?',
        placeholders: ["positional:0@37", "positional:1@51"],
      },
    },
    {
      // `subtotal` is not `total`; a comma inside `coalesce(...)` does not end the assignment.
      sql: "UPDATE orders SET total = subtotal + $1, note = coalesce(note, $2) WHERE id = $3",
      expected: {
        kind: "update",
        table: "orders",
        assignments: [
          { column: "total", expression: "subtotal + $1", expressionStart: 26, selfRelative: false, placeholders: ["numbered:0@37"] },
          { column: "note", expression: "coalesce(note, $2)", expressionStart: 48, selfRelative: true, placeholders: ["numbered:1@63"] },
        ],
        conditions: [{ column: "id", operator: "=", expression: "$3", placeholders: ["numbered:2@78"] }],
        beforeWhereEnd: "UPDATE orders SET total = subtotal + $1, note = coalesce(note, $2) WHERE id = $3",
        placeholders: ["numbered:0@37", "numbered:1@63", "numbered:2@78"],
      },
    },
    {
      sql: "UPDATE counters SET hits = hits + 1 WHERE name = 'home' AND day = $1",
      expected: {
        kind: "update",
        table: "counters",
        assignments: [{ column: "hits", expression: "hits + 1", expressionStart: 27, selfRelative: true, placeholders: [] }],
        conditions: [
          { column: "name", operator: "=", expression: "'home'", placeholders: [] },
          { column: "day", operator: "=", expression: "$1", placeholders: ["numbered:0@66"] },
        ],
        beforeWhereEnd: "UPDATE counters SET hits = hits + 1 WHERE name = 'home' AND day = $1",
        placeholders: ["numbered:0@66"],
      },
    },
    {
      sql: "UPDATE accounts SET balance = $1 WHERE id = $2 RETURNING balance",
      expected: {
        kind: "update",
        table: "accounts",
        assignments: [{ column: "balance", expression: "$1", expressionStart: 30, selfRelative: false, placeholders: ["numbered:0@30"] }],
        conditions: [{ column: "id", operator: "=", expression: "$2", placeholders: ["numbered:1@44"] }],
        beforeWhereEnd: "UPDATE accounts SET balance = $1 WHERE id = $2",
        placeholders: ["numbered:0@30", "numbered:1@44"],
      },
    },
    {
      sql: "UPDATE accounts SET balance = $1 RETURNING *",
      expected: {
        kind: "update",
        table: "accounts",
        assignments: [{ column: "balance", expression: "$1", expressionStart: 30, selfRelative: false, placeholders: ["numbered:0@30"] }],
        placeholders: ["numbered:0@30"],
      },
    },
    {
      sql: "UPDATE jobs SET state = $1 WHERE id = $2;",
      expected: {
        kind: "update",
        table: "jobs",
        assignments: [{ column: "state", expression: "$1", expressionStart: 24, selfRelative: false, placeholders: ["numbered:0@24"] }],
        conditions: [{ column: "id", operator: "=", expression: "$2", placeholders: ["numbered:1@38"] }],
        beforeWhereEnd: "UPDATE jobs SET state = $1 WHERE id = $2",
        placeholders: ["numbered:0@24", "numbered:1@38"],
      },
    },
  ]);
});

describe("parseSql: WHERE comparisons", () => {
  table([
    {
      // `balance - $1 >= 0` guards `balance`; `$1` appears twice with one index.
      sql: "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance - $1 >= 0",
      expected: {
        kind: "update",
        table: "accounts",
        assignments: [
          { column: "balance", expression: "balance - $1", expressionStart: 30, selfRelative: true, placeholders: ["numbered:0@40"] },
        ],
        conditions: [
          { column: "id", operator: "=", expression: "$2", placeholders: ["numbered:1@54"] },
          { column: "balance", operator: ">=", expression: "0", placeholders: ["numbered:0@71"] },
        ],
        beforeWhereEnd: "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance - $1 >= 0",
        placeholders: ["numbered:0@40", "numbered:1@54", "numbered:0@71"],
      },
    },
    {
      sql: "SELECT * FROM bookings WHERE starts_at BETWEEN $1 AND $2 AND room = $3",
      expected: {
        kind: "select",
        table: "bookings",
        conditions: [{ column: "room", operator: "=", expression: "$3", placeholders: ["numbered:2@68"] }],
        beforeWhereEnd: "SELECT * FROM bookings WHERE starts_at BETWEEN $1 AND $2 AND room = $3",
        placeholders: ["numbered:0@47", "numbered:1@54", "numbered:2@68"],
      },
    },
    {
      sql: "SELECT * FROM t WHERE a <> $1 AND b != $2 AND c <= $3 AND d IS NOT DISTINCT FROM $4 AND e is distinct from $5",
      expected: {
        kind: "select",
        table: "t",
        conditions: [
          { column: "a", operator: "<>", expression: "$1", placeholders: ["numbered:0@27"] },
          { column: "b", operator: "!=", expression: "$2", placeholders: ["numbered:1@39"] },
          { column: "c", operator: "<=", expression: "$3", placeholders: ["numbered:2@51"] },
          { column: "d", operator: "IS NOT DISTINCT FROM", expression: "$4", placeholders: ["numbered:3@81"] },
          { column: "e", operator: "IS DISTINCT FROM", expression: "$5", placeholders: ["numbered:4@107"] },
        ],
        beforeWhereEnd: "SELECT * FROM t WHERE a <> $1 AND b != $2 AND c <= $3 AND d IS NOT DISTINCT FROM $4 AND e is distinct from $5",
        placeholders: ["numbered:0@27", "numbered:1@39", "numbered:2@51", "numbered:3@81", "numbered:4@107"],
      },
    },
    {
      // A parenthesised OR and an IN list are not plain comparisons.
      sql: "SELECT * FROM t WHERE (a = 1 OR b = 2) AND status IN ($1, $2) AND id = $3",
      expected: {
        kind: "select",
        table: "t",
        conditions: [{ column: "id", operator: "=", expression: "$3", placeholders: ["numbered:2@71"] }],
        beforeWhereEnd: "SELECT * FROM t WHERE (a = 1 OR b = 2) AND status IN ($1, $2) AND id = $3",
        placeholders: ["numbered:0@54", "numbered:1@58", "numbered:2@71"],
      },
    },
    {
      sql: "SELECT * FROM t WHERE note = 'x AND y' AND id = ?",
      expected: {
        kind: "select",
        table: "t",
        conditions: [
          { column: "note", operator: "=", expression: "'x AND y'", placeholders: [] },
          { column: "id", operator: "=", expression: "?", placeholders: ["positional:0@48"] },
        ],
        beforeWhereEnd: "SELECT * FROM t WHERE note = 'x AND y' AND id = ?",
        placeholders: ["positional:0@48"],
      },
    },
    {
      sql: "SELECT COUNT(*) FROM t WHERE x = $1 GROUP BY y HAVING count(*) > $2",
      expected: {
        kind: "select",
        table: "t",
        conditions: [{ column: "x", operator: "=", expression: "$1", placeholders: ["numbered:0@33"] }],
        beforeWhereEnd: "SELECT COUNT(*) FROM t WHERE x = $1",
        placeholders: ["numbered:0@33", "numbered:1@65"],
      },
    },
  ]);
});

describe("parseSql: row locks", () => {
  const locked = (sql: string, lock: string, where: string, at: number, style = "numbered"): { sql: string; expected: Parsed } => ({
    sql,
    expected: {
      kind: "select",
      table: "accounts",
      lock,
      conditions: [{ column: "id", operator: "=", expression: where, placeholders: [`${style}:0@${at}`] }],
      beforeWhereEnd: sql.slice(0, sql.indexOf(where) + where.length),
      placeholders: [`${style}:0@${at}`],
    },
  });
  table([
    locked("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", "update", "$1", 40),
    locked("SELECT balance FROM accounts WHERE id = $1 FOR NO KEY UPDATE", "no key update", "$1", 40),
    locked("SELECT * FROM accounts WHERE id = $1 FOR SHARE", "share", "$1", 34),
    locked("SELECT * FROM accounts WHERE id = $1 FOR KEY SHARE", "key share", "$1", 34),
    locked("SELECT * FROM accounts WHERE id = ? LOCK IN SHARE MODE", "share", "?", 34, "positional"),
    locked("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", "update", "ANY($1)", 39),
    {
      sql: "SELECT * FROM jobs WHERE state = $1 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
      expected: {
        kind: "select",
        table: "jobs",
        lock: "update",
        conditions: [{ column: "state", operator: "=", expression: "$1", placeholders: ["numbered:0@33"] }],
        beforeWhereEnd: "SELECT * FROM jobs WHERE state = $1",
        placeholders: ["numbered:0@33"],
      },
    },
    // In a string literal or a comment, FOR UPDATE locks nothing.
    { sql: "SELECT 'FOR UPDATE' AS hint FROM accounts", expected: { kind: "select", table: "accounts", placeholders: [] } },
    {
      sql: "SELECT * FROM accounts -- FOR UPDATE\nWHERE id = $1",
      expected: {
        kind: "select",
        table: "accounts",
        conditions: [{ column: "id", operator: "=", expression: "$1", placeholders: ["numbered:0@48"] }],
        beforeWhereEnd: "SELECT * FROM accounts -- FOR UPDATE\nWHERE id = $1",
        placeholders: ["numbered:0@48"],
      },
    },
  ]);
});

describe("parseSql: placeholders", () => {
  table([
    {
      // Positional `?` are counted across the SET list and the WHERE clause.
      sql: "UPDATE t SET a = ?, b = ? WHERE c = ? AND d = ?",
      expected: {
        kind: "update",
        table: "t",
        assignments: [
          { column: "a", expression: "?", expressionStart: 17, selfRelative: false, placeholders: ["positional:0@17"] },
          { column: "b", expression: "?", expressionStart: 24, selfRelative: false, placeholders: ["positional:1@24"] },
        ],
        conditions: [
          { column: "c", operator: "=", expression: "?", placeholders: ["positional:2@36"] },
          { column: "d", operator: "=", expression: "?", placeholders: ["positional:3@46"] },
        ],
        beforeWhereEnd: "UPDATE t SET a = ?, b = ? WHERE c = ? AND d = ?",
        placeholders: ["positional:0@17", "positional:1@24", "positional:2@36", "positional:3@46"],
      },
    },
    {
      // `$2` before `$1`: numbered placeholders index the values by their number, not their order.
      sql: "UPDATE accounts SET balance = $2 WHERE id = $1 AND version = $3",
      expected: {
        kind: "update",
        table: "accounts",
        assignments: [{ column: "balance", expression: "$2", expressionStart: 30, selfRelative: false, placeholders: ["numbered:1@30"] }],
        conditions: [
          { column: "id", operator: "=", expression: "$1", placeholders: ["numbered:0@44"] },
          { column: "version", operator: "=", expression: "$3", placeholders: ["numbered:2@61"] },
        ],
        beforeWhereEnd: "UPDATE accounts SET balance = $2 WHERE id = $1 AND version = $3",
        placeholders: ["numbered:1@30", "numbered:0@44", "numbered:2@61"],
      },
    },
    {
      sql: "SELECT * FROM t WHERE a = $10",
      expected: {
        kind: "select",
        table: "t",
        conditions: [{ column: "a", operator: "=", expression: "$10", placeholders: ["numbered:9@26"] }],
        beforeWhereEnd: "SELECT * FROM t WHERE a = $10",
        placeholders: ["numbered:9@26"],
      },
    },
    {
      // Template interpolations (sql-text.ts writes them as `$?`), counted across clauses.
      sql: "UPDATE seats SET holder = $?, held_at = now() WHERE seat_id = $? AND holder IS NULL",
      expected: {
        kind: "update",
        table: "seats",
        assignments: [
          { column: "holder", expression: "$?", expressionStart: 26, selfRelative: false, placeholders: ["interpolation:0@26"] },
          { column: "held_at", expression: "now()", expressionStart: 40, selfRelative: false, placeholders: [] },
        ],
        conditions: [
          { column: "seat_id", operator: "=", expression: "$?", placeholders: ["interpolation:1@62"] },
          { column: "holder", operator: "IS NULL", expression: "", placeholders: [] },
        ],
        beforeWhereEnd: "UPDATE seats SET holder = $?, held_at = now() WHERE seat_id = $? AND holder IS NULL",
        placeholders: ["interpolation:0@26", "interpolation:1@62"],
      },
    },
    {
      // A `?` in a string literal or a comment is not a placeholder.
      sql: "SELECT * FROM t WHERE a = '?' AND b = ?",
      expected: {
        kind: "select",
        table: "t",
        conditions: [
          { column: "a", operator: "=", expression: "'?'", placeholders: [] },
          { column: "b", operator: "=", expression: "?", placeholders: ["positional:0@38"] },
        ],
        beforeWhereEnd: "SELECT * FROM t WHERE a = '?' AND b = ?",
        placeholders: ["positional:0@38"],
      },
    },
    {
      sql: "SELECT * FROM t WHERE a = ? /* ? */ AND b = ?",
      expected: {
        kind: "select",
        table: "t",
        conditions: [
          { column: "a", operator: "=", expression: "? /* ? */", placeholders: ["positional:0@26"] },
          { column: "b", operator: "=", expression: "?", placeholders: ["positional:1@44"] },
        ],
        beforeWhereEnd: "SELECT * FROM t WHERE a = ? /* ? */ AND b = ?",
        placeholders: ["positional:0@26", "positional:1@44"],
      },
    },
  ]);
});

describe("parseSql: the result", () => {
  test("is the full statement, memoised by text and frozen", () => {
    const sql = "UPDATE t SET a = $1 WHERE id = $2";
    const statement = parseSql(sql);
    assert.deepStrictEqual(statement, {
      kind: "update",
      assignments: [
        {
          column: "a",
          expression: "$1",
          expressionStart: 17,
          selfRelative: false,
          placeholders: [{ style: "numbered", index: 0, offset: 17 }],
        },
      ],
      conditions: [{ column: "id", operator: "=", expression: "$2", placeholders: [{ style: "numbered", index: 1, offset: 31 }] }],
      placeholders: [
        { style: "numbered", index: 0, offset: 17 },
        { style: "numbered", index: 1, offset: 31 },
      ],
      table: "t",
      whereEnd: 33,
    });
    assert.equal(parseSql(sql), statement);
    assert.equal(Object.isFrozen(statement), true);
    assert.equal(Object.isFrozen(statement.assignments[0]), true);
  });
});

describe("maskLiterals", () => {
  test("blanks string literals and comments, keeping every offset", () => {
    assert.equal(maskLiterals("SELECT 'a''b' -- c\n/* d */ x"), "SELECT            \n        x");
  });
});
