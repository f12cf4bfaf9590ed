#!/usr/bin/env node
// End-to-end: the packaged extension in a real VS Code (code-server, driven through Chromium by Playwright), as a
// user works with it. Two sessions. Untrusted workspace (workspace trust on, folder not trusted: Restricted Mode):
// findings still appear in the Problems panel. Trusted: findings appear in the Problems panel; a quick fix that
// vendors the runtime changes the file, creates the runtime file and clears the finding; fix-on-save applies safe
// fixes; locksmith.json is checked against the schema and may have comments.
// `npm run test:e2e` packages the extension first; the one-time set-up (Chromium, Node 24, code-server) is cached in
// ~/.cache/locksmith-e2e by test/e2e/setup.sh. Set LOCKSMITH_E2E_SCREENSHOT=path to save the quick-fix screenshot
// (docs/images/editor-quick-fix.png is made this way). Every wait polls for the expected state; none sleeps blindly.
"use strict";
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const ROOT = path.join(__dirname, "..", "..");
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const VSIX = path.join(ROOT, "dist", `${manifest.name}-${manifest.version}.vsix`);
const TIMEOUT = 90_000;

function log(message) {
  process.stdout.write(`e2e: ${message}\n`);
}

async function poll(what, probe, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

const BASE_SETTINGS = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "editor.codeActionsOnSave": { "source.fixAll.locksmith": "explicit" },
  "locksmith.runtime": "vendor",
};

