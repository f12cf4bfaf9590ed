// `--format sarif`: SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it. Paths are relative to
// %SRCROOT% (the folder Locksmith ran in), so the log is the same on every machine that checks out the repository.
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { HOMEPAGE_URL, RULES, docsPath, docsUrl } from "../../../../rules/index";
import type { Rule } from "../../engine/types";
import type { Formatter } from "./formatter";
import type { Report, ReportMessage } from "../report";
import { VERSION } from "../../version";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT = "%SRCROOT%";
/** Locksmith's own documentation. */
const INFORMATION_URI = HOMEPAGE_URL;

interface SarifLocation {
  physicalLocation: {
    artifactLocation: { uri: string; uriBaseId?: string };
    region: { startLine: number; startColumn: number; endLine: number; endColumn: number };
  };
  message?: { text: string };
  id?: number;
}

export function sarifLog(report: Report, rules: readonly Rule[] = RULES): object {
  const ruleIndex = new Map(rules.map((rule, index) => [rule.meta.id, index]));
  const location = (filePath: string, line: number, column: number, endLine: number, endColumn: number): SarifLocation => ({
    physicalLocation: {
      artifactLocation: artifactLocation(report.cwd, filePath),
      region: { startLine: line, startColumn: column, endLine, endColumn },
    },
  });
  // A file that does not parse is not a finding of any rule: SARIF's place for it is a notification of the run.
  const notifications = report.results.flatMap((result) =>
    result.messages
      .filter((m) => m.ruleId === null)
      .map((m) => ({
        level: "error",
        message: { text: m.message },
        locations: [location(result.filePath, m.line, m.column, m.endLine, m.endColumn)],
        descriptor: { id: "parsing-error" },
      })),
  );
  const results = report.results.flatMap((result) =>
    result.messages.flatMap((m) => {
      if (m.ruleId === null) return [];
      const primary = location(result.filePath, m.line, m.column, m.endLine, m.endColumn);
      const related = m.related.map((r, i) => ({
        id: i + 1,
        ...location(r.filePath, r.line, r.column, r.endLine, r.endColumn),
        message: { text: r.message },
      }));
      return {
        ruleId: m.ruleId,
        ...(ruleIndex.has(m.ruleId) ? { ruleIndex: ruleIndex.get(m.ruleId) } : {}),
        level: m.severity === 2 ? "error" : "warning",
        message: resultMessage(m),
        locations: [primary],
        ...(related.length > 0 ? { relatedLocations: related, codeFlows: [codeFlow(related, primary, m)] } : {}),
        ...(m.fix ? { fixes: [fix(report.cwd, result.filePath, m.fix)] } : {}),
        ...(m.help ? { properties: { help: m.help } } : {}),
      };
    }),
  );
  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "Locksmith",
            version: VERSION,
            semanticVersion: VERSION,
            informationUri: INFORMATION_URI,
            rules: rules.map(reportingDescriptor),
          },
        },
        ...(notifications.length > 0 ? { invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }] } : {}),
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(withTrailingSlash(report.cwd)).href } },
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
}

export const sarif: Formatter = (report) => JSON.stringify(sarifLog(report), null, 2);

function reportingDescriptor(rule: Rule): object {
  const doc = readDoc(rule.meta.id);
  return {
    id: rule.meta.id,
    name: rule.meta.id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase()),
    shortDescription: { text: rule.meta.description },
    fullDescription: { text: (doc && firstParagraph(doc)) || rule.meta.description },
    helpUri: docsUrl(rule.meta.id),
    ...(doc ? { help: { text: doc, markdown: doc } } : {}),
    defaultConfiguration: { level: rule.meta.defaultSeverity === "error" ? "error" : "warning" },
    properties: { tags: ["concurrency"], fixable: rule.meta.fixable, hasSuggestions: rule.meta.hasSuggestions, scope: rule.meta.scope },
  };
}

/** The headline as `text` (what every viewer shows); with help, also Markdown that adds it as a paragraph. */
function resultMessage(m: ReportMessage): { text: string; markdown?: string } {
  return m.help ? { text: m.message, markdown: `${m.message}\n\n${m.help}` } : { text: m.message };
}

/**
 * The path to the finding as one thread of execution: the related locations in the order the rule gave them (where
 * the value was read, where the first lock was taken, the call that leads there...) and then the finding itself.
 */
function codeFlow(related: SarifLocation[], primary: SarifLocation, message: ReportMessage): object {
  const steps = [
    ...related.map(({ physicalLocation, message: text }) => ({ physicalLocation, message: text })),
    { ...primary, message: { text: message.message } },
  ];
  return { threadFlows: [{ locations: steps.map((step, index) => ({ location: step, executionOrder: index + 1 })) }] };
}

function fix(cwd: string, filePath: string, edit: NonNullable<ReportMessage["fix"]>): object {
  return {
    description: { text: "Locksmith safe fix (applied by `locksmith lint --fix`)" },
    artifactChanges: [
      {
        artifactLocation: artifactLocation(cwd, filePath),
        replacements: [
          { deletedRegion: { charOffset: edit.range[0], charLength: edit.range[1] - edit.range[0] }, insertedContent: { text: edit.text } },
        ],
      },
    ],
  };
}

/** Relative to %SRCROOT% when the file is inside the folder Locksmith ran in; an absolute file: URI otherwise. */
function artifactLocation(cwd: string, filePath: string): { uri: string; uriBaseId?: string } {
  if (!path.isAbsolute(filePath)) return { uri: encodeURIComponent(filePath) }; // `<text>`: standard input
  const relative = path.relative(cwd, filePath);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return { uri: pathToFileURL(filePath).href };
  return { uri: relative.split(path.sep).map(encodeURIComponent).join("/"), uriBaseId: SRCROOT };
}

function withTrailingSlash(dir: string): string {
  return dir.endsWith(path.sep) ? dir : dir + path.sep;
}

function readDoc(ruleId: string): string | undefined {
  try {
    return fs.readFileSync(docsPath(ruleId), "utf8");
  } catch {
    return undefined;
  }
}

/** The first paragraph of prose after the title: what the rule catches, in the doc's own words. */
function firstParagraph(markdown: string): string | undefined {
  const paragraphs = markdown.split(/\r?\n\s*\r?\n/).map((p) =>
    p
      .split(/\r?\n/)
      .filter((line) => !line.startsWith("#"))
      .join("\n")
      .trim(),
  );
  return paragraphs
    .find((p) => p && !p.startsWith("#") && !p.startsWith("```") && !p.startsWith(">") && !p.startsWith("|") && !p.startsWith("<"))
    ?.replace(/\s*\r?\n\s*/g, " ");
}
