// `locksmith locks [paths..] [-p tsconfig] [--format text|json]`: what the analysis believes about the project's
// locks — every acquisition it recognises, and the project's own lock helpers with why each was recognised (inferred
// from its body, or declared in locksmith.json `locks`) — so a user can check it in one command and correct it with
// one declaration.
import * as path from "node:path";
import { allLockAcquisitionsIn, lockDeclarationProblemsByConfig, lockHelperReason, type LockWrapper } from "../analysis/lock-wrappers";
import { parameterLabel, rowLockHelperCallsIn, type RowLockHelper } from "../analysis/lock-declarations";
import { boundNames, CALL_KINDS, code, enclosingFunction, functionName, nodesOfKinds } from "../analysis/ast";
import { isDisposedByUsing, isReleaseOf, resultBinding, type LockAcquisition } from "../analysis/locks";
import type { ts } from "../engine/ts";
import { RULES } from "../../../rules/index";
import { reportProject } from "./session";
import { UsageError, projectReportArgs, type CliIo } from "./io";

export const LOCKS_HELP = `Usage: locksmith locks [paths..] [options]

Lists the lock acquisitions Locksmith recognises (with where each is released), the project's own lock helpers (functions that run a callback
under a lock, or return holding one) with why each was recognised: inferred from its body, or declared in
locksmith.json "locks" or by a @locksmith JSDoc tag; the declared row-lock helpers (rows locked on the transaction
they are given); then any problem with those declarations.

Options:
  -p, --project <tsconfig|glob>       Load the project from this tsconfig (repeatable: one program)
  -f, --format <text|json>            Output format (default: text)
  -h, --help                          Show this help`;

interface Place {
  file: string;
  line: number;
  column: number;
}

interface AcquisitionEntry extends Place {
  lock: string;
  mechanism: string;
  style: string;
  /** "library", or the helper whose call this is. */
  via: string;
  /** The calls that release it, in its function (or the closures it creates). */
  released: Place[];
  /** When it is released without a call: a scoped form's callback settles, its transaction or block ends. */
  releasedWhen?: string;
}

interface HelperEntry extends Place {
  function: string;
  kind: LockWrapper["kind"];
  lock: string;
  mechanism: string;
  /** Why it counts: the acquisition in its body, or its declaration. */
  because: string;
}

/** A helper declared as a `row-lock`: it locks rows on the transaction it is given, until that transaction ends. */
interface RowLockEntry extends Place {
  function: string;
  kind: "row-lock";
  table?: string;
  /** The argument whose value is the locked row's id: "`accountId` (argument 2)". */
  key?: string;
  /** The argument that is the transaction. */
  transaction: string;
  because: string;
}

const HELPER_VERBS: Record<LockWrapper["kind"], string> = {
  "runs-callback": "runs a callback under",
  acquires: "returns holding",
  decorates: "runs the decorated method under",
};

