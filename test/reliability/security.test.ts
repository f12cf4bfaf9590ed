// Security: analysing a workspace never runs anything from it and never touches the network, and paths Locksmith
// writes to (-o, the vendored runtime) stay inside the workspace, also through symlinks.
//
// The hostile workspace: its .ts files, a `node_modules` package and a tsconfig plugin would write a marker file and
// connect to a local TCP server if executed or required; package.json has install/test scripts doing the same;
// locksmith.json points `$schema` at the same server (a fetch would be a connection). The CLI (lint, --fix, every
// format) and the language server (as the binary) run over it with a preload that records any outgoing connection.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { main, type CliIo } from "../../server/src/cli/main";
import { ts } from "../../server/src/engine/ts";
import { Client } from "../lsp/harness";
import { REPO_ROOT } from "./corpus";

const CLI = path.join(REPO_ROOT, "server", "bin", "locksmith.js");
const SERVER = path.join(REPO_ROOT, "server", "bin", "locksmith-language-server.js");

let server: net.Server;
let port = 0;
let connections = 0;
let root: string;
let marker: string;
let netLog: string;
let preload: string;

/** JavaScript that leaves evidence if it ever runs. */
const payload = (who: string) =>
  `require("fs").appendFileSync(${JSON.stringify("MARKER")}, ${JSON.stringify(`${who}\n`)}); require("net").connect(PORT, "127.0.0.1").on("error", () => {});`;

function hostileWorkspace(): Record<string, string> {
  const js = (who: string) => payload(who).replace(JSON.stringify("MARKER"), JSON.stringify(marker)).replace("PORT", String(port));
  return {
    "src/app.ts": `import Redis from "ioredis";
import "evil-package";
import { helper } from "./helper";
${js("app.ts top level").replace(/require/g, "(globalThis as any).require")}
const redis = new Redis();
export async function run(id: string) {
  const ok = await redis.set(\`lock:\${id}\`, "1", "NX");
  if (!ok) return;
  helper();
  await redis.del(\`lock:\${id}\`);
}
`,
    "src/helper.ts": `export function helper(): void {}\n${js("helper.ts").replace(/require/g, "(globalThis as any).require")}\n`,
    "locksmith.config.js": js("locksmith.config.js"),
    ".locksmithrc.js": js(".locksmithrc.js"),
    "locksmith.json": JSON.stringify({ $schema: `http://127.0.0.1:${port}/schema.json`, rules: { "lock-without-expiry": "error" } }),
    "package.json": JSON.stringify({
      name: "hostile",
      version: "1.0.0",
      main: "index.js",
      scripts: Object.fromEntries(
        ["preinstall", "install", "postinstall", "prepare", "test", "lint", "pretest"].map((s) => [s, `node -e '${js(`npm ${s}`)}'`]),
      ),
    }),
    "index.js": js("index.js"),
    "tsconfig.json": JSON.stringify({
      compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", noEmit: true, plugins: [{ name: "evil-plugin" }] },
      include: ["src"],
    }),
    "node_modules/evil-package/package.json": JSON.stringify({ name: "evil-package", main: "index.js", types: "index.d.ts" }),
    "node_modules/evil-package/index.js": js("evil-package"),
    "node_modules/evil-package/index.d.ts": "export {};\n",
    "node_modules/evil-plugin/package.json": JSON.stringify({ name: "evil-plugin", main: "index.js" }),
    "node_modules/evil-plugin/index.js": js("evil-plugin"),
    "node_modules/ioredis/package.json": JSON.stringify({ name: "ioredis", main: "index.js" }),
    "node_modules/ioredis/index.js": js("ioredis"),
  };
}

