// `locksmith lint --threads`: the file rules of a large run shared between the main thread and worker threads
// (node:worker_threads). TypeScript's trees cannot cross threads, so each worker builds the Program itself, at the
// same time as the main thread builds its own; files are then taken one at a time from a shared list (an atomic flag
// per file), so a thread that finishes early takes more. The main thread runs the project rules first, then takes
// files too, and reports once every worker has sent the findings of the files it took. Findings are the same as in a
// single-threaded run: every file's file rules run once, on a Program built from the same inputs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { RULES } from "../../../rules/index";
import { addStepTime, stopwatch, type LintOptions, type LintRun, type RuleCrash, type StepTime } from "../engine/linter";
import { normalizePath } from "../engine/paths";
import type { Finding } from "../engine/types";
import { UsageError } from "./io";
import { LintSession, type SessionOptions } from "./session";

/** Below this many files to lint, a worker's own Program costs more than the file rules it would take. */
export const AUTO_THREADS_MIN_FILES = 300;

/** `--threads`: a count of threads (the main one included), `off` (one), or `auto`. */
export type ThreadsSetting = number | "auto";

export function parseThreads(value: string | undefined): ThreadsSetting {
  if (value === undefined || value === "auto") return "auto";
  if (value === "off") return 1;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--threads expects a whole number ≥ 1, off or auto, got "${value}"`);
  return count;
}

/**
 * Memory a thread takes per byte of the sources its Program is built from: its trees, its checker and the analyses
 * (sim, 105 MB of TypeScript in 15,479 files: 2.3 GiB of heap for the Program alone, about twice that for a lint).
 */
export const MEMORY_PER_SOURCE_BYTE = 45;

/** What memory a run may use: the sources' size and the memory free for it (the machine's, or its cgroup's). */
export interface MemoryBudget {
  sourceBytes: number;
  freeBytes: number;
}

/**
 * How many threads a run uses: `auto` is every core (at most 4) when there are enough files to share and the cores
 * are not already busy (a 1-minute load average below the core count): each thread builds a Program of its own, which
 * on busy cores only competes with the other work. Each thread also needs the memory of a whole Program: `auto` starts
 * no more threads than the free memory holds (a CI runner with 7 GB would otherwise be out of memory on a monorepo
 * whose single-threaded lint fits).
 */
export function threadCount(
  setting: ThreadsSetting,
  files: number,
  memoryOf?: () => MemoryBudget,
  machine: { cores: number; load: number } = { cores: os.availableParallelism(), load: os.loadavg()[0]! },
): number {
  if (setting !== "auto") return setting;
  const { cores } = machine;
  if (files < AUTO_THREADS_MIN_FILES || machine.load >= cores) return 1;
  const byCores = Math.max(1, Math.min(4, cores));
  if (!memoryOf || byCores === 1) return byCores;
  const memory = memoryOf();
  const perThread = Math.max(1, memory.sourceBytes * MEMORY_PER_SOURCE_BYTE);
  return Math.max(1, Math.min(byCores, Math.floor(memory.freeBytes / perThread)));
}

/** The run's budget: the size of the files its Program is built from, and the memory free now. */
export function memoryBudget(fileNames: readonly string[]): MemoryBudget {
  let sourceBytes = 0;
  for (const fileName of fileNames) sourceBytes += fs.statSync(fileName, { throwIfNoEntry: false })?.size ?? 0;
  const constrained = process.constrainedMemory?.() ?? 0;
  const freeBytes = constrained > 0 ? Math.min(os.freemem(), constrained) : os.freemem();
  return { sourceBytes, freeBytes };
}

const MIB = 1024 * 1024;
/** Heap above a lint's estimated need, so that the collector does not run near the limit the whole time. */
const HEAP_HEADROOM = 1.25;

/**
 * The heap (in MiB) to re-run a lint with, when the one it has is too small and the machine has the memory: a run
 * whose sources need more than the heap limit (`heapLimitBytes`, Node's default of about 4 GiB on a 64-bit machine)
 * gets the estimated need plus headroom, at most the free memory shared among its `threads`; undefined when the
 * limit suffices, or when the free memory would not give more than it (the run then goes on as it would have).
 */
export function heapToRerunWith(budget: MemoryBudget, heapLimitBytes: number, threads = 1): number | undefined {
  const need = budget.sourceBytes * MEMORY_PER_SOURCE_BYTE;
  if (need <= heapLimitBytes) return undefined;
  const size = Math.floor(Math.min(need * HEAP_HEADROOM, budget.freeBytes / Math.max(1, threads)) / MIB);
  return size * MIB > heapLimitBytes ? size : undefined;
}

/** Whether Node was told the heap's size (`--max-old-space-size` on its command line or in NODE_OPTIONS): a choice to keep. */
export function heapSizeGiven(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((arg) => /^--max[-_]old[-_]space[-_]size(=|$)/.test(arg));
}

/** What a worker needs to build the same session as the main thread (the registry's rules are loaded there). */
export type WorkerSession = Omit<SessionOptions, "rules" | "stdin">;

interface WorkerInput {
  session: WorkerSession;
  fileNames: string[];
  claims: SharedArrayBuffer;
  reportUnusedDirectives: boolean;
  timing: boolean;
}

export type WorkerOutput =
  | { ok: true; findings: [string, readonly Finding[]][]; crashes: RuleCrash[]; timings?: [string, StepTime][] }
  | { ok: false; message: string; stack?: string };

/** Marks a file as taken by the calling thread; false when another thread took it first. */
function claimer(fileNames: readonly string[], claims: SharedArrayBuffer): (fileName: string) => boolean {
  const index = new Map(fileNames.map((f, i) => [normalizePath(f), i]));
  const flags = new Int32Array(claims);
  return (fileName) => {
    const i = index.get(fileName);
    return i === undefined || Atomics.compareExchange(flags, i, 0, 1) === 0;
  };
}

/** Thrown when a worker thread fails: the run stops with this message rather than report part of the findings. */
export class WorkerFailure extends Error {}

/**
 * Lints the session's files with `threads` threads (≥ 2). The workers start first, so that they build their Programs
 * while the main thread builds its own. Rule timings (`--timing`) add up the time of every thread.
 */
export async function lintWithThreads(
  session: LintSession,
  sessionOptions: WorkerSession,
  threads: number,
  options: LintOptions,
): Promise<LintRun> {
  const fileNames = [...session.spec.lintFiles];
  const claims = new SharedArrayBuffer(4 * fileNames.length);
  const input: WorkerInput = {
    session: sessionOptions,
    fileNames,
    claims,
    reportUnusedDirectives: options.reportUnusedDirectives ?? false,
    timing: options.timings !== undefined,
  };
  const workers = Array.from({ length: threads - 1 }, () => runWorker(input));
  // A worker that fails while the main thread is busy must not leave an unhandled rejection behind.
  for (const worker of workers) worker.catch(() => {});
  const program = session.host.getProgram();
  const pending = session.engine.start(program, fileNames, {
    ...options,
    contextFiles: session.spec.rootNames,
    claim: claimer(fileNames, claims),
  });
  const external = new Map<string, Finding[]>();
  const crashes: RuleCrash[] = [];
  for (const output of await Promise.all(workers)) {
    for (const [fileName, findings] of output.findings) external.set(fileName, [...findings]);
    crashes.push(...output.crashes);
    if (options.timings) for (const [step, time] of output.timings ?? []) addStepTime(options.timings, step, time);
  }
  return pending.finish(external, crashes);
}

/** The worker's script: lint-worker.js beside this file (tests start others, to see failures end the run). */
export function runWorker(input: unknown, script = path.join(__dirname, "lint-worker.js")): Promise<Extract<WorkerOutput, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: input });
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      reject(new WorkerFailure(`a worker thread failed: ${message} (run again with --threads off to lint in one thread)`));
    };
    worker.on("message", (output: WorkerOutput) => {
      if (!output.ok) return fail(output.message);
      settled = true;
      resolve(output);
    });
    worker.on("error", (error) => fail(error.message));
    worker.on("exit", (code) => fail(`it exited with code ${code} before sending its findings`));
  });
}

/** The worker thread's side (lint-worker.ts): the same session, the file rules of the files it takes. */
export function workerLint(input: WorkerInput): WorkerOutput {
  try {
    const session = new LintSession({ ...input.session, rules: RULES });
    const timings = input.timing ? new Map<string, StepTime>() : undefined;
    const elapsed = stopwatch();
    const program = session.host.getProgram();
    timings?.set("(worker threads: program)", elapsed());
    const pending = session.engine.start(program, input.fileNames, {
      reportUnusedDirectives: input.reportUnusedDirectives,
      fileRulesOnly: true,
      claim: claimer(input.fileNames, input.claims),
      ...(timings ? { timings } : {}),
    });
    return {
      ok: true,
      findings: [...pending.fileFindings],
      crashes: pending.crashes,
      ...(timings ? { timings: [...timings] } : {}),
    };
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    return { ok: false, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  }
}
