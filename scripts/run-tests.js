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
// A test that leaves a handle open must not hang CI: each test has a time limit, and the runner exits when done.
const result = spawnSync(process.execPath, ["--test", "--test-reporter=spec", "--test-timeout=300000", "--test-force-exit", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
