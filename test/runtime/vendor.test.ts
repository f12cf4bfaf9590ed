// The vendored single file (runtime/dist/vendor/locksmith-runtime.ts) must compile on its own in the module settings
// users have, and behave exactly like the package: the whole in-process suite runs against its compiled form.
// (`module commonjs` is checked by the runtime build itself, which compiles the file that way for this suite.)
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import type * as Runtime from "@locksmith/runtime";
import { defineCoreSuite } from "./core-suite";

const runtimeDir = path.dirname(require.resolve("@locksmith/runtime/package.json"));
const vendored = path.join(runtimeDir, "dist", "vendor", "locksmith-runtime.ts");
const compiled = path.join(runtimeDir, "dist", "vendor", "cjs", "locksmith-runtime.js");

defineCoreSuite("vendored", require(compiled) as typeof Runtime);

describe("vendored single file", () => {
  const source = fs.readFileSync(vendored, "utf8");

  test("has no imports except Node built-ins, in one block", () => {
    const imports = [...source.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!);
    assert.ok(imports.length > 0);
    for (const from of imports) assert.match(from, /^node:/);
    assert.doesNotMatch(source, /from "\.\//);
  });

  test("exports everything the package entry points export", () => {
    const lib = require(compiled) as Record<string, unknown>;
    // Per-backend short names are exported under unambiguous names only.
    const vendoredAs: Record<string, Record<string, string>> = {
      "@locksmith/runtime/postgres": { lockRows: "lockPgRows", fencedUpdate: "fencedPgUpdate" },
      "@locksmith/runtime/mysql": { lockRows: "lockMySqlRows", fencedUpdate: "fencedMySqlUpdate" },
    };
    for (const entry of ["@locksmith/runtime", "@locksmith/runtime/redis", "@locksmith/runtime/postgres", "@locksmith/runtime/mysql"]) {
      for (const name of Object.keys(require(entry) as object)) {
        const vendoredName = vendoredAs[entry]?.[name] ?? name;
        assert.equal(typeof lib[vendoredName], typeof (require(entry) as Record<string, unknown>)[name], `${name} (from ${entry}) is missing`);
      }
    }
  });

  let previous: ts.Program | undefined; // lets each compilation reuse the parsed @types/node and lib files
  for (const [label, options, packageType] of [
    ["module nodenext in a CommonJS package", { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }, "commonjs"],
    ["module nodenext in an ESM package", { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }, "module"],
    ["module esnext (bundler)", { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }, "module"],
  ] as const) {
    test(`compiles standalone under --strict with ${label}`, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rt-vendor-"));
      try {
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: packageType }));
        const file = path.join(dir, "locksmith-runtime.ts");
        fs.copyFileSync(vendored, file);
        const program = ts.createProgram({ rootNames: [file], oldProgram: previous, options: {
          ...options,
          target: ts.ScriptTarget.ES2022,
          lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
          strict: true,
          noUnusedLocals: true,
          exactOptionalPropertyTypes: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [path.join(runtimeDir, "..", "node_modules", "@types")],
        } });
        previous = program;
        const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        assert.deepEqual(diagnostics, []);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
