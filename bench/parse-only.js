// The floor for any analyser: read every file of a tsconfig and parse it with `ts.createSourceFile` (the engine's
// TypeScript instance, with parent pointers as the engine parses), nothing else.
//
//   node bench/parse-only.js <tsconfig>
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { ts } = require("../dist/server/src/engine/ts.js");

const tsconfig = path.resolve(process.argv[2] ?? "");
const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } });
let nodes = 0;
for (const fileName of parsed.fileNames) {
  const sourceFile = ts.createSourceFile(fileName, fs.readFileSync(fileName, "utf8"), ts.ScriptTarget.Latest, true);
  nodes += sourceFile.statements.length;
}
process.stdout.write(`${JSON.stringify({ files: parsed.fileNames.length, statements: nodes })}\n`);
