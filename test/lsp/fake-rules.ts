// Two small rules with fixed, known behaviour, so that the protocol tests do not depend on what the real rules
// report: a file rule with a safe fix that needs the runtime plus a suggestion, and a project rule whose finding
// in one file depends on another file.
import { ts } from "../../server/src/engine/ts";
import { runtimeImportEdits } from "../../server/src/engine/runtime-import";
import type { Rule } from "../../server/src/engine/types";

/** Flags the statement `counter++;`. Fix: run it under a Mutex from the runtime. Suggestion: remove it. */
export const unguardedIncrement: Rule = {
  meta: {
    id: "fake-unguarded-increment",
    description: "test rule",
    defaultSeverity: "warn",
    fixable: true,
    hasSuggestions: true,
    scope: "file",
    optionsSchema: { type: "object", properties: { slowCalls: { type: "array", items: { type: "object" } } } },
  },
  checkFile(context) {
    const { sourceFile } = context;
    const visit = (node: ts.Node): void => {
      if (ts.isExpressionStatement(node) && ts.isPostfixUnaryExpression(node.expression) && node.expression.getText(sourceFile) === "counter++") {
        const start = node.getStart(sourceFile);
        const runtime = runtimeImportEdits(sourceFile, context.settings, ["Mutex"]);
        const slowCalls = ((context.options.slowCalls as Array<{ module?: string; call: string }> | undefined) ?? []).map((c) => (c.module ? `${c.module}#${c.call}` : c.call));
        context.report({
          message: `counter++ races with other increments of counter${slowCalls.length > 0 ? ` (slow calls: ${slowCalls.join(", ")})` : ""}.`,
          span: { file: context.fileName, start, end: node.expression.end },
          related: [{ span: { file: context.fileName, start: 0, end: 0 }, message: "file starts here" }],
          fixes: [
            {
              title: "Run the increment under a Mutex",
              edits: [...runtime.edits, { file: context.fileName, start, end: node.end, newText: "await new Mutex().runExclusive(() => counter++);" }],
              newFiles: runtime.newFiles,
            },
          ],
          suggestions: [{ title: "Remove the increment", edits: [{ file: context.fileName, start, end: node.end, newText: "" }] }],
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  },
};

/** Flags a function declared with the same name in two files of the project (each points at the other). */
export const duplicateFunction: Rule = {
  meta: { id: "fake-duplicate-function", description: "test rule", defaultSeverity: "error", fixable: false, hasSuggestions: false, scope: "project" },
  checkProject(context) {
    const declarations = new Map<string, ts.FunctionDeclaration[]>();
    for (const sourceFile of context.sourceFiles) {
      for (const statement of sourceFile.statements) {
        if (!ts.isFunctionDeclaration(statement) || !statement.name) continue;
        declarations.set(statement.name.text, [...(declarations.get(statement.name.text) ?? []), statement]);
      }
    }
    for (const [name, list] of declarations) {
      if (list.length < 2) continue;
      for (const declaration of list) {
        const span = (node: ts.Node) => ({ file: node.getSourceFile().fileName, start: node.getStart(), end: node.end });
        context.report({
          message: `${name} is also declared in another file.`,
          span: span(declaration.name!),
          related: list.filter((other) => other !== declaration).map((other) => ({ span: span(other.name!), message: "other declaration" })),
        });
      }
    }
  },
};

/**
 * Flags calls to functions documented `@slow`, wherever they are declared: a file's findings depend on the files it
 * imports (through the type checker), as the real rules' findings do.
 */
export const slowCall: Rule = {
  meta: { id: "fake-slow-call", description: "test rule", defaultSeverity: "warn", fixable: false, hasSuggestions: false, scope: "file" },
  checkFile(context) {
    const { sourceFile } = context;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        let symbol = context.checker.getSymbolAtLocation(node.expression);
        if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = context.checker.getAliasedSymbol(symbol);
        if (symbol?.declarations?.some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === "slow"))) {
          context.report({ message: `${node.expression.getText(sourceFile)}() is slow.`, span: { file: context.fileName, start: node.getStart(sourceFile), end: node.end } });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  },
};

/** Reports nothing; records every file the file rules were run on (which files the server re-analysed). */
export function recordingRule(checked: string[]): Rule {
  return {
    meta: { id: "fake-recording", description: "test rule", defaultSeverity: "warn", fixable: false, hasSuggestions: false, scope: "file" },
    checkFile(context) {
      checked.push(context.fileName);
    },
  };
}

/** Always throws: the server must log it and keep reporting the other rules. */
export const crashingRule: Rule = {
  meta: { id: "fake-crashing", description: "test rule", defaultSeverity: "error", fixable: false, hasSuggestions: false, scope: "file" },
  checkFile() {
    throw new Error("boom");
  },
};

export const FAKE_RULES: readonly Rule[] = [unguardedIncrement, duplicateFunction, crashingRule];
