// Locksmith's additions to LSP, shared with any client (the VS Code extension repeats these names; it cannot import
// server code).
import { NotificationType, RequestType } from "vscode-languageserver/node";
import type { LockOrderGraph } from "../analysis/lock-order/export";

export interface StatusParams {
  /** "ok": analysis ran; "warning": it ran with a problem (bad locksmith.json, tsconfig); "error": a rule crashed. */
  level: "ok" | "warning" | "error";
  /** True while the workspace is being analysed. */
  busy: boolean;
  /** One line for the status item. */
  text: string;
  /** Details (the configuration error), if any. */
  detail?: string;
}

export const StatusNotification = new NotificationType<StatusParams>("locksmith/status");

export interface LockOrderGraphParams {
  /** A file of the project to draw; every project of the workspace when absent. */
  uri?: string;
}

/** The lock-order graph of each project (see LockOrderGraph in analysis/lock-order/export.ts), keyed by its tsconfig. */
export interface LockOrderGraphResult {
  projects: Array<{ project: string; graph: LockOrderGraph }>;
}

export const LockOrderGraphRequest = new RequestType<LockOrderGraphParams, LockOrderGraphResult, void>("locksmith/lockOrderGraph");

/** Commands the server executes (`workspace/executeCommand`). */
export const COMMANDS = {
  showDocumentation: "locksmith.server.showDocumentation",
  lintWorkspace: "locksmith.server.lintWorkspace",
  vendorRuntime: "locksmith.server.vendorRuntime",
} as const;
