// The fuzzer shared by the bounded slice in `npm test` (fuzz.test.ts) and `npm run fuzz` (fuzz-main.ts): mutates
// every corpus text (truncate, delete/duplicate/swap tokens, unbalanced brackets, random characters, invalid UTF-8)
// and adds extreme inputs (10,000-deep nesting, 5 MB files), then lints each with every registered rule enabled.
// A failure is: the engine throws, a rule crashes (isolated by the engine, but still a bug), or a file exceeds its
// time budget.
import * as path from "node:path";
import { RULES } from "../../rules/index";
import { resolveConfig } from "../../server/src/engine/config";
import { Engine, type LintRun } from "../../server/src/engine/linter";
import { DEFAULT_COMPILER_OPTIONS, MAX_SYNTAX_DEPTH, ProjectHost } from "../../server/src/engine/project";
import { ts } from "../../server/src/engine/ts";
import type { EngineSettings, Rule } from "../../server/src/engine/types";
import { REPO_ROOT, type CorpusEntry } from "./corpus";

/**
 * Virtual files live inside the repository (never written) so that imports of installed packages (ioredis, pg,
 * @locksmith/runtime) resolve as they would in a user's project.
 */
export const VIRTUAL_ROOT = path.join(REPO_ROOT, "test", "reliability", ".virtual").replace(/\\/g, "/");

export interface FuzzInput {
  origin: string;
  mutation: string;
  text: string;
}

export interface FuzzFailure {
  input: FuzzInput;
  kind: "threw" | "rule crashed" | "too slow" | "not analysed";
  detail: string;
}

/** Deterministic PRNG (mulberry32), so a failure is reproducible from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Token boundaries [start, end) of `text`, from TypeScript's scanner. */
function tokens(text: string): Array<[number, number]> {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  const out: Array<[number, number]> = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind !== ts.SyntaxKind.WhitespaceTrivia && kind !== ts.SyntaxKind.NewLineTrivia)
      out.push([scanner.getTokenStart(), scanner.getTokenEnd()]);
  }
  return out;
}

type Mutation = (text: string, rand: () => number) => string;

const pick = <T>(items: readonly T[], rand: () => number): T => items[Math.floor(rand() * items.length)]!;
const at = (text: string, rand: () => number) => Math.floor(rand() * (text.length + 1));

export const MUTATIONS: Record<string, Mutation> = {
  truncate: (text, rand) => text.slice(0, at(text, rand)),
  "delete token": (text, rand) => {
    const all = tokens(text);
    if (all.length === 0) return text;
    const [s, e] = pick(all, rand);
    return text.slice(0, s) + text.slice(e);
  },
  "duplicate token": (text, rand) => {
    const all = tokens(text);
    if (all.length === 0) return text;
    const [s, e] = pick(all, rand);
    return text.slice(0, e) + " " + text.slice(s, e) + text.slice(e);
  },
  "swap tokens": (text, rand) => {
    const all = tokens(text);
    if (all.length < 2) return text;
    let [a, b] = [pick(all, rand), pick(all, rand)];
    if (a[0] > b[0]) [a, b] = [b, a];
    if (a[1] > b[0]) return text;
    return text.slice(0, a[0]) + text.slice(b[0], b[1]) + text.slice(a[1], b[0]) + text.slice(a[0], a[1]) + text.slice(b[1]);
  },
  "unbalanced bracket": (text, rand) => {
    const brackets = tokens(text).filter(([s, e]) => e - s === 1 && "{}()[]".includes(text[s]!));
    if (brackets.length > 0 && rand() < 0.5) {
      const [s, e] = pick(brackets, rand);
      return text.slice(0, s) + text.slice(e);
    }
    const i = at(text, rand);
    return text.slice(0, i) + pick([..."{}()[]<>`"], rand) + text.slice(i);
  },
  "random characters": (text, rand) => {
    const i = at(text, rand);
    let junk = "";
    for (let n = 1 + Math.floor(rand() * 16); n > 0; n--) {
      // Mostly ASCII, sometimes a control character, a lone surrogate or a non-BMP character.
      const r = rand();
      junk +=
        r < 0.7
          ? String.fromCharCode(32 + Math.floor(rand() * 95))
          : r < 0.8
            ? String.fromCharCode(Math.floor(rand() * 32))
            : r < 0.9
              ? String.fromCharCode(0xd800 + Math.floor(rand() * 0x800))
              : "😀";
    }
    return text.slice(0, i) + junk + text.slice(i + Math.floor(rand() * 8));
  },
  "invalid UTF-8": (text, rand) => {
    // What a Latin-1 or binary file looks like once decoded as UTF-8: bytes 0x80-0xFF become U+FFFD.
    const bytes = Buffer.from(text, "utf8");
    for (let n = 1 + Math.floor(rand() * 8); n > 0 && bytes.length > 0; n--)
      bytes[Math.floor(rand() * bytes.length)] = 0x80 + Math.floor(rand() * 0x80);
    return bytes.toString("utf8");
  },
};

