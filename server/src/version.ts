import * as fs from "node:fs";
import * as path from "node:path";

/** Locksmith's version, from the package.json at the root of the install. */
export const VERSION: string = (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8")) as { version: string }).version;
