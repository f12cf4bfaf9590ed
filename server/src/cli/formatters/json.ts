import type { Formatter } from "./formatter";

/**
 * ESLint's JSON formatter shape (each message with ESLint's `messageId`), plus Locksmith's `help` and `related` on
 * each message, which ESLint tools ignore.
 */
export const json: Formatter = (report) =>
  JSON.stringify(
    report.results.map((r) => ({
      filePath: r.filePath,
      messages: r.messages,
      errorCount: r.errorCount,
      warningCount: r.warningCount,
      fixableErrorCount: r.fixableErrorCount,
      fixableWarningCount: r.fixableWarningCount,
      ...(r.output !== undefined ? { output: r.output } : {}),
    })),
  );