/** `count` mutants of each corpus entry, cycling through the mutations. */
export function mutants(entries: readonly CorpusEntry[], count: number, seed: number): FuzzInput[] {
  const rand = random(seed);
  const names = Object.keys(MUTATIONS);
  const out: FuzzInput[] = [];
  for (const entry of entries) {
    for (let i = 0; i < count; i++) {
      const name = names[(i + out.length) % names.length]!;
      // Stack up to three mutations: a file being typed is rarely wrong in only one place.
      let text = entry.text;
      const applied: string[] = [];
      for (let k = 0, n = 1 + Math.floor(rand() * 3); k < n; k++) {
        const mutation = k === 0 ? name : pick(names, rand);
        text = MUTATIONS[mutation]!(text, rand);
        applied.push(mutation);
      }
      out.push({ origin: entry.origin, mutation: applied.join(" + "), text });
    }
  }
  return out;
}

export const DEEP = 10_000;

/** Nesting shapes that a recursive walker pays one stack level (at least) per level for. */
const NESTINGS: Record<string, (n: number) => string> = {
  "nested parentheses": (n) => `export const x = ${"(".repeat(n)}1${")".repeat(n)};\n`,
  "nested arrays": (n) => `export const x = ${"[".repeat(n)}${"]".repeat(n)};\n`,
  "nested blocks": (n) =>
    `export async function f(lock: { acquire(): Promise<() => void> }) {\n${"{".repeat(n)} const release = await lock.acquire(); release(); ${"}".repeat(n)}\n}\n`,
  "nested arrow functions": (n) => `export const f = ${"async () => ".repeat(n)}1;\n`,
  "nested calls": (n) => `declare function g(x: unknown): unknown;\nexport const y = ${"g(".repeat(n)}0${")".repeat(n)};\n`,
  "chained awaits": (n) => `export async function f(p: Promise<number>) { return ${"await ".repeat(n)}p; }\n`,
  "binary operands": (n) => `export const s = ${Array.from({ length: n }, (_, i) => `"${i}"`).join(" + ")};\n`,
  "unclosed braces": (n) => `export function f() { if (x) ${"{ ".repeat(n)}\n`,
};

export interface ExtremeInput extends FuzzInput {
  /** Whether the engine must analyse the input (false: it may skip it as too deeply nested, but must not crash). */
  analysed: boolean;
  /** Takes tens of seconds on this machine: `npm run fuzz` only (the slice in `npm test` lints a 1 MB version). */
  slow?: boolean;
}

