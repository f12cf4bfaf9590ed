// `locksmith init`: a commented starter locksmith.json that the loader (JSON with comments) and the schema accept.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RULES } from "../../rules/index";
import { main } from "../../server/src/cli/main";
import { schemaReference, starterConfig } from "../../server/src/cli/init";
import { loadConfig } from "../../server/src/engine/config";

async function run(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { cwd, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false });
  return { code, stdout, stderr };
}

function tempDir(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-init-")));
}

test("init writes a commented locksmith.json listing every rule at its default severity", async () => {
  const dir = tempDir();
  try {
    const result = await run(["init"], dir);
    assert.deepEqual(result, {
      code: 0,
      stdout: `Wrote locksmith.json with ${RULES.length} rules at their default severity.\n`,
      stderr: "",
    });
    const text = fs.readFileSync(path.join(dir, "locksmith.json"), "utf8");
    assert.equal(text, starterConfig(RULES, "./node_modules/@locksmith/cli/server/schema/locksmith.schema.json"));
    assert.match(text, /^\/\/ Locksmith configuration/);
    for (const rule of RULES) assert.ok(text.includes(`"${rule.meta.id}": "${rule.meta.defaultSeverity}"`), rule.meta.id);
    const config = loadConfig(RULES, { cwd: dir });
    assert.equal(config.file, path.join(dir, "locksmith.json"));
    assert.equal(config.raw.runtime, "auto");
    assert.deepEqual(config.raw.ignores, []);
    const settings = config.rulesFor(path.join(dir, "src", "a.ts"));
    for (const rule of RULES) assert.equal(settings.get(rule.meta.id)?.severity, rule.meta.defaultSeverity, rule.meta.id);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("init refuses to replace an existing locksmith.json unless --force", async () => {
  const dir = tempDir();
  try {
    fs.writeFileSync(path.join(dir, "locksmith.json"), "{}\n");
    const refused = await run(["init"], dir);
    assert.deepEqual(refused, {
      code: 2,
      stdout: "",
      stderr: `locksmith: locksmith.json already exists in ${dir} (use --force to replace it)\n`,
    });
    assert.equal(fs.readFileSync(path.join(dir, "locksmith.json"), "utf8"), "{}\n");
    const forced = await run(["init", "--force"], dir);
    assert.equal(forced.code, 0);
    assert.match(fs.readFileSync(path.join(dir, "locksmith.json"), "utf8"), /"rules": \{/);
    const bad = await run(["init", "--yes"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^locksmith: Unknown option '--yes'.*\(usage: locksmith init \[--force\]\)\n$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("$schema points at the schema of this install when it is inside the project", () => {
  const repoRoot = path.join(__dirname, "..", "..", "..");
  assert.equal(schemaReference(repoRoot), "./server/schema/locksmith.schema.json");
  // A fresh folder cannot contain this install (os.tmpdir() itself might: CI may clone under /tmp).
  assert.equal(
    schemaReference(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-init-"))),
    "./node_modules/@locksmith/cli/server/schema/locksmith.schema.json",
  );
});
