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
