// Small, allocation-light helpers over raw ts.Nodes, shared by every rule: names, receivers, imports, spans, and the
// fast walks of `node-index.ts` (re-exported here). Fixes are built as text edits (`rule-kit/edit-text.ts`).
import { ts } from "../engine/ts";
import type { Span } from "../engine/types";
import { normalizePath } from "../engine/paths";

export {
  CALL_KINDS,
  FUNCTION_KINDS,
  NodeFacts,
  identifiersNamed,
  isFunctionLike,
  nodesOfKinds,
  walk,
  walkFunctionBody,
  type FunctionLike,
} from "./node-index";
import { isFunctionLike, type FunctionLike } from "./node-index";

export function spanOf(node: ts.Node, sourceFile: ts.SourceFile = node.getSourceFile()): Span {
  return { file: normalizePath(sourceFile.fileName), start: node.getStart(sourceFile), end: node.getEnd() };
}

/** `a.b.c(...)` → "c"; `f(...)` → "f"; `a["b"](...)` → "b". */
export function calleeName(call: ts.CallExpression | ts.NewExpression): string | undefined {
  const callee = skipParens(call.expression);
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  if (ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)) return callee.argumentExpression.text;
  return undefined;
}

/** `a.b.c(...)` → the node `a.b`; `f(...)` → undefined. */
export function receiverOf(call: ts.CallExpression): ts.Expression | undefined {
  const callee = skipParens(call.expression);
  if (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) return callee.expression;
  return undefined;
}

/** The symbol `expr` names, through an import alias; undefined when the checker cannot say (it may throw on broken code). */
export function aliasedSymbolAt(expr: ts.Node, checker: () => ts.TypeChecker): ts.Symbol | undefined {
  try {
    const symbol = checker().getSymbolAtLocation(expr);
    return symbol && symbol.flags & ts.SymbolFlags.Alias ? checker().getAliasedSymbol(symbol) : symbol;
  } catch {
    return undefined;
  }
}

export function skipParens(node: ts.Expression): ts.Expression {
  // One switch rather than five ts.isX calls: this runs at nearly every call and expression a rule looks at.
  for (;;) {
    switch (node.kind) {
      case ts.SyntaxKind.ParenthesizedExpression:
      case ts.SyntaxKind.AsExpression:
      case ts.SyntaxKind.NonNullExpression:
      case ts.SyntaxKind.SatisfiesExpression:
      case ts.SyntaxKind.TypeAssertionExpression:
        node = (node as ts.ParenthesizedExpression | ts.AsExpression | ts.NonNullExpression | ts.SatisfiesExpression | ts.TypeAssertion)
          .expression;
        break;
      default:
        return node;
    }
  }
}

/** Skips `await`, parentheses and casts: `await (x as any)` → x. */
/** Whether a function is declared `async`. */
export function isAsync(fn: ts.Node): boolean {
  return ts.canHaveModifiers(fn) && !!ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
}

/** The top-level operands of a chain of `operator` (`a && b && c`); the condition itself when it is no such chain. */
export function operands(condition: ts.Expression, operator: ts.SyntaxKind): ts.Expression[] {
  const node = skipParens(condition);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === operator)
    return [...operands(node.left, operator), ...operands(node.right, operator)];
  return [node];
}

export function skipAwait(node: ts.Expression): ts.Expression {
  node = skipParens(node);
  while (ts.isAwaitExpression(node)) node = skipParens(node.expression);
  return node;
}

/** The outermost expression that is just `node` wrapped in await/parens/casts. */
export function outerExpression(node: ts.Expression): ts.Expression {
  let current: ts.Expression = node;
  while (
    current.parent &&
    (ts.isAwaitExpression(current.parent) ||
      ts.isParenthesizedExpression(current.parent) ||
      ts.isAsExpression(current.parent) ||
      ts.isNonNullExpression(current.parent) ||
      ts.isSatisfiesExpression(current.parent))
  ) {
    current = current.parent as ts.Expression;
  }
  return current;
}

/** A stable textual key of an expression, ignoring whitespace, quote style and `?.` (comments inside it are kept). */
export function expressionKey(node: ts.Node, sourceFile?: ts.SourceFile): string {
  // Asked for again and again (every acquisition against every release candidate): computed once per node.
  let key = expressionKeys.get(node);
  if (key === undefined) {
    const n = ts.isExpression(node) ? skipParens(node) : node;
    key = n
      .getText(sourceFile ?? node.getSourceFile())
      .replace(/\s+/g, "")
      .replace(/['`]/g, '"')
      .replace(/\?\./g, ".");
    expressionKeys.set(node, key);
  }
  return key;
}
const expressionKeys = new WeakMap<ts.Node, string>();

/** Value of a string-like literal or a template without substitutions. */
export function stringValue(node: ts.Node | undefined): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteralLike(node)) return node.text;
  return undefined;
}

/** The function whose body contains `node` (or undefined at module level). */
export function enclosingFunction(node: ts.Node): FunctionLike | undefined {
  for (let current = node.parent; current; current = current.parent) if (isFunctionLike(current)) return current;
  return undefined;
}

