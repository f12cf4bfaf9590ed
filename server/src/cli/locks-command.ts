// `locksmith locks [paths..] [-p tsconfig] [--format text|json]`: what the analysis believes about the project's
// locks — every acquisition it recognises, and the project's own lock helpers with why each was recognised (inferred
// from its body, or declared in locksmith.json `locks`) — so a user can check it in one command and correct it with
// one declaration.
import * as path from "node:path";
import { allLockAcquisitionsIn, lockDeclarationProblems, lockHelperReason, type LockWrapper } from "../analysis/lock-wrappers";
import { boundNames, CALL_KINDS, enclosingFunction, functionName, nodesOfKinds } from "../analysis/ast";
import { isDisposedByUsing, isReleaseOf, resultBinding, type LockAcquisition } from "../analysis/locks";
import { declaredLocksOf } from "../engine/config";
import type { ts } from "../engine/ts";
import { RULES } from "../../../rules/index";
import { reportProject } from "./session";
import { UsageError, projectReportArgs, type CliIo } from "./io";

export const LOCKS_HELP = `Usage: locksmith locks [paths..] [options]

Lists the lock acquisitions Locksmith recognises (with where each is released), and the project's own lock helpers (functions that run a callback
under a lock, or return holding one) with why each was recognised: inferred from its body, or declared in
locksmith.json "locks" or by a @locksmith JSDoc tag; then any problem with those declarations.

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
  const declared = declaredLocksOf(session.config);
  const placeOf = (node: ts.Node): Place => {
    const sourceFile = node.getSourceFile();
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
    return { file: path.relative(io.cwd, sourceFile.fileName).split(path.sep).join("/"), line: line + 1, column: character + 1 };
  };
  const acquisitions: AcquisitionEntry[] = [];
  const helpers = new Map<LockWrapper, HelperEntry>();
  for (const sourceFile of sourceFiles) {
    for (const acquisition of allLockAcquisitionsIn(sourceFile, program, getChecker, declared)) {
      const wrapper = acquisition.wrapper;
      acquisitions.push({
        ...placeOf(acquisition.call),
        lock: acquisition.label,
        mechanism: acquisition.mechanism,
        style: acquisition.style,
        via: wrapper ? functionName(wrapper.fn) : "library",
        ...releasesOf(acquisition, placeOf),
      });
      if (wrapper && !helpers.has(wrapper)) helpers.set(wrapper, helperEntry(wrapper, placeOf));
    }
  }
  const problems = lockDeclarationProblems(sourceFiles, program, getChecker, declared).map((p) => ({
    ...(p.node ? placeOf(p.node) : { file: path.relative(io.cwd, session.config.file ?? "locksmith.json"), line: 1, column: 1 }),
    message: p.message,
  }));
  if (args.format === "json") {
    io.stdout(`${JSON.stringify({ helpers: [...helpers.values()], acquisitions, problems }, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  lines.push(`Lock helpers of the project (${helpers.size})`);
  for (const h of helpers.values())
    lines.push(`  ${h.function}  ${h.file}:${h.line}  ${HELPER_VERBS[h.kind]} ${h.lock} (${h.mechanism}): ${h.because}`);
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
