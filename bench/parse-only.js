// The floor for any analyser: read every file of a tsconfig and parse it with `ts.createSourceFile` (the engine's
// TypeScript instance, with parent pointers and the JSDoc mode the engine parses with), nothing else. With `--files LIST` (one path a
// line: the files of the tsconfig's Program, lib files included, as `tsc --listFilesOnly` gives them), those files
// instead, so that the floor parses what building the Program parses. Prints the count and the time spent reading
// and parsing (`parseMs`, without Node's start-up and loading TypeScript).
//
//   node bench/parse-only.js <tsconfig> [--files LIST]
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { ts } = require("../dist/server/src/engine/ts.js");
const { parseOptions } = require("../dist/server/src/engine/project.js");

const tsconfig = path.resolve(process.argv[2] ?? "");
const listIndex = process.argv.indexOf("--files");
const started = performance.now();
const fileNames =
  listIndex > 0
    ? fs.readFileSync(process.argv[listIndex + 1], "utf8").split("\n").filter(Boolean)
    : ts.getParsedCommandLineOfConfigFile(tsconfig, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } }).fileNames;
let nodes = 0;
for (const fileName of fileNames) {
  const text = fs.readFileSync(fileName, "utf8");
  const sourceFile = ts.createSourceFile(fileName, text, parseOptions(text, ts.ScriptTarget.Latest), true);
  nodes += sourceFile.statements.length;
}
process.stdout.write(`${JSON.stringify({ files: fileNames.length, statements: nodes, parseMs: performance.now() - started })}\n`);