/** The class around `node`, if any. */
export function enclosingClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let current = node.parent; current; current = current.parent) if (ts.isClassLike(current)) return current;
  return undefined;
}

/** The statement that directly contains `node`. */
export function enclosingStatement(node: ts.Node): ts.Statement | undefined {
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (ts.isStatement(current) || ts.isVariableStatement(current)) return current as ts.Statement;
    if (isFunctionLike(current)) return undefined;
  }
  return undefined;
}

/** A readable name of a function for messages: `transfer`, `AccountService.debit`, `<anonymous>`. */
export function functionName(fn: FunctionLike): string {
  const own =
    fn.name && (ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name) || ts.isStringLiteral(fn.name)) ? fn.name.text : undefined;
  let name = own;
  if (!name && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) {
    const parent = fn.parent;
    if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) name = parent.name.text;
    else if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) name = parent.name.getText();
  }
  if (ts.isConstructorDeclaration(fn)) name = "constructor";
  const cls = fn.parent && (ts.isClassDeclaration(fn.parent) || ts.isClassExpression(fn.parent)) ? fn.parent.name?.text : undefined;
  return cls && name ? `${cls}.${name}` : (name ?? "<anonymous>");
}

export interface ImportInfo {
  module: string;
  /** "default", "*" or the exported name. */
  imported: string;
}

const importCache = new WeakMap<ts.SourceFile, Map<string, ImportInfo>>();

/** Local name → what it was imported as, from ES imports and top-level `require` destructuring. Cached per file. */
export function importsOf(sourceFile: ts.SourceFile): Map<string, ImportInfo> {
  let map = importCache.get(sourceFile);
  if (map) return map;
  map = new Map();
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const module = statement.moduleSpecifier.text;
      const clause = statement.importClause;
      if (!clause) continue;
      if (clause.name) map.set(clause.name.text, { module, imported: "default" });
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) map.set(bindings.name.text, { module, imported: "*" });
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements)
          map.set(element.name.text, { module, imported: (element.propertyName ?? element.name).text });
      }
    } else if (
      ts.isImportEqualsDeclaration(statement) &&
      ts.isExternalModuleReference(statement.moduleReference) &&
      ts.isStringLiteral(statement.moduleReference.expression)
    ) {
      map.set(statement.name.text, { module: statement.moduleReference.expression.text, imported: "*" });
    } else if (ts.isVariableStatement(statement)) {
      for (const decl of statement.declarationList.declarations) {
        const init = decl.initializer && skipAwait(decl.initializer);
        if (!init || !ts.isCallExpression(init) || !ts.isIdentifier(init.expression) || init.expression.text !== "require") continue;
        const module = stringValue(init.arguments[0]);
        if (!module) continue;
        if (ts.isIdentifier(decl.name)) map.set(decl.name.text, { module, imported: "*" });
        else if (ts.isObjectBindingPattern(decl.name)) {
          for (const element of decl.name.elements) {
            if (ts.isIdentifier(element.name))
              map.set(element.name.text, {
                module,
                imported: element.propertyName && ts.isIdentifier(element.propertyName) ? element.propertyName.text : element.name.text,
              });
          }
        }
      }
    }
  }
  importCache.set(sourceFile, map);
  return map;
}

/**
 * What module an identifier or `ns.Name` expression refers to, syntactically: `Mutex` imported from "async-mutex" →
 * { module: "async-mutex", imported: "Mutex" }; `am.Mutex` with `import * as am` → same.
 */
export function importedBinding(node: ts.Expression, sourceFile: ts.SourceFile): ImportInfo | undefined {
  const n = skipParens(node);
  const imports = importsOf(sourceFile);
  if (ts.isIdentifier(n)) return imports.get(n.text);
  if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression)) {
    const ns = imports.get(n.expression.text);
    if (ns && (ns.imported === "*" || ns.imported === "default")) return { module: ns.module, imported: n.name.text };
  }
  return undefined;
}

/** True if `node` is lexically inside `ancestor`. */
export function isInside(node: ts.Node, ancestor: ts.Node): boolean {
  for (let current: ts.Node | undefined = node; current; current = current.parent) if (current === ancestor) return true;
  return false;
}

/** Identifiers bound by a declaration name (plain or destructuring). */
export function boundNames(name: ts.BindingName): ts.Identifier[] {
  if (ts.isIdentifier(name)) return [name];
  const out: ts.Identifier[] = [];
  for (const element of name.elements) if (!ts.isOmittedExpression(element)) out.push(...boundNames(element.name));
  return out;
}

/** `a ?? b` or `a || b`: `a`, or `b` in its place when `a` is missing. */
export function isFallback(node: ts.Node): node is ts.BinaryExpression {
  return (
    ts.isBinaryExpression(node) &&
    (node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || node.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  );
}

/** True if `node` mentions any identifier whose text is in `names`. */
export function mentions(node: ts.Node, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  let found = false;
  const go = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && names.has(n.text)) {
      // `x.names` property names are not references.
      if (!(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) {
        found = true;
        return;
      }
    }
    ts.forEachChild(n, go);
  };
  if (ts.isIdentifier(node)) go(node);
  else ts.forEachChild(node, go);
  return found;
}

