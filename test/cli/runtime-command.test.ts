// `locksmith runtime vendor [--out path]`: writes the single-file runtime where fixes import it from, updates an older
// copy, and refuses a path outside the project.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../server/src/cli/main";
import { readVendoredRuntime } from "../../server/src/engine/runtime-import";

async function run(cwd: string, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { cwd, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false });
  return { code, stdout, stderr };
}

function project(files: Record<string, string>): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-runtime-cmd-")));
  for (const [rel, text] of Object.entries({ "tsconfig.json": "{}", ...files })) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

describe("locksmith runtime vendor", () => {
  test("writes src/locksmith-runtime.ts, then reports it up to date, and updates an older copy", async () => {
    const root = project({ "src/index.ts": "export {};\n" });
    assert.deepEqual(await run(root, "runtime", "vendor"), {
      code: 0,
      stdout: "Vendored the Locksmith runtime to src/locksmith-runtime.ts\n",
      stderr: "",
    });
    const target = path.join(root, "src", "locksmith-runtime.ts");
    assert.equal(fs.readFileSync(target, "utf8"), readVendoredRuntime());
    assert.deepEqual(await run(root, "runtime", "vendor"), {
      code: 0,
      stdout: "The vendored Locksmith runtime at src/locksmith-runtime.ts is up to date\n",
      stderr: "",
    });
    fs.writeFileSync(target, "// an older copy\n");
    assert.deepEqual(await run(path.join(root, "src"), "runtime", "vendor"), {
      code: 0,
      stdout: "Updated the vendored Locksmith runtime at locksmith-runtime.ts\n",
      stderr: "",
    });
    assert.equal(fs.readFileSync(target, "utf8"), readVendoredRuntime());
  });

  test("--out and locksmith.json's runtimePath choose the place; outside the project is refused", async () => {
    const root = project({ "locksmith.json": JSON.stringify({ runtimePath: "lib/vendor/runtime.ts" }) });
    assert.deepEqual(await run(root, "runtime", "vendor"), {
      code: 0,
      stdout: "Vendored the Locksmith runtime to lib/vendor/runtime.ts\n",
      stderr: "",
    });
    assert.deepEqual(await run(root, "runtime", "vendor", "--out", "shared/locks.ts"), {
      code: 0,
      stdout: "Vendored the Locksmith runtime to shared/locks.ts\n",
      stderr: "",
    });
    assert.ok(fs.existsSync(path.join(root, "shared", "locks.ts")));
    const outside = await run(root, "runtime", "vendor", "--out", "../elsewhere.ts");
    assert.deepEqual(outside, {
      code: 2,
      stdout: "",
      stderr: `locksmith: the vendored runtime must stay inside the project (${root}), got ../elsewhere.ts\n`,
    });
    assert.equal((await run(root, "runtime", "vendor", "--out", "x.js")).code, 2);
    assert.equal((await run(root, "runtime", "update")).code, 2);
  });
});
