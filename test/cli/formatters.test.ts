// The stylish and json formats present a finding's message id and help (sarif and github: their own test files).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { FORMATTERS } from "../../server/src/cli/formatters";
import { json } from "../../server/src/cli/formatters/json";
import { stylish } from "../../server/src/cli/formatters/stylish";
import { AWAIT_CODE, AWAIT_HELP, reportOf } from "./help-rule";
import { runCli, tempProject } from "./helpers";

test("the registry has the four formats", () => {
  assert.deepEqual(Object.keys(FORMATTERS), ["stylish", "json", "sarif", "github"]);
  assert.equal(FORMATTERS.stylish, stylish);
  assert.equal(FORMATTERS.json, json);
});

test("stylish: the help is a second line under the message, dimmed only with color", () => {
  const report = reportOf({ "src/a.ts": AWAIT_CODE });
  assert.equal(
    stylish(report, { color: false }),
    [
      "",
      "src/a.ts",
      "  4:3   error  await of `skip()`: another caller can run here  test-await-help",
      "  5:10  error  await of `load()`: another caller can run here  test-await-help",
      `               ${AWAIT_HELP}`,
      "",
      "\u2716 2 problems (2 errors, 0 warnings)",
      "",
    ].join("\n"),
  );
  const colored = stylish(report, { color: true }).split("\n");
  assert.equal(colored[4], `               \u001b[2m${AWAIT_HELP}\u001b[0m`);
});

test("json: each message has ESLint's messageId, and help when the finding has it", () => {
  const output = json(reportOf({ "src/a.ts": AWAIT_CODE }), { color: false });
  const [result] = JSON.parse(output) as Array<{ messages: Array<Record<string, unknown>> }>;
  const [skipped, loaded] = result!.messages;
  assert.deepEqual(
    { message: loaded!.message, messageId: loaded!.messageId, help: loaded!.help },
    { message: "await of `load()`: another caller can run here", messageId: "awaited", help: AWAIT_HELP },
  );
  assert.equal(skipped!.messageId, "awaited");
  assert.equal("help" in skipped!, false);
});

test("`locksmith lint` prints a rule's help under its finding (reentrant-lock reports with help)", async () => {
  const dir = tempProject({
    "src/a.ts": `import { Mutex } from "async-mutex";
const lock = new Mutex();
export async function outer() {
  await lock.runExclusive(async () => {
    await lock.runExclusive(async () => {});
  });
}
`,
  });
  try {
    const { code, stdout } = await runCli(["lint", "src"], dir);
    assert.equal(code, 1);
    const lines = stdout.split("\n");
    const at = lines.findIndex((line) => line.startsWith("  5:11  error  `outer` acquires `lock` while already holding it: "));
    assert.ok(lines[at]?.endsWith("  reentrant-lock"), stdout);
    assert.equal(lines[at + 1], `${" ".repeat(15)}Call a variant that assumes the lock is held, or release it before the call.`);
    const jsonOut = (await runCli(["lint", "src", "-f", "json"], dir)).stdout;
    const [message] = (JSON.parse(jsonOut) as Array<{ messages: Array<{ messageId: string; help: string }> }>)[0]!.messages;
    assert.equal(message!.messageId, "reacquired");
    assert.equal(message!.help, "Call a variant that assumes the lock is held, or release it before the call.");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