/** Leading whitespace of the line `pos` is on. */
export function indentationAt(sourceFile: ts.SourceFile, pos: number): string {
  const lineStart = sourceFile.getLineStarts()[sourceFile.getLineAndCharacterOfPosition(pos).line]!;
  const match = /^[ \t]*/.exec(sourceFile.text.slice(lineStart, pos));
  return match ? match[0] : "";
}

/** The file's indentation unit (two spaces unless the file clearly uses tabs or four spaces). */
export function indentUnit(sourceFile: ts.SourceFile): string {
  const text = sourceFile.text;
  if (/^\t/m.test(text) && !/^ {2}\S/m.test(text)) return "\t";
  if (/^ {4}\S/m.test(text) && !/^ {2}\S/m.test(text)) return "    ";
  return "  ";
}

/** A line-number helper for messages ("line 12"). */
export function lineOf(node: ts.Node, sourceFile: ts.SourceFile = node.getSourceFile()): number {
  return sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
}

/** `text` with its first letter upper-cased: a label ("the lock `withLock` takes for …") that opens a message. */
export function sentenceStart(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Inline code for a message: `text`, fenced as `inlineCode` does when it holds a backtick itself. */
export function code(text: string): string {
  return inlineCode(text);
}

/**
 * Inline code that stays one code span when the text holds backticks itself: a template literal alone is its own
 * span (`user:${id}`); a call around one gets a fence one backtick longer than the longest run inside, padded with
 * spaces as CommonMark strips them: `` lock(`user:${id}`) ``.
 */
export function inlineCode(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  if (runs.length === 0) return `\`${text}\``;
  if (runs.length === 2 && /^`[^`]*`$/.test(text)) return text;
  const longest = Math.max(...runs.map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence} ${text} ${fence}`;
}

/** `{ name: value }` / `{ name }` in an object literal (options objects of drivers and ORMs): the value expression. */
export function propertyValue(object: ts.Expression | undefined, name: string): ts.Expression | undefined {
  const node = object && skipParens(object);
  if (!node || !ts.isObjectLiteralExpression(node)) return undefined;
  for (const p of node.properties) {
    if (
      ts.isPropertyAssignment(p) &&
      (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) &&
      p.name.text === name
    )
      return p.initializer;
    if (ts.isShorthandPropertyAssignment(p) && p.name.text === name) return p.name;
  }
  return undefined;
}

/** `===`, `!==`, `==`, `!=`. */
export const EQUALITY_OPERATORS: ReadonlySet<ts.SyntaxKind> = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

/** A string, number, boolean or null literal. */
export function isLiteral(expr: ts.Expression): boolean {
  const node = skipParens(expr);
  return (
    ts.isStringLiteral(node) ||
    ts.isNumericLiteral(node) ||
    ts.isNoSubstitutionTemplateLiteral(node) ||
    node.kind === ts.SyntaxKind.TrueKeyword ||
    node.kind === ts.SyntaxKind.FalseKeyword ||
    node.kind === ts.SyntaxKind.NullKeyword
  );
}

/** `null` or `undefined`. */
export function isNullish(node: ts.Expression): boolean {
  const n = skipParens(node);
  return n.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(n) && n.text === "undefined");
}

/** What a missing-value test tests: `x` of `!x`, `x == null`, `x === undefined` (parentheses skipped); else undefined. */
export function nullTestSubject(test: ts.Expression): ts.Expression | undefined {
  const node = skipParens(test);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) return skipParens(node.operand);
  if (ts.isBinaryExpression(node) && /^(==|===)$/.test(node.operatorToken.getText()) && isNullish(node.right)) return skipParens(node.left);
  return undefined;
}

const ORDERING_OPERATORS: ReadonlySet<ts.SyntaxKind> = new Set([
  ts.SyntaxKind.LessThanToken,
  ts.SyntaxKind.LessThanEqualsToken,
  ts.SyntaxKind.GreaterThanToken,
  ts.SyntaxKind.GreaterThanEqualsToken,
]);

/** `=`, `+=`, `??=` and every other assignment operator. */
export function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** `a < b`, `a <= b`, `a > b`, `a >= b`. */
export function isOrderingComparison(node: ts.Node): node is ts.BinaryExpression {
  return ts.isBinaryExpression(node) && ORDERING_OPERATORS.has(node.operatorToken.kind);
}

/** The initializer of the one `const name = …` declared in `fn` outside nested functions; undefined when none or several. */
export function constInitializerIn(name: string, fn: ts.Node): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  let count = 0;
  const visit = (node: ts.Node): void => {
    if (node !== fn && isFunctionLike(node)) return;
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text === name &&
      node.initializer &&
      ts.isVariableDeclarationList(node.parent) &&
      (node.parent.flags & ts.NodeFlags.Const) !== 0
    ) {
      found = node.initializer;
      count++;
    }
    ts.forEachChild(node, visit);
  };
  visit(fn);
  return count === 1 ? found : undefined;
}
