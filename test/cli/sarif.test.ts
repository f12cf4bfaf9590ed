// `--format sarif`: the log validates against the SARIF 2.1.0 schema (as shipped by @microsoft/jest-sarif) and
// carries the driver's rules, locations relative to %SRCROOT%, related locations, code flows and safe fixes.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { RULES, docsUrl } from "../../rules/index";
import { main } from "../../server/src/cli/main";
import { buildReport } from "../../server/src/cli/report";
import { sarifLog } from "../../server/src/cli/formatters/sarif";
import { LintSession } from "../../server/src/cli/session";
import { ts } from "../../server/src/engine/ts";
import { defineRule } from "../../server/src/rule-kit";
import { VERSION } from "../../server/src/version";
import { AWAIT_CODE, AWAIT_HELP, awaitWithHelp, reportOf } from "./help-rule";
import { tempProject } from "./helpers";

const schema = JSON.parse(fs.readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"));
// The schema's language-tag pattern is not valid as a Unicode regular expression.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validateSarif = ajv.compile(schema);

function assertValidSarif(log: unknown): void {
  const valid = validateSarif(log);
  assert.ok(valid, `not valid SARIF 2.1.0:\n${JSON.stringify(validateSarif.errors, null, 2)}`);
}

/** A rule for this test: reports every `await`, related to the enclosing function, with a fix that removes the `await`. */
const awaitRule = defineRule({
  meta: {
    id: "test-await",
    description: "Reports awaits.",
    defaultSeverity: "warn",
    fixable: true,
    hasSuggestions: false,
    scope: "file",
    messages: { await: "await: another caller can run here" },
  },
  checkFile(context) {
    const visit = (node: ts.Node, fn: ts.FunctionDeclaration | undefined): void => {
      if (ts.isFunctionDeclaration(node)) fn = node;
      if (ts.isAwaitExpression(node) && fn?.name) {
        const start = node.getStart(context.sourceFile);
        context.report({
          messageId: "await",
          span: { file: context.fileName, start, end: node.end },
          related: [
            {
              span: { file: context.fileName, start: fn.name.getStart(context.sourceFile), end: fn.name.end },
              message: "in this function",
            },
          ],
          fixes: [
            {
              title: "Remove await",
              edits: [{ file: context.fileName, start, end: node.expression.getStart(context.sourceFile), newText: "" }],
            },
          ],
        });
      }
      ts.forEachChild(node, (child) => visit(child, fn));
    };
    visit(context.sourceFile, undefined);
  },
});

const CODE = "export async function save(x: Promise<number>) {\n  return await x;\n}\n";

test("a finding becomes a SARIF result with location, related location, code flow and fix", () => {
  const dir = tempProject({ "src/my file.ts": CODE });
  try {
    const session = new LintSession({ cwd: dir, paths: ["src"], rules: [awaitRule] });
    const log = sarifLog(buildReport(session.lint(), dir), [awaitRule]) as any;
    assertValidSarif(log);
    const run = log.runs[0];
    assert.equal(log.version, "2.1.0");
    assert.deepEqual(run.originalUriBaseIds, { "%SRCROOT%": { uri: pathToFileURL(`${dir}/`).href } });
    assert.deepEqual(run.tool.driver.rules, [
      {
        id: "test-await",
        name: "TestAwait",
        shortDescription: { text: "Reports awaits." },
        fullDescription: { text: "Reports awaits." },
        helpUri: docsUrl("test-await"),
        defaultConfiguration: { level: "warning" },
        properties: { tags: ["concurrency"], fixable: true, hasSuggestions: false, scope: "file" },
      },
    ]);
    const location = (startLine: number, startColumn: number, endLine: number, endColumn: number) => ({
      physicalLocation: {
        artifactLocation: { uri: "src/my%20file.ts", uriBaseId: "%SRCROOT%" },
        region: { startLine, startColumn, endLine, endColumn },
      },
    });
    assert.deepEqual(run.results, [
      {
        ruleId: "test-await",
        ruleIndex: 0,
        level: "warning",
        message: { text: "await: another caller can run here" },
        locations: [location(2, 10, 2, 17)],
        relatedLocations: [{ id: 1, ...location(1, 23, 1, 27), message: { text: "in this function" } }],
        codeFlows: [
          {
            threadFlows: [
              {
                locations: [
                  { location: { ...location(1, 23, 1, 27), message: { text: "in this function" } }, executionOrder: 1 },
                  { location: { ...location(2, 10, 2, 17), message: { text: "await: another caller can run here" } }, executionOrder: 2 },
                ],
              },
            ],
          },
        ],
        fixes: [
          {
            description: { text: "Locksmith safe fix (applied by `locksmith lint --fix`)" },
            artifactChanges: [
              {
                artifactLocation: { uri: "src/my%20file.ts", uriBaseId: "%SRCROOT%" },
                replacements: [
                  { deletedRegion: { charOffset: CODE.indexOf("await"), charLength: "await ".length }, insertedContent: { text: "" } },
                ],
              },
            ],
          },
        ],
      },
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a finding's help: message.text stays the headline, the markdown adds the help, and properties.help holds it", () => {
  const log = sarifLog(reportOf({ "src/a.ts": AWAIT_CODE }), [awaitWithHelp]) as any;
  assertValidSarif(log);
  const [skipped, loaded] = log.runs[0].results;
  const headline = "await of `load()`: another caller can run here";
  assert.deepEqual(loaded.message, { text: headline, markdown: `${headline}\n\n${AWAIT_HELP}` });
  assert.deepEqual(loaded.properties, { help: AWAIT_HELP });
  assert.deepEqual(skipped.message, { text: "await of `skip()`: another caller can run here" });
  assert.equal("properties" in skipped, false);
});

test("the driver lists every registered rule with its descriptions, help and default level", () => {
  const log = sarifLog({ cwd: "/project", results: [], errorCount: 0, warningCount: 0 }) as any;
  assertValidSarif(log);
  const driver = log.runs[0].tool.driver;
  assert.equal(driver.name, "Locksmith");
  assert.equal(driver.version, VERSION);
  assert.equal(driver.informationUri, "https://github.com/locksmith-lint/locksmith");
  assert.deepEqual(
    driver.rules.map((r: any) => r.id),
    RULES.map((r) => r.meta.id),
  );
  for (const [i, rule] of RULES.entries()) {
    const descriptor = driver.rules[i];
    assert.equal(descriptor.shortDescription.text, rule.meta.description);
    assert.ok(descriptor.fullDescription.text.length > 0, `${rule.meta.id}: fullDescription`);
    assert.equal(descriptor.helpUri, docsUrl(rule.meta.id));
    assert.equal(descriptor.defaultConfiguration.level, rule.meta.defaultSeverity === "error" ? "error" : "warning");
  }
});

test("`locksmith lint --format sarif` prints a valid log (paths outside the folder are absolute file: URIs)", async () => {
  const dir = tempProject({ "src/a.ts": "export const a = 1;\n" });
  try {
    let out = "";
    const code = await main(["lint", "--format", "sarif", "src"], { cwd: dir, stdout: (t) => (out += t), stderr: () => {}, isTTY: true });
    assert.equal(code, 0);
    const log = JSON.parse(out);
    assertValidSarif(log);
    assert.deepEqual(log.runs[0].results, []);
    const outside = sarifLog(
      {
        cwd: path.join(dir, "src"),
        errorCount: 1,
        warningCount: 0,
        results: [
          {
            filePath: path.join(dir, "b.ts"),
            errorCount: 1,
            warningCount: 0,
            fixableErrorCount: 0,
            fixableWarningCount: 0,
            messages: [{ ruleId: "x", severity: 2, message: "m", line: 1, column: 1, endLine: 1, endColumn: 2, related: [] }],
          },
        ],
      },
      [],
    ) as any;
    assertValidSarif(outside);
    assert.deepEqual(outside.runs[0].results[0].locations[0].physicalLocation.artifactLocation, {
      uri: pathToFileURL(path.join(dir, "b.ts")).href,
    });
    assert.equal("ruleIndex" in outside.runs[0].results[0], false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
