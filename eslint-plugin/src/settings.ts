// The settings Locksmith's rules share (engine settings): the project's declared `locks`, and where fixes import the
// runtime from (`runtime`, `runtimePath`). They come from the same locksmith.json the CLI and the editor read;
// its `rules`, `ignores`, `overrides` and `nonProductionFiles` are ESLint's configuration's job here.
import * as fs from "node:fs";
import * as path from "node:path";
import { findConfigFile, loadConfig } from "../../server/src/engine/config";
import type { EngineSettings, Rule } from "../../server/src/engine/types";
import type { ts } from "../../server/src/engine/ts";
import { settingsResolver } from "../../server/src/cli/session";

type Resolver = (fileName: string) => EngineSettings;

/** Resolvers by configuration file (with its size and time, so an edited locksmith.json is read again) and tsconfig. */
const resolvers = new Map<string, Resolver>();

/** The engine settings for `fileName`. Throws ConfigError (one line naming the file and key) for a bad locksmith.json. */
export function engineSettingsFor(
  rules: readonly Rule[],
  fileName: string,
  tsconfig: string | undefined,
  compilerOptions: ts.CompilerOptions,
): EngineSettings {
  const dir = path.dirname(fileName);
  const configFile = findConfigFile(dir);
  const stat = configFile ? fs.statSync(configFile, { throwIfNoEntry: false }) : undefined;
  // Without either file, the project is the file's folder (as for the CLI run on that folder).
  const key = configFile || tsconfig ? `${configFile}:${stat?.size}:${stat?.mtimeMs}:${tsconfig}` : dir;
  let resolve = resolvers.get(key);
  if (!resolve) {
    const config = loadConfig(rules, { cwd: dir, ...(configFile ? { configFile } : {}) });
    resolve = settingsResolver(config, {
      tsconfig,
      tsconfigs: tsconfig ? [tsconfig] : [],
      root: tsconfig ? path.dirname(tsconfig) : undefined,
      options: compilerOptions,
      rootNames: [],
      lintFiles: [],
      packages: new Map(),
    });
    resolvers.set(key, resolve);
  }
  return resolve(fileName);
}
