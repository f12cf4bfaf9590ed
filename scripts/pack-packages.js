#!/usr/bin/env node
// Packs the packages a project installs, as `npm publish` would upload them (nothing is published from here):
//   @locksmith/cli      the `locksmith` CLI and `locksmith-language-server`: compiled JavaScript, staged in
//                       dist/packages/cli/ in the layout server/src/install-paths.ts expects (the repository's tree:
//                       dist/server/src, dist/rules, rules/docs, server/schema, runtime/dist/vendor), with the
//                       manifest of server/package.json (its dependencies; bins under server/bin) and a user README.
//   @locksmith/runtime  runtime/ as it is (its own build wrote dist/).
// Usage: node scripts/pack-packages.js [--out <dir>]   (after `npm run build`). Prints the tarballs' paths.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

const ROOT = path.join(__dirname, "..");
const STAGE = path.join(ROOT, "dist", "packages", "cli");

/** What the CLI package ships, by path relative to the repository (and to the package root). */
const SHIPPED = [
  { from: "dist/server/src", only: /\.js$/ },
  { from: "dist/rules", only: /\.js$/ },
  { from: "server/bin", only: /\.js$/ },
  { from: "rules/docs" },
  { from: "server/schema/locksmith.schema.json" },
  { from: "runtime/dist/vendor/locksmith-runtime.ts" },
  { from: "server/README.md", to: "README.md" },
  { from: "LICENSE" },
];

function stageCli() {
  fs.rmSync(STAGE, { recursive: true, force: true });
  for (const { from, to = from, only } of SHIPPED) {
    const source = path.join(ROOT, from);
    if (!fs.existsSync(source)) throw new Error(`${from} is missing (run \`npm run build\` first)`);
    fs.cpSync(source, path.join(STAGE, to), {
      recursive: true,
      filter: (file) => !only || fs.statSync(file).isDirectory() || only.test(file),
    });
  }
  // Without the repository's scripts (their prepack refuses to pack the uncompiled folder).
  const { scripts: _scripts, bin, ...manifest } = JSON.parse(fs.readFileSync(path.join(ROOT, "server", "package.json"), "utf8"));
  // The bins keep their repository path, so their relative require of dist/ resolves in both places.
  const stagedBin = Object.fromEntries(Object.entries(bin).map(([name, file]) => [name, `server/${file}`]));
  fs.writeFileSync(path.join(STAGE, "package.json"), `${JSON.stringify({ ...manifest, bin: stagedBin }, null, 2)}\n`);
  return STAGE;
}

/** `npm pack` of one folder into `out`; returns the tarball's path. */
function pack(folder, out) {
  const json = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", out], {
    cwd: folder,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return path.join(out, JSON.parse(json)[0].filename);
}

/** Packs both packages into `out` (created if needed); returns the tarballs' paths, CLI first. */
function packPackages(out) {
  fs.mkdirSync(out, { recursive: true });
  return [pack(stageCli(), out), pack(path.join(ROOT, "runtime"), out)];
}

module.exports = { packPackages };

if (require.main === module) {
  const outArg = process.argv.indexOf("--out");
  const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(ROOT, "dist", "packages");
  try {
    for (const tarball of packPackages(out)) console.log(path.relative(process.cwd(), tarball));
  } catch (error) {
    console.error(`pack-packages: ${error.message.split("\n")[0]}`);
    process.exit(1);
  }
}
