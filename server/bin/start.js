"use strict";
// Loads one compiled entry point of the package (dist/server/src/<entry>, where tsc puts it in the repository and in
// the published package alike). A broken installation (compiled files or a dependency missing, e.g. an interrupted
// `npm install` or a checkout that was never built) ends with one line and exit 2, never a stack trace.
const path = require("node:path");

module.exports = function start(command, entry) {
  try {
    return require(path.join(__dirname, "..", "..", "dist", "server", "src", entry));
  } catch (error) {
    const message = String((error && error.message) || error).split("\n")[0];
    process.stderr.write(
      `${command}: broken installation: ${message} (reinstall @locksmith/cli, or run \`npm run build\` in a checkout)\n`,
    );
    process.exit(2);
  }
};
