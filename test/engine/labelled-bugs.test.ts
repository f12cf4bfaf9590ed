// bench/recall holds fresh reproductions of labelled concurrency bugs from public repositories: a default run must
// report exactly the findings its expected.json lists (a lost one is lost recall, an extra one is noise).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { RULES } from "../../rules/index";
import { LintSession } from "../../server/src/cli/session";

const folder = path.join(__dirname, "..", "..", "..", "bench", "recall");

test("bench/recall: every labelled bug listed as found is reported, and nothing else", () => {
  const expected = JSON.parse(fs.readFileSync(path.join(folder, "expected.json"), "utf8")) as {
    found: Array<{ file: string; line: number; ruleId: string }>;
    falseFindings?: Array<{ file: string; line: number; ruleId: string }>;
  };
  const session = new LintSession({ cwd: folder, paths: [], tsconfig: "tsconfig.json", rules: RULES });
  const reported = session
    .lint()
    .results.flatMap((result) =>
      result.diagnostics.map((d) => {
        const line = result.sourceFile.getLineAndCharacterOfPosition(d.span.start).line + 1;
        return `${path.relative(folder, result.fileName).split(path.sep).join("/")}:${line} ${d.ruleId}`;
      }),
    )
    .sort();
  // The known false findings are listed apart (expected.json `falseFindings`) and required too, so a fix shows up here.
  const listed = [...expected.found, ...(expected.falseFindings ?? [])];
  assert.deepEqual(reported, listed.map((f) => `${f.file}:${f.line} ${f.ruleId}`).sort());
});
