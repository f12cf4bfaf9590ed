// A rule written with defineRule whose findings carry a message id and help, and a way to lint files with it: what
// the formatter tests present.
import * as fs from "node:fs";
import { buildReport, type Report } from "../../server/src/cli/report";
import { LintSession } from "../../server/src/cli/session";
import { defineRule, ts, type Rule } from "../../server/src/rule-kit";
import { tempProject } from "./helpers";

export const AWAIT_HELP = "Read the value again after the await, or hold a lock across it.";
/** Two findings of the rule: line 4 without help, line 5 with. */
export const AWAIT_CODE = [
  "declare function load(): Promise<number>;",
  "declare function skip(): Promise<void>;",
  "export async function f() {",
  "  await skip();",
  "  return await load();",
  "}",
  "",
].join("\n");

/** Reports every `await`; the one of `skip()` without help. */
export const awaitWithHelp = defineRule({
  meta: {
    id: "test-await-help",
    description: "Reports awaits, with help.",
    defaultSeverity: "error",
    messages: { awaited: "await of `{{expression}}`: another caller can run here" },
  },
  checkFile(context) {
    const visit = (node: ts.Node): void => {
      if (ts.isAwaitExpression(node)) {
        const expression = node.expression.getText(context.sourceFile);
        context.report({
          messageId: "awaited",
          data: { expression },
          ...(expression === "skip()" ? {} : { help: AWAIT_HELP }),
          span: { file: context.fileName, start: node.getStart(context.sourceFile), end: node.end },
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(context.sourceFile);
  },
});

/** The report of linting `files` (under src/) with `rules`, as `locksmith lint` builds it. */
export function reportOf(files: Record<string, string>, rules: readonly Rule[] = [awaitWithHelp]): Report {
  const dir = tempProject(files);
  try {
    const session = new LintSession({ cwd: dir, paths: ["src"], rules });
    return buildReport(session.lint(), dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
