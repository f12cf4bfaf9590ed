// Output formats of `locksmith lint --format <name>`. Each takes the ESLint-shaped report and returns text.
import type { Formatter } from "./formatter";
import { github } from "./github";
import { json } from "./json";
import { sarif } from "./sarif";
import { stylish } from "./stylish";

export type { Formatter } from "./formatter";

export const FORMATTERS: Record<string, Formatter> = { stylish, json, sarif, github };
