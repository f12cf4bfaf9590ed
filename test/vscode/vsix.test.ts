// `npm run package`: the .vsix holds the two bundles, the docs, the runtime file and the schema — nothing else — and
// the bundled server, run from the unpacked package, still finds its docs and analyses the examples.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docsUrl } from "../../rules/index";
import { REPO_ROOT, startBinary, type Client } from "../lsp/harness";

const EXAMPLES = path.join(REPO_ROOT, "examples");

describe("the .vsix package", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-vsix-"));
  const vsix = path.join(work, "locksmith.vsix");
  let client: Client | undefined;
  after(() => {
    client?.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("contains exactly the bundles, docs, runtime, schema and manifest", () => {
    execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "package-vsix.js"), "--out", vsix], { stdio: "pipe" });
    const entries = execFileSync("unzip", ["-Z1", vsix], { encoding: "utf8" }).trim().split("\n").sort();
    const docs = fs
      .readdirSync(path.join(REPO_ROOT, "rules", "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `extension/rules/docs/${f}`);
    assert.deepEqual(
      entries,
      [
        "[Content_Types].xml",
        "extension.vsixmanifest",
        "extension/dist/client/src/extension.js",
        "extension/dist/server/src/lsp/main.js",
        "extension/LICENSE.txt",
        "extension/package.json",
        "extension/readme.md",
        ...docs,
        "extension/runtime/dist/vendor/locksmith-runtime.ts",
        "extension/server/schema/locksmith.schema.json",
      ].sort(),
    );
    execFileSync("unzip", ["-q", vsix, "-d", path.join(work, "unpacked")]);
    const unpacked = (file: string) => fs.readFileSync(path.join(work, "unpacked", "extension", file), "utf8");
    // The extension page: the users' README, whose links all point at the web (nothing relative to break), and the license.
    assert.equal(unpacked("readme.md"), fs.readFileSync(path.join(REPO_ROOT, "client", "README.md"), "utf8"));
    assert.doesNotMatch(unpacked("readme.md"), /\]\((?!https?:)/);
    assert.equal(unpacked("LICENSE.txt"), fs.readFileSync(path.join(REPO_ROOT, "LICENSE"), "utf8"));
    const manifest = JSON.parse(fs.readFileSync(path.join(work, "unpacked", "extension", "package.json"), "utf8"));
    assert.equal(manifest.main, "./dist/client/src/extension.js");
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.supported, true);
    assert.equal(manifest.dependencies, undefined);
    assert.equal(manifest.scripts, undefined);
    // locksmith.json: validated against the packaged schema, and JSON with comments (comments are not flagged).
    assert.deepEqual(manifest.contributes.jsonValidation, [{ fileMatch: "locksmith.json", url: "./server/schema/locksmith.schema.json" }]);
    assert.deepEqual(manifest.contributes.languages, [{ id: "jsonc", filenames: ["locksmith.json"] }]);
    const packagedSchema = fs.readFileSync(path.join(work, "unpacked", "extension", manifest.contributes.jsonValidation[0].url), "utf8");
    assert.equal(packagedSchema, fs.readFileSync(path.join(REPO_ROOT, "server", "schema", "locksmith.schema.json"), "utf8"));
    assert.equal(JSON.parse(packagedSchema).title, "Locksmith configuration (locksmith.json)");
  });

  test("the bundled server analyses the examples and links diagnostics to the packaged docs", async () => {
    client = startBinary(path.join(work, "unpacked", "extension", "dist", "server", "src", "lsp", "main.js"));
    await client.initialize(EXAMPLES);
    await client.waitFor("the workspace analysis", () => client!.statuses.some((s) => !s.busy), 60000);
    const diagnostics = [...client.diagnostics.values()].flat();
    assert.ok(diagnostics.length > 0, "the examples have findings");
    for (const diagnostic of diagnostics) {
      // The link is the published page; the packaged copy it stands for ships with the extension.
      assert.equal(diagnostic.codeDescription!.href, docsUrl(String(diagnostic.code)));
      const docs = path.join(work, "unpacked", "extension", "rules", "docs", `${String(diagnostic.code)}.md`);
      assert.ok(fs.existsSync(docs), docs);
    }
  });
});
