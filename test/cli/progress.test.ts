// Progress (files done/total) on a terminal for large projects; nothing when not a terminal or for json/sarif.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../server/src/cli/main";
import { PROGRESS_MIN_FILES, createProgress } from "../../server/src/cli/progress";

const CLEAR = "\r\u001b[2K";

test("a terminal sees loading, then files done/total once per percent, then the line is erased", () => {
  let out = "";
  const progress = createProgress({ isTTY: true, stderr: (t) => (out += t) }, "stylish")!;
  progress.loading(200);
  for (let done = 1; done <= 200; done++) progress.fileDone(done, 200);
  progress.finish();
  const lines = out.split(CLEAR).filter(Boolean);
  assert.equal(lines[0], "Locksmith: loading 200 files…");
  assert.equal(lines.length, 1 + 101, "one update per percent (0%..100%)");
  assert.equal(lines[1], "Locksmith: 1/200 files");
  assert.equal(lines[lines.length - 1], "Locksmith: 200/200 files");
  assert.ok(out.endsWith(CLEAR));
});

test("small projects, pipes and machine formats get no progress", () => {
  let out = "";
  const small = createProgress({ isTTY: true, stderr: (t) => (out += t) }, "github")!;
  small.loading(PROGRESS_MIN_FILES - 1);
  small.fileDone(1, PROGRESS_MIN_FILES - 1);
  small.finish();
  assert.equal(out, "");
  assert.equal(createProgress({ isTTY: false, stderr: () => {} }, "stylish"), undefined);
  assert.equal(createProgress({ isTTY: true, stderr: () => {} }, "json"), undefined);
  assert.equal(createProgress({ isTTY: true, stderr: () => {} }, "sarif"), undefined);
});

test("locksmith lint shows progress on a terminal only", async () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-progress-")));
  try {
    fs.mkdirSync(path.join(dir, "src"));
    for (let i = 0; i < PROGRESS_MIN_FILES; i++) fs.writeFileSync(path.join(dir, "src", `f${i}.ts`), `export const v${i} = ${i};\n`);
    const run = async (isTTY: boolean, format: string) => {
      let stderr = "";
      const code = await main(["lint", "--format", format, "src"], { cwd: dir, stdout: () => {}, stderr: (t) => (stderr += t), isTTY });
      assert.equal(code, 0);
      return stderr;
    };
    const tty = await run(true, "stylish");
    assert.ok(tty.includes(`Locksmith: ${PROGRESS_MIN_FILES}/${PROGRESS_MIN_FILES} files`), JSON.stringify(tty));
    assert.ok(tty.endsWith(CLEAR));
    assert.equal(await run(false, "stylish"), "");
    assert.equal(await run(true, "json"), "");
    assert.equal(await run(true, "sarif"), "");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