before(async () => {
  server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-hostile-")));
  const evidence = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-evidence-"));
  marker = path.join(evidence, "executed.txt");
  netLog = path.join(evidence, "connections.txt");
  // Records every outgoing connection of the process it is preloaded into (Locksmith's own stdio pipes are not
  // connections made with connect()).
  preload = path.join(evidence, "record-connections.js");
  fs.writeFileSync(
    preload,
    `const net = require("net"), fs = require("fs");
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) { fs.appendFileSync(${JSON.stringify(netLog)}, JSON.stringify(args[0]) + "\\n"); return connect.apply(this, args); };
for (const mod of ["http", "https"]) { const m = require(mod); const request = m.request; m.request = function (...args) { fs.appendFileSync(${JSON.stringify(netLog)}, mod + "\\n"); return request.apply(this, args); }; }
`,
  );
  for (const [rel, text] of Object.entries(hostileWorkspace())) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
});

after(() => {
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(path.dirname(marker), { recursive: true, force: true });
});

function assertNothingRan(what: string): void {
  assert.equal(fs.existsSync(marker) ? fs.readFileSync(marker, "utf8") : "", "", `${what} executed workspace code`);
  assert.equal(fs.existsSync(netLog) ? fs.readFileSync(netLog, "utf8") : "", "", `${what} opened network connections`);
  assert.equal(connections, 0, `${what} connected to the workspace's server`);
}

const env = () => ({ ...process.env, NODE_OPTIONS: `--require ${preload}` });

describe("analysing a hostile workspace has no side effects", () => {
  test("CLI: lint (with the tsconfig, in SARIF and JSON) and --fix", () => {
    for (const args of [
      ["lint", "-f", "sarif"],
      ["lint", "-p", "tsconfig.json", "-f", "json"],
      ["lint", "--fix"],
    ]) {
      const result = spawnSync(process.execPath, [CLI, ...args], { cwd: root, encoding: "utf8", env: env() });
      assert.ok(result.status === 0 || result.status === 1, `locksmith ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
      assertNothingRan(`locksmith ${args.join(" ")}`);
    }
    assert.match(
      fs.readFileSync(path.join(root, "src", "app.ts"), "utf8"),
      /"PX", 30000, "NX"/,
      "--fix did not run on the hostile workspace",
    );
  });

  test("language server: open, edit, code actions, workspace analysis, shutdown", async () => {
    const child = spawn(process.execPath, [SERVER, "--stdio"], { stdio: ["pipe", "pipe", "inherit"], env: env() });
    const client = new Client(
      createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!)),
      child.stdin!,
      child,
    );
    try {
      await client.initialize(root);
      const app = path.join(root, "src", "app.ts");
      const text = fs.readFileSync(app, "utf8").replace('"PX", 30000, ', "");
      await client.open(app, text);
      await client.waitForDiagnostics(app, (d) => d.some((x) => x.code === "lock-without-expiry"));
      await client.change(app, `${text}\n// edited\n`);
      await client.connection.sendRequest("textDocument/codeAction", {
        textDocument: { uri: `file://${app}` },
        range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } },
        context: { diagnostics: client.diagnostics.get(`file://${app}`) ?? [] },
      });
      await client.connection.sendRequest("workspace/executeCommand", { command: "locksmith.server.lintWorkspace", arguments: [] });
      await client.connection.sendRequest("shutdown");
      assertNothingRan("the language server");
    } finally {
      client.dispose();
    }
  });

  test("no eval, new Function or dynamic require/import in the shipped server and rules", () => {
    const offenders: string[] = [];
    for (const dir of ["server", "rules"]) {
      for (const entry of fs.readdirSync(path.join(REPO_ROOT, "dist", dir), { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !entry.name.endsWith(".js")) continue;
        const file = path.join(entry.parentPath, entry.name);
        const sourceFile = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
        const report = (node: ts.Node, what: string) =>
          offenders.push(
            `${path.relative(REPO_ROOT, file)}:${sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what}`,
          );
        const visit = (node: ts.Node): void => {
          if (ts.isCallExpression(node)) {
            const callee = node.expression;
            if (callee.kind === ts.SyntaxKind.ImportKeyword) report(node, "dynamic import()");
            if (ts.isIdentifier(callee) && callee.text === "eval") report(node, "eval");
            if (
              ts.isIdentifier(callee) &&
              callee.text === "require" &&
              !(node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!))
            )
              report(node, "require of a computed name");
          }
          if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "Function")
            report(node, "new Function");
          ts.forEachChild(node, visit);
        };
        visit(sourceFile);
      }
    }
    // The one exception: an ESLint formatter the command line names (`-f ./formatter.js`), loaded as ESLint loads it.
    const customFormatter = path.join("dist", "server", "src", "cli", "formatters", "custom.js");
    assert.deepEqual(
      offenders.filter((o) => !o.startsWith(`${customFormatter}:`)),
      [],
    );
    assert.deepEqual(
      offenders.map((o) => o.replace(/:\d+:/, ":")),
      [`${customFormatter}: dynamic import()`],
    );
  });
});

