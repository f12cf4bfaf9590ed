// `locksmith` — the command line: dispatches to the subcommands. Exit codes as ESLint: 0 clean (warnings within
// --max-warnings), 1 findings, 2 usage/configuration/internal errors. User mistakes print one clear line, never a
// stack trace.
import * as fs from "node:fs";
import * as path from "node:path";
import { RULES, docsUrl } from "../../../rules/index";
import { didYouMean } from "../engine/did-you-mean";
import { ConfigError } from "../engine/config";
import { ProjectLoadError } from "../engine/project";
import { VERSION } from "../version";
import { runGraph } from "./graph";
import { runLocks } from "./locks-command";
import { HELP } from "./help";
import { runInit } from "./init";
import { UsageError, defaultIo, type CliIo } from "./io";
import { runLint } from "./lint-command";
import { runRuntimeCommand } from "./runtime-command";
import { WorkerFailure } from "./threads";

export { VERSION } from "../version";
export { UsageError, type CliIo } from "./io";

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof ProjectLoadError ||
      error instanceof WorkerFailure
    ) {
      io.stderr(`locksmith: ${error.message}\n`);
      return 2;
    }
    const err = error as Error;
    io.stderr(`locksmith: internal error: ${err.message}\n${err.stack ?? ""}\nPlease report this with the command you ran.\n`);
    return 2;
  }
}

/** Subcommands with a module of their own: name → handler. */
const SUBCOMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  init: runInit,
  graph: runGraph,
  locks: runLocks,
  runtime: runRuntimeCommand,
};

async function run(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-v") {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    io.stdout(`${HELP}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === "rules") return listRules(io);
  if (first === "lint") return runLint(rest, io);
  if (Object.hasOwn(SUBCOMMANDS, first)) return SUBCOMMANDS[first]!(rest, io);
  if (first.startsWith("-") || fs.existsSync(path.resolve(io.cwd, first))) return runLint(argv, io);
  const hint = didYouMean(first, ["lint", "rules", "help", ...Object.keys(SUBCOMMANDS)]);
  throw new UsageError(`unknown command "${first}"${hint} (run \`locksmith --help\`)`);
}

function listRules(io: CliIo): number {
  const width = Math.max(...RULES.map((r) => r.meta.id.length));
  for (const rule of RULES) {
    const flags = `${rule.meta.fixable ? "fix" : "   "} ${rule.meta.hasSuggestions ? "suggest" : "       "}`;
    io.stdout(
      `${rule.meta.id.padEnd(width)}  ${rule.meta.defaultSeverity.padEnd(5)}  ${flags}  ${rule.meta.description}\n${" ".repeat(width + 2)}docs: ${docsUrl(rule.meta.id)}\n`,
    );
  }
  return 0;
}
