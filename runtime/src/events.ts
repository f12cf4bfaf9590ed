import { channel } from "node:diagnostics_channel";

/**
 * Observability through `node:diagnostics_channel`. Nothing is computed or published unless someone subscribes:
 *   diagnostics_channel.subscribe("locksmith:wait", (msg) => ...)
 */
export const channels = {
  /** `{ lock, waitedMs, outcome: "granted" | "aborted" | "timeout" | "unavailable" | "deadlock" | "error" }` */
  wait: channel("locksmith:wait"),
  /** `{ lock, heldMs }` when a handle is released. */
  hold: channel("locksmith:hold"),
  /** `{ lock, fence, ttlMs }` after a lease was renewed. */
  renew: channel("locksmith:lease:renew"),
  /** `{ lock, fence, reason }` when a lease's signal aborts before it was released. */
  lost: channel("locksmith:lease:lost"),
} as const;

export function publish(ch: (typeof channels)[keyof typeof channels], message: () => object): void {
  if (ch.hasSubscribers) ch.publish(message());
}

export function waitOutcome(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "ABORTED": return "aborted";
    case "TIMEOUT": return "timeout";
    case "UNAVAILABLE": return "unavailable";
    case "DEADLOCK": return "deadlock";
    default: return "error";
  }
}
