// Parsing one SQL statement far enough to reason about lost updates: what kind of statement it is, which table it
// touches, what an UPDATE assigns, what its WHERE compares, whether a SELECT locks rows, and which isolation level a
// transaction statement asks for. Not a full SQL parser: anything it does not understand is reported as unknown, and
// callers treat unknown as "cannot prove a problem".
//
// Placeholders are numbered in order of appearance: `$1` (pg), `?` (mysql2, better-sqlite3, knex.raw) and `$?`
// (an interpolation in a template literal, see sql-text.ts). `ref` says which argument each one stands for.
import { normalizeSql } from "./sql-text";

export type SqlKind = "select" | "update" | "insert" | "delete" | "begin" | "commit" | "rollback" | "set-isolation" | "other";
export type IsolationLevel = "read uncommitted" | "read committed" | "repeatable read" | "serializable";
export type RowLockMode = "update" | "no key update" | "share" | "key share";

/** A placeholder: `$2` → { style: "numbered", index: 1 }; the third `?` → { style: "positional", index: 2 }. */
export interface SqlPlaceholder {
  style: "numbered" | "positional" | "interpolation";
  /** Zero-based index into the values array (numbered/positional) or into the template's spans (interpolation). */
  index: number;
  /** Offset in the SQL text. */
  offset: number;
}

/** One `column = expression` of an UPDATE's SET list. */
export interface SqlAssignment {
  column: string;
  /** The right-hand side as written (original case and spacing). */
  expression: string;
  /** Offset of the right-hand side in the original SQL text. */
  expressionStart: number;
  /** The right-hand side mentions the column itself (`qty = qty - $1`): computed by the database, atomically. */
  selfRelative: boolean;
  /** Placeholders in the right-hand side. */
  placeholders: SqlPlaceholder[];
}

/** One comparison `column <op> expression` of a WHERE clause (conjuncts joined by AND only). */
export interface SqlCondition {
  column: string;
  operator: string;
  expression: string;
  placeholders: SqlPlaceholder[];
}

export interface SqlStatement {
  kind: SqlKind;
  /** Lower-case table name without schema or quotes (the first table after FROM / UPDATE / INTO). */
  table?: string;
  /** UPDATE: the SET list. */
  assignments: SqlAssignment[];
  /** The WHERE clause's top-level AND-ed comparisons with a plain column on the left. */
  conditions: SqlCondition[];
  /** Offset in the original text where a further `AND ...` can be appended to the WHERE clause (UPDATE/DELETE/SELECT), if known. */
  whereEnd?: number;
  /** SELECT ... FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / LOCK IN SHARE MODE. */
  lock?: RowLockMode;
  /** BEGIN ISOLATION LEVEL x, START TRANSACTION ISOLATION LEVEL x, SET [SESSION] TRANSACTION ISOLATION LEVEL x. */
  isolation?: IsolationLevel;
  /** All placeholders, in order of appearance. */
  placeholders: SqlPlaceholder[];
}

const ISOLATION = /ISOLATION LEVEL (READ UNCOMMITTED|READ COMMITTED|REPEATABLE READ|SERIALIZABLE)/;
const IDENT = String.raw`(?:"[^"]+"|\`[^\`]+\`|\[[^\]]+\]|[A-Za-z_][\w$]*)`;
const QUALIFIED = String.raw`${IDENT}(?:\s*\.\s*${IDENT})*`;

/**
 * Parses one statement. Never throws; unknown shapes give kind "other" or missing details. Memoised by text (the same
 * statements are parsed again after every keystroke); the result is frozen, as it is shared.
 */
export function parseSql(sql: string): SqlStatement {
  let statement = parsed.get(sql);
  if (!statement) {
    if (parsed.size >= MAX_MEMOISED) parsed.clear();
    parsed.set(sql, (statement = deepFreeze(parseStatement(sql))));
  }
  return statement;
}

