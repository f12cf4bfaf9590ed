// `locksmith/lockOrderGraph`: the lock-order graph of one project (or all), as the lock-order analysis builds it.
import type { LockOrderGraphResult } from "./protocol";
import type { Workspace } from "./projects";

export function lockOrderGraph(_workspace: Workspace, _file: string | undefined): LockOrderGraphResult {
  throw new Error("the lock-order graph is not available yet");
}
