// Output formats of `locksmith lint --format <name>`. Each takes the ESLint-shaped report and returns text.
import * as path from "node:path";
import type { Report } from "./report";
import { github } from "./formatters/github";
import { sarif } from "./formatters/sarif";

export type Formatter = (report: Report, options: { color: boolean }) => string;

const paint = (color: boolean, code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);

/** ESLint's "stylish": grouped by file, `line:col  severity  message  rule-id`, then a summary line. */
export const stylish: Formatter = (report, { color }) => {
  const lines: string[] = [];
  for (const result of report.results) {
    if (result.messages.length === 0) continue;
    lines.push("", paint(color, "4", path.relative(report.cwd, result.filePath) || result.filePath));
    const rows = result.messages.map((m) => [`${m.line}:${m.column}`, m.severity === 2 ? "error" : "warning", m.message.replace(/\n/g, " "), m.ruleId]);
    const width = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const [pos, sev, msg, rule] of rows) {
      lines.push(`  ${pos!.padEnd(width[0]!)}  ${paint(color, sev === "error" ? "31" : "33", sev!.padEnd(width[1]!))}  ${msg}  ${paint(color, "2", rule!)}`);
    }
  }
  const total = report.errorCount + report.warningCount;
  if (total === 0) return "";
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const fixable = report.results.reduce((n, r) => n + r.fixableErrorCount + r.fixableWarningCount, 0);
  lines.push("", paint(color, report.errorCount > 0 ? "31;1" : "33;1", `\u2716 ${plural(total, "problem")} (${plural(report.errorCount, "error")}, ${plural(report.warningCount, "warning")})`));
  if (fixable > 0) lines.push(paint(color, "31;1", `  ${plural(fixable, "problem")} potentially fixable with the \`--fix\` option.`));
  return `${lines.join("\n")}\n`;
};

/** ESLint's JSON formatter shape exactly (plus Locksmith's `related` on each message, which ESLint tools ignore). */
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

/** Registry of formats; further formats (sarif, github) register here. */
export const FORMATTERS: Record<string, Formatter> = { stylish, json, sarif, github };