const parsed = new Map<string, SqlStatement>();
const MAX_MEMOISED = 10_000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function parseStatement(sql: string): SqlStatement {
  const upper = normalizeSql(sql);
  const placeholders = placeholdersIn(sql, 0, sql.length, { positional: 0, interpolation: 0 });
  const statement: SqlStatement = { kind: "other", assignments: [], conditions: [], placeholders };
  const isolation = ISOLATION.exec(upper)?.[1]?.toLowerCase() as IsolationLevel | undefined;
  if (isolation) statement.isolation = isolation;
  // Leading WITH ... AS (...) : look at the main statement only when it is simple.
  const first = /^\(?\s*(\w+)/.exec(upper)?.[1];
  switch (first) {
    case "BEGIN":
    case "START":
      statement.kind = /^(BEGIN|START TRANSACTION)\b/.test(upper) ? "begin" : "other";
      return statement;
    case "COMMIT":
    case "END":
      statement.kind = "commit";
      return statement;
    case "ROLLBACK":
    case "ABORT":
      statement.kind = /^ROLLBACK TO\b/.test(upper) ? "other" : "rollback";
      return statement;
    case "SET":
      statement.kind = isolation && /\bTRANSACTION\b/.test(upper) ? "set-isolation" : "other";
      return statement;
    case "SELECT":
      statement.kind = "select";
      parseSelect(sql, upper, statement);
      return statement;
    case "UPDATE":
      statement.kind = "update";
      parseUpdate(sql, statement);
      return statement;
    case "INSERT":
    case "REPLACE":
      statement.kind = "insert";
      statement.table = tableAfter(sql, /\bINTO\s+/i);
      parseInsertValues(sql, statement);
      return statement;
    case "DELETE":
      statement.kind = "delete";
      statement.table = tableAfter(sql, /\bFROM\s+/i);
      parseWhere(sql, statement);
      return statement;
    default:
      return statement;
  }
}

function parseSelect(sql: string, upper: string, statement: SqlStatement): void {
  statement.table = tableAfter(sql, /\bFROM\s+/i);
  const lock = /\bFOR (NO KEY UPDATE|KEY SHARE|UPDATE|SHARE)\b/.exec(upper)?.[1];
  if (lock) statement.lock = lock.toLowerCase() as RowLockMode;
  else if (/\bLOCK IN SHARE MODE\b/.test(upper)) statement.lock = "share";
  parseWhere(sql, statement);
}

function parseUpdate(sql: string, statement: SqlStatement): void {
  const head = new RegExp(String.raw`^\s*UPDATE\s+(?:ONLY\s+)?(${QUALIFIED})(?:\s+(?:AS\s+)?[A-Za-z_]\w*)?\s+SET\s+`, "i").exec(sql);
  if (!head) return;
  statement.table = unquote(head[1]!);
  const setStart = head[0].length;
  const setEnd = clauseEnd(sql, setStart, /\b(WHERE|FROM|RETURNING|ORDER\s+BY|LIMIT)\b/iy);
  const counters = countersBefore(sql, setStart);
  for (const [start, end] of splitTopLevel(sql, setStart, setEnd, ",")) {
    const match = new RegExp(String.raw`^\s*(${QUALIFIED})\s*=\s*`).exec(sql.slice(start, end));
    if (!match) continue;
    const column = unquote(match[1]!);
    const expressionStart = start + match[0].length;
    const expression = sql.slice(expressionStart, end).trim();
    statement.assignments.push({
      column,
      expression,
      expressionStart,
      selfRelative: new RegExp(String.raw`(^|[^\w$."\`])[\`"]?${escapeRegExp(column)}[\`"]?($|[^\w$])`, "i").test(expression),
      placeholders: placeholdersIn(sql, start, end, counters),
    });
  }
  parseWhere(sql, statement);
}

/**
 * `INSERT INTO t (a, b) VALUES (x, y)` (MySQL also spells it `VALUE (x, y)`): one row's values as assignments of its
 * columns (`a = x`), so a value read and inserted is seen as it is in an UPDATE. Several rows or `INSERT … SELECT` are
 * left alone.
 */
function parseInsertValues(sql: string, statement: SqlStatement): void {
  const masked = maskLiterals(sql);
  const head = new RegExp(
    String.raw`^\s*(?:INSERT|REPLACE)\s+(?:IGNORE\s+)?INTO\s+${QUALIFIED}(?:\s+(?:AS\s+)?[A-Za-z_]\w*)?\s*\(`,
    "i",
  ).exec(masked);
  if (!head) return;
  const columnsStart = head[0].length;
  const columnsEnd = clauseEnd(sql, columnsStart, /$^/y);
  const values = /^\)\s*VALUES?\s*\(/i.exec(masked.slice(columnsEnd));
  if (!values) return;
  const valuesStart = columnsEnd + values[0].length;
  const valuesEnd = clauseEnd(sql, valuesStart, /$^/y);
  // A second row (`), (`) is not one row's values.
  if (/^\)\s*,\s*\(/.test(masked.slice(valuesEnd))) return;
  const columns = splitTopLevel(sql, columnsStart, columnsEnd, ",").map(([s, e]) => unquote(sql.slice(s, e).trim()));
  const counters = countersBefore(sql, valuesStart);
  const parts = splitTopLevel(sql, valuesStart, valuesEnd, ",");
  if (parts.length !== columns.length) return;
  parts.forEach(([start, end], i) => {
    const expression = sql.slice(start, end).trim();
    statement.assignments.push({
      column: columns[i]!,
      expression,
      expressionStart: start + (sql.slice(start, end).length - sql.slice(start, end).trimStart().length),
      selfRelative: conflictUpdatesFromStored(sql, valuesEnd, columns[i]!),
      placeholders: placeholdersIn(sql, start, end, counters),
    });
  });
}

/**
 * `… ON CONFLICT (k) DO UPDATE SET c = t.c + 1` (MySQL `ON DUPLICATE KEY UPDATE c = c + 1`): whenever the row exists
 * the database computes `c` from the value stored, so the value inserted lands only on a first insert, and a second
 * concurrent first insert turns into that update. Not when the update takes the value proposed (`EXCLUDED.c`, `VALUES(c)`).
 */
function conflictUpdatesFromStored(sql: string, valuesEnd: number, column: string): boolean {
  const masked = maskLiterals(sql);
  const clause = /^\)\s*(?:AS\s+[A-Za-z_]\w*\s*)?(?:ON\s+CONFLICT\b[^;]*?\bDO\s+UPDATE\s+SET|ON\s+DUPLICATE\s+KEY\s+UPDATE)\s+/i.exec(
    masked.slice(valuesEnd),
  );
  if (!clause) return false;
  const setStart = valuesEnd + clause[0].length;
  const setEnd = clauseEnd(sql, setStart, /\b(WHERE|RETURNING)\b/iy);
  const name = escapeRegExp(column);
  for (const [start, end] of splitTopLevel(sql, setStart, setEnd, ",")) {
    const match = new RegExp(String.raw`^\s*(?:[\w"\`]+\.)?[\`"]?${name}[\`"]?\s*=\s*`, "i").exec(sql.slice(start, end));
    if (!match) continue;
    const expression = masked.slice(start + match[0].length, end);
    if (/\bEXCLUDED\s*\.|\bVALUES\s*\(/i.test(expression)) return false;
    return new RegExp(String.raw`(^|[^\w$"\`])(?:[\w"\`]+\.)?[\`"]?${name}[\`"]?($|[^\w$])`, "i").test(expression);
  }
  return false;
}

/** Fills `conditions` and `whereEnd` from the WHERE clause. */
function parseWhere(sql: string, statement: SqlStatement): void {
  const masked = maskLiterals(sql);
  const where = /\bWHERE\b/i.exec(masked);
  if (!where) return;
  const start = where.index + where[0].length;
  const end = clauseEnd(
    sql,
    start,
    /\b(RETURNING|ORDER\s+BY|LIMIT|FOR\s+(UPDATE|SHARE|NO\s+KEY|KEY)|LOCK\s+IN|GROUP\s+BY|HAVING|OFFSET)\b/iy,
  );
  statement.whereEnd = trimEnd(sql, end);
  const counters = countersBefore(sql, start);
  for (const [s, e] of splitTopLevel(sql, start, end, "AND")) {
    const before = { ...counters };
    const placeholders = placeholdersIn(sql, s, e, counters);
    const condition = conditionOf(sql.slice(s, e), placeholders) ?? nullGuardedComparison(sql, s, e, before);
    if (condition) statement.conditions.push(condition);
  }
}

/**
 * `balance >= $2` (also `balance - $1 >= $3`, which guards `balance` too) or `assignee IS NULL` (a test of the column
 * with no value compared).
 */
function conditionOf(part: string, placeholders: SqlCondition["placeholders"]): SqlCondition | undefined {
  const match = new RegExp(
    String.raw`^\s*(${QUALIFIED})(?:\s*[-+]\s*[^<>=!]+?)?\s*(=|<>|!=|<=|>=|<|>|IS NOT DISTINCT FROM|IS DISTINCT FROM)\s*([^]*?)\s*$`,
    "i",
  ).exec(part);
  if (match) return { column: unquote(match[1]!), operator: match[2]!.toUpperCase(), expression: match[3]!, placeholders };
  const nullTest = new RegExp(String.raw`^\s*(${QUALIFIED})\s+(IS\s+NOT\s+NULL|IS\s+NULL)\s*$`, "i").exec(part);
  if (nullTest)
    return { column: unquote(nullTest[1]!), operator: nullTest[2]!.toUpperCase().replace(/\s+/g, " "), expression: "", placeholders };
  return undefined;
}

/**
 * `(capacity IS NULL OR booked < capacity)`: a parenthesised disjunction of one bound comparison and tests of other
 * columns for NULL guards the compared column wherever the bound exists, as `capacity !== null && booked >= capacity`
 * checks it in code; the comparison is the condition.
 */
function nullGuardedComparison(sql: string, s: number, e: number, counters: PlaceholderCounters): SqlCondition | undefined {
  const masked = maskLiterals(sql);
  const open = masked.slice(s, e).search(/\S/) + s;
  const close = masked.slice(s, e).trimEnd().length + s - 1;
  if (masked[open] !== "(" || masked[close] !== ")") return undefined;
  const disjuncts = splitTopLevel(sql, open + 1, close, "OR");
  if (disjuncts.length < 2) return undefined;
  const conditions = disjuncts.map(([ds, de]) => conditionOf(sql.slice(ds, de), placeholdersIn(sql, ds, de, counters)));
  const comparisons = conditions.filter((c) => c && c.operator !== "IS NULL");
  const comparison = comparisons[0];
  if (comparisons.length !== 1 || !comparison || conditions.some((c) => !c)) return undefined;
  if (!/^[<>]=?$/.test(comparison.operator)) return undefined;
  const nullTested = conditions.filter((c) => c!.operator === "IS NULL").map((c) => c!.column);
  return nullTested.includes(comparison.column) ? undefined : comparison;
}

/** Lower-case table name after the first match of `keyword`. */
function tableAfter(sql: string, keyword: RegExp): string | undefined {
  const masked = maskLiterals(sql);
  const match = keyword.exec(masked);
  if (!match) return undefined;
  const rest = new RegExp(String.raw`^(?:ONLY\s+)?(${QUALIFIED})`, "i").exec(sql.slice(match.index + match[0].length));
  return rest ? unquote(rest[1]!) : undefined;
}

/** `"public"."Accounts"` → `accounts`. */
function unquote(name: string): string {
  const parts = name.split(".").map((p) => p.trim().replace(/^["`[]|["`\]]$/g, ""));
  return parts[parts.length - 1]!.toLowerCase();
}

/** Where a clause starting at `start` ends: the first top-level `stop` keyword, `;`, or the end. */
function clauseEnd(sql: string, start: number, stop: RegExp): number {
  const masked = maskLiterals(sql);
  let depth = 0;
  for (let i = start; i < masked.length; i++) {
    const c = masked[i]!;
    if (c === "(") depth++;
    else if (c === ")") {
      if (depth === 0) return i;
      depth--;
    } else if (c === ";" && depth === 0) return i;
    else if (depth === 0 && /\s/.test(masked[i - 1] ?? " ")) {
      stop.lastIndex = i;
      if (stop.test(masked)) return i;
    }
  }
  return masked.length;
}

function trimEnd(sql: string, end: number): number {
  while (end > 0 && /\s/.test(sql[end - 1]!)) end--;
  return end;
}

/** Splits `sql[start, end)` at top-level `separator` (a character, or a keyword such as AND). */
function splitTopLevel(sql: string, start: number, end: number, separator: string): Array<[number, number]> {
  const masked = maskLiterals(sql);
  const parts: Array<[number, number]> = [];
  let depth = 0;
  let partStart = start;
  const keyword = /^[A-Z]+$/.test(separator);
  // `BETWEEN x AND y` must not split.
  let between = false;
  for (let i = start; i < end; i++) {
    const c = masked[i]!;
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && keyword && /\s/.test(masked[i - 1] ?? " ")) {
      const word = /^[A-Za-z]+/.exec(masked.slice(i, i + 10))?.[0]?.toUpperCase();
      if (word === "BETWEEN") between = true;
      if (word === separator && /[\s(]/.test(masked[i + separator.length] ?? " ")) {
        if (between) between = false;
        else {
          parts.push([partStart, i]);
          partStart = i + separator.length;
        }
      }
    } else if (depth === 0 && !keyword && c === separator) {
      parts.push([partStart, i]);
      partStart = i + 1;
    }
  }
  parts.push([partStart, end]);
  return parts;
}

interface PlaceholderCounters {
  positional: number;
  interpolation: number;
}

function countersBefore(sql: string, offset: number): PlaceholderCounters {
  const counters = { positional: 0, interpolation: 0 };
  placeholdersIn(sql, 0, offset, counters);
  return counters;
}

/** Placeholders in `sql[start, end)`, advancing `counters` (shared so positional indexes continue across calls). */
function placeholdersIn(sql: string, start: number, end: number, counters: PlaceholderCounters): SqlPlaceholder[] {
  const masked = maskLiterals(sql).slice(start, end);
  const out: SqlPlaceholder[] = [];
  for (const match of masked.matchAll(/\$\?|\$(\d+)|\?/g)) {
    const offset = start + match.index;
    if (match[0] === "$?") out.push({ style: "interpolation", index: counters.interpolation++, offset });
    else if (match[1]) out.push({ style: "numbered", index: Number(match[1]) - 1, offset });
    else out.push({ style: "positional", index: counters.positional++, offset });
  }
  return out;
}

/** The text with string literals, quoted identifiers' contents and comments replaced by spaces (same length). */
export function maskLiterals(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|--[^\n]*|\/\*[^]*?\*\//g, (m) => " ".repeat(m.length));
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
