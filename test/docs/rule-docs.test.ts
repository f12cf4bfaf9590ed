// The docs test (as typescript-eslint's): every rule in the registry has a doc page with the required sections, every
// ```ts block marked ❌ reports the rule and every ```ts block marked ✅ reports nothing. A line (heading or text)
// containing ❌ or ✅ marks the blocks after it, up to the next such line or the next heading; unmarked blocks (e.g.
// showing a fix) are not run. Iterates the registry, so a new rule is covered without touching this file.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { RULES, docsPath } from "../../rules/index";
import { lintCode } from "../helpers/rule-tester";

interface DocExample {
  kind: "incorrect" | "correct";
  /** 1-based line of the opening fence in the doc. */
  line: number;
  code: string;
}

interface FencedBlock {
  lang: string;
  line: number;
  code: string;
  /** From the last line containing ❌ or ✅ above the block, unless a heading came in between. */
  mark: DocExample["kind"] | undefined;
}

function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: FencedBlock[] = [];
  let mark: FencedBlock["mark"];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(line);
    if (!open) {
      const bad = line.includes("❌");
      const good = line.includes("✅");
      if (bad !== good) mark = bad ? "incorrect" : "correct";
      else if (bad || /^#{1,6}\s/.test(line)) mark = undefined;
      continue;
    }
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trim().startsWith(fence)) body.push(lines[j++]!);
    blocks.push({ lang: open[3]!.toLowerCase(), line: i + 1, code: `${body.join("\n")}\n`, mark });
    i = j;
  }
  return blocks;
}

function examplesOf(markdown: string): DocExample[] {
  return fencedBlocks(markdown)
    .filter((b) => b.lang === "ts" || b.lang === "typescript")
    .flatMap((b): DocExample[] => (b.mark ? [{ kind: b.mark, line: b.line, code: b.code }] : []));
}

/**
 * Sections every doc page must have: a heading matching each pattern (any level below the title). What the rule
 * catches may instead be the paragraph right under the title.
 */
const REQUIRED_HEADINGS: Array<[string, RegExp]> = [
  ["options", /option/i],
  ["fixes", /\bfix/i],
  ["when not to use it", /when not to use/i],
];

describe("rule docs", () => {
  test("the registry has rules to document", () => {
    assert.ok(RULES.length > 0, "rules/index.ts registers no rules");
  });

  test("every doc page belongs to a registered rule", () => {
    const docsDir = path.dirname(docsPath("x"));
    const ids = new Set(RULES.map((r) => r.meta.id));
    const orphans = fs.existsSync(docsDir) ? fs.readdirSync(docsDir).filter((f) => f.endsWith(".md") && !ids.has(f.slice(0, -3))) : [];
    assert.deepEqual(orphans, [], "doc pages without a rule in rules/index.ts");
  });

  for (const rule of RULES) {
    const id = rule.meta.id;
    const file = docsPath(id);
    const where = `rules/docs/${id}.md`;
    describe(id, () => {
      const markdown = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
      test("has a doc page with the required sections", () => {
        assert.ok(markdown !== undefined, `${where} is missing`);
        const headings = proseLines(markdown).filter((l) => /^#{1,6}\s/.test(l));
        assert.match(headings[0] ?? "", new RegExp(`^# .*${id}`), `${where}: the first line should be a title naming the rule ("# ${id}")`);
        const intro = proseLines(markdown).slice(
          1,
          proseLines(markdown).findIndex((l, i) => i > 0 && /^#{1,6}\s/.test(l)),
        );
        const catches = intro.some((l) => l.trim()) || headings.some((h) => /catch|rule details/i.test(h));
        assert.ok(catches, `${where}: does not say what it catches (a paragraph under the title, or a "What it catches" section)`);
        for (const [name, pattern] of REQUIRED_HEADINGS) {
          assert.ok(
            headings.slice(1).some((h) => pattern.test(h)),
            `${where}: no "${name}" section (a heading matching ${pattern})`,
          );
        }
        const timeline = fencedBlocks(markdown).some((b) => b.lang === "" || b.lang === "text");
        assert.ok(timeline, `${where}: no timeline (a \`\`\`text block showing the race or deadlock step by step)`);
        const examples = examplesOf(markdown);
        assert.ok(
          examples.some((e) => e.kind === "incorrect"),
          `${where}: no ❌ example (a \`\`\`ts block after a line containing ❌)`,
        );
        assert.ok(
          examples.some((e) => e.kind === "correct"),
          `${where}: no ✅ example (a \`\`\`ts block after a line containing ✅)`,
        );
        const optionsSection = sectionText(markdown, /option/i);
        for (const option of Object.keys(rule.meta.optionsSchema?.properties ?? {})) {
          assert.ok(optionsSection.includes(option), `${where}: option "${option}" is not described in the options section`);
        }
      });

      for (const example of markdown ? examplesOf(markdown) : []) {
        if (example.kind === "incorrect") {
          test(`❌ example at line ${example.line} reports ${id}`, () => {
            const found = lintCode(rule, { code: example.code }).diagnostics;
            assert.ok(
              found.some((d) => d.ruleId === id),
              `${where}:${example.line}: the ❌ example reports nothing`,
            );
          });
        } else {
          test(`✅ example at line ${example.line} reports nothing`, () => {
            const found = lintCode(rule, { code: example.code }).diagnostics;
            assert.deepEqual(
              found.map((d) => `${d.ruleId}: ${d.message}`),
              [],
              `${where}:${example.line}: the ✅ example reports something`,
            );
          });
        }
      }
    });
  }
});

/** The doc's lines with fenced code blanked out (so a `# comment` in a code block is not a heading). */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split(/\r?\n/).map((line) => {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (fence === undefined && marker) fence = marker;
    else if (fence !== undefined && marker?.startsWith(fence)) fence = undefined;
    else return fence === undefined ? line : "";
    return "";
  });
}

/** Text from the first heading matching `pattern` to the next heading of the same or a higher level. */
function sectionText(markdown: string, pattern: RegExp): string {
  const lines = proseLines(markdown);
  const start = lines.findIndex((l, i) => i > 0 && /^#{2,6}\s/.test(l) && pattern.test(l));
  if (start < 0) return "";
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((l, i) => i > start && new RegExp(`^#{1,${level}}\\s`).test(l));
  return markdown
    .split(/\r?\n/)
    .slice(start, end < 0 ? undefined : end)
    .join("\n");
}
