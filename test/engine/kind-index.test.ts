// nodesOfKinds answers from a per-file kind index instead of walking: it must return exactly what a walk that keeps
// only those kinds returns (same nodes, same order), and with skipFunctions what walkFunctionBody returns. The
// reference lists are built with walk / walkFunctionBody, themselves checked against a plain forEachChild recursion.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CALL_KINDS,
  FUNCTION_KINDS,
  expressionKey,
  isFunctionLike,
  nodesOfKinds,
  walk,
  walkFunctionBody,
} from "../../server/src/analysis/ast";
import { ts } from "../../server/src/engine/ts";
import { random as mulberry32 } from "../reliability/fuzz";

const K = ts.SyntaxKind;

function parse(text: string, name = "sample.ts"): ts.SourceFile {
  return ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true);
}

/** What a walk keeping only `kinds` sees below `root`. */
function reference(root: ts.Node, kinds: readonly ts.SyntaxKind[], skipFunctions: boolean): ts.Node[] {
  const wanted = new Set(kinds);
  const out: ts.Node[] = [];
  (skipFunctions ? walkFunctionBody : walk)(root, (node) => {
    if (wanted.has(node.kind)) out.push(node);
  });
  // walk itself answers from an index: it must agree with a recursion that does not.
  const plain: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    if (skipFunctions && isFunctionLike(node)) return;
    if (wanted.has(node.kind)) plain.push(node);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(root, visit);
  assert.equal(out.length, plain.length, "walk and forEachChild disagree");
  assert.ok(
    out.every((node, i) => node === plain[i]),
    "walk and forEachChild disagree",
  );
  return out;
}

const tuples = (nodes: readonly ts.Node[]) => nodes.map((n) => [n.pos, n.end, ts.SyntaxKind[n.kind]]);

function assertSameAsWalk(root: ts.Node, kinds: readonly ts.SyntaxKind[], skipFunctions: boolean, what: string): void {
  const expected = reference(root, kinds, skipFunctions);
  const actual = nodesOfKinds(root, kinds, skipFunctions ? { skipFunctions } : {});
  assert.deepEqual(tuples(actual), tuples(expected), what);
  assert.ok(
    actual.every((node, i) => node === expected[i]),
    `${what}: same positions but not the same node objects`,
  );
}

/** The first node below `root` (pre-order) of `kind` whose text starts with `prefix`. */
function find<T extends ts.Node>(root: ts.Node, kind: ts.SyntaxKind, prefix: string): T {
  let found: ts.Node | undefined;
  walk(root, (node) => {
    if (found) return false;
    if (node.kind === kind && node.getText().startsWith(prefix)) found = node;
  });
  assert.ok(found, `no ${ts.SyntaxKind[kind]} starting with ${prefix}`);
  return found as T;
}

const SAMPLE = `import { Pool } from "pg";
const pool = new Pool();
const sql = (strings: TemplateStringsArray, ...values: unknown[]) => pool.query(strings.join("?"), values);

export class Ledger {
  private balance = 0;
  constructor(private readonly lock: { runExclusive<T>(fn: () => Promise<T>): Promise<T> }) {
    this.balance = Number(process.env.START ?? 0);
  }
  get current(): number {
    return this.balance;
  }
  set current(value: number) {
    this.balance = value;
  }
  async transfer(from: string, to: string, amount: number): Promise<void> {
    await this.lock.runExclusive(async () => {
      const rows = await sql\`select balance from accounts where id = \${from}\`;
      for (const row of rows.rows) {
        if (row.balance < amount) throw new Error(String(row.balance));
        await sql\`update accounts set balance = balance - \${amount} where id = \${from}\`;
        await pool.query("update accounts set balance = balance + $1 where id = $2", [amount, to]);
      }
    });
    let tries = 0;
    while (tries++ < 3) {
      try {
        await retry(() => pool.query(format(String(tries), [1, 2].map((n) => n * 2))), function inner() {
          return log(sql\`select \${tries}\`, () => audit(wrap(from)));
        });
      } catch (error) {
        log(error);
      }
    }
    do {
      tries = await Promise.all([load(from), load(to)].map(async (p) => (await p).length));
    } while (tries < 0);
  }
}

export async function settle(ids: string[]): Promise<number> {
  const results = await Promise.all(ids.map((id) => pool.query(\`select 1 where id = '\${id}'\`)));
  for (let i = 0; i < results.length; i++) {
    const nested = function (this: unknown) {
      return results[i]!.rowCount ?? send(() => i);
    };
    await nested.call(undefined);
  }
  return results.length;
}

declare function retry<T>(fn: () => Promise<T>, fallback: () => unknown): Promise<T>;
declare function format(text: string, values: unknown[]): string;
declare function log(...values: unknown[]): void;
declare function audit(value: unknown): void;
declare function wrap(value: unknown): unknown;
declare function load(id: string): Promise<string[]>;
declare function send(fn: () => unknown): number;
`;

