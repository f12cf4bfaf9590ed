// Small rules with fixed, known behaviour, so that the protocol tests do not depend on what the real rules report:
// a file rule with a safe fix that needs the runtime, a suggestion and a help line, a project rule whose finding in
// one file depends on another file, and a few more.
import { defineRule, ts, type Rule } from "../../server/src/rule-kit";
import { runtimeImportEdits } from "../../server/src/engine/runtime-import";

export const INCREMENT_HELP = "Run the increment under a lock, or make it atomic.";

/**
 * Flags the statement `counter++;`. Fix: run it under a Mutex from the runtime. Suggestion: remove it. The message
 * names the editor's extra slow calls (`EngineSettings.extraSlowCalls`), so tests can see that they reach the rules.
 */
export const unguardedIncrement = defineRule({
  meta: {
    id: "fake-unguarded-increment",
    description: "test rule",
    defaultSeverity: "warn",
    fixable: true,
    hasSuggestions: true,
    messages: { race: "counter++ races with other increments of counter{{slowCalls}}." },
  },
  checkFile(context) {
    const { sourceFile } = context;
    const slowCalls = (context.settings.extraSlowCalls ?? []).map((c) => (c.module ? `${c.module}#${c.call}` : c.call));
    const visit = (node: ts.Node): void => {
      if (
        ts.isExpressionStatement(node) &&
        ts.isPostfixUnaryExpression(node.expression) &&
        node.expression.getText(sourceFile) === "counter++"
      ) {
        const start = node.getStart(sourceFile);
        const runtime = runtimeImportEdits(sourceFile, context.settings, ["Mutex"]);
        context.report({
          messageId: "race",
          data: { slowCalls: slowCalls.length > 0 ? ` (slow calls: ${slowCalls.join(", ")})` : "" },
          help: INCREMENT_HELP,
          span: { file: context.fileName, start, end: node.expression.end },
          related: [{ span: { file: context.fileName, start: 0, end: 0 }, message: "file starts here" }],
          fixes: [
            {
              title: "Run the increment under a Mutex",
              edits: [
                ...runtime.edits,
                { file: context.fileName, start, end: node.end, newText: "await new Mutex().runExclusive(() => counter++);" },
              ],
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
});

/** Flags a function declared with the same name in two files of the project (each points at the other). */
export const duplicateFunction = defineRule({
  meta: {
    id: "fake-duplicate-function",
    description: "test rule",
    defaultSeverity: "error",
    messages: { duplicate: "{{name}} is also declared in another file." },
  },
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
          messageId: "duplicate",
          data: { name },
          span: span(declaration.name!),
          related: list
            .filter((other) => other !== declaration)
            .map((other) => ({ span: span(other.name!), message: "other declaration" })),
        });
      }
    }
  },
});

/** Read from the comment's text: TypeScript files are parsed without their JSDoc (engine/project.ts). */
function documentedSlow(declaration: ts.Declaration): boolean {
  const file = declaration.getSourceFile();
  const comments = ts.getLeadingCommentRanges(file.text, declaration.getFullStart()) ?? [];
  return comments.some((c) => /^\/\*\*[^]*@slow\b/.test(file.text.slice(c.pos, c.end)));
}

/**
 * Flags calls to functions documented `@slow`, wherever they are declared: a file's findings depend on the files it
 * imports (through the type checker), as the real rules' findings do.
 */
export const slowCall = defineRule({
  meta: { id: "fake-slow-call", description: "test rule", defaultSeverity: "warn", messages: { slow: "{{callee}}() is slow." } },
  checkFile(context) {
    const { sourceFile } = context;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        let symbol = context.checker.getSymbolAtLocation(node.expression);
        if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = context.checker.getAliasedSymbol(symbol);
        if (symbol?.declarations?.some(documentedSlow)) {
          const callee = node.expression.getText(sourceFile);
          context.report({
            messageId: "slow",
            data: { callee },
            span: { file: context.fileName, start: node.getStart(sourceFile), end: node.end },
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  },
});

/** Reports nothing; records every file the file rules were run on (which files the server re-analysed). */
export function recordingRule(checked: string[]): Rule {
  return defineRule({
    meta: { id: "fake-recording", description: "test rule", defaultSeverity: "warn", messages: {} },
    checkFile(context) {
      checked.push(context.fileName);
    },
  });
}

/** Always throws: the server must log it and keep reporting the other rules. */
export const crashingRule = defineRule({
  meta: { id: "fake-crashing", description: "test rule", defaultSeverity: "error", messages: {} },
  checkFile() {
    throw new Error("boom");
  },
});

export const FAKE_RULES: readonly Rule[] = [unguardedIncrement, duplicateFunction, crashingRule];
