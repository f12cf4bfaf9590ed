// `@locksmith` JSDoc tags: the facts of a `locks` declaration (locksmith.json) written on the function itself, in the
// spirit of Clang's thread-safety attributes (ACQUIRE, TRY_ACQUIRE, RELEASE), so a library ships them with its code:
//
//   /** @locksmith acquires lease key=orderId */          returns holding the lock named by parameter `orderId`
//   /** @locksmith try-acquires mutex key=key */          the same, but its result says whether it got the lock
//   /** @locksmith releases */                            releases what an `acquires` method of its class (or a
//                                                          function of its file) took; or `releasedBy=<name>` there
//   /** @locksmith runs-callback mutex callback=work */   runs parameter `work` while holding the lock
//   /** @locksmith runs-callback mutex callback=work reentrant */   …a lock its holder may take again
//   /** @locksmith acquires row-lock transaction=tx key=id table=accounts */   locks the `accounts` row `id` on the
//                                                          transaction `tx` (held until that transaction ends)
//
// The kind (`mutex`, `rw`, `lease`, `semaphore`, `row-lock`) defaults to `mutex`. A tag Locksmith cannot read is a problem reported
// once (never a guess), and the function is then treated as if it had no tag.
import { LOCKSMITH_JSDOC_TAG, type LockDeclaration } from "../engine/types";
import { ts } from "../engine/ts";
import { functionName, type FunctionLike } from "./ast";

export type LockAnnotation =
  { verb: "declares"; declaration: LockDeclaration } | { verb: "releases" } | { verb: "invalid"; problem: string };

const TAG = LOCKSMITH_JSDOC_TAG;
const VERBS = ["acquires", "try-acquires", "releases", "runs-callback"];
const KINDS = ["mutex", "rw", "lease", "semaphore", "row-lock"] as const;
const OPTIONS = ["key", "callback", "releasedBy", "transaction", "table"];
/** Words without a value: `reentrant` (the holder may take the lock again). */
const FLAGS = ["reentrant"];

const cache = new WeakMap<FunctionLike, LockAnnotation | null>();

/** The `@locksmith` tag of a function, parsed; undefined when it has none. */
export function lockAnnotationOf(fn: FunctionLike): LockAnnotation | undefined {
  let found = cache.get(fn);
  if (found === undefined) {
    const tag = ts.getJSDocTags(fn).find((t) => t.tagName.text === TAG);
    found = tag ? parse(fn, ts.getTextOfJSDocComment(tag.comment) ?? "") : null;
    cache.set(fn, found);
  }
  return found ?? undefined;
}

/** Whether a file may carry tags (a text test before any JSDoc is parsed). */
export function mayHaveLockAnnotations(sourceFile: ts.SourceFile): boolean {
  return sourceFile.text.includes(`@${TAG}`);
}

function parse(fn: FunctionLike, text: string): LockAnnotation {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const verb = words.shift();
  const invalid = (problem: string): LockAnnotation => ({ verb: "invalid", problem: `@${TAG} ${text.trim()}: ${problem}` });
  if (!verb || !VERBS.includes(verb)) return invalid(`expected one of ${VERBS.join(", ")} after @${TAG}`);
  if (verb === "releases") return words.length === 0 ? { verb: "releases" } : invalid("`releases` takes nothing after it");
  let kind: LockDeclaration["kind"] = "mutex";
  if (words[0] && !words[0].includes("=")) {
    const word = words.shift()!;
    if (!(KINDS as readonly string[]).includes(word)) return invalid(`unknown lock kind "${word}" (expected ${KINDS.join(", ")})`);
    kind = word as LockDeclaration["kind"];
  }
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (const word of words) {
    if (FLAGS.includes(word)) {
      flags.add(word);
      continue;
    }
    const [name, value] = word.split("=", 2);
    if (!name || !value || !OPTIONS.includes(name))
      return invalid(`unknown option "${word}" (expected ${[...OPTIONS.map((o) => `${o}=…`), ...FLAGS].join(", ")})`);
    options.set(name, value);
  }
  const parameter = (option: string): number | string | undefined => {
    const value = options.get(option);
    if (value === undefined) return undefined;
    const index = fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === value);
    return index >= 0 ? index : `${option}=${value} names no parameter of ${functionName(fn)}`;
  };
  const key = parameter("key");
  if (typeof key === "string") return invalid(key);
  if (kind === "row-lock" && flags.has("reentrant")) return invalid("a row-lock is not reentrant or not: it is a database lock");
  if (kind === "row-lock") return rowLock(fn, verb, key, options, parameter("transaction"), invalid);
  if (options.has("transaction") || options.has("table")) return invalid("transaction= and table= are only for row-lock");
  const declaration: LockDeclaration = {
    function: functionName(fn),
    kind,
    ...(key !== undefined ? { key } : {}),
    ...(flags.has("reentrant") ? { reentrant: true } : {}),
  };
  if (verb === "runs-callback") {
    const callback = parameter("callback");
    if (callback === undefined) return invalid("`runs-callback` needs callback=<parameter>");
    if (typeof callback === "string") return invalid(callback);
    if (options.has("releasedBy")) return invalid("releasedBy is only for acquires / try-acquires");
    return { verb: "declares", declaration: { ...declaration, callback } };
  }
  if (options.has("callback")) return invalid("callback is only for runs-callback");
  const releasedBy = options.get("releasedBy");
  return {
    verb: "declares",
    declaration: { ...declaration, acquires: verb === "try-acquires" ? "try" : "blocking", ...(releasedBy ? { releasedBy } : {}) },
  };
}

/** `acquires row-lock transaction=tx key=id table=accounts`: row locks taken on the transaction parameter `tx`. */
function rowLock(
  fn: FunctionLike,
  verb: string,
  key: number | undefined,
  options: ReadonlyMap<string, string>,
  transaction: number | string | undefined,
  invalid: (problem: string) => LockAnnotation,
): LockAnnotation {
  if (verb !== "acquires") return invalid("a row-lock is declared with `acquires` (it is held until the transaction ends)");
  if (transaction === undefined) return invalid("a row-lock needs transaction=<parameter>");
  if (typeof transaction === "string") return invalid(transaction);
  const table = options.get("table");
  if (table === undefined && key === undefined) return invalid("a row-lock needs table=<table>, key=<parameter> or both");
  if (options.has("callback") || options.has("releasedBy")) return invalid("callback= and releasedBy= are not for a row-lock");
  return {
    verb: "declares",
    declaration: {
      function: functionName(fn),
      kind: "row-lock",
      acquires: "blocking",
      transaction,
      ...(key !== undefined ? { key } : {}),
      ...(table !== undefined ? { table } : {}),
    },
  };
}
