// The runtime imports fixes insert follow the importing project's module settings, and compile there: the vendored
// file's relative import carries `.js` where Node's resolution applies (node16/nodenext, where an ES module's import
// without it is TS2835), and an adapter's subpath (`@locksmith/runtime/postgres`) resolves under every
// moduleResolution, node10 included (TS2307 there before the runtime declared `typesVersions`).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import typescript from "typescript";
import { ts } from "../../server/src/engine/ts";
import { readVendoredRuntime, resolveRuntimeImport, runtimeImportEdits } from "../../server/src/engine/runtime-import";
import type { EngineSettings, RuntimeSubpath, TextEdit } from "../../server/src/engine/types";

const { ModuleKind, ModuleResolutionKind } = ts;
const RUNTIME_DIR = fs.realpathSync(path.dirname(require.resolve("@locksmith/runtime/package.json")));
const NODE_TYPES = path.dirname(require.resolve("@types/node/package.json"));

/** A temporary project with @locksmith/runtime and @types/node installed (links to the repository's). */
function project(packageType: "commonjs" | "module"): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-runtime-import-")));
  fs.mkdirSync(path.join(root, "src"));
  fs.mkdirSync(path.join(root, "node_modules", "@locksmith"), { recursive: true });
  fs.mkdirSync(path.join(root, "node_modules", "@types"), { recursive: true });
  fs.symlinkSync(RUNTIME_DIR, path.join(root, "node_modules", "@locksmith", "runtime"), "dir");
  fs.symlinkSync(NODE_TYPES, path.join(root, "node_modules", "@types", "node"), "dir");
  fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "app", type: packageType }));
  return root;
}

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  return [...edits].sort((a, b) => b.start - a.start).reduce((out, e) => out.slice(0, e.start) + e.newText + out.slice(e.end), text);
}

/** Writes src/app.ts with the runtime import a fix inserts for `names`, and returns that import line. */
function insertImport(root: string, settings: EngineSettings, names: string[], subpath: RuntimeSubpath, body: string): string {
  const file = path.join(root, "src", "app.ts");
  const source = ts.createSourceFile(file, body, ts.ScriptTarget.ES2022, true);
  const { edits, newFiles } = runtimeImportEdits(source, settings, names, subpath);
  for (const created of newFiles) fs.writeFileSync(created.path, created.text);
  const text = applyEdits(body, edits);
  fs.writeFileSync(file, text);
  return text.split("\n")[0]!;
}

// Compiled with the `typescript` package (the same version as the engine's; ts-morph's bundle keeps its lib files in
// memory). Only src/app.ts is checked (what the inserted import changes); the lib and @types/node files are parsed
// once for all compilations (keyed as TypeScript's DocumentRegistry keys them), whatever their module options.
const TYPE_ROOTS = [path.dirname(NODE_TYPES)];
const parsed = new Map<string, typescript.SourceFile | undefined>();
function compile(root: string, options: ts.CompilerOptions): { errors: string[]; files: string[] } {
  const app = path.join(root, "src", "app.ts");
  const compilerOptions = {
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    types: ["node"],
    typeRoots: TYPE_ROOTS,
    ignoreDeprecations: "6.0",
    ...options,
  };
  const host = typescript.createCompilerHost(compilerOptions);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    if (!fileName.includes("/node_modules/")) return read(fileName, languageVersion, ...rest);
    const key = `${fileName}|${JSON.stringify(typeof languageVersion === "object" ? [languageVersion.languageVersion, languageVersion.impliedNodeFormat] : languageVersion)}`;
    if (!parsed.has(key)) parsed.set(key, read(fileName, languageVersion, ...rest));
    return parsed.get(key);
  };
  const program = typescript.createProgram({ rootNames: [app], options: compilerOptions, host });
  const file = program.getSourceFile(app)!;
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getSyntacticDiagnostics(file),
    ...program.getSemanticDiagnostics(file),
  ];
  return {
    errors: diagnostics.map((d) => `TS${d.code}: ${typescript.flattenDiagnosticMessageText(d.messageText, "\n")}`),
    files: program.getSourceFiles().map((f) => f.fileName),
  };
}

const MUTEX_USE = `let counter = 0;\nexport async function bump(): Promise<void> {\n  await new Mutex().run(() => counter++);\n}\n`;
const PG_USE = `export async function touch(pool: Parameters<typeof withPgTransaction>[0], id: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    await tx.query("SELECT 1 FROM t WHERE id = $1 FOR UPDATE", [id]);
  });
}
`;

