// select-then-update: code an operator runs by hand, one invocation at a time, is not a request path that a second
// caller enters concurrently: a command-line command's handler, and a function only scripts (or tests) call. What the
// command calls in the application's own modules is linted there, as for any caller.
import {
  calledOnlyOutsideProduction,
  enclosingFunction,
  importsOf,
  ts,
  type CalleeResolver,
  type FunctionLike,
} from "../../server/src/rule-kit";

/** Command-line frameworks: what they register runs when an operator types the command. */
const CLI_FRAMEWORK =
  /^(commander|@commander-js\/extra-typings|yargs(\/.*)?|@oclif\/core|citty|@drizzle-team\/brocli|cac|clipanion|cmd-ts|sade|@caporal\/core)$/;

/**
 * `fn`, or a function around it, is an operator's command: registered with a command-line framework (`command({
 * handler })`, `program.command("x").action(fn)`, an oclif `Command`'s `run`), or called only from non-production files
 * (a use case that a script under `scripts/` runs).
 */
export function runsAsOperatorCommand(fn: FunctionLike, resolve: CalleeResolver): boolean {
  for (let current: FunctionLike | undefined = fn; current; current = enclosingFunction(current))
    if (isCommandHandler(current) || calledOnlyOutsideProduction(current, resolve)) return true;
  return false;
}

function isCommandHandler(fn: FunctionLike): boolean {
  const imports = importsOf(fn.getSourceFile());
  const fromFramework = (name: ts.Expression | undefined): boolean => {
    const root = name && rootOf(name);
    if (!root) return false;
    const imported = imports.get(root.text);
    if (imported) return CLI_FRAMEWORK.test(imported.module);
    // `const program = new Command()`: an instance of the framework's class.
    const init = localInitializer(root);
    return !!init && ts.isNewExpression(init) && fromFramework(init.expression);
  };
  // An oclif command: `class Reset extends Command { async run() { … } }`.
  const owner = fn.parent;
  if (ts.isMethodDeclaration(fn) && ts.isClassLike(owner))
    return (owner.heritageClauses ?? []).some((clause) => clause.types.some((type) => fromFramework(type.expression)));
  // The function is an argument of a framework call, directly or as a property of an object literal passed to it.
  let node: ts.Node = fn;
  while (ts.isPropertyAssignment(node.parent) || ts.isObjectLiteralExpression(node.parent) || ts.isParenthesizedExpression(node.parent))
    node = node.parent;
  const call = node.parent;
  return ts.isCallExpression(call) && call.arguments.includes(node as ts.Expression) && fromFramework(call.expression);
}

/** `program.command("x").action` → `program`; `command` → `command`. */
function rootOf(expr: ts.Expression): ts.Identifier | undefined {
  let node = expr;
  while (ts.isPropertyAccessExpression(node) || ts.isCallExpression(node) || ts.isParenthesizedExpression(node)) node = node.expression;
  return ts.isIdentifier(node) ? node : undefined;
}

/** The initializer of a module-level `const` of that name. */
function localInitializer(name: ts.Identifier): ts.Expression | undefined {
  for (const statement of name.getSourceFile().statements)
    if (ts.isVariableStatement(statement))
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name) && declaration.name.text === name.text) return declaration.initializer;
  return undefined;
}
