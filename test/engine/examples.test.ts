// examples/ is the Quick start's target: it must compile, show every rule, and say truthfully what is wrong where —
// a function marked ❌ in its leading comment has a finding, a function marked ✅ has none.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { RULES } from "../../rules/index";
import { LintSession } from "../../server/src/cli/session";
import { ts } from "../../server/src/engine/ts";

const examples = path.join(__dirname, "..", "..", "..", "examples");

describe("examples/", () => {
  const session = new LintSession({ cwd: examples, paths: [], tsconfig: "tsconfig.json", rules: RULES });
  const run = session.lint();

  test("type-checks without errors (with the drivers installed as dev dependencies)", () => {
    const program = session.host.getProgram();
    const problems = session.spec.lintFiles.flatMap((file) => {
      const sf = program.getSourceFile(file)!;
      return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => {
        const { line } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${path.relative(examples, file)}:${line + 1} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
      });
    });
    assert.deepEqual(problems, []);
  });

  test("contains a finding of every rule", () => {
    const found = new Set(run.results.flatMap((r) => r.diagnostics.map((d) => d.ruleId)));
    assert.deepEqual(
      RULES.map((r) => r.meta.id).filter((id) => !found.has(id)),
      [],
    );
  });

  test("❌ functions have findings and ✅ functions have none", () => {
    const mistakes: string[] = [];
    let marked = 0;
    for (const result of run.results) {
      const sf = result.sourceFile;
      const visit = (node: ts.Node): void => {
        const comments = ts.getLeadingCommentRanges(sf.text, node.getFullStart()) ?? [];
        const text = comments.map((c) => sf.text.slice(c.pos, c.end)).join("\n");
        const isDeclaration =
          ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isVariableStatement(node) || ts.isClassDeclaration(node);
        if (isDeclaration && (text.includes("❌") || text.includes("✅"))) {
          marked++;
          const inside = result.diagnostics.filter((d) => d.span.start >= node.getStart(sf) && d.span.end <= node.end);
          const where = `${path.relative(examples, result.fileName)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
          const bad = text.lastIndexOf("❌") > text.lastIndexOf("✅");
          if (bad && inside.length === 0) mistakes.push(`${where} is marked ❌ but has no finding`);
          if (!bad && inside.length > 0) mistakes.push(`${where} is marked ✅ but has: ${inside.map((d) => d.ruleId).join(", ")}`);
          return;
        }
        ts.forEachChild(node, visit);
      };
      ts.forEachChild(sf, visit);
    }
    assert.ok(marked >= 10, `only ${marked} marked declarations found`);
    assert.deepEqual(mistakes, []);
  });
});
