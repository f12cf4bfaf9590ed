// reentrant-lock: a non-reentrant lock acquired again by the code already holding it, directly or through calls.
// With async-mutex (or the runtime's Mutex / LockManager) the second acquisition waits for the first forever; a
// Redis or lease lock refuses its own owner. No automatic fix: the right change is a variant of the callee that
// assumes the lock is held, or a restructuring.
import type { Rule } from "../server/src/engine/types";
import { analyseLockOrder, type LockOrderEdge } from "../server/src/analysis/lock-order/graph";
import { edgeLocations, functionLabel, lockName } from "../server/src/analysis/lock-order/describe";

function consequence(edge: LockOrderEdge): string {
  switch (edge.to.kind) {
    case "mutex":
    case "keyed-lock":
      return "the lock is not reentrant, so the second acquisition waits for the first, which is never released: this hangs forever";
    default:
      return "the key is already taken by this same owner, so the second acquisition fails (or waits until the first one expires)";
  }
}

export const reentrantLock: Rule = {
  meta: {
    id: "reentrant-lock",
    description: "A non-reentrant lock acquired again while already held (directly or through calls): hangs forever",
    defaultSeverity: "error",
    fixable: false,
    hasSuggestions: false,
    scope: "project",
  },
  checkProject(context) {
    const analysis = analyseLockOrder(context.program, context.sourceFiles);
    for (const edge of analysis.reentries) {
      const how =
        edge.via.length === 0
          ? `${functionLabel(edge.holder)} acquires ${lockName(edge.to)} while already holding it`
          : `${functionLabel(edge.holder)} holds ${lockName(edge.from)}${edge.via.map((step, i) => `${i === 0 ? " and calls" : ", which calls"} ${functionLabel(step.callee)}`).join("")}, which acquires it again`;
      context.report({
        message: `${how}: ${consequence(edge)}. Call a variant that assumes the lock is held, or release it before the call.`,
        span: edge.site,
        related: edgeLocations(edge).filter((r) => r.span.start !== edge.site.start || r.span.file !== edge.site.file),
      });
    }
  },
};
