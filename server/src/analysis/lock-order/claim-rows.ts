// A row taken by a claim: an update that sets a column its own WHERE requires to be NULL (unclaimed; also "or already
// the value it sets"), whose result is checked right after it with an exit when no row changed
// (`const rows = await tx.update(uploads).set({ noteId: id }).where(and(eq(uploads.id, u), isNull(uploads.noteId)))
// .returning(); if (rows.length < 1) throw …`). Of two transactions claiming one row, at most one goes on: once the
// first commits, the row is no longer unclaimed for the second, which leaves. A lock-order cycle whose every side
// takes the shared row this way ends with one claimer whether or not the database breaks a deadlock between them.
import { ts } from "../../engine/ts";
import { dbAccessOf } from "../db";
import { checkedBeforeGoingOn } from "../flow/queries";

/** The column `statement` claims (sets, requiring it NULL in its WHERE, leaving when nothing changed), if it is a claim. */
export function claimedColumnOf(statement: ts.CallExpression | ts.TaggedTemplateExpression): string | undefined {
  const access = dbAccessOf(statement);
  if (!access || access.kind !== "write" || access.insert) return undefined;
  const text = statement.getText();
  const claimed = access.assignments.find((a) => {
    if (!a.value || a.value.kind === ts.SyntaxKind.NullKeyword || a.atomic) return false;
    return requiresNull(text, a.column);
  });
  return claimed && checkedBeforeGoingOn(statement) ? claimed.column : undefined;
}

/**
 * The statement's WHERE requires `column` to equal a value (`eq(media.postId, id)`): it touches only rows already
 * claimed, never one a concurrent claim finds unclaimed.
 */
export function requiresClaimedBy(statement: ts.CallExpression | ts.TaggedTemplateExpression, column: string): boolean {
  const access = dbAccessOf(statement);
  if (!access || access.insert) return false;
  return access.conditions.some(
    (c) => c.column === column && c.operator === "=" && c.value !== undefined && c.value.kind !== ts.SyntaxKind.NullKeyword,
  );
}

/** The statement's WHERE requires `column` to be NULL: Drizzle `isNull(t.col)`, knex `whereNull("col")`, SQL `col IS NULL`, `col: null` / `IsNull()`. */
function requiresNull(text: string, column: string): boolean {
  const names = [column, column.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)].map((n) => n.replace(/[^\w]/g, ""));
  return names.some((name) =>
    [
      new RegExp(String.raw`\bisNull\(\s*[\w.]*\b${name}\s*\)`),
      new RegExp(String.raw`\bwhereNull\(\s*["'\x60]([\w]+\.)?${name}["'\x60]`),
      new RegExp(String.raw`\b${name}["\x60]?\s+IS\s+NULL\b`, "i"),
      new RegExp(String.raw`\bwhere\s*:\s*\{[^}]*\b${name}\s*:\s*(null|IsNull\(\))`),
    ].some((pattern) => pattern.test(text)),
  );
}
