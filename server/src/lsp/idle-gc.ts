// A full garbage collection when the server has just finished a large batch of work and nobody waits for it.
// V8 collects its old generation when that has grown enough, whenever that is: after the workspace analysis (every
// file parsed, the checker's scratch data: hundreds of MB of garbage on a 4,000-file project) that moment came during
// the user's first keystrokes, as a 200–350 ms pause on one of them. Collecting right after the batch moves the
// pause to where nobody notices it. `gc` is reached as jest-leak-detector does: expose it, then read it from a new
// context (the flag only affects contexts created after it is set).
import * as v8 from "node:v8";
import * as vm from "node:vm";

let collect: (() => void) | null | undefined;

/** Runs a full collection; false when this Node cannot (the server then just goes on). */
export function collectGarbage(): boolean {
  if (collect === undefined) {
    try {
      const exposed = (globalThis as { gc?: () => void }).gc;
      if (exposed) collect = exposed;
      else {
        v8.setFlagsFromString("--expose-gc");
        collect = vm.runInNewContext("gc") as () => void;
      }
    } catch {
      collect = null;
    }
  }
  if (!collect) return false;
  collect();
  return true;
}
