// `locksmith-language-server --stdio` (also --node-ipc / --socket=<port>, as vscode-languageserver parses them).
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer } from "./server";

const connection = createConnection(ProposedFeatures.all);
// Last line of defence: a bug must end up in the log, never take the server down with the user's editor session.
process.on("uncaughtException", (error) => connection.console.error(`Locksmith: uncaught error: ${error.stack ?? error.message}`));
process.on("unhandledRejection", (reason) =>
  connection.console.error(`Locksmith: unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`),
);
startServer(connection);
