// Inputs for the reliability tests, collected without executing anything: every examples/**/*.ts file, every file
// under test/reliability/fixtures/, every ```ts block of the rule docs, and every `code:`/`output:` string of the rule
// test tables (read by parsing test/rules/*.test.ts, so a new rule's tests are picked up without touching this file).
import * as fs from "node:fs";
import * as path from "node:path";
import { ts } from "../../server/src/engine/ts";

export const REPO_ROOT = path.join(__dirname, "..", "..", "..");

export interface CorpusEntry {
  /** Where the text comes from: a path, or `path:line` for a snippet. */
  origin: string;
  text: string;
}

export function corpus(): CorpusEntry[] {
  return [
    ...sourceFilesUnder(path.join(REPO_ROOT, "examples")),
    ...sourceFilesUnder(path.join(REPO_ROOT, "test", "reliability", "fixtures")),
    ...docBlocks(path.join(REPO_ROOT, "rules", "docs")),
    ...ruleTestSnippets(path.join(REPO_ROOT, "test", "rules")),
  ];
}

function sourceFilesUnder(dir: string): CorpusEntry[] {
  if (!fs.existsSync(dir)) return [];
  const out: CorpusEntry[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && /\.(ts|tsx|mts|cts)$/.test(entry.name) && !entry.name.endsWith(".d.ts") && !full.includes("node_modules")) {
      out.push({ origin: path.relative(REPO_ROOT, full), text: fs.readFileSync(full, "utf8") });
    }
  }
  return out.sort((a, b) => a.origin.localeCompare(b.origin));
}

function docBlocks(dir: string): CorpusEntry[] {
  if (!fs.existsSync(dir)) return [];
  const out: CorpusEntry[] = [];
  for (const name of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .sort()) {
    const lines = fs.readFileSync(path.join(dir, name), "utf8").split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const open = /^\s*(```+)\s*(ts|typescript)\s*$/i.exec(lines[i]!);
      if (!open) continue;
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !lines[j]!.trim().startsWith(open[1]!)) body.push(lines[j++]!);
      out.push({ origin: `rules/docs/${name}:${i + 1}`, text: `${body.join("\n")}\n` });
      i = j;
    }
  }
  return out;
}

/** `code:` and `output:` strings of the rule test tables, evaluated statically (literals, templates, `+`, consts). */
function ruleTestSnippets(dir: string): CorpusEntry[] {
  if (!fs.existsSync(dir)) return [];
  const out: CorpusEntry[] = [];
  for (const name of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts"))
    .sort()) {
    const sourceFile = ts.createSourceFile(name, fs.readFileSync(path.join(dir, name), "utf8"), ts.ScriptTarget.Latest, true);
    const constants = new Map<string, ts.Expression>();
    for (const statement of sourceFile.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer) constants.set(declaration.name.text, declaration.initializer);
      }
    }
    const evaluate = (node: ts.Expression, depth = 0): string | undefined => {
      if (depth > 20) return undefined;
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
      if (ts.isParenthesizedExpression(node)) return evaluate(node.expression, depth + 1);
      if (ts.isIdentifier(node)) {
        const init = constants.get(node.text);
        return init ? evaluate(init, depth + 1) : undefined;
      }
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
        const left = evaluate(node.left, depth + 1);
        const right = left === undefined ? undefined : evaluate(node.right, depth + 1);
        return right === undefined ? undefined : left! + right;
      }
      if (ts.isTemplateExpression(node)) {
        let text = node.head.text;
        for (const span of node.templateSpans) {
          const value = evaluate(span.expression, depth + 1);
          if (value === undefined) return undefined;
          text += value + span.literal.text;
        }
        return text;
      }
      return undefined;
    };
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && (node.name.text === "code" || node.name.text === "output")) {
        const text = evaluate(node.initializer);
        const line = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
        if (text !== undefined) out.push({ origin: `test/rules/${name}:${line}`, text });
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }
  return out;
}
