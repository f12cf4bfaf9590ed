// `locksmith-language-server --stdio` (also --node-ipc / --socket=<port> / --pipe=<name>, as vscode-languageserver
// parses them). Run by hand without a transport, it prints its usage rather than vscode-languageserver's stack trace.
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { VERSION } from "../version";
import { startServer } from "./server";

const USAGE = `Usage: locksmith-language-server --stdio

The Locksmith language server (LSP): editors start it and talk to it over one transport. It reports the same findings
as \`locksmith lint\`, with quick fixes, for the workspace folder the editor opens.

Transports (one is required):
  --stdio               standard input and output (Neovim, Helix, Emacs, Sublime Text, Zed…)
  --node-ipc            Node's IPC channel (VS Code's extension uses this)
  --socket=<port>       a TCP socket on 127.0.0.1
  --pipe=<name>         a named pipe or Unix socket

Options:
  -v, --version         print the version
  -h, --help            print this help

Set-up for each editor: the README of @locksmith/cli ("Editors").`;

/** What the command line asks for: serve over a transport, or print something and exit with a code. */
function languageServerCommand(
  argv: readonly string[],
): { serve: true } | { serve: false; stdout?: string; stderr?: string; code: number } {
  if (argv.includes("--version") || argv.includes("-v")) return { serve: false, stdout: `${VERSION}\n`, code: 0 };
  if (argv.includes("--help") || argv.includes("-h")) return { serve: false, stdout: `${USAGE}\n`, code: 0 };
  if (argv.some((arg) => /^--(stdio|node-ipc|socket|pipe)(=|$)/.test(arg))) return { serve: true };
  return {
    serve: false,
    stderr:
      "locksmith-language-server: no transport given: start it with --stdio (or --node-ipc, --socket=<port>, --pipe=<name>); --help for usage\n",
    code: 2,
  };
}

const command = languageServerCommand(process.argv.slice(2));
if (command.serve) {
  const connection = createConnection(ProposedFeatures.all);
  // Last line of defence: a bug must end up in the log, never take the server down with the user's editor session.
  process.on("uncaughtException", (error) => connection.console.error(`Locksmith: uncaught error: ${error.stack ?? error.message}`));
  process.on("unhandledRejection", (reason) =>
    connection.console.error(`Locksmith: unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`),
  );
  startServer(connection);
} else {
  if (command.stdout) process.stdout.write(command.stdout);
  if (command.stderr) process.stderr.write(command.stderr);
  process.exitCode = command.code;
}
