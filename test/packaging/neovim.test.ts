// The Neovim 0.7–0.10 set-up of docs/editors.md, run as written (only `cmd` points at this checkout's server) in the
// headless Neovim installed here — Debian ships 0.7.2 — on a project with a lost update: the server's diagnostics
// reach Neovim, and saving applies the safe fix. Skipped where no `nvim` is installed.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO_ROOT = path.join(__dirname, "..", "..", "..");
const FIXTURES = path.join(REPO_ROOT, "test", "packaging", "fixtures");
const NPX_CMD = `cmd = { "npx", "-p", "@locksmith/cli", "locksmith-language-server", "--stdio" },`;

const nvim = spawnSync("nvim", ["--version"], { encoding: "utf8" });
const nvimVersion = nvim.status === 0 ? nvim.stdout.split("\n")[0] : undefined;

/** The Lua block under the "Neovim 0.7 to 0.10" heading of docs/editors.md. */
function documentedSnippet(): string {
  const guide = fs.readFileSync(path.join(REPO_ROOT, "docs", "editors.md"), "utf8");
  const section = guide.slice(guide.indexOf("### Neovim 0.7 to 0.10"));
  const block = /```lua\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "docs/editors.md has a Lua block for Neovim 0.7 to 0.10");
  return block[1]!;
}

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-nvim-")));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test(
  `the documented Neovim 0.7–0.10 set-up shows the diagnostics and fixes on save (${nvimVersion ?? "no nvim"})`,
  { skip: !nvimVersion && "nvim is not installed" },
  async () => {
    const snippet = documentedSnippet();
    assert.ok(snippet.includes(NPX_CMD), "the snippet starts the server with npx -p @locksmith/cli");
    const server = path.join(REPO_ROOT, "server", "bin", "locksmith-language-server.js");
    fs.writeFileSync(
      path.join(tmp, "init.lua"),
      snippet.replace(NPX_CMD, `cmd = { ${JSON.stringify(process.execPath)}, ${JSON.stringify(server)}, "--stdio" },`),
    );
    const project = path.join(tmp, "app");
    fs.mkdirSync(path.join(project, "src"), { recursive: true });
    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, module: "nodenext" }, include: ["src"] }),
    );
    const original = fs.readFileSync(path.join(FIXTURES, "app", "src", "wallet.ts"), "utf8");
    const file = path.join(project, "src", "wallet.ts");
    fs.writeFileSync(file, original);
    const out = path.join(tmp, "out.json");

    const args = [
      "--headless",
      "-u",
      "NONE",
      "-i",
      "NONE",
      "-n",
      "-c",
      `luafile ${path.join(tmp, "init.lua")}`,
      "-c",
      `luafile ${path.join(FIXTURES, "nvim-driver.lua")}`,
    ];
    const env = {
      ...process.env,
      LOCKSMITH_FILE: file,
      LOCKSMITH_OUT: out,
      XDG_CACHE_HOME: tmp,
      XDG_STATE_HOME: tmp,
      XDG_CONFIG_HOME: tmp,
      XDG_DATA_HOME: tmp,
    };
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile("nvim", args, { cwd: project, env, timeout: 90000 }, (error, _stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stderr }),
      );
    });
    assert.equal(run.code, 0, run.stderr);

    const result = JSON.parse(fs.readFileSync(out, "utf8")) as { diagnostics: unknown[] };
    assert.deepEqual(result.diagnostics, [
      { line: 8, code: "select-then-update", source: "locksmith" },
      { line: 15, code: "select-then-update", source: "locksmith" },
    ]);
    // Saving applied the safe fix (the atomic update) to debit; addInterest has suggestions only, which stay unapplied.
    const fixed = original.replace(
      `  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, id]);\n`,
      `  const updated = await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", [amount, id]);\n` +
        `  if (updated.rowCount === 0) throw new Error("insufficient funds");\n`,
    );
    assert.notEqual(fixed, original);
    assert.equal(fs.readFileSync(file, "utf8"), fixed);
  },
);
