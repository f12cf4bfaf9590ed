// The `locksmith/status` notification (sent only when it changes), and configuration problems and rule crashes in
// the log, each once until the configuration reloads, so a bad locksmith.json does not flood the log.
import type { Connection } from "vscode-languageserver/node";
import { StatusNotification, type StatusParams } from "./protocol";
import type { Project } from "./projects";

export class Status {
  private readonly reportedProblems = new Set<string>();
  private lastStatus = "";

  constructor(private readonly connection: Connection) {}

  /** After an analysis: configuration and project problems first, else the number of problems. */
  publish(projects: readonly Project[], problemCount: () => number): void {
    const problems: string[] = [];
    for (const project of projects) {
      if (project.loadError) problems.push(project.loadError);
      const configError = project.config.error;
      if (configError) problems.push(configError);
    }
    const unique = [...new Set(problems)];
    for (const problem of unique) this.reportProblem(`Locksmith: ${problem}`);
    if (unique.length > 0) {
      this.send({ level: "warning", busy: false, text: "Locksmith: configuration problem", detail: unique.join("\n") });
    } else {
      const count = problemCount();
      this.send({ level: "ok", busy: false, text: `Locksmith: ${count} problem${count === 1 ? "" : "s"}` });
    }
  }

  send(status: StatusParams): void {
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    void this.connection.sendNotification(StatusNotification, status);
  }

  /** Logs a problem once (until `clearProblems`). */
  reportProblem(message: string): void {
    if (this.reportedProblems.has(message)) return;
    this.reportedProblems.add(message);
    this.logError(message);
  }

  /** The configuration reloads: its problems are worth logging again. */
  clearProblems(): void {
    this.reportedProblems.clear();
  }

  logError(message: string): void {
    this.connection.console.error(message);
  }
}