describe("nodesOfKinds", () => {
  const sourceFile = parse(SAMPLE);
  const transfer = find<ts.MethodDeclaration>(sourceFile, K.MethodDeclaration, "async transfer");
  const roots: Array<[string, ts.Node]> = [
    ["the source file", sourceFile],
    ["a class", find(sourceFile, K.ClassDeclaration, "export class Ledger")],
    ["a method (the function node)", transfer],
    ["a method body", transfer.body!],
    ["an inner block (a loop body)", find(transfer, K.Block, "{\n        if (row.balance")],
    ["a try block", find(transfer, K.TryStatement, "try")],
    ["a call with functions in its arguments", find(transfer, K.CallExpression, "retry(")],
    ["an arrow function passed to a call", find(transfer, K.ArrowFunction, "async () =>")],
    ["a function body", find<ts.FunctionDeclaration>(sourceFile, K.FunctionDeclaration, "export async function settle").body!],
    ["a tagged template", find(transfer, K.TaggedTemplateExpression, "sql`update")],
    ["an identifier (no children)", find(transfer, K.Identifier, "tries")],
  ];
  const kindSets: Array<[string, readonly ts.SyntaxKind[]]> = [
    ["calls", [K.CallExpression]],
    ["awaits", [K.AwaitExpression]],
    ["CALL_KINDS", CALL_KINDS],
    ["loops", [K.WhileStatement, K.DoStatement, K.ForStatement, K.ForOfStatement]],
    [
      "mixed, not in kind order",
      [K.TaggedTemplateExpression, K.VariableDeclaration, K.BinaryExpression, K.CallExpression, K.AwaitExpression],
    ],
    ["identifiers (the most frequent kind)", [K.Identifier]],
    ["a kind absent from the file", [K.WithStatement]],
    ["no kinds", []],
  ];

  test("returns what walk sees, in walk's order, for every root and kind set", () => {
    let compared = 0;
    for (const [rootName, root] of roots) {
      for (const [kindsName, kinds] of [
        ...kindSets,
        ["FUNCTION_KINDS", FUNCTION_KINDS] as const,
        ["functions and calls", [...FUNCTION_KINDS, ...CALL_KINDS]] as const,
      ]) {
        assertSameAsWalk(root, kinds, false, `${kindsName} below ${rootName}`);
        compared++;
      }
    }
    assert.equal(compared, roots.length * (kindSets.length + 2));
    // The sample exercises what it claims to: tagged templates, calls in calls, calls in functions in calls.
    const start = (nodes: ts.Node[]) => nodes.map((n) => n.getText().split(/[(`]/)[0]);
    assert.deepEqual(start(nodesOfKinds(sourceFile, [K.TaggedTemplateExpression])), ["sql", "sql", "sql"]);
    assert.deepEqual(start(nodesOfKinds(find(transfer, K.CallExpression, "retry("), CALL_KINDS)), [
      "pool.query",
      "format",
      "String",
      "[1, 2].map",
      "log",
      "sql",
      "audit",
      "wrap",
    ]);
  });

  test("with skipFunctions, returns what walkFunctionBody sees, for every root and kind set", () => {
    // Function kinds too: walkFunctionBody visits no nested function, so nodesOfKinds returns none of them.
    const withFunctions = [
      ...kindSets,
      ["FUNCTION_KINDS", FUNCTION_KINDS] as const,
      ["functions and calls", [...FUNCTION_KINDS, ...CALL_KINDS]] as const,
    ];
    for (const [rootName, root] of roots) {
      for (const [kindsName, kinds] of withFunctions)
        assertSameAsWalk(root, kinds, true, `${kindsName} below ${rootName}, skipping functions`);
    }
    // A kind asked for twice is still returned once per node, as a walk would.
    assertSameAsWalk(transfer, [K.CallExpression, K.CallExpression, K.AwaitExpression], false, "calls asked for twice");
    // The nested functions hide calls: fewer than without skipFunctions.
    const retryCall = find(transfer, K.CallExpression, "retry(");
    assert.deepEqual(
      nodesOfKinds<ts.CallExpression>(retryCall, [K.CallExpression], { skipFunctions: true }).map((c) => c.expression.getText()),
      [],
    );
    assert.deepEqual(
      nodesOfKinds<ts.CallExpression>(transfer.body!, CALL_KINDS, { skipFunctions: true }).map((c) =>
        (ts.isCallExpression(c) ? c.expression : c).getText(),
      ),
      ["this.lock.runExclusive", "retry", "log", "Promise.all", "[load(from), load(to)].map", "load", "load"],
    );
  });

  test("written out: calls in a body, skipping nested functions and not", () => {
    const file = parse("async function f() { a(); const g = () => b(); c(() => d()); e(); }");
    const body = (file.statements[0] as ts.FunctionDeclaration).body!;
    const callees = (nodes: ts.Node[]) => nodes.map((n) => (n as ts.CallExpression).expression.getText());
    assert.deepEqual(callees(nodesOfKinds(body, [K.CallExpression], { skipFunctions: true })), ["a", "c", "e"]);
    assert.deepEqual(callees(nodesOfKinds(body, [K.CallExpression])), ["a", "b", "c", "d", "e"]);
    assert.deepEqual(callees(nodesOfKinds(file, [K.CallExpression], { skipFunctions: true })), []);
    // Asked again (the kind index is built once per file): the same nodes.
    const first = nodesOfKinds(body, CALL_KINDS);
    const second = nodesOfKinds(body, CALL_KINDS);
    assert.equal(second.length, 5);
    assert.ok(second.every((node, i) => node === first[i]));
  });

  test("a node built with ts.factory (no file, pos -1) is walked instead", () => {
    const f = ts.factory;
    const call = (name: string, args: ts.Expression[] = []) => f.createCallExpression(f.createIdentifier(name), undefined, args);
    const arrow = f.createArrowFunction(undefined, undefined, [], undefined, f.createToken(K.EqualsGreaterThanToken), call("d"));
    const block = f.createBlock([
      f.createExpressionStatement(call("a")),
      f.createExpressionStatement(call("c", [arrow])),
      f.createExpressionStatement(call("e")),
    ]);
    assert.equal(block.pos, -1);
    const callees = (nodes: ts.Node[]) => nodes.map((n) => ((n as ts.CallExpression).expression as ts.Identifier).text);
    assert.deepEqual(callees(nodesOfKinds(block, [K.CallExpression])), ["a", "c", "d", "e"]);
    assert.deepEqual(callees(nodesOfKinds(block, [K.CallExpression], { skipFunctions: true })), ["a", "c", "e"]);
    const functions = nodesOfKinds(block, FUNCTION_KINDS);
    assert.equal(functions.length, 1);
    assert.equal(functions[0], arrow);
    assertSameAsWalk(block, [K.CallExpression, K.Identifier], false, "a factory block");
    assertSameAsWalk(block, [K.CallExpression, K.Identifier], true, "a factory block, skipping functions");
  });

  test("a node of a file parsed without parent pointers (no way to its file) is walked instead", () => {
    const file = ts.createSourceFile(
      "orphans.ts",
      "async function f() { a(); const g = () => b(); c(() => d()); e(); }",
      ts.ScriptTarget.ES2022,
      false,
    );
    const body = (file.statements[0] as ts.FunctionDeclaration).body!;
    const callees = (nodes: ts.Node[]) => nodes.map((n) => ((n as ts.CallExpression).expression as ts.Identifier).text);
    assert.deepEqual(callees(nodesOfKinds(body, [K.CallExpression], { skipFunctions: true })), ["a", "c", "e"]);
    assert.deepEqual(callees(nodesOfKinds(body, [K.CallExpression])), ["a", "b", "c", "d", "e"]);
    assert.deepEqual(callees(nodesOfKinds(file, [K.CallExpression])), ["a", "b", "c", "d", "e"]);
  });

  test("agrees with walk on 200 random programs, random roots and random kinds", () => {
    const random = mulberry32(0x10c5);
    let compared = 0;
    for (let program = 0; program < 200; program++) {
      const text = randomProgram(random);
      const file = parse(text, `random-${program}.ts`);
      const all: ts.Node[] = [file];
      walk(file, (node) => void all.push(node));
      for (let query = 0; query < 8; query++) {
        const root = all[Math.floor(random() * all.length)]!;
        const skipFunctions = random() < 0.5;
        // Function kinds with skipFunctions too, and now and then a kind asked for twice.
        const kinds = pick(random, KIND_POOL, 1 + Math.floor(random() * 4));
        if (random() < 0.2) kinds.push(kinds[0]!);
        const what = `program ${program}, root ${ts.SyntaxKind[root.kind]} at ${root.pos}, kinds ${kinds.map((k) => ts.SyntaxKind[k]).join(",")}, skipFunctions ${skipFunctions}\n${text}`;
        assertSameAsWalk(root, kinds, skipFunctions, what);
        compared++;
      }
    }
    assert.equal(compared, 1600);
  });
});

describe("expressionKey", () => {
  test("ignores whitespace, quote style and optional chaining, and gives the same key when asked again", () => {
    const file = parse("a[ 'x' ]?.b;\na[\"x\"].b;\n(a[`x`] . b);\na['y'].b;\n");
    const [spaced, plain, parenthesised, other] = file.statements.map((s) => (s as ts.ExpressionStatement).expression);
    assert.equal(expressionKey(spaced!), 'a["x"].b');
    assert.equal(expressionKey(plain!), 'a["x"].b');
    assert.equal(expressionKey(parenthesised!), 'a["x"].b');
    assert.equal(expressionKey(other!), 'a["y"].b');
    // Memoised per node: repeated calls (with or without the file) give the same key.
    for (let i = 0; i < 3; i++) {
      assert.equal(expressionKey(spaced!, file), 'a["x"].b');
      assert.equal(expressionKey(spaced!), 'a["x"].b');
      assert.equal(expressionKey(other!, file), 'a["y"].b');
    }
  });

  test("the same text in another file (or a new version of the file) has the same key", () => {
    const first = parse("lock.acquire( 'k' );\n", "one.ts");
    const second = parse('// moved down\nlock.acquire("k");\n', "two.ts");
    const key = (file: ts.SourceFile) => expressionKey((file.statements[0] as ts.ExpressionStatement).expression, file);
    assert.equal(key(first), 'lock.acquire("k")');
    assert.equal(key(second), 'lock.acquire("k")');
  });
});

// ----- random programs -----

/** Kinds the generator produces (and a few it does not). */
const KIND_POOL: readonly ts.SyntaxKind[] = [
  ...CALL_KINDS,
  ...FUNCTION_KINDS,
  K.AwaitExpression,
  K.Identifier,
  K.Block,
  K.ExpressionStatement,
  K.VariableDeclaration,
  K.BinaryExpression,
  K.ForOfStatement,
  K.WhileStatement,
  K.IfStatement,
  K.ReturnStatement,
  K.PropertyAccessExpression,
  K.ParenthesizedExpression,
  K.NewExpression,
  K.TemplateExpression,
  K.ClassDeclaration,
  K.TryStatement,
  K.NumericLiteral,
  K.SwitchStatement,
];

/** `count` distinct items of `pool`. */
function pick<T>(random: () => number, pool: readonly T[], count: number): T[] {
  const rest = [...pool];
  const out: T[] = [];
  while (out.length < count && rest.length > 0) out.push(rest.splice(Math.floor(random() * rest.length), 1)[0]!);
  return out;
}

function randomProgram(random: () => number): string {
  const names = ["a", "b", "db", "lock", "sql", "x"];
  const name = () => names[Math.floor(random() * names.length)]!;
  const choose = <T>(...options: T[]): T => options[Math.floor(random() * options.length)]!;
  const expression = (depth: number): string => {
    if (depth <= 0) return choose(name(), String(Math.floor(random() * 10)), `${name()}.${name()}`);
    const sub = () => expression(depth - 1);
    switch (Math.floor(random() * 11)) {
      case 0:
        return `${name()}(${Array.from({ length: Math.floor(random() * 3) }, sub).join(", ")})`;
      case 1:
        return `${sub()}.${name()}(${sub()})`;
      case 2:
        return `await ${sub()}`;
      case 3:
        return `sql\`select ${"${"}${sub()}} from t\``;
      case 4:
        return `async (${name()}) => ${sub()}`;
      case 5:
        return `async () => {\n${statements(depth - 1)}}`;
      case 6:
        return `function ${name()}() {\n${statements(depth - 1)}}`;
      case 7:
        return `(${sub()} + ${sub()})`;
      case 8:
        return `new ${name()}(${sub()})`;
      case 9:
        return `${sub()} ? ${sub()} : ${sub()}`;
      default:
        return `[${sub()}, { ${name()}: ${sub()}, m() { return ${sub()}; } }]`;
    }
  };
  const statement = (depth: number): string => {
    const e = () => expression(Math.max(depth, 0));
    if (depth <= 0) return `${e()};\n`;
    const body = () => statements(depth - 1);
    switch (Math.floor(random() * 10)) {
      case 0:
        return `const ${name()}1 = ${e()};\n`;
      case 1:
        return `if (${e()}) {\n${body()}} else {\n${body()}}\n`;
      case 2:
        return `for (const ${name()}2 of ${e()}) {\n${body()}}\n`;
      case 3:
        return `while (${e()}) {\n${body()}}\n`;
      case 4:
        return `try {\n${body()}} catch {\n${body()}}\n`;
      case 5:
        return `class C${Math.floor(random() * 100)} {\n  constructor() {\n${body()}}\n  get g() { return ${e()}; }\n  async m() {\n${body()}}\n}\n`;
      case 6:
        return `switch (${e()}) {\n  case 1:\n${body()}  default:\n${body()}}\n`;
      case 7:
        return `return ${e()};\n`;
      default:
        return `${e()};\n`;
    }
  };
  const statements = (depth: number): string => Array.from({ length: 1 + Math.floor(random() * 3) }, () => statement(depth)).join("");
  return `async function main() {\n${statements(3)}}\n${statements(2)}`;
}
