import * as fs from "node:fs";
import { PACKAGE_JSON } from "./install-paths";

/** Locksmith's version, from the package.json at the root of the install. */
export const VERSION: string = (JSON.parse(fs.readFileSync(PACKAGE_JSON, "utf8")) as { version: string }).version;
