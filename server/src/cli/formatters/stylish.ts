// ESLint's "stylish": grouped by file, `line:col  severity  message  rule-id`, then a summary line. A finding's help
// goes on a line of its own under the message (dimmed on a terminal), so the headline stays one line.
import * as path from "node:path";
import type { Report, ReportMessage } from "../report";
import type { Formatter } from "./formatter";

/** A result's path as the user reads it: relative to where Locksmith ran (`<text>` for standard input stays as is). */
export const displayPath = (cwd: string, filePath: string) =>
  path.isAbsolute(filePath) ? path.relative(cwd, filePath) || filePath : filePath;
const paint = (color: boolean, code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
const oneLine = (text: string) => text.replace(/\n/g, " ");
const position = (m: ReportMessage) => `${m.line}:${m.column}`;
const severity = (m: ReportMessage) => (m.severity === 2 ? "error" : "warning");

export const stylish: Formatter = (report, { color }) => {
  const lines: string[] = [];
  for (const result of report.results) {
    if (result.messages.length === 0) continue;
    lines.push("", paint(color, "4", displayPath(report.cwd, result.filePath)));
    const positionWidth = Math.max(...result.messages.map((m) => position(m).length));
    const severityWidth = Math.max(...result.messages.map((m) => severity(m).length));
    for (const m of result.messages) {
      const sev = paint(color, m.severity === 2 ? "31" : "33", severity(m).padEnd(severityWidth));
      const ruleId = m.ruleId === null ? "" : `  ${paint(color, "2", m.ruleId)}`; // a parsing error has none
      lines.push(`  ${position(m).padEnd(positionWidth)}  ${sev}  ${oneLine(m.message)}${ruleId}`);
      if (m.help) lines.push(`${" ".repeat(2 + positionWidth + 2 + severityWidth + 2)}${paint(color, "2", oneLine(m.help))}`);
    }
  }
  const summary = summaryLines(report, color);
  return summary.length === 0 ? "" : `${[...lines, "", ...summary].join("\n")}\n`;
};

/** `✖ 3 problems (1 error, 2 warnings)`, and how many `--fix` can fix; nothing when there are no problems. */
function summaryLines(report: Report, color: boolean): string[] {
  const total = report.errorCount + report.warningCount;
  if (total === 0) return [];
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const fixable = report.results.reduce((n, r) => n + r.fixableErrorCount + r.fixableWarningCount, 0);
  const problems = `\u2716 ${plural(total, "problem")} (${plural(report.errorCount, "error")}, ${plural(report.warningCount, "warning")})`;
  return [
    paint(color, report.errorCount > 0 ? "31;1" : "33;1", problems),
    ...(fixable > 0 ? [paint(color, "31;1", `  ${plural(fixable, "problem")} potentially fixable with the \`--fix\` option.`)] : []),
  ];
}
