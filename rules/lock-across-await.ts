// lock-across-await: an `await` of a slow or external operation (HTTP, SDK clients, sleeps, child processes, or a
// project function that awaits one) while a lock is held: an in-process mutex's critical section, a distributed lease,
// or a transaction that already holds row locks. Other callers wait for the slow call; a lease can expire mid-call
// and let a second holder in.
import { ts } from "../server/src/engine/ts";
import type { FileRuleContext, Rule } from "../server/src/engine/types";
import { code, spanOf, walk } from "../server/src/analysis/ast";
import { locksHeldAt, rowLockDescription, type HeldLock } from "../server/src/analysis/held-regions";
import { DEFAULT_SLOW_CALLS, SlowCallFinder, type SlowCallEntry, type SlowPath } from "../server/src/analysis/slow-calls";

/** Validated `slowCalls` option entries (the config validator checks only that they are objects). */
function slowCallsOption(value: unknown): SlowCallEntry[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry): SlowCallEntry[] => {
    if (typeof entry !== "object" || entry === null) return [];
    const { module, call, reason } = entry as Record<string, unknown>;
    if (typeof call !== "string" || (module !== undefined && typeof module !== "string")) return [];
    return [{ ...(typeof module === "string" ? { module } : {}), call, reason: typeof reason === "string" ? reason : "is configured as slow" }];
  });
}

/** "`enrich` calls `loadRates`, which calls `fetch`, which makes an HTTP request". */
function describeSlowPath(path: SlowPath): string {
  const names = [...path.steps.map((s) => s.name), path.slow.name].map(code);
  if (names.length === 1) return `${names[0]} ${path.slow.reason}`;
  return `${names[0]} calls ${names.slice(1).join(", which calls ")}, which ${path.slow.reason}`;
}

function heldText(lock: HeldLock): string {
  if (lock.kind === "transaction") return `${lock.label} holds row locks (taken by ${rowLockDescription(lock.transaction!.rowLocks[0]!)})`;
  return `holding ${lock.label}`;
}

function costText(lock: HeldLock): string {
  if (lock.kind === "transaction") return "every transaction that touches those rows waits for it, and the connection stays checked out of the pool meanwhile";
  if (lock.kind === "lease" && lock.expires) return "if it outlasts the lease, the lock expires mid-call and a second holder can enter the critical section while this one is still in it";
  if (lock.kind === "lease") return `every other process waiting for ${lock.label} waits for it too`;
  return `every other caller waiting for ${lock.label} waits for it too`;
}

/** Which held lock a finding names: an expiring lease first (the worst outcome), then a transaction, then a mutex. */
function priority(lock: HeldLock): number {
  return lock.kind === "lease" ? (lock.expires ? 0 : 1) : lock.kind === "transaction" ? 2 : 3;
}

const ADVICE = "Move the call before the critical section when its inputs are ready before the lock, or split the section: read under the lock, make the call without it, then re-acquire and re-validate (see the rule's documentation).";

export const lockAcrossAwait: Rule = {
  meta: {
    id: "lock-across-await",
    description: "An await of a slow or external operation (HTTP, SDK, sleep, child process) while a lock, lease or transaction's row locks are held.",
    defaultSeverity: "warn",
    fixable: false,
    hasSuggestions: false,
    scope: "file",
    optionsSchema: {
      type: "object",
      properties: {
        slowCalls: {
          type: "array",
          items: { type: "object" },
          description: "Further slow calls, added to the defaults: [{ module?: string, call: string ('*' for any), reason: string }].",
        },
      },
      additionalProperties: false,
    },
    defaultOptions: { slowCalls: [] },
  },
  checkFile(context: FileRuleContext) {
    const checker = () => context.checker;
    const awaits: ts.AwaitExpression[] = [];
    walk(context.sourceFile, (node) => {
      if (ts.isAwaitExpression(node)) awaits.push(node);
    });
    if (awaits.length === 0) return;
    const finder = new SlowCallFinder([...DEFAULT_SLOW_CALLS, ...slowCallsOption(context.options.slowCalls)], checker);
    const slowPaths = new Map<ts.AwaitExpression, SlowPath | undefined>();
    const slowPathOf = (node: ts.AwaitExpression) => {
      if (!slowPaths.has(node)) slowPaths.set(node, finder.slowPathOf(node.expression));
      return slowPaths.get(node);
    };
    // Awaited work that is not (part of) a slow call: `await repo.load(id)`, not `await (await fetch(u)).json()`.
    const isOtherWork = (node: ts.AwaitExpression) => {
      let slow = !!slowPathOf(node);
      walk(node, (inner) => {
        if (!slow && ts.isAwaitExpression(inner)) slow = !!slowPathOf(inner);
        return !slow;
      });
      return !slow;
    };
    for (const node of awaits) {
      const held = locksHeldAt(node, checker);
      if (held.length === 0) continue;
      const path = slowPathOf(node);
      if (!path) continue;
      // An in-process mutex around nothing but the slow call is a deliberate single-flight (one refresh at a time):
      // it costs only when the section also does other awaited work that callers could not run meanwhile.
      const relevant = held.filter((lock) => lock.kind !== "mutex" || awaits.some((other) => other !== node && lock.holds!(other) && isOtherWork(other)));
      if (relevant.length === 0) continue;
      const lock = relevant.sort((a, b) => priority(a) - priority(b))[0]!;
      const related = [
        { span: spanOf(lock.takenAt, context.sourceFile), message: lock.kind === "transaction" ? "row locks taken here, held until COMMIT/ROLLBACK" : `${lock.label} taken here` },
        ...(path.steps.length > 0 ? [{ span: spanOf(path.slow.call), message: `${code(path.slow.name)} called here` }] : []),
      ];
      context.report({
        message: `${describeSlowPath(path)}, and it is awaited while ${heldText(lock)}: ${costText(lock)}. ${ADVICE}`,
        span: spanOf(node, context.sourceFile),
        related,
      });
    }
  },
};

export default lockAcrossAwait;
