// Which collection a MongoDB driver handle names, so that the project's writers of a document field (column-writers)
// are found whatever local name each file gives the handle. The recogniser (mongoose.ts) names a collection by its
// `collection("…")` call when the chain shows one; otherwise by the handle's own name (`collection:usersCollection`),
// which another file may spell differently. Here the handle is followed to what it was set from:
// `const users = db.collection("users")`, a project function that returns one (`getUsersCollection(db)`, also
// imported), a module constant of another file, or a class field set in its declaration or constructor.
// A handle none of these name keeps its per-name key, and then the project's writers of a field are not all known.
import { ts } from "../../engine/ts";
import { aliasedSymbolAt, skipAwait, skipParens, stringValue } from "../ast";
import { declarationOf } from "../identity";
import { nodesOfKinds } from "../node-index";
import { calleeResolver } from "../summaries";
import type { DbAccess } from "./access";

const UNNAMED = "collection:";
const MAX_DEPTH = 3;

const resolved = new WeakMap<ts.Expression, string | null>();

/** The table `access` names, its collection followed through the handle's declaration when the chain does not show it. */
export function accessTable(program: ts.Program, access: DbAccess): string | undefined {
  const table = access.table;
  if (access.library !== "mongodb" || !table?.startsWith(UNNAMED) || !access.handle) return table;
  return collectionOfHandle(program, access.handle) ?? table;
}

/** A table key the recogniser could not tie to a collection name. */
export function isUnnamedCollection(table: string | undefined): boolean {
  return table === undefined || table.startsWith(UNNAMED);
}

/** The collection a driver handle (`users`, `this.users`) was set from, if the code shows it. */
export function collectionOfHandle(program: ts.Program, handle: ts.Expression): string | undefined {
  const cached = resolved.get(handle);
  if (cached !== undefined) return cached ?? undefined;
  const checker = () => program.getTypeChecker();
  const name = namedBy(handle, program, checker, 0);
  resolved.set(handle, name ?? null);
  return name;
}

function namedBy(expr: ts.Expression, program: ts.Program, checker: () => ts.TypeChecker, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const node = skipParens(skipAwait(skipParens(expr)));
  if (ts.isCallExpression(node)) return calledFor(node, program, checker, depth);
  if (ts.isIdentifier(node)) {
    const initializer = initializerOf(node, checker);
    return initializer && namedBy(initializer, program, checker, depth + 1);
  }
  if (ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword) {
    const values = fieldValues(node);
    return values && sameName(values.map((value) => namedBy(value, program, checker, depth + 1)));
  }
  return undefined;
}

/** `db.collection("users")` → `users`; a project function's call → the collection every `return` of it names. */
function calledFor(call: ts.CallExpression, program: ts.Program, checker: () => ts.TypeChecker, depth: number): string | undefined {
  const callee = skipParens(call.expression);
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === "collection") return stringValue(call.arguments[0]);
  const fn = calleeResolver(program, checker)(call);
  if (!fn?.body) return undefined;
  const returned = ts.isBlock(fn.body)
    ? nodesOfKinds<ts.ReturnStatement>(fn.body, [ts.SyntaxKind.ReturnStatement], { skipFunctions: true }).flatMap((r) =>
        r.expression ? [r.expression] : [],
      )
    : [fn.body];
  return returned.length > 0 ? sameName(returned.map((value) => namedBy(value, program, checker, depth + 1))) : undefined;
}

/** The one name all of `names` agree on. */
function sameName(names: (string | undefined)[]): string | undefined {
  const [first] = names;
  return first !== undefined && names.every((n) => n === first) ? first : undefined;
}

/** A `const`'s initializer, in the file (by scope) or imported from another module (through the checker). */
function initializerOf(name: ts.Identifier, checker: () => ts.TypeChecker): ts.Expression | undefined {
  const local = declarationOf(name);
  if (local) return constInitializer(local);
  const declaration = aliasedSymbolAt(name, checker)?.valueDeclaration;
  return declaration && constInitializer(declaration);
}

function constInitializer(declaration: ts.Node): ts.Expression | undefined {
  if (!ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name) || !declaration.initializer) return undefined;
  return ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const ? declaration.initializer : undefined;
}

/** What a class field is set to: its initializer and every `this.field = …` of its constructor, none elsewhere. */
function fieldValues(access: ts.PropertyAccessExpression): ts.Expression[] | undefined {
  const field = access.name.text;
  let cls: ts.Node | undefined = access.parent;
  while (cls && !ts.isClassLike(cls)) cls = cls.parent;
  if (!cls) return undefined;
  const values: ts.Expression[] = [];
  let setElsewhere = false;
  for (const member of cls.members) {
    if (ts.isPropertyDeclaration(member) && member.name.getText() === field && member.initializer) values.push(member.initializer);
    const visit = (node: ts.Node): void => {
      if (
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(node.left) &&
        node.left.expression.kind === ts.SyntaxKind.ThisKeyword &&
        node.left.name.text === field
      ) {
        if (ts.isConstructorDeclaration(member)) values.push(node.right);
        else setElsewhere = true;
      }
      ts.forEachChild(node, visit);
    };
    if (!ts.isPropertyDeclaration(member)) ts.forEachChild(member, visit);
  }
  return setElsewhere || values.length === 0 ? undefined : values;
}
