#!/usr/bin/env node
// Packs the packages a project installs, as `npm publish` would upload them (nothing is published from here):
//   @locksmith/cli      the `locksmith` CLI and `locksmith-language-server`: compiled JavaScript, staged in
//                       dist/packages/cli/ in the layout server/src/install-paths.ts expects (the repository's tree:
//                       dist/server/src, dist/rules, rules/docs, server/schema, runtime/dist/vendor), with the
//                       manifest of server/package.json (its dependencies; bins under server/bin) and a user README.
//   @locksmith/runtime  runtime/ as it is (its own build wrote dist/).
//   eslint-plugin-locksmith  the compiled plugin (dist/eslint-plugin/src → dist/), staged in dist/packages/eslint-plugin/
//                       with the manifest of eslint-plugin/package.json and its README. It runs the engine of
//                       @locksmith/cli, on which it depends at exactly its own version: one copy of the engine (and of
//                       ts-morph's TypeScript) in a project that has both, and the same findings from both.
// Usage: node scripts/pack-packages.js [--out <dir>]   (after `npm run build`). Prints the tarballs' paths.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

const ROOT = path.join(__dirname, "..");
const STAGES = path.join(ROOT, "dist", "packages");

/** What the CLI package ships, by path relative to the repository (and to the package root). */
const CLI_SHIPPED = [
  { from: "dist/server/src", only: /\.js$/ },
  { from: "dist/rules", only: /\.js$/ },
  { from: "server/bin", only: /\.js$/ },
  { from: "rules/docs" },
  { from: "server/schema/locksmith.schema.json" },
  { from: "runtime/dist/vendor/locksmith-runtime.ts" },
  { from: "server/README.md", to: "README.md" },
  { from: "LICENSE" },
];
/** The CLI's compiled JavaScript (the engine, the rules), which the ESLint plugin requires. */
const CLI_COMPILED = CLI_SHIPPED.filter(({ from }) => from.startsWith("dist/")).map(({ from }) => from);

/** What the ESLint plugin ships: its compiled JavaScript and the typings of its entry point, a README and the LICENSE. */
const PLUGIN_COMPILED = "dist/eslint-plugin/src";
const PLUGIN_SHIPPED = [
  { from: PLUGIN_COMPILED, to: "dist", only: /\.js$|[/\\]index\.d\.ts$/ },
  { from: "eslint-plugin/README.md", to: "README.md" },
  { from: "LICENSE" },
];

/** Copies `shipped` into a fresh `stage` folder. */
function copyShipped(shipped, stage) {
  fs.rmSync(stage, { recursive: true, force: true });
  for (const { from, to = from, only } of shipped) {
    const source = path.join(ROOT, from);
    if (!fs.existsSync(source)) throw new Error(`${from} is missing (run \`npm run build\` first)`);
    fs.cpSync(source, path.join(stage, to), {
      recursive: true,
      filter: (file) => !only || fs.statSync(file).isDirectory() || only.test(file),
    });
  }
}

/** A workspace's package.json without the repository's scripts (their prepack refuses to pack the uncompiled folder). */
function manifestOf(workspace) {
  const { scripts: _scripts, ...manifest } = JSON.parse(fs.readFileSync(path.join(ROOT, workspace, "package.json"), "utf8"));
  return manifest;
}

function writeManifest(stage, manifest) {
  fs.writeFileSync(path.join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

function stageCli() {
  const stage = path.join(STAGES, "cli");
  copyShipped(CLI_SHIPPED, stage);
  const { bin, ...manifest } = manifestOf("server");
  // The bins keep their repository path, so their relative require of dist/ resolves in both places.
  const stagedBin = Object.fromEntries(Object.entries(bin).map(([name, file]) => [name, `server/${file}`]));
  writeManifest(stage, { ...manifest, bin: stagedBin });
  return stage;
}

function stageEslintPlugin() {
  const stage = path.join(STAGES, "eslint-plugin");
  const cli = manifestOf("server");
  const manifest = manifestOf("eslint-plugin");
  if (manifest.version !== cli.version || manifest.dependencies?.[cli.name] !== cli.version) {
    throw new Error(
      `eslint-plugin/package.json: "version" and the "${cli.name}" dependency must both be ${cli.version}, the CLI's version`,
    );
  }
  copyShipped(PLUGIN_SHIPPED, stage);
  for (const file of fs.readdirSync(path.join(stage, "dist"), { recursive: true })) {
    const staged = path.join(stage, "dist", file);
    if (file.endsWith(".js")) requireEngineFromCli(staged, path.dirname(path.join(ROOT, PLUGIN_COMPILED, file)));
    else if (file.endsWith(".d.ts") && /["']\.\.?\//.test(fs.readFileSync(staged, "utf8"))) {
      throw new Error(`${PLUGIN_COMPILED}/${file} imports a relative path: its typings would not resolve in the package`);
    }
  }
  // The repository's main is a shim that loads ../dist/eslint-plugin/src (tsc's output for the whole repository).
  writeManifest(stage, { ...manifest, main: "dist/index.js", types: "dist/index.d.ts" });
  return stage;
}

/**
 * The plugin's compiled files require the engine by its path in the repository (`../../server/src/…`, `../../rules`).
 * The CLI package ships those files at the same paths, so in the plugin package they become `@locksmith/cli/<path>`;
 * a require of anything else outside the plugin stops the packing.
 */
function requireEngineFromCli(file, compiledDir) {
  const text = fs.readFileSync(file, "utf8").replace(/require\("(\.\.?\/[^"]*)"\)/g, (call, specifier) => {
    const target = path.relative(ROOT, path.join(compiledDir, specifier)).split(path.sep).join("/");
    if (target.startsWith(`${PLUGIN_COMPILED}/`)) return call;
    if (CLI_COMPILED.some((from) => target === from || target.startsWith(`${from}/`))) return `require("@locksmith/cli/${target}")`;
    throw new Error(`${path.relative(ROOT, file)} requires ${specifier}, which neither it nor @locksmith/cli ships`);
  });
  fs.writeFileSync(file, text);
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

/** Packs the packages into `out` (created if needed); returns the tarballs' paths: CLI, runtime, ESLint plugin. */
function packPackages(out) {
  fs.mkdirSync(out, { recursive: true });
  return [pack(stageCli(), out), pack(path.join(ROOT, "runtime"), out), pack(stageEslintPlugin(), out)];
}

module.exports = { packPackages };

if (require.main === module) {
  const outArg = process.argv.indexOf("--out");
  const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : STAGES;
  try {
    for (const tarball of packPackages(out)) console.log(path.relative(process.cwd(), tarball));
  } catch (error) {
    console.error(`pack-packages: ${error.message.split("\n")[0]}`);
    process.exit(1);
  }
}
