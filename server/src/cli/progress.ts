// Progress for large projects on a terminal: "Locksmith: 120/500 files" on one line of stderr, rewritten in place and
// erased at the end. Nothing at all when stdout is not a terminal or the output is for machines (json, sarif).
import type { CliIo } from "./io";

export interface Progress {
  loading(files: number): void;
  fileDone(done: number, total: number): void;
  finish(): void;
}

const MACHINE_FORMATS = new Set(["json", "sarif"]);
/** Below this many files a run is quick enough that a progress line would only flicker. */
export const PROGRESS_MIN_FILES = 20;

export function createProgress(io: Pick<CliIo, "isTTY" | "stderr">, format: string): Progress | undefined {
  if (!io.isTTY || MACHINE_FORMATS.has(format)) return undefined;
  let shown = false;
  let lastPercent = -1;
  const show = (text: string) => {
    io.stderr(`\r\u001b[2K${text}`);
    shown = true;
  };
  return {
    loading(files) {
      if (files >= PROGRESS_MIN_FILES) show(`Locksmith: loading ${files} files…`);
    },
    fileDone(done, total) {
      const percent = Math.floor((done * 100) / total);
      if (total < PROGRESS_MIN_FILES || (percent === lastPercent && done !== total)) return;
      lastPercent = percent;
      show(`Locksmith: ${done}/${total} files`);
    },
    finish() {
      if (shown) io.stderr("\r\u001b[2K");
      shown = false;
    },
  };
}
