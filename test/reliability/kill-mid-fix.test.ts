// `--fix` never leaves a half-written file: the CLI is killed (SIGKILL) as soon as its first fixed file lands, and
// every file must then be exactly its old or exactly its new text. Temp files a killed run leaves behind carry
// Locksmith's name and are removed by the next --fix run. Also: a file changed since it was read is not overwritten.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sha256, writeFileAtomic } from "../../server/src/engine/fixes";
import { REPO_ROOT } from "./corpus";

const CLI = path.join(REPO_ROOT, "server", "bin", "locksmith.js");
const FILES = 200;
const OLD = `import Redis from "ioredis";
const redis = new Redis();
export async function run(id: string) {
  const ok = await redis.set(\`lock:job:\${id}\`, "1", "NX");
  if (!ok) return;
  await redis.del(\`lock:job:\${id}\`);
}
`;
const TEMP_FILE = /^\.file-\d{3}\.ts\.locksmith-\d+-[0-9a-f]{8}\.tmp$/;

function project(count: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-kill-"));
  for (let i = 0; i < count; i++) fs.writeFileSync(path.join(dir, `file-${String(i).padStart(3, "0")}.ts`), OLD);
  return dir;
}

/** What --fix makes of OLD, from an undisturbed run. */
function fixedText(): string {
  const dir = project(1);
  try {
    spawnSync(process.execPath, [CLI, "lint", ".", "--fix"], { cwd: dir, encoding: "utf8" });
    return fs.readFileSync(path.join(dir, "file-000.ts"), "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `--fix` over `dir` and kills it with SIGKILL when the first fixed file is renamed into place. */
function fixAndKill(dir: string): Promise<{ killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "lint", ".", "--fix"], { cwd: dir, stdio: "ignore" });
    const watcher = fs.watch(dir, (_event, name) => {
      if (name && /^file-\d{3}\.ts$/.test(name)) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      watcher.close();
      resolve({ killed: signal === "SIGKILL" });
    });
  });
}

describe("--fix killed in the middle", () => {
  test(`every one of ${FILES} files is entirely old or entirely new, and the next run cleans up`, async (t) => {
    const NEW = fixedText();
    assert.notEqual(NEW, OLD, "the fixture has no safe fix");
    const dir = project(FILES);
    try {
      const { killed } = await fixAndKill(dir);
      const names = fs.readdirSync(dir);
      const sources = names.filter((n) => n.endsWith(".ts"));
      assert.equal(sources.length, FILES);
      let fixed = 0;
      for (const name of sources) {
        const text = fs.readFileSync(path.join(dir, name), "utf8");
        assert.ok(text === OLD || text === NEW, `${name} is neither its old nor its new text:\n${text}`);
        if (text === NEW) fixed++;
      }
      assert.ok(fixed >= 1, "the run was killed before any file was written");
      t.diagnostic(`killed: ${killed}; ${fixed} of ${FILES} files fixed, ${names.length - FILES} temp file(s)`);
      const litter = names.filter((n) => !n.endsWith(".ts"));
      assert.deepEqual(
        litter.filter((n) => !TEMP_FILE.test(n)),
        [],
        "files other than Locksmith's temp files appeared",
      );

      // Whether or not this kill left one: a temp file of a process that no longer runs is litter for the next run.
      const deadPid = spawnSync(process.execPath, ["-e", ""]).pid!;
      fs.writeFileSync(path.join(dir, `.file-000.ts.locksmith-${deadPid}-deadbeef.tmp`), OLD.slice(0, 40));
      const again = spawnSync(process.execPath, [CLI, "lint", ".", "--fix"], { cwd: dir, encoding: "utf8" });
      assert.equal(again.stderr, "");
      assert.deepEqual(
        fs.readdirSync(dir).filter((n) => !n.endsWith(".ts")),
        [],
        "temp files left after the next run",
      );
      for (const name of sources) assert.equal(fs.readFileSync(path.join(dir, name), "utf8"), NEW, `${name} after the second run`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("--fix and a file edited while it runs", () => {
  test("the edited file is skipped with a warning and keeps the user's text; the others are fixed", async () => {
    const NEW = fixedText();
    const dir = project(FILES);
    const last = path.join(dir, `file-${FILES - 1}.ts`);
    const EDITED = `${OLD}// typed by the user while --fix ran\n`;
    try {
      // Files are written in order: when the first lands, the last one is edited "by the user".
      const result = await new Promise<{ stderr: string; code: number | null }>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, "lint", ".", "--fix"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (chunk) => (stderr += chunk));
        let edited = false;
        const watcher = fs.watch(dir, (_event, name) => {
          if (edited || !name || !/^file-\d{3}\.ts$/.test(name)) return;
          edited = true;
          fs.writeFileSync(last, EDITED);
        });
        child.on("error", reject);
        child.on("close", (code) => {
          watcher.close();
          resolve({ stderr, code });
        });
      });
      assert.equal(fs.readFileSync(last, "utf8"), EDITED);
      assert.match(result.stderr, new RegExp(`skipped file-${FILES - 1}\\.ts: it changed while Locksmith was running`));
      const fixed = fs.readdirSync(dir).filter((n) => n.endsWith(".ts") && fs.readFileSync(path.join(dir, n), "utf8") === NEW);
      assert.equal(fixed.length, FILES - 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("atomic writes", () => {
  test("a file changed since it was read is not overwritten", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-changed-"));
    try {
      const file = path.join(dir, "a.ts");
      fs.writeFileSync(file, "export const a = 1;\n");
      const readHash = sha256("export const a = 1;\n");
      fs.writeFileSync(file, "export const a = 2; // edited meanwhile\n");
      assert.equal(writeFileAtomic(file, "export const a = 3;\n", readHash), false);
      assert.equal(fs.readFileSync(file, "utf8"), "export const a = 2; // edited meanwhile\n");
      assert.equal(writeFileAtomic(file, "export const a = 3;\n", sha256("export const a = 2; // edited meanwhile\n")), true);
      assert.equal(fs.readFileSync(file, "utf8"), "export const a = 3;\n");
      assert.deepEqual(fs.readdirSync(dir), ["a.ts"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
