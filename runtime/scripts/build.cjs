#!/usr/bin/env node
// Builds dist/esm (ESM + .d.ts), dist/cjs (CommonJS + .d.ts) and the vendored single file dist/vendor/locksmith-runtime.ts,
// then compiles that file standalone (strict, CommonJS) into dist/vendor/cjs so the tests can run it like the package.
// Everything is built into a scratch directory and swapped in by rename: other processes that build or test in the
// same tree at the same time never see a half-written or missing dist/.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");
const scratch = path.join(dist, `.build-${process.pid}`);
const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
const run = (...args) => execFileSync(process.execPath, args, { cwd: root, stdio: "inherit" });
const commonjs = (dir) => fs.writeFileSync(path.join(dir, "package.json"), '{ "type": "commonjs" }\n');

fs.rmSync(scratch, { recursive: true, force: true });
try {
  run(tsc, "-p", "tsconfig.json", "--outDir", path.join(scratch, "esm"));
  run(tsc, "-p", "tsconfig.cjs.json", "--outDir", path.join(scratch, "cjs"));
  commonjs(path.join(scratch, "cjs"));
  run(path.join(__dirname, "vendor.cjs"), path.join(scratch, "vendor", "locksmith-runtime.ts"));
  const vendorProject = path.join(scratch, "tsconfig.vendor.json");
  fs.writeFileSync(vendorProject, JSON.stringify({
    extends: path.join(root, "tsconfig.vendor.json"),
    compilerOptions: { rootDir: "vendor", outDir: "vendor/cjs" },
    files: ["vendor/locksmith-runtime.ts"],
  }));
  run(tsc, "-p", vendorProject);
  commonjs(path.join(scratch, "vendor", "cjs"));
  for (const part of ["esm", "cjs", "vendor"]) {
    const target = path.join(dist, part);
    const old = path.join(dist, `.old-${part}-${process.pid}`);
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(path.join(scratch, part), target);
    fs.rmSync(old, { recursive: true, force: true });
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
