// Applying fixes to text, and writing files safely. Shared by `locksmith lint --fix`, the language server's
// fix-all, and the rule tests (which compare the exact fixed output).
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import type { Diagnostic, Fix, NewFile, TextEdit } from "./types";
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
    const overlaps = fix.edits.some((e) =>
      taken.some(([s, end, file]) => file === normalizePath(e.file) && ((e.start < end && s < e.end) || e.start === s)),
    );
    if (overlaps) continue;
    chosen.push(fix);
    for (const e of fix.edits) taken.push([e.start, e.end, normalizePath(e.file)]);
  }
  return chosen;
}

/** One file's text and the diagnostics a lint of exactly that text produced. */
export interface FixableFile {
  fileName: string;
  text: string;
  diagnostics: readonly Diagnostic[];
}

/**
 * The fix loop of `--fix` and the editor's fix-all: apply the non-conflicting safe fixes of each file, give the
 * new texts (and any files the fixes create) to `setFileText`, lint again, and repeat until nothing changes or
 * `maxPasses` (10, as ESLint) is reached. Nothing is written to disk here.
 */
export function fixUntilStable<Run>(
  lint: () => { run: Run; files: readonly FixableFile[] },
  setFileText: (fileName: string, text: string) => void,
  maxPasses = 10,
): { run: Run; fixed: Map<string, string>; newFiles: NewFile[] } {
  const fixed = new Map<string, string>();
  const newFiles = new Map<string, NewFile>();
  let current = lint();
  for (let pass = 0; pass < maxPasses; pass++) {
    let changed = false;
    for (const file of current.files) {
      const fixes = chooseFixes(file.diagnostics);
      if (fixes.length === 0) continue;
      for (const fix of fixes) for (const created of fix.newFiles ?? []) newFiles.set(normalizePath(created.path), created);
      const next = applyEdits(
        file.text,
        fixes.flatMap((fix) => editsFor(fix, file.fileName)),
      );
      if (next === file.text) continue;
      fixed.set(file.fileName, next);
      setFileText(file.fileName, next);
      changed = true;
    }
    if (!changed) break;
    for (const created of newFiles.values()) setFileText(created.path, created.text);
    current = lint();
  }
  return { run: current.run, fixed, newFiles: [...newFiles.values()] };
}

export function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/**
 * Reads a file as TypeScript's `sys.readFile` does (byte order mark dropped, UTF-16 decoded), with the function that
 * turns fixed text back into bytes of the same encoding (so a fix never strips a BOM or re-encodes a file).
 */
export function readSourceText(fileName: string): { text: string; encode(text: string): Buffer } {
  const bytes = fs.readFileSync(fileName);
  const bom = (...marker: number[]) => marker.every((byte, i) => bytes[i] === byte);
  if (bom(0xfe, 0xff)) {
    const swapped = Buffer.from(bytes.subarray(2));
    swapped.swap16();
    return { text: swapped.toString("utf16le"), encode: (t) => Buffer.concat([bytes.subarray(0, 2), Buffer.from(t, "utf16le").swap16()]) };
  }
  if (bom(0xff, 0xfe))
    return { text: bytes.subarray(2).toString("utf16le"), encode: (t) => Buffer.concat([bytes.subarray(0, 2), Buffer.from(t, "utf16le")]) };
  if (bom(0xef, 0xbb, 0xbf))
    return { text: bytes.subarray(3).toString("utf8"), encode: (t) => Buffer.concat([bytes.subarray(0, 3), Buffer.from(t, "utf8")]) };
  return { text: bytes.toString("utf8"), encode: (t) => Buffer.from(t, "utf8") };
}

/**
 * Writes `text` to `fileName` atomically (temp file in the same folder, then rename), but only if the file on disk
 * still has the content we read (`expectedHash`, of the text as TypeScript read it): a file changed by someone else
 * meanwhile is never overwritten, and its encoding (BOM, UTF-16) is kept. Returns false (nothing written) when the
 * file changed.
 */
export function writeFileAtomic(fileName: string, text: string, expectedHash?: string): boolean {
  let bytes: Buffer = Buffer.from(text, "utf8");
  if (expectedHash !== undefined) {
    let current: ReturnType<typeof readSourceText>;
    try {
      current = readSourceText(fileName);
    } catch {
      return false;
    }
    if (sha256(current.text) !== expectedHash) return false;
    bytes = current.encode(text);
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
    fs.writeFileSync(temp, bytes, mode === undefined ? {} : { mode });
    fs.renameSync(temp, fileName);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  return true;
}

/** The temp file of an atomic write in progress: `.<name>.locksmith-<pid>-<random>.tmp`, next to the file. */
const TEMP_FILE = /^\..+\.locksmith-(\d+)-[0-9a-f]{8}\.tmp$/;

/**
 * Removes temp files that a Locksmith process killed in the middle of a write left in `dir` (their pid no longer
 * runs; the file they were meant to replace is untouched). Returns the removed paths.
 */
export function removeStaleTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_FILE.exec(name);
    if (!match || isRunning(Number(match[1]))) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(path.join(dir, name));
  }
  return removed;
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
