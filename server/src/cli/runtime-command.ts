// `locksmith runtime vendor [--out <path>]`: copies the single-file runtime into the project, where fixes import it
// from when the package is not installed (the same file and the same default place as the editor's quick fixes).
// An existing copy is replaced: running the command is the request to update it.
import * as path from "node:path";
import { parseArgs } from "node:util";
import { RULES } from "../../../rules/index";
import { loadConfig } from "../engine/config";
import { isInsideReal } from "../engine/paths";
import { DEFAULT_COMPILER_OPTIONS, findNearestTsconfig } from "../engine/project";
import { resolveRuntimeImport, vendorRuntime } from "../engine/runtime-import";
import { UsageError, type CliIo } from "./io";

const USAGE = `Usage: locksmith runtime vendor [--out <path>]

Copies Locksmith's single-file runtime into the project (default: runtimePath from locksmith.json, else
src/locksmith-runtime.ts, or locksmith-runtime.ts when there is no src folder), replacing an older copy.

Options:
  -o, --out <path>   Where to write it (a .ts file inside the project)
  -h, --help         Show this help`;

export async function runRuntimeCommand(argv: string[], io: CliIo): Promise<number> {
  let parsed: { values: { out?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { out: { type: "string", short: "o" }, help: { type: "boolean", short: "h", default: false } },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (run \`locksmith runtime --help\`)`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== "vendor")
    throw new UsageError(`expected \`locksmith runtime vendor [--out <path>]\`, got \`locksmith runtime ${argv.join(" ")}\``);

  const tsconfig = findNearestTsconfig(io.cwd);
  const projectRoot = tsconfig ? path.dirname(tsconfig) : io.cwd;
  const config = loadConfig(RULES, { cwd: io.cwd });
  const explicit =
    values.out !== undefined
      ? path.resolve(io.cwd, values.out)
      : config.raw.runtimePath !== undefined
        ? path.resolve(config.root, config.raw.runtimePath)
        : undefined;
  if (explicit !== undefined && !isInsideReal(projectRoot, explicit))
    throw new UsageError(`the vendored runtime must stay inside the project (${projectRoot}), got ${values.out ?? config.raw.runtimePath}`);
  if (explicit !== undefined && !explicit.endsWith(".ts"))
    throw new UsageError(
      `the vendored runtime is a TypeScript file: give a path ending in .ts, got ${values.out ?? config.raw.runtimePath}`,
    );
  const setting = resolveRuntimeImport(path.join(projectRoot, "index.ts"), "vendor", projectRoot, explicit, DEFAULT_COMPILER_OPTIONS);
  if (setting.mode !== "vendor") throw new Error("vendoring resolved to the package");
  const where = path.relative(io.cwd, setting.path) || setting.path;
  const result = vendorRuntime(setting.path, true);
  const messages = {
    created: `Vendored the Locksmith runtime to ${where}`,
    updated: `Updated the vendored Locksmith runtime at ${where}`,
    unchanged: `The vendored Locksmith runtime at ${where} is up to date`,
    outdated: `The vendored Locksmith runtime at ${where} is outdated`,
  };
  io.stdout(`${messages[result]}\n`);
  return 0;
}
