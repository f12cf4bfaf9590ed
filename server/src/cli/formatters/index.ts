// Output formats of `locksmith lint --format <name>`. Each takes the ESLint-shaped report and returns text. A name
// that is not built in is a custom formatter written for ESLint (custom.ts).
import { didYouMean } from "../../engine/did-you-mean";
import { UsageError } from "../io";
import { loadCustomFormatter } from "./custom";
import type { Formatter, LoadedFormatter } from "./formatter";
import { github } from "./github";
import { json } from "./json";
import { sarif } from "./sarif";
import { stylish } from "./stylish";

export type { Formatter, LoadedFormatter } from "./formatter";

export const FORMATTERS: Record<string, Formatter> = { stylish, json, sarif, github };

/** The formatter `--format` names: built in, or an ESLint formatter loaded from outside (see custom.ts). */
export async function loadFormatter(name: string, cwd: string): Promise<LoadedFormatter> {
  if (Object.hasOwn(FORMATTERS, name)) return FORMATTERS[name]!;
  const formatter = await loadCustomFormatter(name, cwd);
  if (formatter) return formatter;
  const hint =
    didYouMean(name, Object.keys(FORMATTERS)) || ` (expected one of: ${Object.keys(FORMATTERS).join(", ")}, a file or a package)`;
  throw new UsageError(`unknown format "${name}"${hint}`);
}
