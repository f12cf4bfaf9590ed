// When an open document is analysed after it changes. A change that finds the server idle (the previous text
// analysed, or no change for a debounce) is analysed "soon", without waiting; changes that come faster than they are
// analysed wait for the debounce, which each of them restarts, so a burst costs one analysis, of its last text.
import type { OpenDocument } from "./open-documents";

export class Scheduler {
  constructor(
    /** Delay between a keystroke and the analysis while typing goes on. */
    private readonly debounceMs: number,
    private readonly analyse: (document: OpenDocument) => void,
  ) {}

  /** `document` changed to `version`: schedules its analysis (replacing any scheduled one). */
  changed(document: OpenDocument, version: number): void {
    const now = performance.now();
    const previous = document.version;
    const idle =
      document.timer === undefined &&
      (previous === undefined || now - document.lastChangeAt >= this.debounceMs || document.analysedVersion === previous);
    document.version = version;
    document.lastChangeAt = now;
    this.schedule(document, idle ? "soon" : this.debounceMs);
  }

  /** Analyses `document` after `delay` ms, or "soon": once the messages the editor has already sent are handled. */
  private schedule(document: OpenDocument, delay: number | "soon"): void {
    document.cancel();
    const run = () => {
      document.timer = undefined;
      this.analyse(document);
    };
    if (delay === "soon") {
      // Two turns of the event loop: the connection handles one incoming message per turn (and reads the input
      // between turns), so the rest of a burst of changes sent together arrives, and restarts the debounce, first.
      let handle = setImmediate(() => (handle = setImmediate(run)));
      document.timer = { cancel: () => clearImmediate(handle) };
    } else {
      const handle = setTimeout(run, delay);
      document.timer = { cancel: () => clearTimeout(handle) };
    }
  }
}
