// Words for lock-order findings, shared by both rules: how an edge came about ("`deleteUser` holds `usersLock`
// and calls `dropSessionsOf`, which acquires `sessionsLock`") and the related locations that show it.
import type { RelatedLocation } from "../../engine/types";
import { keyText, type KeyRef } from "./keys";
import type { LockOrderEdge } from "./graph";
import type { LockClass } from "./lock-class";
import { CALLBACK_PREFIX, type FunctionSummary } from "./summary";

export function lockName(lockClass: LockClass): string {
  return `\`${lockClass.label}\``;
}

export function functionLabel(fn: FunctionSummary): string {
  if (fn.name.startsWith(CALLBACK_PREFIX)) return `the callback passed by \`${fn.name.slice(CALLBACK_PREFIX.length)}\``;
  return fn.name === "<anonymous>" ? "an anonymous function" : `\`${fn.name}\``;
}

export function keyLabel(key: KeyRef | undefined): string {
  return key ? `\`${keyText(key)}\`` : "";
}

/** "`f` acquires `B` while holding `A`" or "`f` holds `A` and calls `g`, which calls `h`, which acquires `B`". */
export function describeEdge(edge: LockOrderEdge): string {
  if (edge.via.length === 0) return `${functionLabel(edge.holder)} acquires ${lockName(edge.to)} while holding ${lockName(edge.from)}`;
  const calls = edge.via.map((step, i) => `${i === 0 ? " and calls" : ", which calls"} ${functionLabel(step.callee)}`).join("");
  return `${functionLabel(edge.holder)} holds ${lockName(edge.from)}${calls}, which acquires ${lockName(edge.to)}`;
}

/** Where an edge's first lock is taken, the calls it goes through, and where its second lock is taken. */
export function edgeLocations(edge: LockOrderEdge): RelatedLocation[] {
  const out: RelatedLocation[] = [
    { span: edge.outer.span, message: `${lockName(edge.from)} acquired here by ${functionLabel(edge.holder)}` },
  ];
  for (const step of edge.via)
    out.push({ span: step.call.span, message: `${functionLabel(step.caller)} calls ${functionLabel(step.callee)} here` });
  out.push({
    span: edge.inner.span,
    message: `${lockName(edge.to)} acquired here${edge.via.length > 0 ? ` by ${functionLabel(edge.acquirer)}` : ""} while ${lockName(edge.from)} is held`,
  });
  return out;
}