/** Inputs no editor produces by typing, but a generated or hostile file can contain. */
export function extremeInputs(base: string): ExtremeInput[] {
  const fiveMegabytes = 5 * 1024 * 1024;
  const repeat = (unit: string) => unit.repeat(Math.ceil(fiveMegabytes / Math.max(unit.length, 1)));
  const origin = "extreme";
  // Half the depth limit: the parser, the checker and every rule must cope (TypeScript's own parser overflows on
  // some shapes near 1,000, which the engine then skips).
  const nearLimit = MAX_SYNTAX_DEPTH / 2;
  return [
    ...Object.entries(NESTINGS).flatMap(([shape, make]) => [
      { origin, mutation: `${DEEP} ${shape}`, text: make(DEEP), analysed: false },
      { origin, mutation: `${nearLimit} ${shape}`, text: make(nearLimit), analysed: true },
    ]),
    { origin, mutation: "5 MB of a corpus file", text: repeat(`${base}\n`).slice(0, fiveMegabytes), analysed: true, slow: true },
    { origin, mutation: "1 MB of a corpus file", text: repeat(`${base}\n`).slice(0, fiveMegabytes / 5), analysed: true },
    { origin, mutation: "5 MB single line", text: `export const s = "${"a".repeat(fiveMegabytes)}";\n`, analysed: true },
    { origin, mutation: "5 MB of random characters", text: randomText(fiveMegabytes, 7), analysed: false },
    { origin, mutation: "empty file", text: "", analysed: true },
    { origin, mutation: "BOM only", text: "\ufeff", analysed: true },
    { origin, mutation: "NUL bytes", text: "\0".repeat(1000), analysed: true },
  ];
}

function randomText(length: number, seed: number): string {
  const rand = random(seed);
  const parts: string[] = [];
  for (let i = 0; i < length; i++) parts.push(String.fromCharCode(Math.floor(rand() * 0x10000)));
  return parts.join("");
}

/** Lints texts the way the language server does: one ProjectHost, the file's text replaced for each input. */
export class FuzzEngine {
  readonly fileName = `${VIRTUAL_ROOT}/src/fuzzed.ts`;
  private readonly host = new ProjectHost(DEFAULT_COMPILER_OPTIONS, []);
  private readonly engine: Engine;

  constructor(rules: readonly Rule[] = RULES) {
    // Every rule on, whatever its default severity, so rules that are off by default are fuzzed too.
    const config = resolveConfig({ rules: Object.fromEntries(rules.map((r) => [r.meta.id, "error"])) }, undefined, VIRTUAL_ROOT, rules, {});
    const settings: EngineSettings = { runtimeImport: { mode: "package", specifier: "@locksmith/runtime" } };
    this.engine = new Engine(rules, config, () => settings);
  }

  lint(text: string): LintRun {
    this.host.setFileText(this.fileName, text);
    return this.engine.lint(this.host.getProgram(), [this.fileName]);
  }

  /** The Program of the last `lint`. */
  program(): ts.Program {
    return this.host.getProgram();
  }

  /** Another file of the virtual project (one a fix creates). */
  setFile(fileName: string, text: string): void {
    this.host.setFileText(fileName, text);
  }

  removeFile(fileName: string): void {
    this.host.clearFileText(fileName);
  }
}

/**
 * Time a file may take: a guard against hangs and quadratic blow-ups (5 MB still fails), not a speed target — those
 * live in `npm run bench`, as CI machines run loaded.
 */
export function budgetMs(text: string): number {
  return 5_000 + (text.length / 1024 / 1024) * 20_000;
}

/** Lints one input; `mustAnalyse`: the engine may not skip it as too deeply nested. */
export function fuzzOne(engine: FuzzEngine, input: FuzzInput, mustAnalyse = false): FuzzFailure[] {
  const started = performance.now();
  let run: LintRun;
  try {
    run = engine.lint(input.text);
  } catch (error) {
    return [{ input, kind: "threw", detail: (error as Error).stack ?? String(error) }];
  }
  const elapsed = performance.now() - started;
  const failures: FuzzFailure[] = run.crashes.map((crash) => ({
    input,
    kind: "rule crashed",
    detail: `${crash.ruleId}: ${crash.stack ?? crash.message}`,
  }));
  if (mustAnalyse) failures.push(...run.skipped.map((skip) => ({ input, kind: "not analysed" as const, detail: skip.reason })));
  if (elapsed > budgetMs(input.text))
    failures.push({
      input,
      kind: "too slow",
      detail: `${Math.round(elapsed)} ms for ${input.text.length} characters (budget ${Math.round(budgetMs(input.text))} ms)`,
    });
  return failures;
}

export function describeFailure(failure: FuzzFailure): string {
  return `${failure.kind}: ${failure.input.origin} [${failure.input.mutation}]\n${failure.detail.split("\n").slice(0, 8).join("\n")}`;
}
