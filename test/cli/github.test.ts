// `--format github`: GitHub Actions workflow commands, with GitHub's escaping of data and property values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { github, escapeData, escapeProperty } from "../../server/src/cli/formatters/github";
import { FORMATTERS } from "../../server/src/cli/formatters";
import type { Report } from "../../server/src/cli/report";

test("escaping follows @actions/core: data escapes % CR LF, properties also : and ,", () => {
  assert.equal(escapeData("100% done\r\nnext: a, b"), "100%25 done%0D%0Anext: a, b");
  assert.equal(escapeProperty("100% done\r\nnext: a, b"), "100%25 done%0D%0Anext%3A a%2C b");
});

test("each finding is one ::error or ::warning command with file, position, end and title", () => {
  const report: Report = {
    cwd: "/repo",
    errorCount: 1,
    warningCount: 1,
    results: [
      {
        filePath: "/repo/src/a,b:c.ts",
        errorCount: 1,
        warningCount: 1,
        fixableErrorCount: 0,
        fixableWarningCount: 0,
        messages: [
          {
            ruleId: "lock-order",
            severity: 2,
            message: "Locks A and B are taken in opposite orders\n(100% deadlock)",
            line: 3,
            column: 5,
            endLine: 3,
            endColumn: 20,
            related: [{ filePath: "/repo/src/other.ts", line: 7, column: 2, endLine: 7, endColumn: 9, message: "B then A here" }],
          },
          {
            ruleId: "lock-across-await",
            severity: 1,
            message: "held across await",
            line: 10,
            column: 1,
            endLine: 12,
            endColumn: 2,
            related: [],
          },
        ],
      },
      { filePath: "/repo/src/clean.ts", errorCount: 0, warningCount: 0, fixableErrorCount: 0, fixableWarningCount: 0, messages: [] },
    ],
  };
  assert.equal(FORMATTERS.github, github);
  assert.equal(
    github(report, { color: false }),
    "::error file=src/a%2Cb%3Ac.ts,line=3,col=5,endLine=3,endColumn=20,title=Locksmith (lock-order)::Locks A and B are taken in opposite orders%0A(100%25 deadlock)%0A  src/other.ts:7:2: B then A here\n" +
      "::warning file=src/a%2Cb%3Ac.ts,line=10,col=1,endLine=12,endColumn=2,title=Locksmith (lock-across-await)::held across await\n",
  );
});

test("a finding's help is the annotation's second line, before the related locations", () => {
  const report: Report = {
    cwd: "/repo",
    errorCount: 1,
    warningCount: 0,
    results: [
      {
        filePath: "/repo/src/a.ts",
        errorCount: 1,
        warningCount: 0,
        fixableErrorCount: 0,
        fixableWarningCount: 0,
        messages: [
          {
            ruleId: "reentrant-lock",
            messageId: "reacquired",
            severity: 2,
            message: "`f` acquires `lock` while already holding it",
            help: "Release it before the call (100% sure).",
            line: 3,
            column: 5,
            endLine: 3,
            endColumn: 20,
            related: [{ filePath: "/repo/src/a.ts", line: 2, column: 3, endLine: 2, endColumn: 9, message: "first acquired here" }],
          },
        ],
      },
    ],
  };
  assert.equal(
    github(report, { color: false }),
    "::error file=src/a.ts,line=3,col=5,endLine=3,endColumn=20,title=Locksmith (reentrant-lock)::`f` acquires `lock` while already holding it" +
      "%0ARelease it before the call (100%25 sure).%0A  src/a.ts:2:3: first acquired here\n",
  );
});

test("no findings, no output", () => {
  assert.equal(github({ cwd: "/repo", errorCount: 0, warningCount: 0, results: [] }, { color: false }), "");
});