describe("paths Locksmith writes stay inside the workspace", () => {
  async function runCli(args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
    let stderr = "";
    const io: CliIo = { cwd, stdout: () => {}, stderr: (t) => (stderr += t), isTTY: false };
    return { code: await main(args, io), stderr };
  }

  function workspaceWithOutside(): { dir: string; outside: string } {
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-paths-")));
    const dir = path.join(base, "project");
    const outside = path.join(base, "outside");
    fs.mkdirSync(path.join(dir, "src"), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(dir, "src", "a.ts"), "export const a = 1;\n");
    return { dir, outside };
  }

  // `-o` is the user's own choice of path, as a shell redirection is (CI writes reports to artifact folders).
  test("-o writes where the command line says, also outside the project", async () => {
    const { dir, outside } = workspaceWithOutside();
    const { code } = await runCli(["lint", "src", "-o", "../outside/reports/report.json"], dir);
    assert.equal(code, 0);
    assert.deepEqual(fs.readdirSync(path.join(outside, "reports")), ["report.json"]);
  });

  test("-o onto a symlink that points outside replaces the link, never the file outside", async () => {
    const { dir, outside } = workspaceWithOutside();
    fs.writeFileSync(path.join(outside, "precious.txt"), "keep me\n");
    fs.symlinkSync(path.join(outside, "precious.txt"), path.join(dir, "report.json"));
    const { code } = await runCli(["lint", "src", "-o", "report.json"], dir);
    assert.equal(code, 0);
    assert.equal(fs.readFileSync(path.join(outside, "precious.txt"), "utf8"), "keep me\n");
    assert.equal(fs.lstatSync(path.join(dir, "report.json")).isSymbolicLink(), false);
  });

  for (const [name, setup] of [
    ["runtimePath ../outside/runtime.ts", (_dir: string) => "../outside/locksmith-runtime.ts"],
    [
      "runtimePath through a symlink that points outside",
      (dir: string, outside?: string) => (fs.symlinkSync(outside!, path.join(dir, "vendor")), "vendor/locksmith-runtime.ts"),
    ],
  ] as const) {
    test(`${name} is rejected with a configuration error, and nothing is written outside`, async () => {
      const { dir, outside } = workspaceWithOutside();
      const runtimePath = setup(dir, outside);
      fs.writeFileSync(path.join(dir, "locksmith.json"), JSON.stringify({ runtime: "vendor", runtimePath }));
      fs.writeFileSync(
        path.join(dir, "src", "a.ts"),
        `import { Mutex } from "async-mutex";\nconst m = new Mutex();\nexport async function f(work: () => Promise<void>) {\n  const release = await m.acquire();\n  await work();\n  release();\n}\n`,
      );
      const { code, stderr } = await runCli(["lint", "src", "--fix"], dir);
      assert.equal(code, 2, stderr);
      assert.match(stderr, /runtimePath.*must stay inside/);
      assert.doesNotMatch(stderr, /internal error/);
      assert.deepEqual(fs.readdirSync(outside), []);
    });
  }
});
