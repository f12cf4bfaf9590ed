// The rule-authoring surface: defineRule's defaults, message templates (a hole without data is a compile error and a
// thrown error, never "the  row"), typed and validated options, the fixer, and the shared fix-text helpers.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { defineRule, freshName, reindentedText, statementOf, ts, wrapStatements } from "../../server/src/rule-kit";
import { schemaProblem, validateConfig } from "../../server/src/engine/config";
import { applyEdits } from "../../server/src/engine/fixes";
import { lintCode } from "../helpers/rule-tester";

const parse = (text: string) => ts.createSourceFile("/virtual-project/src/file.ts", text, ts.ScriptTarget.ES2022, true);

const counter = defineRule({
  meta: {
    id: "counter-test",
    description: "Reports every `counter++`.",
    defaultSeverity: "warn",
    fixable: true,
    messages: { increment: "{{name}} is incremented without a lock.", bare: "An increment." },
    optionsSchema: { type: "object", properties: { step: { type: "integer", minimum: 1 } }, additionalProperties: false },
    defaultOptions: { step: 1 },
  },
  checkFile(context) {
    const step: number = context.options.step;
    const visit = (node: ts.Node): void => {
      if (ts.isPostfixUnaryExpression(node) && ts.isIdentifier(node.operand)) {
        const fix = context.fixer.fix("Add step", context.fixer.replace(node, `${node.operand.text} += ${step}`));
        context.report({
          messageId: "increment",
          data: { name: node.operand.text },
          help: "Use an atomic counter.",
          span: { file: context.fileName, start: node.getStart(), end: node.getEnd() },
          fixes: [fix],
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(context.sourceFile);
  },
});

describe("defineRule", () => {
  test("fills meta defaults: no suggestions, file scope; a rule without options gets {}", () => {
    assert.equal(counter.meta.hasSuggestions, false);
    assert.equal(counter.meta.scope, "file");
    const bare = defineRule({ meta: { id: "bare", description: "d", defaultSeverity: "error", messages: { m: "x" } }, checkFile() {} });
    assert.deepEqual([bare.meta.fixable, bare.meta.defaultOptions], [false, {}]);
    const project = defineRule({ meta: { id: "p", description: "d", defaultSeverity: "error", messages: { m: "x" } }, checkProject() {} });
    assert.equal(project.meta.scope, "project");
  });

  test("report formats the template from data, keeps messageId, data and help apart, and the fixer stamps the file", () => {
    const linted = lintCode(counter, { code: "let n = 0;\nn++;\n", options: { step: 5 } });
    assert.equal(linted.diagnostics.length, 1);
    const [d] = linted.diagnostics;
    assert.deepEqual(
      [d!.messageId, d!.data, d!.message, d!.help],
      ["increment", { name: "n" }, "n is incremented without a lock.", "Use an atomic counter."],
    );
    assert.equal(d!.fixes[0]!.edits[0]!.file, "/virtual-project/src/file.ts");
    assert.equal(applyEdits(linted.text, d!.fixes[0]!.edits), "let n = 0;\nn += 5;\n");
  });

  test("a template hole without data is a type error, and a thrown error at run time (reported as the rule's crash)", () => {
    const holey = defineRule({
      meta: { id: "holey", description: "d", defaultSeverity: "error", messages: { m: "the {{what}} row" } },
      checkFile(context) {
        // @ts-expect-error: `data.what` is required by the template.
        context.report({ messageId: "m", span: { file: context.fileName, start: 0, end: 1 } });
        // @ts-expect-error: an unknown message id.
        if (false as boolean) context.report({ messageId: "nope", span: { file: context.fileName, start: 0, end: 1 } });
      },
    });
    assert.throws(() => lintCode(holey, { code: "x;\n" }), /rule crashed: Error: rule "holey": message "m" has no data for \{\{what\}\}/);
  });
});

describe("rule options", () => {
  test("configuration is validated against the schema, nested, with the key and what was expected", () => {
    const rules = [counter];
    const problem = (options: unknown) => {
      try {
        validateConfig({ rules: { "counter-test": ["warn", options] } }, "locksmith.json", rules);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    };
    assert.equal(problem({ step: 2 }), undefined);
    assert.equal(problem({ step: 0 }), 'locksmith.json: "rules.counter-test[1].step" must be at least 1, got 0');
    assert.equal(problem({ step: 1.5 }), 'locksmith.json: "rules.counter-test[1].step" must be an integer, got 1.5');
    assert.equal(
      problem({ stride: 1 }),
      'locksmith.json: "rules.counter-test[1].stride" is not an option of "counter-test" (expected one of: step)',
    );
  });

  test("anyOf, items and required are checked at every level", () => {
    const schema = {
      type: "array" as const,
      items: {
        anyOf: [
          { type: "string" as const },
          { type: "object" as const, properties: { call: { type: "string" as const } }, required: ["call"] },
        ],
      },
    };
    assert.equal(schemaProblem(["fetch", { call: "send" }], schema, "slowCalls"), undefined);
    assert.deepEqual(schemaProblem(["fetch", 3], schema, "slowCalls"), {
      key: "slowCalls[1]",
      expected: "must be a string or an object, got 3",
    });
    assert.deepEqual(schemaProblem("fetch", schema, "slowCalls"), {
      key: "slowCalls",
      expected: 'must be an array of strings or objects, got "fetch"',
    });
    assert.deepEqual(schemaProblem([{ module: "axios" }], schema, "slowCalls"), {
      key: "slowCalls[0]",
      expected: 'must be a string or an object, got {"module":"axios"}',
    });
  });
});

describe("fix text helpers", () => {
  test("freshName: the first of base, base2, … not used as a word in the scope", () => {
    const sf = parse("const result = 1; const result2 = 2; const results = 3;");
    assert.equal(freshName(sf, "result"), "result3");
    assert.equal(freshName(sf, "count"), "count");
  });

  test("statementOf: the enclosing statement of a block, file or case clause; none across a function", () => {
    const sf = parse("switch (x) {\n  case 1:\n    f(a);\n}\nconst g = () => h(b);\n");
    const find = (name: string) => {
      let found: ts.Node | undefined;
      const visit = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && n.text === name) found = n;
        ts.forEachChild(n, visit);
      };
      visit(sf);
      return found!;
    };
    assert.equal(statementOf(find("a"))!.getText(), "f(a);");
    assert.equal(statementOf(find("b")), undefined);
    assert.equal(statementOf(find("g"))!.getText(), "const g = () => h(b);");
  });

  test("reindentedText moves lines from one indentation to another, never inside template literals", () => {
    const text = "    a();\n    const s = `\n    kept\n`;\n\n    b();";
    const sf = parse(text);
    assert.equal(reindentedText(sf, 4, text.length, { from: "    ", to: "  " }), "a();\n  const s = `\n    kept\n`;\n\n  b();");
  });

  test("wrapStatements wraps statements one level deeper, with inner edits applied", () => {
    const text = "function f() {\n  a();\n  b(`\nx`);\n}\n";
    const sf = parse(text);
    const body = (sf.statements[0] as ts.FunctionDeclaration).body!.statements;
    const inner = [{ file: sf.fileName, start: text.indexOf("a()"), end: text.indexOf("a()") + 1, newText: "c" }];
    const edit = wrapStatements(sf, body, "run(() => {", "});", inner);
    assert.equal(applyEdits(text, [edit]), "function f() {\n  run(() => {\n    c();\n    b(`\nx`);\n  });\n}\n");
  });
});
