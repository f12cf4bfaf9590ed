#!/usr/bin/env node
// Builds the VS Code extension package (.vsix): esbuild bundles of the client and the server, the rules' docs, the
// single-file runtime (vendored by quick fixes), the config schema, the users' README (client/README.md) and LICENSE —
// nothing else. Runs offline: the files are staged in dist/vsix/ with a trimmed manifest and packaged from there with
// `vsce --no-dependencies`.
// Usage: node scripts/package-vsix.js [--out file.vsix]   (after `npm run build`, which builds the runtime)
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const esbuild = require("esbuild");

const ROOT = path.join(__dirname, "..");
const STAGE = path.join(ROOT, "dist", "vsix");
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const outArg = process.argv.indexOf("--out");
const OUT = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(ROOT, "dist", `${manifest.name}-${manifest.version}.vsix`);

/**
 * Modules find their files (docs, runtime, schema) relative to `__dirname`, i.e. where tsc puts them under dist/.
 * In a bundle every module shares the bundle's `__dirname`, so each use is rewritten to the folder tsc would have
 * used, relative to the bundle: the staged tree then mirrors the repository and every path still resolves.
 */
function dirnameAsCompiled(bundleDir) {
  return {
    name: "dirname-as-compiled",
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = fs.readFileSync(args.path, "utf8");
        if (!source.includes("__dirname")) return undefined;
        const compiledDir = path.join(ROOT, "dist", path.relative(ROOT, path.dirname(args.path)));
        const relative = path.relative(bundleDir, compiledDir).split(path.sep).join("/");
        return {
          contents: source.replace(/\b__dirname\b/g, `require("node:path").join(__dirname, ${JSON.stringify(relative)})`),
          loader: "ts",
        };
      });
    },
  };
}

function copy(relative) {
  const from = path.join(ROOT, relative);
  if (!fs.existsSync(from)) throw new Error(`${relative} is missing (run \`npm run build\` first)`);
  fs.cpSync(from, path.join(STAGE, relative), { recursive: true });
}

/** The published manifest: the extension's fields only (no scripts, workspaces or dependencies: all is bundled). */
function stagedManifest() {
  const { scripts, dependencies, devDependencies, workspaces, bin, private: _private, ...rest } = manifest;
  return { ...rest, repository: rest.repository ?? { type: "git", url: "https://github.com/locksmith/locksmith" } };
}

async function main() {
  fs.rmSync(STAGE, { recursive: true, force: true });
  fs.mkdirSync(STAGE, { recursive: true });
  await Promise.all([
    bundle("client/src/extension.ts", path.join(STAGE, "dist", "client", "src", "extension.js"), ["vscode"]),
    bundle("server/src/lsp/main.ts", path.join(STAGE, "dist", "server", "src", "lsp", "main.js"), []),
  ]);
  copy("rules/docs");
  copy("runtime/dist/vendor/locksmith-runtime.ts");
  copy("server/schema/locksmith.schema.json");
  copy("LICENSE");
  // The extension page shows the README: the users' one (the repository's is for developers, with relative images).
  fs.copyFileSync(path.join(ROOT, "client", "README.md"), path.join(STAGE, "README.md"));
  fs.writeFileSync(path.join(STAGE, "package.json"), `${JSON.stringify(stagedManifest(), null, 2)}\n`);
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const vsce = require.resolve("@vscode/vsce/vsce");
  const args = [vsce, "package", "--no-dependencies", "--allow-missing-repository", "--no-rewrite-relative-links", "--out", OUT];
  const result = spawnSync(process.execPath, args, { cwd: STAGE, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`vsce package failed (exit ${result.status})`);
  console.log(`Packaged ${path.relative(process.cwd(), OUT)}`);
}

/** One bundle; the staged path mirrors where tsc puts the file under dist/. */
function bundle(entry, outfile, external) {
  const bundleDir = path.dirname(path.join(ROOT, path.relative(STAGE, outfile)));
  return esbuild.build({
    entryPoints: [path.join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external,
    minify: true,
    logLevel: "warning",
    plugins: [dirnameAsCompiled(bundleDir)],
  });
}

main().catch((error) => {
  console.error(`package-vsix: ${error.message}`);
  process.exit(1);
});
