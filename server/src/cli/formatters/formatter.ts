import type { Report } from "../report";

/** An output format of `locksmith lint --format <name>`: the ESLint-shaped report in, text out. */
export type Formatter = (report: Report, options: { color: boolean }) => string;
