// Locksmith's additions to LSP: the one definition both sides import (the server, and the VS Code extension in
// client/). It may import only from vscode-languageserver-protocol, never other server code, so the client's bundle
// stays free of the engine.
import { NotificationType, RequestType } from "vscode-languageserver-protocol";

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

/** The lock-order graph of each project, keyed by its tsconfig (or its folder when it has none). */
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

/** The answer to `COMMANDS.lintWorkspace`. */
export interface LintWorkspaceResult {
  files: number;
  problems: number;
}

/** The answer to `COMMANDS.vendorRuntime`: where the runtime is, and what writing it did. */
export interface VendorRuntimeResult {
  path: string;
  result: "created" | "updated" | "unchanged" | "outdated";
}

// The graph as sent (the server builds it in analysis/lock-order/export.ts; lock-order-graph.ts checks that it fits).

// The graph's wire shape is the analysis's JSON export; a type-only import, so the client bundles none of the server.
import type { LockOrderGraph } from "../analysis/lock-order/export";
export type { GraphEdge, GraphLocation, GraphNode, LockOrderGraph } from "../analysis/lock-order/export";
