#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in test runner.
// Optional arguments filter by substring of the path: `node scripts/run-tests.js rules lsp`.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..", "dist", "test");
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith(".test.js") && (filters.length === 0 || filters.some((f) => full.includes(f)))) files.push(full);
  }
})(root);
if (files.length === 0) {
  console.error(`No test files found under ${path.relative(process.cwd(), root)} (did the build run?)`);
  process.exit(1);
}
files.sort();
// Each test has a time limit, and the whole run one (CI allows 90 minutes). Not `--test-force-exit`: in Node 20 it ends
// a test file's process before all its results reach the runner, which then counts (and checks) fewer tests than ran;
// a file that leaves a handle open instead shows up as a run that does not end, stopped here with a message.
const RUN_LIMIT_MS = 60 * 60 * 1000;
const result = spawnSync(process.execPath, ["--test", "--test-reporter=spec", "--test-timeout=300000", ...files], {
  stdio: "inherit",
  timeout: RUN_LIMIT_MS,
  killSignal: "SIGKILL",
});
if (result.error?.code === "ETIMEDOUT") {
  console.error(
    `The tests did not finish within ${RUN_LIMIT_MS / 60000} minutes: a test file probably leaves a handle open (a pool, a server, a timer).`,
  );
  process.exit(1);
}
process.exit(result.status ?? 1);
