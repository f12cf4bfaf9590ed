// The bounded fuzz slice of `npm test` (the long run is `npm run fuzz`): extreme inputs, one mutant of every corpus
// text, files on disk in odd encodings through the CLI, and a throwing rule that must stay isolated.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RULES } from "../../rules/index";
import { main, type CliIo } from "../../server/src/cli/main";
import type { Rule } from "../../server/src/engine/types";
import { corpus } from "./corpus";
import { describeFailure, extremeInputs, fuzzOne, FuzzEngine, mutants } from "./fuzz";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on("unhandledRejection", onUnhandled);
after(() => {
  process.off("unhandledRejection", onUnhandled);
  assert.deepEqual(unhandled, [], "unhandled promise rejections during the fuzz slice");
});

const SEED = Number(process.env.LOCKSMITH_FUZZ_SEED ?? 20240);
/** Mutants linted by the slice, spread evenly over the corpus (about 0.1 s each). */
const SLICE = 120;
const entries = corpus();
const engine = new FuzzEngine();
/** A corpus text with findings of several rules. */
const flagged = entries
  .filter((e) => e.origin.startsWith("examples/"))
  .map((entry) => ({ entry, rules: new Set(engine.lint(entry.text).results[0]!.diagnostics.map((d) => d.ruleId)).size }))
  .sort((a, b) => b.rules - a.rules)[0]!.entry;

describe("fuzz: the engine survives bad input", () => {
  test("the corpus has texts from examples, docs and rule tests", () => {
    for (const source of ["examples/", "rules/docs/", "test/rules/"])
      assert.ok(
        entries.some((e) => e.origin.startsWith(source)),
        `no corpus text from ${source}`,
      );
  });

  for (const input of extremeInputs(flagged.text).filter((i) => !i.slow)) {
    test(`extreme input: ${input.mutation}`, () => {
      const failures = fuzzOne(engine, input, input.analysed);
      assert.deepEqual(failures.map(describeFailure), []);
    });
  }

  test(`${SLICE} mutants of corpus texts (seed ${SEED}) lint without a crash and within their time budget`, () => {
    const all = mutants(entries, 1, SEED);
    const inputs = Array.from(
      { length: Math.min(SLICE, all.length) },
      (_, i) => all[Math.floor((i * all.length) / Math.min(SLICE, all.length))]!,
    );
    const failures = inputs.flatMap((input) => fuzzOne(engine, input));
    assert.deepEqual(failures.map(describeFailure), [], `set LOCKSMITH_FUZZ_SEED=${SEED} to reproduce`);
  });

  test("a 10,000-deep file is skipped with a reason, and the rest of the project is still analysed", () => {
    const deep = extremeInputs("").find((i) => i.mutation.startsWith("10000 nested parentheses"))!;
    const run = engine.lint(deep.text);
    assert.deepEqual(
      run.skipped.map((s) => [s.fileName, s.reason]),
      [[engine.fileName, "its syntax is nested too deeply to parse"]],
    );
    assert.deepEqual(run.crashes, []);
  });
});

describe("fuzz: a rule that throws is isolated", () => {
  const throwing: Rule = {
    meta: {
      id: "always-throws",
      description: "test rule",
      defaultSeverity: "error",
      fixable: false,
      hasSuggestions: false,
      scope: "file",
      messages: {},
      defaultOptions: {},
    },
    checkFile() {
      throw new Error("boom");
    },
  };

  test("its crash names the rule and the file, and every other rule still reports", () => {
    const alone = new FuzzEngine(RULES).lint(flagged.text);
    assert.ok(alone.results[0]!.diagnostics.length > 0, `${flagged.origin} should have findings`);
    const isolated = new FuzzEngine([throwing, ...RULES]);
    const run = isolated.lint(flagged.text);
    assert.deepEqual(
      run.crashes.map((c) => [c.ruleId, c.fileName, c.message]),
      [["always-throws", isolated.fileName, "boom"]],
    );
    assert.deepEqual(
      run.results[0]!.diagnostics.map((d) => [d.ruleId, d.span.start]),
      alone.results[0]!.diagnostics.map((d) => [d.ruleId, d.span.start]),
    );
  });
});

describe("fuzz: files on disk in odd encodings, through the CLI", () => {
  const LEAKY = `import Redis from "ioredis";
const redis = new Redis();
export async function run(id: string) {
  const ok = await redis.set(\`lock:job:\${id}\`, "1", "NX");
  if (!ok) return;
  await redis.del(\`lock:job:\${id}\`);
}
`;
  const utf8 = (text: string) => Buffer.from(text, "utf8");
  const FILES: Record<string, Buffer> = {
    "bom.ts": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(LEAKY)]),
    "utf16le.ts": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(LEAKY, "utf16le")]),
    "utf16be.ts": Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(LEAKY, "utf16le").swap16()]),
    "latin1.ts": Buffer.from(`export const caf\xe9 = "na\xefve";\n`, "latin1"),
    "invalid-utf8.ts": Buffer.concat([
      utf8("export const a = '"),
      Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]),
      utf8("';\n"),
    ]),
    "binary.ts": Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
    "empty.ts": Buffer.alloc(0),
    "nul.ts": Buffer.alloc(256),
  };

  test("lint --fix: no internal error, fixes keep each file's encoding, nothing is reported as changed", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-encodings-"));
    try {
      fs.mkdirSync(path.join(dir, "src"));
      for (const [name, bytes] of Object.entries(FILES)) fs.writeFileSync(path.join(dir, "src", name), bytes);
      let stderr = "";
      const io: CliIo = { cwd: dir, stdout: () => {}, stderr: (t) => (stderr += t), isTTY: false };
      const code = await main(["lint", "src", "--fix"], io);
      assert.equal(code, 1, stderr);
      assert.equal(stderr, "");
      const decode = (name: string): string => {
        const bytes = fs.readFileSync(path.join(dir, "src", name));
        if (name === "bom.ts") return (assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]), bytes.subarray(3).toString("utf8"));
        if (name === "utf16le.ts")
          return (assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]), bytes.subarray(2).toString("utf16le"));
        return (assert.deepEqual([...bytes.subarray(0, 2)], [0xfe, 0xff]), Buffer.from(bytes.subarray(2)).swap16().toString("utf16le"));
      };
      const fixedBom = decode("bom.ts");
      assert.notEqual(fixedBom, LEAKY, "the BOM file was not fixed");
      assert.equal(decode("utf16le.ts"), fixedBom);
      assert.equal(decode("utf16be.ts"), fixedBom);
      for (const name of ["latin1.ts", "invalid-utf8.ts", "binary.ts", "empty.ts", "nul.ts"]) {
        assert.deepEqual(fs.readFileSync(path.join(dir, "src", name)), FILES[name], `${name} changed`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
