// select-then-update: a get-or-create. The row looked up is returned where the check that decides the insert passes
// (`if (existing && ready) return existing;`), and otherwise a row with the lookup's own values is inserted into the
// same table. The insert changes no column of the row read, whatever column of it the check tests (a stored file
// being there, a column set): two concurrent calls that both miss insert two rows, the duplicate write-skew reports
// against the schema's unique indexes, and nothing read is lost. A check whose passing branch refuses the call
// (`throw`) instead is a rule the insert keeps, and stays reported.
import {
  mentions,
  nodesOfKinds,
  outerExpression,
  sameTable,
  skipParens,
  ts,
  type DbAccess,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

/** The insert writes the looked-up row, and the check that decides it returns the row found where it passes. */
export function getsOrCreates(flow: ReadModifyWrite): boolean {
  const { read, write, control } = flow;
  if (!write.insert || !control?.earlyExit || !sameTable(read.table, write.table) || !insertsLookup(read, write)) return false;
  const name = heldAs(read);
  const check = control.statement;
  if (!name || !ts.isIfStatement(check) || check.elseStatement) return false;
  const exits = ts.isReturnStatement(check.thenStatement)
    ? [check.thenStatement]
    : nodesOfKinds<ts.ReturnStatement>(check.thenStatement, [ts.SyntaxKind.ReturnStatement], { skipFunctions: true });
  return exits.length > 0 && exits.every((r) => !!r.expression && mentions(r.expression, new Set([name])));
}

/** Every value the read looks its row up by (`=` a value, not `null`) is written to the same column by the insert. */
function insertsLookup(read: DbAccess, insert: DbAccess): boolean {
  const keys = read.conditions.filter((c) => c.operator === "=" && c.value && !isNullish(c.value));
  return (
    keys.length > 0 && keys.every((c) => insert.assignments.some((a) => a.column === c.column && a.value?.getText() === c.value!.getText()))
  );
}

function isNullish(value: ts.Expression): boolean {
  const node = skipParens(value);
  return node.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(node) && node.text === "undefined");
}

/** The `const` the read's row is held in (`const existing = await prisma.share.findFirst(…)`). */
function heldAs(read: DbAccess): string | undefined {
  const outer = outerExpression(read.node as ts.Expression);
  const declaration = outer.parent;
  return ts.isVariableDeclaration(declaration) && declaration.initializer === outer && ts.isIdentifier(declaration.name)
    ? declaration.name.text
    : undefined;
}
