import type { Report } from "../report";

export interface FormatOptions {
  color: boolean;
  /** --max-warnings (-1: no limit), which ESLint formatters read as `maxWarningsExceeded`. */
  maxWarnings?: number;
}

/** An output format of `locksmith lint --format <name>`: the ESLint-shaped report in, text out. */
export type Formatter = (report: Report, options: FormatOptions) => string;

/** A formatter from outside (an ESLint formatter may be async). */
export type LoadedFormatter = (report: Report, options: FormatOptions) => string | Promise<string>;
