import type { Report } from "../report";
import type { Formatter } from "./formatter";

/**
 * ESLint's result objects (each message with ESLint's `messageId`, `fatal` for parsing errors), plus Locksmith's
 * `help` and `related` on each message, which ESLint tools ignore. Also what custom formatters receive.
 */
export const eslintResults = (report: Report) =>
  report.results.map((r) => ({
    filePath: r.filePath,
    messages: r.messages,
    errorCount: r.errorCount,
    fatalErrorCount: r.fatalErrorCount ?? 0,
    warningCount: r.warningCount,
    fixableErrorCount: r.fixableErrorCount,
    fixableWarningCount: r.fixableWarningCount,
    ...(r.output !== undefined ? { output: r.output } : {}),
  }));

/** ESLint's JSON formatter. */
export const json: Formatter = (report) => JSON.stringify(eslintResults(report));