export async function runLocks(argv: string[], io: CliIo): Promise<number> {
  const args = projectReportArgs("locks", argv, "text", LOCKS_HELP, io);
  if (!args) return 0;
  if (args.format !== "text" && args.format !== "json") throw new UsageError(`unknown format "${args.format}" (expected text or json)`);
  const { session, program, sourceFiles } = reportProject(RULES, args, io.cwd);
  let checker: ts.TypeChecker | undefined;
  const getChecker = () => (checker ??= program.getTypeChecker());
  const placeOf = (node: ts.Node): Place => {
    const sourceFile = node.getSourceFile();
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
    return { file: path.relative(io.cwd, sourceFile.fileName).split(path.sep).join("/"), line: line + 1, column: character + 1 };
  };
  const acquisitions: AcquisitionEntry[] = [];
  const helpers = new Map<LockWrapper, HelperEntry>();
  const rowLocks = new Map<ts.Node, RowLockEntry>();
  for (const sourceFile of sourceFiles) {
    const declared = session.declaredLocksFor(sourceFile.fileName);
    const fileAcquisitions: AcquisitionEntry[] = [];
    for (const { call, helper } of rowLockHelperCallsIn(sourceFile, program, getChecker, declared)) {
      if (!rowLocks.has(helper.fn)) rowLocks.set(helper.fn, rowLockEntry(helper, placeOf));
      const rows = helper.declaration.table ? `${code(helper.declaration.table)} rows` : "rows";
      fileAcquisitions.push({
        ...placeOf(call),
        lock: `${rows} (locked by ${code(functionName(helper.fn))})`,
        mechanism: "row-lock",
        style: "blocking",
        via: functionName(helper.fn),
        released: [],
        releasedWhen: "its transaction ends",
      });
    }
    for (const acquisition of allLockAcquisitionsIn(sourceFile, program, getChecker, declared)) {
      const wrapper = acquisition.wrapper;
      fileAcquisitions.push({
        ...placeOf(acquisition.call),
        lock: acquisition.label,
        mechanism: acquisition.mechanism,
        style: acquisition.style,
        via: wrapper ? functionName(wrapper.fn) : "library",
        ...releasesOf(acquisition, placeOf),
      });
      if (wrapper && !helpers.has(wrapper)) helpers.set(wrapper, helperEntry(wrapper, placeOf));
    }
    acquisitions.push(...fileAcquisitions.sort((a, b) => a.line - b.line || a.column - b.column));
  }
  const problems = lockDeclarationProblemsByConfig(sourceFiles, program, getChecker, session.declaredLocksFor).map((p) => ({
    ...(p.node
      ? placeOf(p.node)
      : { file: path.relative(io.cwd, p.configFile ?? session.config.file ?? "locksmith.json"), line: 1, column: 1 }),
    message: p.message,
  }));
  if (args.format === "json") {
    io.stdout(`${JSON.stringify({ helpers: [...helpers.values()], rowLocks: [...rowLocks.values()], acquisitions, problems }, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  lines.push(`Lock helpers of the project (${helpers.size})`);
  for (const h of helpers.values())
    lines.push(`  ${h.function}  ${h.file}:${h.line}  ${HELPER_VERBS[h.kind]} ${h.lock} (${h.mechanism}): ${h.because}`);
  if (rowLocks.size > 0) {
    lines.push("", `Row-lock helpers of the project (${rowLocks.size})`);
    for (const r of rowLocks.values()) {
      const rows = `${r.table ? `${code(r.table)} rows` : "rows"}${r.key ? ` whose id is ${r.key}` : ""}`;
      lines.push(`  ${r.function}  ${r.file}:${r.line}  locks ${rows} on the transaction ${r.transaction}: ${r.because}`);
    }
  }
  lines.push("", `Lock acquisitions (${acquisitions.length})`);
  for (const a of acquisitions)
    lines.push(
      `  ${a.file}:${a.line}:${a.column}  ${a.lock}  ${a.mechanism}, ${a.style}${a.via === "library" ? "" : `, through ${a.via}`}; ${releaseText(a)}`,
    );
  if (problems.length > 0) {
    lines.push("", `Problems with lock declarations (${problems.length})`);
    for (const p of problems) lines.push(`  ${p.file}:${p.line}  ${p.message}`);
  }
  io.stdout(`${lines.join("\n")}\n`);
  return 0;
}

/** Where `acquisition`'s lock is given back: when its scope ends, or the release calls of its function. */
function releasesOf(acquisition: LockAcquisition, placeOf: (node: ts.Node) => Place): Pick<AcquisitionEntry, "released" | "releasedWhen"> {
  if (acquisition.style === "scoped")
    return { released: [], releasedWhen: acquisition.wrapper?.kind === "decorates" ? "the method settles" : "its callback settles" };
  if (acquisition.transactionScoped) return { released: [], releasedWhen: "its transaction ends" };
  if (isDisposedByUsing(acquisition)) return { released: [], releasedWhen: "its block ends (`using`)" };
  const fn = enclosingFunction(acquisition.call);
  const binding = resultBinding(acquisition);
  const names = new Set(binding ? boundNames(binding).map((id) => id.text) : []);
  const calls = fn?.body ? nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body, CALL_KINDS) : [];
  return { released: calls.filter((call) => call !== acquisition.call && isReleaseOf(call, acquisition, names)).map(placeOf) };
}

function releaseText(a: AcquisitionEntry): string {
  if (a.releasedWhen) return `released when ${a.releasedWhen}`;
  if (a.released.length === 0) return "no release found in its function";
  return `released at ${a.released.map((p) => `${p.file}:${p.line}`).join(", ")}`;
}

function rowLockEntry(helper: RowLockHelper, placeOf: (node: ts.Node) => Place): RowLockEntry {
  const { declaration, fn } = helper;
  return {
    ...placeOf(fn),
    function: functionName(fn),
    kind: "row-lock",
    ...(declaration.table ? { table: declaration.table } : {}),
    ...(declaration.key !== undefined ? { key: parameterLabel(fn, declaration.key) } : {}),
    transaction: parameterLabel(fn, declaration.transaction!),
    because: `declared in ${helper.origin}`,
  };
}

function helperEntry(wrapper: LockWrapper, placeOf: (node: ts.Node) => Place): HelperEntry {
  const at = (node: ts.Node) => {
    const place = placeOf(node);
    return `${place.file}:${place.line}`;
  };
  return {
    ...placeOf(wrapper.fn),
    function: functionName(wrapper.fn),
    kind: wrapper.kind,
    lock: wrapper.lockLabel,
    mechanism: wrapper.mechanism,
    because: lockHelperReason(wrapper, at),
  };
}
