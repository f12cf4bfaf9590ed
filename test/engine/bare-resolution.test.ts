// A package name (`lib`, `@app/x`, a package's own name) is resolved once for the folders below the nearest one with a
// node_modules folder or a package.json (ProjectHost's resolveModuleNameLiterals): every import must still resolve to
// what TypeScript's own resolution from the importing file gives — a nearer node_modules, a package's self-name and
// the options' paths included, and an unresolvable name stays unresolved.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ts } from "../../server/src/engine/ts";
import { ProjectHost } from "../../server/src/engine/project";

const FILES: Record<string, string> = {
  "package.json": JSON.stringify({ name: "app" }),
  "node_modules/lib/package.json": JSON.stringify({ name: "lib", types: "index.d.ts" }),
  "node_modules/lib/index.d.ts": `export declare const where: "root lib";`,
  "shared/x.ts": `export const where = "paths" as const;`,
  // Deep below the root: the root's node_modules, the paths mapping, a missing package.
  "src/a/b/c/deep.ts": `import { where as lib } from "lib";\nimport { where as mapped } from "@app/x";\nimport { where as missing } from "missing-package";\nexport const seen = [lib, mapped, missing];`,
  // A nearer node_modules holds another `lib`.
  "src/nested/node_modules/lib/package.json": JSON.stringify({ name: "lib", types: "index.d.ts" }),
  "src/nested/node_modules/lib/index.d.ts": `export declare const where: "nested lib";`,
  "src/nested/inner/deeper/file.ts": `import { where as lib } from "lib";\nexport const seen = [lib];`,
  "src/nested/beside.ts": `import { where as lib } from "lib";\nexport const seen = [lib];`,
  // A package of its own, importing itself by name (its exports), and the root's `lib` from below it.
  "src/pkg/package.json": JSON.stringify({ name: "selfpkg", exports: { ".": "./main.ts" } }),
  "src/pkg/main.ts": `export const where = "self-name" as const;`,
  "src/pkg/sub/use.ts": `import { where as self } from "selfpkg";\nimport { where as lib } from "lib";\nexport const seen = [self, lib];`,
};

const IMPORTERS = ["src/a/b/c/deep.ts", "src/nested/inner/deeper/file.ts", "src/nested/beside.ts", "src/pkg/sub/use.ts"];

function writeProject(): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-bare-resolution-")));
  for (const [file, text] of Object.entries(FILES)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

/** The type of each imported name in each importer, as text: what its import resolved to. */
function importedTypes(program: ts.Program, root: string): Record<string, string[]> {
  const checker = program.getTypeChecker();
  const out: Record<string, string[]> = {};
  for (const file of IMPORTERS) {
    const source = program.getSourceFile(path.join(root, file))!;
    out[file] = source.statements.filter(ts.isImportDeclaration).map((d) => {
      const spec = (d.importClause!.namedBindings as ts.NamedImports).elements[0]!;
      return `${(d.moduleSpecifier as ts.StringLiteral).text}: ${checker.typeToString(checker.getTypeAtLocation(spec.name))}`;
    });
  }
  return out;
}

for (const moduleResolution of [ts.ModuleResolutionKind.Bundler, ts.ModuleResolutionKind.Node10, ts.ModuleResolutionKind.NodeNext]) {
  test(`package names resolve as TypeScript resolves them from the importing file (${ts.ModuleResolutionKind[moduleResolution]})`, () => {
    const root = writeProject();
    try {
      const options: ts.CompilerOptions = {
        target: ts.ScriptTarget.ES2022,
        module: moduleResolution === ts.ModuleResolutionKind.NodeNext ? ts.ModuleKind.NodeNext : ts.ModuleKind.ESNext,
        moduleResolution,
        strict: true,
        noEmit: true,
        baseUrl: root,
        paths: { "@app/*": ["shared/*"] },
        types: [],
      };
      const rootNames = IMPORTERS.map((f) => path.join(root, f));
      const expected = importedTypes(ts.createProgram(rootNames, options), root);
      const actual = importedTypes(new ProjectHost(options, rootNames).getProgram(), root);
      assert.deepEqual(actual, expected);
      // The layout exercises each case: a nearer node_modules, the self-name, paths, and an unresolvable package.
      assert.deepEqual(expected["src/nested/inner/deeper/file.ts"], ['lib: "nested lib"']);
      // (Node10 reads no `exports`, so no self-name either.)
      const selfName = moduleResolution === ts.ModuleResolutionKind.Node10 ? "any" : '"self-name"';
      assert.deepEqual(expected["src/pkg/sub/use.ts"], [`selfpkg: ${selfName}`, 'lib: "root lib"']);
      assert.deepEqual(expected["src/a/b/c/deep.ts"], ['lib: "root lib"', '@app/x: "paths"', "missing-package: any"]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}
