// `--format github`: GitHub Actions workflow commands, one annotation per finding
// (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`), shown on the pull request's diff. The
// message is the headline, then the help on its own line, then the related locations, one a line. Paths are relative
// to the repository's root (what GitHub annotates), wherever in it Locksmith ran.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Formatter } from "./formatter";

/** Escapes a command's message (GitHub's `escapeData`). */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a property value (GitHub's `escapeProperty`): as data, plus the separators `:` and `,`. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** The git work tree `cwd` is in (the folder holding `.git`, a folder or a worktree's file), else `cwd`. */
export function repositoryRoot(cwd: string): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, ".git"))) return dir;
    if (path.dirname(dir) === dir) return cwd;
  }
}

export const github: Formatter = (report) => {
  const lines: string[] = [];
  const root = repositoryRoot(report.cwd);
  const relative = (file: string) => (path.isAbsolute(file) ? path.relative(root, file).split(path.sep).join("/") || file : file);
  for (const result of report.results) {
    for (const m of result.messages) {
      const properties = {
        file: relative(result.filePath),
        line: m.line,
        col: m.column,
        endLine: m.endLine,
        endColumn: m.endColumn,
        title: `Locksmith (${m.ruleId ?? "parsing error"})`,
      };
      const related = m.related.map((r) => `\n  ${relative(r.filePath)}:${r.line}:${r.column}: ${r.message}`).join("");
      const props = Object.entries(properties)
        .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
        .join(",");
      const help = m.help ? `\n${m.help}` : "";
      lines.push(`::${m.severity === 2 ? "error" : "warning"} ${props}::${escapeData(m.message + help + related)}`);
    }
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
};
