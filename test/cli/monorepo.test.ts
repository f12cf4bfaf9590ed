// Monorepos: several tsconfigs analysed as one Program, so a lock-order cycle across packages is found from the root,
// from one package, and with `-p` given several times or as a glob.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runCli, tempProject } from "./helpers";
import { CYCLE_IN_A, CYCLE_IN_B, MONOREPO_LAYOUTS, MONOREPO_PACKAGES, monorepo } from "./monorepo-fixture";
import { DECLARED_LOCK_MODULE, declaredLockJobs } from "../helpers/lock-modules";

/** `file line:column ruleId` of every message of a JSON report, paths relative to `root`. */
function findings(stdout: string, root: string): string[] {
  const results = JSON.parse(stdout) as Array<{ filePath: string; messages: Array<{ line: number; column: number; ruleId: string }> }>;
  return results.flatMap((r) =>
    r.messages.map((m) => `${path.relative(root, r.filePath).split(path.sep).join("/")} ${m.line}:${m.column} ${m.ruleId}`),
  );
}

/** The monorepo's two packages' code as one project: src/a, src/b, importing each other by relative path. */
function singleProject(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(MONOREPO_PACKAGES)
      .filter(([file]) => file.endsWith(".ts"))
      .map(([file, text]) => [file.replace(/^packages\/(a|b)\/src\//, "src/$1/"), text.replace(/"@acme\/(a|b)"/, '"../$1/index.js"')]),
  );
}

const IN_A = `${CYCLE_IN_A.file} ${CYCLE_IN_A.at} inconsistent-lock-order`;
const IN_B = `${CYCLE_IN_B.file} ${CYCLE_IN_B.at} inconsistent-lock-order`;

/**
 * Two packages with the same lock client (whose body says nothing Locksmith reads) and the same callers, each with its
 * own locksmith.json declaring a different helper of it: `a` declares `LockClient.hold`, `b` declares `serially`.
 */
function packagesDeclaringTheirOwnLocks(): string {
  const tsconfig = JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", noEmit: true }, include: ["src"] });
  const nightly = `import { serially } from "./lock-client";
export async function nightly() {
  await serially(async () => {
    await serially(async () => {});
  });
}
`;
  const files: Record<string, string> = { "package.json": JSON.stringify({ name: "mono", private: true, workspaces: ["packages/*"] }) };
  const declarations = {
    a: { function: "LockClient.hold", kind: "mutex", key: 0, callback: 1 },
    b: { function: "serially", kind: "mutex", callback: 0 },
  };
  for (const [name, declaration] of Object.entries(declarations)) {
    files[`packages/${name}/package.json`] = JSON.stringify({ name: `@acme/${name}`, version: "1.0.0" });
    files[`packages/${name}/tsconfig.json`] = tsconfig;
    files[`packages/${name}/locksmith.json`] = JSON.stringify({ locks: [declaration] });
    files[`packages/${name}/src/lock-client.ts`] = DECLARED_LOCK_MODULE;
    files[`packages/${name}/src/jobs.ts`] = declaredLockJobs(["stock", "orders"]);
    files[`packages/${name}/src/nightly.ts`] = nightly;
  }
  return tempProject(files);
}

describe("monorepos", () => {
  test("each package's files are analysed with the `locks` of its own locksmith.json, from the root or from the package", async () => {
    const root = packagesDeclaringTheirOwnLocks();
    // a: the declared keyed helper nested in opposite orders; b: the declared global helper nested in itself.
    const expected = [
      "packages/a/src/jobs.ts 4:11 inconsistent-lock-order",
      "packages/a/src/jobs.ts 9:11 inconsistent-lock-order",
      "packages/b/src/nightly.ts 4:11 reentrant-lock",
    ];
    const fromRoot = await runCli(["lint", "-f", "json"], root);
    assert.equal(fromRoot.stderr, "");
    assert.deepEqual(findings(fromRoot.stdout, root), expected);
    const fromB = await runCli(["lint", "-f", "json", "."], path.join(root, "packages", "b"));
    assert.deepEqual(findings(fromB.stdout, root), [expected[2]]);
    // `locksmith locks` lists each package's declared helper where it is called.
    const locks = JSON.parse((await runCli(["locks", "--format", "json"], root)).stdout);
    assert.deepEqual(
      [...new Set(locks.acquisitions.map((a: { file: string; via: string }) => `${a.file} ${a.via}`))],
      ["packages/a/src/jobs.ts LockClient.hold", "packages/b/src/nightly.ts serially"],
    );
    // --config names one configuration for every file.
    const named = await runCli(["lint", "-f", "json", "--config", "packages/b/locksmith.json"], root);
    assert.deepEqual(findings(named.stdout, root), ["packages/a/src/nightly.ts 4:11 reentrant-lock", expected[2]]);
  });

  for (const [name, layout] of Object.entries(MONOREPO_LAYOUTS)) {
    test(`${name}: \`locksmith lint\` at the root finds the cycle across packages`, async () => {
      const root = monorepo(layout);
      const { code, stdout, stderr } = await runCli(["lint", "-f", "json"], root);
      assert.equal(stderr, "");
      assert.deepEqual(findings(stdout, root), [IN_A, IN_B]);
      assert.equal(code, 1);
    });
  }

  test("a package tsconfig extending a workspace package's tsconfig is read before `npm install` linked it", async () => {
    const root = monorepo(undefined, {
      "packages/tsconfig/package.json": JSON.stringify({ name: "@acme/tsconfig", version: "0.0.0" }),
      "packages/tsconfig/base.json": `{ "compilerOptions": { "strict": true, "module": "nodenext" } }`,
      "packages/a/tsconfig.json": `{ "extends": "@acme/tsconfig/base.json", "include": ["src"] }`,
    });
    const { code, stdout, stderr } = await runCli(["lint", "-f", "json"], root);
    assert.equal(stderr, "");
    assert.deepEqual(findings(stdout, root), [IN_A, IN_B]);
    assert.equal(code, 1);
    // A package whose own tsconfig is a solution file (it references another) is not the workspace its extends names.
    fs.writeFileSync(path.join(root, "packages/a/tsconfig.node.json"), `{ "compilerOptions": { "composite": true }, "files": [] }`);
    fs.writeFileSync(
      path.join(root, "packages/a/tsconfig.json"),
      `{ "extends": "@acme/tsconfig/base.json", "include": ["src"], "references": [{ "path": "./tsconfig.node.json" }] }`,
    );
    const solution = await runCli(["lint", "-f", "json"], root);
    assert.equal(solution.stderr, "");
    assert.deepEqual(findings(solution.stdout, root), [IN_A, IN_B]);
    // A base in a package that is not installed: read without it, as tsc goes on without it, and said on stderr.
    fs.writeFileSync(path.join(root, "packages/a/tsconfig.json"), `{ "extends": "@acme/missing/base.json", "include": ["src"] }`);
    const notInstalled = await runCli(["lint", "-f", "json"], root);
    assert.match(
      notInstalled.stderr,
      /^locksmith: .*packages\/a\/tsconfig\.json extends '@acme\/missing\/base\.json', whose package is not installed: read without it\n$/,
    );
    assert.deepEqual(findings(notInstalled.stdout, root), [IN_A, IN_B]);
    assert.equal(notInstalled.code, 1);
    // Installed, but without that file: an error, in one line.
    fs.mkdirSync(path.join(root, "node_modules/@acme/missing"), { recursive: true });
    const missing = await runCli(["lint", "-f", "json"], root);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^locksmith: .*packages\/a\/tsconfig\.json: File '@acme\/missing\/base\.json' not found\.\n$/);
    // A relative base a framework generates (`svelte-kit sync`) that is not there yet: read without it, said on stderr.
    fs.writeFileSync(path.join(root, "packages/a/tsconfig.json"), `{ "extends": "./.svelte-kit/tsconfig.json", "include": ["src"] }`);
    const generated = await runCli(["lint", "-f", "json"], root);
    assert.match(
      generated.stderr,
      /^locksmith: .*packages\/a\/tsconfig\.json extends '.*packages\/a\/\.svelte-kit\/tsconfig\.json', which does not exist \(generated by a build step\?\): read without it\n$/,
    );
    assert.deepEqual(findings(generated.stdout, root), [IN_A, IN_B]);
    assert.equal(generated.code, 1);
    // An option tsc does not know (a linter's setting in compilerOptions): read without it, said on stderr.
    fs.writeFileSync(
      path.join(root, "packages/a/tsconfig.json"),
      `{ "compilerOptions": { "strict": true, "noAssignInExpressions": false }, "include": ["src"] }`,
    );
    const unknownOption = await runCli(["lint", "-f", "json"], root);
    assert.match(
      unknownOption.stderr,
      /^locksmith: .*packages\/a\/tsconfig\.json: unknown compiler option 'noAssignInExpressions': read without it\n$/,
    );
    assert.deepEqual(findings(unknownOption.stdout, root), [IN_A, IN_B]);
    assert.equal(unknownOption.code, 1);
  });

  test("linting one package reports the cycle in that package only, from the root or from inside it", async () => {
    const root = monorepo();
    const fromRoot = await runCli(["lint", "packages/a", "-f", "json"], root);
    assert.deepEqual(findings(fromRoot.stdout, root), [IN_A]);
    assert.equal(fromRoot.code, 1);
    const inside = await runCli(["lint", "-f", "json"], path.join(root, "packages", "b"));
    assert.deepEqual(findings(inside.stdout, root), [IN_B]);
    assert.equal(inside.code, 1);
  });

  test("-p is repeatable and takes globs: the tsconfigs make one Program", async () => {
    const root = monorepo();
    for (const args of [
      ["-p", "packages/a/tsconfig.json", "-p", "packages/b/tsconfig.json"],
      ["--project", "packages/*/tsconfig.json"],
      ["-p", "packages/a", "-p", "packages/b/"],
    ]) {
      const { code, stdout } = await runCli(["lint", ...args, "-f", "json"], root);
      assert.deepEqual(findings(stdout, root), [IN_A, IN_B], args.join(" "));
      assert.equal(code, 1);
    }
    const fromPackage = await runCli(["lint", "-p", "../*/tsconfig.json", "-f", "json"], path.join(root, "packages", "a"));
    assert.deepEqual(findings(fromPackage.stdout, root), [IN_A, IN_B]);
    const none = await runCli(["lint", "-p", "packages/*/tsconfig.jsn"], root);
    assert.deepEqual([none.code, none.stdout, none.stderr], [2, "", "locksmith: tsconfig not found: packages/*/tsconfig.jsn\n"]);
  });

  test("one file linted alone is analysed in its tsconfig's Program: a cycle closed in another file is found", async () => {
    // The same two packages' code in one project: linting index.ts of `a` alone still sees flushAudit in `b`.
    const dir = tempProject({
      ...singleProject(),
      "tsconfig.json": JSON.stringify({ compilerOptions: { strict: true }, include: ["src"] }),
    });
    const { code, stdout } = await runCli(["lint", "src/a/index.ts", "-f", "json"], dir);
    assert.deepEqual(findings(stdout, dir), [`src/a/index.ts ${CYCLE_IN_A.at} inconsistent-lock-order`]);
    assert.equal(code, 1);
  });

  test("a file under a solution tsconfig (references, no files of its own) is analysed in the referenced projects", async () => {
    // The Vite layout: tsconfig.json only references tsconfig.app.json (src) and tsconfig.node.json (tooling).
    const dir = tempProject({
      ...singleProject(),
      "tsconfig.json": JSON.stringify({ files: [], references: [{ path: "./tsconfig.app.json" }, { path: "./tsconfig.node.json" }] }),
      "tsconfig.app.json": JSON.stringify({ compilerOptions: { strict: true }, include: ["src"] }),
      "tsconfig.node.json": JSON.stringify({ compilerOptions: { strict: true }, include: ["vite.config.ts"] }),
      "vite.config.ts": "export default {};\n",
    });
    const { code, stdout } = await runCli(["lint", "src/a/index.ts", "-f", "json"], dir);
    assert.deepEqual(findings(stdout, dir), [`src/a/index.ts ${CYCLE_IN_A.at} inconsistent-lock-order`]);
    assert.equal(code, 1);
  });

  test("--format github paths are relative to the repository root wherever Locksmith runs", async () => {
    const root = monorepo();
    fs.mkdirSync(path.join(root, ".git"));
    const { code, stdout } = await runCli(["lint", "-f", "github"], path.join(root, "packages", "a"));
    assert.equal(code, 1);
    assert.match(
      stdout,
      /^::error file=packages\/a\/src\/index\.ts,line=8,col=11,endLine=8,endColumn=41,title=Locksmith \(inconsistent-lock-order\)::/,
    );
    assert.match(stdout, /%0A {2}packages\/b\/src\/index\.ts:7:9: `auditLock` acquired here by `recordAudit`/);
  });

  test("a broken tsconfig or package.json stops the run: exit 2, one line", async () => {
    const brokenTsconfig = monorepo(undefined, { "packages/b/tsconfig.json": '{ "compilerOptions": { "strict": true, } oops }' });
    const first = await runCli(["lint"], brokenTsconfig);
    assert.deepEqual(
      [first.code, first.stdout, first.stderr],
      [2, "", `locksmith: ${path.join(brokenTsconfig, "packages/b/tsconfig.json")}: Property assignment expected.\n`],
    );
    const brokenPackageJson = monorepo(undefined, { "package.json": '{ "workspaces": ["packages/*"], }' });
    const second = await runCli(["lint"], brokenPackageJson);
    assert.equal(second.code, 2);
    assert.match(second.stderr, /^locksmith: .*package\.json: .*JSON.*\n$/);
  });
});
