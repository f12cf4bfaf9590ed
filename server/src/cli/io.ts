import { parseArgs, type ParseArgsConfig } from "node:util";
import { didYouMean } from "../engine/did-you-mean";

// What every subcommand shares: where it runs and where its output goes (captured in tests), and the one error type
// that means "the command was called wrongly" (printed as one line, exit code 2, never a stack trace).

/** A mistake in how the command was called. */
export class UsageError extends Error {}

export interface CliIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  /** All of standard input (`--stdin`); the process's when not given. */
  readStdin?: () => Promise<string>;
  /** The environment (FORCE_COLOR, NO_COLOR); the process's when not given. */
  env?: Record<string, string | undefined>;
  /**
   * How this process was started (its script and arguments), when a lint may re-run it with a larger heap; only with
   * the process's own stdout and stderr, which the re-run inherits.
   */
  relaunch?: { script: string; argv: readonly string[] };
}

export const defaultIo = (): CliIo => ({
  cwd: process.cwd(),
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: !!process.stdout.isTTY,
  ...(process.argv[1] ? { relaunch: { script: process.argv[1], argv: process.argv.slice(2) } } : {}),
});

export async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * `parseArgs` for a subcommand, with the habits users bring from ESLint: a negative number is an option's value
 * (`--max-warnings -1`), and an unknown option gets one line naming the closest known one.
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>> {
  const takesValue = new Set(
    Object.entries(options).flatMap(([name, o]) => (o.type === "string" ? [`--${name}`, ...(o.short ? [`-${o.short}`] : [])] : [])),
  );
  const args = argv.flatMap((arg, i) => {
    if (/^-\d+$/.test(arg) && takesValue.has(argv[i - 1]!)) return [];
    return takesValue.has(arg) && /^-\d+$/.test(argv[i + 1] ?? "") ? [`${arg}=${argv[i + 1]}`] : [arg];
  });
  const run = `(run \`locksmith ${command} --help\`)`;
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (error) {
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message)?.[1];
    if (unknown === undefined) throw new UsageError(`${(error as Error).message.split("\n")[0]} ${run}`);
    const known = Object.keys(options).map((name) => `--${name}`);
    throw new UsageError(`unknown option "${unknown}"${didYouMean(unknown, known)} ${run}`);
  }
}

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
): { paths: string[]; projects: string[]; format: string } | undefined {
  const { values, positionals } = parseCommandArgs(command, argv, {
    project: { type: "string", short: "p", multiple: true, default: [] },
    format: { type: "string", short: "f", default: defaultFormat },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) {
    io.stdout(`${help}\n`);
    return undefined;
  }
  return { paths: positionals, format: values.format!, projects: values.project ?? [] };
}