async function main() {
  if (!fs.existsSync(VSIX)) throw new Error(`${path.relative(ROOT, VSIX)} is missing: run \`npm run package\` first`);
  const cache = execFileSync("sh", [path.join(__dirname, "setup.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
    .trim()
    .split("\n")
    .pop();
  const codeServer = {
    node24: path.join(cache, "node24", "node_modules", "node", "bin", "node"),
    entry: path.join(cache, "cs", "node_modules", "code-server", "out", "node", "entry.js"),
  };
  // Workspace trust on and no prompt: the folder opens untrusted, in Restricted Mode.
  await session(
    codeServer,
    "untrusted",
    { "security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never" },
    untrustedScenarios,
  );
  await session(codeServer, "trusted", { "security.workspace.trust.enabled": false }, trustedScenarios);
  log("all scenarios passed");
}

/** One code-server with the packaged extension and a fresh copy of the fixture project, driven through Chromium. */
async function session({ node24, entry }, name, settings, scenarios) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `locksmith-e2e-${name}-`));
  const workspace = path.join(work, "project");
  const userData = path.join(work, "user");
  const extensions = path.join(work, "extensions");
  fs.cpSync(path.join(__dirname, "fixtures", "project"), workspace, { recursive: true });
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.writeFileSync(path.join(userData, "User", "settings.json"), JSON.stringify({ ...BASE_SETTINGS, ...settings }));
  log(`${name}: installing the extension into code-server`);
  execFileSync(node24, [entry, "--install-extension", VSIX, "--extensions-dir", extensions, "--user-data-dir", userData], {
    stdio: "pipe",
  });

  const port = await freePort();
  const server = spawn(
    node24,
    [
      entry,
      "--auth",
      "none",
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--disable-telemetry",
      "--disable-update-check",
      "--user-data-dir",
      userData,
      "--extensions-dir",
      extensions,
      workspace,
    ],
    { stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let serverOutput = "";
  server.stdout.on("data", (d) => (serverOutput += d));
  server.stderr.on("data", (d) => (serverOutput += d));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await poll("code-server to listen", () => serverOutput.includes("HTTP server listening"));
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector(".monaco-workbench", { timeout: TIMEOUT });
    await scenarios(workbench(page), workspace);
  } catch (error) {
    const shot = path.join(work, "failure.png");
    await page.screenshot({ path: shot }).catch(() => undefined);
    log(`${name}: failed; screenshot: ${shot}\n${serverOutput.slice(-2000)}`);
    throw error;
  } finally {
    await browser.close();
    process.kill(-server.pid);
  }
}

/** What the scenarios do in the workbench, each step polling until the workbench shows its effect. */
function workbench(page) {
  const problems = async () => page.$$eval(".markers-panel .monaco-list-row", (rows) => rows.map((row) => row.textContent ?? ""));
  // A key press can land while the workbench is still moving focus (a panel opening, a box closing): press again
  // until what it opens is there.
  const pressUntilVisible = (key, selector) =>
    poll(`${selector} after ${key}`, async () => {
      if (!(await page.isVisible(selector))) await page.keyboard.press(key);
      return page.waitForSelector(selector, { state: "visible", timeout: 3000 }).then(
        () => true,
        () => false,
      );
    });
  const openFile = async (name) => {
    await page.click(".monaco-editor .view-lines").catch(() => undefined);
    await pressUntilVisible("Control+P", ".quick-input-widget input");
    await page.keyboard.type(name);
    await poll(`${name} first in quick open`, async () =>
      ((await page.$$eval(".quick-input-list .monaco-list-row", (rows) => rows.map((r) => r.textContent ?? "")))[0] ?? "").includes(name),
    );
    await page.keyboard.press("Enter");
    await page.waitForSelector(`.tab.active[data-resource-name="${name}"], .tab.active[aria-label^="${name}"]`, { timeout: TIMEOUT });
    await page.click(".monaco-editor .view-lines");
  };
  const goToLine = async (line) => {
    await pressUntilVisible("Control+G", ".quick-input-widget input");
    await page.keyboard.type(String(line));
    await page.keyboard.press("Enter");
  };
  const showProblems = () => pressUntilVisible("Control+Shift+M", ".markers-panel");
  return { page, problems, pressUntilVisible, openFile, goToLine, showProblems };
}

async function untrustedScenarios({ page, problems, openFile, showProblems }) {
  log("untrusted: the workspace opens in Restricted Mode");
  await poll("the Restricted Mode indicator", async () =>
    (await page.$$eval(".statusbar-item", (items) => items.map((i) => i.textContent ?? ""))).some((text) =>
      text.includes("Restricted Mode"),
    ),
  );
  log("untrusted: findings appear in the Problems panel");
  await openFile("transfer.ts");
  await showProblems();
  await poll("the retry-without-backoff finding in Problems", async () =>
    (await problems()).some((row) => row.includes("retry-without-backoff")),
  );
  log("untrusted: passed (Restricted Mode, retry-without-backoff shown)");
}

async function trustedScenarios({ page, problems, pressUntilVisible, openFile, goToLine, showProblems }, workspace) {
  // 1. Findings in the Problems panel.
  log("trusted: scenario 1: findings appear in the Problems panel");
  await openFile("transfer.ts");
  await showProblems();
  await poll("the retry-without-backoff finding in Problems", async () =>
    (await problems()).some((row) => row.includes("retry-without-backoff")),
  );

  // 2. A quick fix that vendors the runtime.
  log("trusted: scenario 2: the quick fix vendors the runtime and the finding disappears");
  await page.click(".monaco-editor .view-lines");
  await goToLine(4);
  const fixTitle = "retry";
  await pressUntilVisible("Control+.", ".action-widget .monaco-list-row");
  const items = await page.$$eval(".action-widget .monaco-list-row", (rows) => rows.map((row) => row.textContent ?? ""));
  const fixIndex = items.findIndex(
    (text) => text.toLowerCase().includes(fixTitle) && !text.startsWith("Disable") && !text.startsWith("Show"),
  );
  if (fixIndex < 0) throw new Error(`no quick fix using the runtime's retry among: ${items.join(" | ")}`);
  if (process.env.LOCKSMITH_E2E_SCREENSHOT) {
    await page.hover(`.action-widget .monaco-list-row >> nth=${fixIndex}`);
    await page.screenshot({ path: process.env.LOCKSMITH_E2E_SCREENSHOT });
    log(`screenshot saved to ${process.env.LOCKSMITH_E2E_SCREENSHOT}`);
  }
  await page.click(`.action-widget .monaco-list-row >> nth=${fixIndex}`);
  const runtimeFile = path.join(workspace, "src", "locksmith-runtime.ts");
  const vendored = fs.readFileSync(path.join(ROOT, "runtime", "dist", "vendor", "locksmith-runtime.ts"), "utf8");
  await poll("the vendored runtime on disk", () => fs.existsSync(runtimeFile) && fs.readFileSync(runtimeFile, "utf8") === vendored);
  await page.click(".monaco-editor .view-lines");
  await page.keyboard.press("Control+S");
  const transfer = path.join(workspace, "src", "transfer.ts");
  await poll("transfer.ts saved with the runtime import", () =>
    fs.readFileSync(transfer, "utf8").includes('import { retry } from "./locksmith-runtime";'),
  );
  await poll(
    "the retry-without-backoff finding to disappear",
    async () => !(await problems()).some((row) => row.includes("retry-without-backoff")),
  );

  // 3. Fix on save.
  log("trusted: scenario 3: fix-on-save applies the safe fix");
  await openFile("nightly-report.ts");
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Control+S");
  const report = path.join(workspace, "src", "nightly-report.ts");
  await poll(
    "nightly-report.ts saved with PX added",
    () => fs.readFileSync(report, "utf8").includes('"NX", "PX", 30000') || /"PX", \d+/.test(fs.readFileSync(report, "utf8")),
  );
  await poll(
    "the lock-without-expiry finding to disappear",
    async () => !(await problems()).some((row) => row.includes("lock-without-expiry")),
  );

  // 4. locksmith.json: checked against the packaged schema; it is JSON with comments, so a comment is no error.
  log("trusted: scenario 4: locksmith.json is validated by the schema and may have comments");
  fs.writeFileSync(path.join(workspace, "locksmith.json"), '{\n  // Our team\'s settings.\n  "rules": { "no-such-rule": "warn" }\n}\n');
  // Quick open indexes files created behind the editor's back only later; the explorer lists the file at once.
  await poll("locksmith.json open from the explorer", async () => {
    await page.click('.explorer-folders-view .monaco-list-row:has-text("locksmith.json")', { timeout: 3000 }).catch(() => undefined);
    return page
      .waitForSelector('.tab.active[data-resource-name="locksmith.json"], .tab.active[aria-label^="locksmith.json"]', { timeout: 3000 })
      .then(
        () => true,
        () => false,
      );
  });
  await showProblems();
  const configProblems = await poll("the schema problem of locksmith.json", async () => {
    const rows = await problems();
    return rows.some((row) => row.includes("no-such-rule")) && rows;
  });
  const comments = configProblems.filter((row) => /comment/i.test(row));
  if (comments.length > 0) throw new Error(`comments in locksmith.json are flagged: ${comments.join(" | ")}`);
  log(`trusted: passed (locksmith.json: ${configProblems.filter((row) => row.includes("no-such-rule")).join(" | ")})`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`e2e: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
