import { parseArgs } from "node:util";

// What every subcommand shares: where it runs and where its output goes (captured in tests), and the one error type
// that means "the command was called wrongly" (printed as one line, exit code 2, never a stack trace).

/** A mistake in how the command was called. */
export class UsageError extends Error {}

export interface CliIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

export const defaultIo = (): CliIo => ({
  cwd: process.cwd(),
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: !!process.stdout.isTTY,
});

/**
 * The arguments of a subcommand that reads a project and prints one report (`graph`, `locks`): paths, `-p tsconfig`,
 * `-f format`, `-h`. Undefined when help was asked for (and printed).
 */
export function projectReportArgs(
  command: string,
  argv: string[],
  defaultFormat: string,
  help: string,
  io: CliIo,
): { paths: string[]; project?: string; format: string } | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        project: { type: "string", short: "p" },
        format: { type: "string", short: "f", default: defaultFormat },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (run \`locksmith ${command} --help\`)`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${help}\n`);
    return undefined;
  }
  return { paths: positionals, format: values.format!, ...(values.project ? { project: values.project } : {}) };
}
