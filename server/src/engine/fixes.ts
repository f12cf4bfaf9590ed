// Applying fixes to text, and writing files safely. Shared by `locksmith lint --fix`, the language server's
// fix-all, and the rule tests (which compare the exact fixed output).
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import type { Diagnostic, Fix, TextEdit } from "./types";
import { normalizePath } from "./paths";

/** Applies non-overlapping edits of one file. Throws if two edits overlap (a rule bug, never user input). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let lastStart = Infinity;
  for (const edit of sorted) {
    if (edit.end > lastStart) throw new Error(`Overlapping edits at ${edit.start}-${edit.end}`);
    if (edit.start < 0 || edit.end > text.length || edit.start > edit.end) throw new Error(`Edit out of range: ${edit.start}-${edit.end}`);
    out = out.slice(0, edit.start) + edit.newText + out.slice(edit.end);
    lastStart = edit.start;
  }
  return out;
}

/** The edits of `fix` that touch `fileName`. */
export function editsFor(fix: Fix, fileName: string): TextEdit[] {
  const key = normalizePath(fileName);
  return fix.edits.filter((e) => normalizePath(e.file) === key);
}

/**
 * Chooses, among the diagnostics of one file, the first safe fix of each that does not overlap a fix already
 * chosen (ESLint's strategy: apply what does not conflict, then re-lint and repeat).
 */
export function chooseFixes(diagnostics: readonly Diagnostic[]): Fix[] {
  const chosen: Fix[] = [];
  const taken: Array<[number, number, string]> = [];
  for (const diagnostic of diagnostics) {
    const fix = diagnostic.fixes[0];
    if (!fix) continue;
    // Two insertions at the same offset conflict too (two fixes each adding the same import line).
    const overlaps = fix.edits.some((e) => taken.some(([s, end, file]) => file === normalizePath(e.file) && ((e.start < end && s < e.end) || e.start === s)));
    if (overlaps) continue;
    chosen.push(fix);
    for (const e of fix.edits) taken.push([e.start, e.end, normalizePath(e.file)]);
  }
  return chosen;
}

export function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/**
 * Writes `text` to `fileName` atomically (temp file in the same folder, then rename), but only if the file on disk
 * still has the content we read (`expectedHash`): a file changed by someone else meanwhile is never overwritten.
 * Returns false (nothing written) when the file changed.
 */
export function writeFileAtomic(fileName: string, text: string, expectedHash?: string): boolean {
  if (expectedHash !== undefined) {
    let current: string;
    try {
      current = fs.readFileSync(fileName, "utf8");
    } catch {
      return false;
    }
    if (sha256(current) !== expectedHash) return false;
  }
  const dir = path.dirname(fileName);
  const temp = path.join(dir, `.${path.basename(fileName)}.locksmith-${process.pid}-${crypto.randomBytes(4).toString("hex")}.tmp`);
  let mode: number | undefined;
  try {
    mode = fs.statSync(fileName).mode;
  } catch {
    mode = undefined;
  }
  try {
    fs.writeFileSync(temp, text, mode === undefined ? {} : { mode });
    fs.renameSync(temp, fileName);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  return true;
}
