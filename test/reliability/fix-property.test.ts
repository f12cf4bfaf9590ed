// Fixes never lose code: a property test over every fix and suggestion that any registered rule offers on the corpus
// (examples/, test/reliability/fixtures/, the rule docs' examples and the rule test tables). For each one:
//   - its edits are in range, do not overlap, and no text outside them changes;
//   - the fixed file parses, and TypeScript reports no error for it that it did not report before;
//   - the finding is gone;
// and for each corpus text, `--fix` converges and applying it again changes nothing.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RULES } from "../../rules/index";
import { chooseFixes, applyEdits, editsFor } from "../../server/src/engine/fixes";
import { ts } from "../../server/src/engine/ts";
import type { Diagnostic, Fix, TextEdit } from "../../server/src/engine/types";
import { corpus, type CorpusEntry } from "./corpus";
import { FuzzEngine } from "./fuzz";

const engine = new FuzzEngine();
const fileName = engine.fileName;

/** TypeScript's errors for the file (syntactic and semantic), as messages: positions move when a fix adds lines. */
function compilerErrors(text: string): string[] {
  engine.lint(text);
  const program = engine.program();
  const sourceFile = program.getSourceFile(fileName)!;
  return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)]
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)
    .sort();
}

/** Messages in `after` that `before` does not have (as multisets). */
function newErrors(before: readonly string[], after: readonly string[]): string[] {
  const remaining = [...before];
  return after.filter((message) => {
    const i = remaining.indexOf(message);
    if (i < 0) return true;
    remaining.splice(i, 1);
    return false;
  });
}

/** Checks the edits independently of applyEdits: in range, disjoint, and everything between them kept verbatim. */
function assertOnlyEditedRanges(text: string, fixed: string, edits: readonly TextEdit[], where: string): void {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let readAt = 0;
  let writeAt = 0;
  for (const edit of sorted) {
    assert.ok(
      edit.start >= readAt && edit.start <= edit.end && edit.end <= text.length,
      `${where}: edit ${edit.start}-${edit.end} is out of range or overlaps another`,
    );
    const kept = text.slice(readAt, edit.start);
    assert.equal(fixed.slice(writeAt, writeAt + kept.length), kept, `${where}: text before offset ${edit.start} changed`);
    writeAt += kept.length;
    assert.equal(fixed.slice(writeAt, writeAt + edit.newText.length), edit.newText, `${where}: edit at ${edit.start} not applied as given`);
    writeAt += edit.newText.length;
    readAt = edit.end;
  }
  assert.equal(fixed.slice(writeAt), text.slice(readAt), `${where}: text after the last edit changed`);
}

function parseErrors(text: string): number {
  const sourceFile = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  return (sourceFile as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length;
}

interface Offered {
  diagnostic: Diagnostic;
  fix: Fix;
  kind: "fix" | "suggestion";
}

const entries = corpus();
const exercised = new Set<string>();

function checkFix(entry: CorpusEntry, offered: Offered, errorsBefore: readonly string[], countBefore: number): void {
  const { diagnostic, fix, kind } = offered;
  const where = `${entry.origin}: ${diagnostic.ruleId} ${kind} "${fix.title}"`;
  for (const edit of fix.edits) assert.equal(edit.file, fileName, `${where}: edits another file (${edit.file})`);
  const edits = editsFor(fix, fileName);
  const fixed = applyEdits(entry.text, edits);
  assertOnlyEditedRanges(entry.text, fixed, edits, where);
  assert.ok(parseErrors(fixed) <= parseErrors(entry.text), `${where}: the fixed file no longer parses:\n${fixed}`);
  // Files the fix creates (the vendored runtime) exist for the compiler, as they would after --fix.
  for (const file of fix.newFiles ?? []) engine.setFile(file.path, file.text);
  try {
    const added = newErrors(errorsBefore, compilerErrors(fixed));
    assert.deepEqual(added, [], `${where}: TypeScript reports new errors after the fix:\n${fixed}`);
    const after = engine.lint(fixed).results[0]!.diagnostics.filter((d) => d.ruleId === diagnostic.ruleId).length;
    assert.ok(after < countBefore, `${where}: the finding is still reported after the fix:\n${fixed}`);
  } finally {
    for (const file of fix.newFiles ?? []) engine.removeFile(file.path);
  }
  exercised.add(`${diagnostic.ruleId}:${kind}`);
}

describe("fixes never lose code", () => {
  for (const entry of entries) {
    const diagnostics = engine.lint(entry.text).results[0]?.diagnostics ?? [];
    const offered: Offered[] = diagnostics.flatMap((diagnostic) => [
      ...diagnostic.fixes.map((fix) => ({ diagnostic, fix, kind: "fix" as const })),
      ...diagnostic.suggestions.map((fix) => ({ diagnostic, fix, kind: "suggestion" as const })),
    ]);
    if (offered.length === 0) continue;
    test(`${entry.origin}: ${offered.length} fix(es) and suggestion(s)`, () => {
      const errorsBefore = compilerErrors(entry.text);
      for (const item of offered) {
        const countBefore = diagnostics.filter((d) => d.ruleId === item.diagnostic.ruleId).length;
        checkFix(entry, item, errorsBefore, countBefore);
      }
      if (offered.some((o) => o.kind === "fix")) assertFixConverges(entry);
    });
  }

  test("every rule that declares fixes or suggestions had one exercised", () => {
    const missing = RULES.flatMap((rule) => [
      ...(rule.meta.fixable && !exercised.has(`${rule.meta.id}:fix`) ? [`${rule.meta.id} (fix)`] : []),
      ...(rule.meta.hasSuggestions && !exercised.has(`${rule.meta.id}:suggestion`) ? [`${rule.meta.id} (suggestion)`] : []),
    ]);
    assert.deepEqual(missing, [], "add a flagged snippet to test/reliability/fixtures/ for these rules");
  });
});

/** `--fix`: apply non-conflicting safe fixes and re-lint until nothing changes (at most 10 passes), then once more. */
function assertFixConverges(entry: CorpusEntry): void {
  let text = entry.text;
  for (let pass = 0; ; pass++) {
    const fixes = chooseFixes(engine.lint(text).results[0]!.diagnostics);
    const next = applyEdits(
      text,
      fixes.flatMap((fix) => editsFor(fix, fileName)),
    );
    if (next === text) return;
    assert.ok(pass < 10, `${entry.origin}: --fix still changes the file after 10 passes:\n${next}`);
    text = next;
  }
}
