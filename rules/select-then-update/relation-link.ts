// select-then-update: an entity read and assigned whole to a field of the entity saved (`comment.member = member`,
// MikroORM / TypeORM) is a relation link: the save stores the read row's key, which no concurrent change of that row
// alters, and no value read from it is written. Reported as before when any field of the saved entity is set from a
// value read from the row (`comment.body = member.signature`).
import { enclosingFunction, isFunctionLike, skipParens, ts, walk, type ReadModifyWrite } from "../../server/src/rule-kit";

/** The only values the write takes from the read are the read row itself, assigned whole to fields (a link). */
export function onlyLinksReadRow(flow: ReadModifyWrite): boolean {
  const mutation = flow.data?.mutation;
  if (!mutation || !isLink(mutation, flow)) return false;
  const target = skipParens((mutation.left as ts.PropertyAccessExpression).expression);
  if (!ts.isIdentifier(target)) return false;
  const body = enclosingFunction(mutation)?.body;
  if (!body) return false;
  // Every other field assignment of the same entity whose value comes from the read must be a link too.
  let other = false;
  walk(body, (node) => {
    if (other || (node !== body && isFunctionLike(node))) return false;
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      ts.isPropertyAccessExpression(skipParens(node.left))
    ) {
      const base = skipParens((skipParens(node.left) as ts.PropertyAccessExpression).expression);
      if (ts.isIdentifier(base) && base.text === target.text && !isLink(node, flow) && flow.originOf(node.right)?.read === flow.read)
        other = true;
    }
    return !other;
  });
  return !other;
}

/** `x.field = row`: a plain assignment of the read row itself (not a field or a value computed from it). */
function isLink(node: ts.BinaryExpression, flow: ReadModifyWrite): boolean {
  if (node.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isPropertyAccessExpression(skipParens(node.left))) return false;
  const right = skipParens(node.right);
  if (!ts.isIdentifier(right)) return false;
  const origin = flow.originOf(right);
  return origin?.read === flow.read && origin.level === "row" && origin.column === undefined;
}
