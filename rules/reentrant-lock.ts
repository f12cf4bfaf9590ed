// reentrant-lock: a non-reentrant lock acquired again by the code already holding it, directly or through calls.
// With async-mutex (or the runtime's Mutex / LockManager) the second acquisition waits for the first forever; a
// Redis or lease lock refuses its own owner. No automatic fix: the right change is a variant of the callee that
// assumes the lock is held, or a restructuring.
import { analyseLockOrder, defineRule, edgeLocations, functionLabel, lockName, type LockOrderEdge } from "../server/src/rule-kit";

export const reentrantLock = defineRule({
  meta: {
    id: "reentrant-lock",
    description: "A non-reentrant lock acquired again while already held (directly or through calls): hangs forever",
    defaultSeverity: "error",
    scope: "project",
    messages: {
      reacquired: "{{holder}} acquires {{lock}} while already holding it: {{consequence}}.",
      reacquiredThroughCalls: "{{holder}} holds {{lock}} and calls {{calls}}, which acquires it again: {{consequence}}.",
    },
  },
  checkProject(context) {
    const analysis = analyseLockOrder(context.program, context.sourceFiles, context.declaredLocksFor);
    for (const edge of analysis.reentries) {
      const where = {
        span: edge.site,
        related: edgeLocations(edge).filter((r) => r.span.start !== edge.site.start || r.span.file !== edge.site.file),
        help: "Call a variant that assumes the lock is held, or release it before the call.",
      };
      const data = { holder: functionLabel(edge.holder), consequence: consequence(edge) };
      if (edge.via.length === 0) context.report({ messageId: "reacquired", data: { ...data, lock: lockName(edge.to) }, ...where });
      else {
        const calls = edge.via.map((step) => functionLabel(step.callee)).join(", which calls ");
        context.report({ messageId: "reacquiredThroughCalls", data: { ...data, lock: lockName(edge.from), calls }, ...where });
      }
    }
  },
});

function consequence(edge: LockOrderEdge): string {
  switch (edge.to.kind) {
    case "mutex":
    case "keyed-lock":
      return "the lock is not reentrant, so the second acquisition waits for the first, which is never released: this hangs forever";
    default:
      return "the key is already taken by this same owner, so the second acquisition fails (or waits until the first one expires)";
  }
}
