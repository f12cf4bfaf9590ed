// A claim in one statement that still races: `UPDATE t SET status = 'taken' WHERE id = (SELECT id FROM t WHERE
// status = 'new' LIMIT 1)`. The sub-select reads its snapshot and locks nothing; a second caller that waited on the
// first one's row lock re-tests only `id = …`, which still holds, so both callers change the same row and both get it
// back. `FOR UPDATE SKIP LOCKED` in the sub-select, or the outer WHERE testing again the column the sub-select picked
// by (`AND status = 'new'`), closes it.
import { maskLiterals, parseSql, type DbAccess, type SqlStatement } from "../../server/src/rule-kit";

export interface UnlockedPick {
  /** A column the sub-select picks by and the UPDATE changes. */
  column: string;
  /** The value the sub-select requires of it, as written. */
  required: string;
}

/** The UPDATE picks its row with a sub-select that locks nothing and changes what it picked by, without testing it. */
export function unlockedPickOf(write: DbAccess): UnlockedPick | undefined {
  const sql = write.sql;
  if (!sql || sql.statement.kind !== "update") return undefined;
  const statement = sql.statement;
  const changed = new Set(statement.assignments.map((a) => a.column.toLowerCase()));
  const retested = new Set(statement.conditions.map((c) => bareColumn(c.column)));
  // `id = (SELECT …)` is a comparison parseWhere keeps; `id IN (SELECT …)` is found in the text.
  const picks = statement.conditions.filter((c) => c.operator === "=").map((c) => c.expression);
  const masked = maskLiterals(sql.text);
  const inSelect = /\bWHERE\s+[\w".]+\s+IN\s*\(\s*SELECT\b/i.exec(masked);
  const inner = inSelect ? balancedFrom(sql.text, masked.indexOf("(", inSelect.index)) : undefined;
  if (inner !== undefined) picks.push(`(${inner})`);
  for (const expression of picks) {
    const pick = subSelectOf(expression);
    if (!pick?.table || pick.table !== statement.table) continue;
    const text = maskLiterals(expression).toUpperCase();
    if (!/\bLIMIT\b/.test(text) || /\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b|\bSKIP\s+LOCKED\b/.test(text)) continue;
    for (const filter of pick.conditions) {
      const column = bareColumn(filter.column);
      if (filter.operator === "=" && changed.has(column) && !retested.has(column)) return { column, required: filter.expression };
    }
  }
  return undefined;
}

/** `(SELECT …)` parsed, when the expression is one parenthesised sub-select. */
function subSelectOf(expression: string): SqlStatement | undefined {
  const trimmed = expression.trim();
  if (!trimmed.startsWith("(") || !trimmed.endsWith(")")) return undefined;
  const inner = trimmed.slice(1, -1).trim();
  if (!/^SELECT\b/i.test(inner)) return undefined;
  const parsed = parseSql(inner);
  return parsed.kind === "select" ? parsed : undefined;
}

/** The text inside the parentheses opening at `open`, when they close. */
function balancedFrom(text: string, open: number): string | undefined {
  const masked = maskLiterals(text);
  let depth = 0;
  for (let i = open; i < masked.length; i++) {
    if (masked[i] === "(") depth++;
    else if (masked[i] === ")" && --depth === 0) return text.slice(open + 1, i);
  }
  return undefined;
}

function bareColumn(column: string): string {
  return column.split(".").pop()!.replace(/["`]/g, "").toLowerCase();
}