/** The module settings projects have (node16/nodenext also as implied by `module` alone). */
const NODENEXT = { module: ModuleKind.NodeNext, moduleResolution: ModuleResolutionKind.NodeNext };
const NODE16_IMPLIED = { module: ModuleKind.Node16 };
const NODENEXT_IMPLIED = { module: ModuleKind.NodeNext };
const NODE10 = { module: ModuleKind.CommonJS, moduleResolution: ModuleResolutionKind.Node10 };
const BUNDLER = { module: ModuleKind.ESNext, moduleResolution: ModuleResolutionKind.Bundler };

describe("the vendored runtime's import", () => {
  for (const [label, options, packageType, expected] of [
    ["module nodenext in an ESM package", NODENEXT, "module", "./locksmith-runtime.js"],
    ["module node16 (resolution implied) in an ESM package", NODE16_IMPLIED, "module", "./locksmith-runtime.js"],
    ["module nodenext in a CommonJS package", NODENEXT_IMPLIED, "commonjs", "./locksmith-runtime.js"],
    ["module commonjs, moduleResolution node10", NODE10, "commonjs", "./locksmith-runtime"],
    ["module esnext, moduleResolution bundler", BUNDLER, "module", "./locksmith-runtime"],
  ] as const) {
    test(`${label}: imports ${expected}, and the file compiles`, () => {
      const root = project(packageType);
      const runtimeImport = resolveRuntimeImport(path.join(root, "src", "app.ts"), "vendor", root, undefined, options);
      assert.deepEqual(runtimeImport, {
        mode: "vendor",
        path: path.join(root, "src", "locksmith-runtime.ts"),
        extension: expected.endsWith(".js") ? ".js" : "",
      });
      assert.equal(insertImport(root, { runtimeImport }, ["Mutex"], "", MUTEX_USE), `import { Mutex } from "${expected}";`);
      assert.equal(fs.readFileSync(path.join(root, "src", "locksmith-runtime.ts"), "utf8"), readVendoredRuntime());
      assert.deepEqual(compile(root, options).errors, []);
    });
  }

  test("the check above can fail: without the extension, an ES module under nodenext does not compile (TS2835)", () => {
    const root = project("module");
    const options = NODENEXT_IMPLIED;
    insertImport(
      root,
      { runtimeImport: resolveRuntimeImport(path.join(root, "src", "app.ts"), "vendor", root, undefined, options) },
      ["Mutex"],
      "",
      MUTEX_USE,
    );
    const app = path.join(root, "src", "app.ts");
    fs.writeFileSync(app, fs.readFileSync(app, "utf8").replace("./locksmith-runtime.js", "./locksmith-runtime"));
    assert.deepEqual(
      compile(root, options).errors.map((e) => e.slice(0, 6)),
      ["TS2835"],
    );
  });
});

describe("an adapter's subpath (@locksmith/runtime/postgres) from the installed package", () => {
  for (const [label, options, packageType, declarations] of [
    ["moduleResolution node10 (CommonJS)", NODE10, "commonjs", "dist/cjs/postgres.d.ts"],
    ["moduleResolution nodenext, CommonJS package", NODENEXT_IMPLIED, "commonjs", "dist/cjs/postgres.d.ts"],
    ["moduleResolution nodenext, ESM package", NODENEXT_IMPLIED, "module", "dist/esm/postgres.d.ts"],
    ["moduleResolution bundler", BUNDLER, "module", "dist/esm/postgres.d.ts"],
  ] as const) {
    test(`${label}: "auto" picks the package, the import resolves to ${declarations}, and the file compiles`, () => {
      const root = project(packageType);
      const file = path.join(root, "src", "app.ts");
      const runtimeImport = resolveRuntimeImport(file, "auto", root, undefined, options);
      assert.deepEqual(runtimeImport, { mode: "package", specifier: "@locksmith/runtime" });
      const line = insertImport(root, { runtimeImport }, ["withPgTransaction"], "postgres", PG_USE);
      assert.equal(line, `import { withPgTransaction } from "@locksmith/runtime/postgres";`);
      const { errors, files } = compile(root, options);
      assert.deepEqual(errors, []);
      const runtimeFiles = files.filter((f) => f.startsWith(`${RUNTIME_DIR}/`)).map((f) => path.relative(RUNTIME_DIR, f));
      assert.ok(runtimeFiles.includes(declarations), `${declarations} is not among ${runtimeFiles.join(", ")}`);
    });
  }
});
