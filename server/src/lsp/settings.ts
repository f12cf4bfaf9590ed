// Editor settings (`locksmith.*`), read per resource through `workspace/configuration`, cached per document and
// dropped when the client says they changed. Never kept in globals: every lint asks for the settings of its file.
import type { Connection } from "vscode-languageserver/node";
import type { Severity, SlowCallSetting } from "../engine/types";

export type RuntimeMode = "auto" | "package" | "vendor";

export interface EditorSettings {
  /** Off: no diagnostics, no code actions for the resource. */
  enable: boolean;
  /** Severity overrides by rule id, applied over locksmith.json (as `--rule` does on the command line). */
  rules: Record<string, Severity>;
  /** Where fixes import the runtime from; locksmith.json's "runtime" wins when it sets one. */
  runtime: RuntimeMode;
  /** Where the vendored runtime goes, relative to the workspace folder; locksmith.json's "runtimePath" wins. */
  runtimePath: string | null;
  /** Extra calls that are slow (network, disk): the engine's `extraSlowCalls`, read by the rules that look for slow work. */
  slowCalls: SlowCallSetting[];
}

/** The reason of a slow call the setting names without one (as the rules' `slowCalls` option defaults it). */
const DEFAULT_SLOW_REASON = "is configured as slow";

export const DEFAULT_SETTINGS: EditorSettings = { enable: true, rules: {}, runtime: "auto", runtimePath: null, slowCalls: [] };

const SEVERITIES = new Set(["off", "warn", "error"]);

/**
 * Turns whatever the client sent into valid settings: a wrong value falls back to the default for that key and is
 * reported through `warn` (a bad setting never stops analysis).
 */
export function normalizeSettings(value: unknown, warn: (message: string) => void): EditorSettings {
  if (value === null || value === undefined) return DEFAULT_SETTINGS;
  if (typeof value !== "object" || Array.isArray(value)) {
    warn(`locksmith settings must be an object, got ${JSON.stringify(value)}; using defaults`);
    return DEFAULT_SETTINGS;
  }
  const raw = value as Record<string, unknown>;
  const settings: EditorSettings = { ...DEFAULT_SETTINGS, rules: {}, slowCalls: [] };
  if (raw.enable !== undefined) {
    if (typeof raw.enable === "boolean") settings.enable = raw.enable;
    else warn(`locksmith.enable must be true or false, got ${JSON.stringify(raw.enable)}`);
  }
  if (raw.rules !== undefined && raw.rules !== null) {
    if (typeof raw.rules === "object" && !Array.isArray(raw.rules)) {
      for (const [id, severity] of Object.entries(raw.rules as Record<string, unknown>)) {
        if (typeof severity === "string" && SEVERITIES.has(severity)) settings.rules[id] = severity as Severity;
        else warn(`locksmith.rules.${id} must be "off", "warn" or "error", got ${JSON.stringify(severity)}`);
      }
    } else {
      warn(`locksmith.rules must map rule ids to "off" | "warn" | "error", got ${JSON.stringify(raw.rules)}`);
    }
  }
  if (raw.runtime !== undefined) {
    if (raw.runtime === "auto" || raw.runtime === "package" || raw.runtime === "vendor") settings.runtime = raw.runtime;
    else warn(`locksmith.runtime must be "auto", "package" or "vendor", got ${JSON.stringify(raw.runtime)}`);
  }
  if (raw.runtimePath !== undefined && raw.runtimePath !== null && raw.runtimePath !== "") {
    if (typeof raw.runtimePath === "string") settings.runtimePath = raw.runtimePath;
    else warn(`locksmith.runtimePath must be a path, got ${JSON.stringify(raw.runtimePath)}`);
  }
  if (raw.slowCalls !== undefined) {
    const calls = Array.isArray(raw.slowCalls) ? raw.slowCalls.map(slowCallOf) : [undefined];
    if (calls.every((c): c is SlowCallSetting => c !== undefined)) settings.slowCalls = calls;
    else warn(`locksmith.slowCalls must be a list of call names or { module, call, reason } objects, got ${JSON.stringify(raw.slowCalls)}`);
  }
  return settings;
}

/** A call name, or `{ module?, call, reason? }`. */
function slowCallOf(value: unknown): SlowCallSetting | undefined {
  if (typeof value === "string" && value !== "") return { call: value, reason: DEFAULT_SLOW_REASON };
  if (typeof value !== "object" || value === null) return undefined;
  const { module, call, reason } = value as Record<string, unknown>;
  if (
    typeof call !== "string" ||
    (module !== undefined && typeof module !== "string") ||
    (reason !== undefined && typeof reason !== "string")
  )
    return undefined;
  return { ...(module !== undefined ? { module } : {}), call, reason: reason ?? DEFAULT_SLOW_REASON };
}

/** Settings per resource, asked from the client once and cached until `clear()`. */
export class SettingsStore {
  private readonly cache = new Map<string, Promise<EditorSettings>>();
  /** Settings pushed by `workspace/didChangeConfiguration` for clients without `workspace/configuration`. */
  private pushed: unknown = undefined;
  /** Whether the client answers `workspace/configuration` (known at `initialize`). */
  clientAsks = false;

  constructor(
    private readonly connection: Connection,
    private readonly warn: (message: string) => void,
  ) {}

  get(resource: string): Promise<EditorSettings> {
    let settings = this.cache.get(resource);
    if (!settings) {
      settings = this.fetch(resource);
      this.cache.set(resource, settings);
    }
    return settings;
  }

  /** Settings changed: forget everything (pushed settings, if any, replace the old ones). */
  clear(pushed?: unknown): void {
    this.cache.clear();
    if (pushed !== undefined) this.pushed = pushed;
  }

  private async fetch(resource: string): Promise<EditorSettings> {
    if (!this.clientAsks) return normalizeSettings(this.pushed, this.warn);
    try {
      const value: unknown = await this.connection.workspace.getConfiguration({ scopeUri: resource, section: "locksmith" });
      return normalizeSettings(value, this.warn);
    } catch (error) {
      this.warn(`could not read the settings of ${resource}: ${(error as Error).message}; using defaults`);
      return DEFAULT_SETTINGS;
    }
  }
}
