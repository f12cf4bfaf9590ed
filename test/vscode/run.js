#!/usr/bin/env node
// `npm run test:vscode`: the user scenarios in VS Code desktop through @vscode/test-electron, with a copy of the e2e
// fixture project passed as the workspace (a launch argument). Needs to download VS Code: where that is impossible
// (no network), it says so and fails; test/e2e/run.js covers the same scenarios in code-server.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { runTests } = require("@vscode/test-electron");

const ROOT = path.join(__dirname, "..", "..");

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-vscode-"));
  const workspace = path.join(work, "project");
  fs.cpSync(path.join(ROOT, "test", "e2e", "fixtures", "project"), workspace, { recursive: true });
  const userData = path.join(work, "user");
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.writeFileSync(
    path.join(userData, "User", "settings.json"),
    JSON.stringify({
      "security.workspace.trust.enabled": false,
      "editor.codeActionsOnSave": { "source.fixAll.locksmith": "explicit" },
      "locksmith.runtime": "vendor",
    }),
  );
  try {
    await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(ROOT, "dist", "test", "vscode", "suite", "index.js"),
      launchArgs: [workspace, "--disable-extensions", "--user-data-dir", userData],
    });
  } catch (error) {
    const message = String(error && error.message ? error.message : error);
    if (/ENOTFOUND|ECONNREFUSED|EAI_AGAIN|getaddrinfo|download/i.test(message)) {
      console.error(
        `test:vscode: VS Code desktop could not be downloaded here (${message}). Run \`npm run test:e2e\` for the same scenarios in code-server.`,
      );
    } else {
      console.error(`test:vscode: ${message}`);
    }
    process.exit(1);
  }
}

main();
