// Which TypeScript Program the plugin's rules run on, for the file ESLint is linting. Three cases:
// - "typed": typescript-eslint's parser services hold a Program made by the same TypeScript version as Locksmith's
//   (ts-morph's bundle): the rules run on that Program and its type checker, so a typed ESLint run type-checks once.
// - "own-program": parser services hold a Program of another TypeScript version, whose nodes and types Locksmith's
//   TypeScript cannot be trusted to read: Locksmith builds its own Program for that tsconfig, once, and rebuilds it
//   only when a file's text differs from the last one seen (ProjectHost caches SourceFiles by content).
// - "syntax": no type information (no `parserOptions.projectService`/`project`, or another parser): the file alone,
//   with no imports resolved, so the rules fall back to syntax (as the CLI does when node_modules are missing).
import { ts } from "../../server/src/engine/ts";
import { DEFAULT_COMPILER_OPTIONS, ProjectHost, findNearestTsconfig, readTsconfig } from "../../server/src/engine/project";
import { normalizePath } from "../../server/src/engine/paths";

export type ProgramMode = "typed" | "own-program" | "syntax";

export interface FileProgram {
  mode: ProgramMode;
  program: ts.Program;
  sourceFile: ts.SourceFile;
}

/** What the plugin reads of typescript-eslint's parser services (no dependency on its types). */
export interface ParserServices {
  program?: unknown;
}

/**
 * The Program to analyse `fileName` (whose text is ESLint's `text`) with. `parserServices.program` is a `ts.Program`
 * of the TypeScript package typescript-eslint loaded, when the user enabled typed linting. (`sameTypeScript` is
 * replaced by tests: this repository has one TypeScript version.)
 */
export function programFor(
  fileName: string,
  text: string,
  parserServices: ParserServices | undefined,
  sameTypeScript: (sourceFile: ts.SourceFile) => boolean = madeBySameTypeScript,
): FileProgram {
  const file = normalizePath(fileName);
  const parserProgram = parserServices?.program as ts.Program | null | undefined;
  if (parserProgram) {
    const sourceFile = parserProgram.getSourceFile(file);
    // The text check also keeps positions exact: Locksmith's offsets are then ESLint's.
    if (sourceFile && sourceFile.text === text && sameTypeScript(sourceFile)) return { mode: "typed", program: parserProgram, sourceFile };
    const tsconfig = tsconfigOf(parserProgram, file);
    if (tsconfig) return ownProgram(tsconfig, file, text);
  }
  return syntaxProgram(file, text);
}

const sameVersionByClass = new WeakMap<object, boolean>();

/**
 * Whether the TypeScript module that parsed `sourceFile` has Locksmith's version. Two copies of one version read each
 * other's nodes, types and symbols (same SyntaxKind and flag numbers, same code); another version may not. The module
 * is found among the loaded ones by the SourceFile class it allocates (typescript-eslint loads it with `require`).
 */
export function madeBySameTypeScript(sourceFile: ts.SourceFile, loaded: NodeJS.Dict<NodeJS.Module> = require.cache): boolean {
  const constructor = sourceFile.constructor;
  let same = sameVersionByClass.get(constructor);
  if (same === undefined) {
    same = false;
    for (const module of Object.values(loaded)) {
      const candidate = module?.exports as { version?: unknown; objectAllocator?: { getSourceFileConstructor(): unknown } } | undefined;
      if (typeof candidate?.version !== "string" || candidate.objectAllocator?.getSourceFileConstructor() !== constructor) continue;
      same = candidate.version === ts.version;
      break;
    }
    sameVersionByClass.set(constructor, same);
  }
  return same;
}

/** One host per tsconfig: its Program is built once and reused for every file of the project. */
const projects = new Map<string, ProjectHost>();

function ownProgram(tsconfig: string, file: string, text: string): FileProgram {
  let host = projects.get(tsconfig);
  if (!host) {
    const { options, fileNames } = readTsconfig(tsconfig);
    host = new ProjectHost(options, fileNames);
    projects.set(tsconfig, host);
  }
  // A file outside the tsconfig, or whose text is not what is on disk (an editor's unsaved buffer), changes the
  // Program; any other file is served from the Program already built.
  host.addRootNames([file]);
  if (host.latestSourceFile(file)?.text !== text) host.setFileText(file, text);
  const program = host.getProgram();
  return { mode: "own-program", program, sourceFile: program.getSourceFile(file)! };
}

/**
 * Compiler options of a file analysed without type information: nothing outside the file is read, not even
 * TypeScript's lib files. Merging their globals into each file's checker cost a third of the plugin's time (ESLint on
 * the benchmark's 10k-line corpus: 6.7 s CPU with them, 5.2-5.9 s without, 2.6 s without the plugin), and the rules
 * found the same there and on examples/ without them.
 */
const SYNTAX_ONLY_OPTIONS: ts.CompilerOptions = { ...DEFAULT_COMPILER_OPTIONS, noResolve: true, types: [], noLib: true };

function syntaxProgram(file: string, text: string): FileProgram {
  // A host per file: its Program holds only this file.
  const host = new ProjectHost(SYNTAX_ONLY_OPTIONS, []);
  host.setFileText(file, text);
  const program = host.getProgram();
  return { mode: "syntax", program, sourceFile: program.getSourceFile(file)! };
}

/** The tsconfig a file's Program was read from, else the nearest one. */
export function tsconfigOf(program: ts.Program, file: string): string | undefined {
  return (program.getCompilerOptions().configFilePath as string | undefined) ?? findNearestTsconfig(file);
}
