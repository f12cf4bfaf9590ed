// `--threads`: the file rules shared with worker threads give the same report as one thread (the examples, copied
// three times so that each thread takes several files; the lock-order cycles cross files, so the project rule's
// findings land in files a worker analysed); flags that cannot share files keep one thread.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  AUTO_THREADS_MIN_FILES,
  MEMORY_PER_SOURCE_BYTE,
  WorkerFailure,
  heapSizeGiven,
  heapToRerunWith,
  parseThreads,
  runWorker,
  threadCount,
} from "../../server/src/cli/threads";
import { PER_THREAD_CPU } from "../../server/src/engine/linter";
import { runCli, tempProject } from "./helpers";

const EXAMPLES = path.resolve(__dirname, "../../../examples");

/** The examples three times over (copies a, b, c), with the examples' tsconfig. */
function examplesProject(): string {
  const dir = tempProject({ "tsconfig.json": fs.readFileSync(path.join(EXAMPLES, "tsconfig.json"), "utf8") });
  for (const copy of ["a", "b", "c"]) fs.cpSync(path.join(EXAMPLES, "src"), path.join(dir, "src", copy), { recursive: true });
  return dir;
}

function findingsOf(stdout: string): string[] {
  const report = JSON.parse(stdout) as {
    filePath: string;
    messages: { line: number; column: number; ruleId: string; message: string }[];
  }[];
  return report.flatMap((r) =>
    r.messages.map(
      (m) => `${path.basename(path.dirname(r.filePath))}/${path.basename(r.filePath)}:${m.line}:${m.column} ${m.ruleId} ${m.message}`,
    ),
  );
}

test("a run with worker threads reports exactly what a single-threaded run reports", async () => {
  const dir = examplesProject();
  const single = await runCli(["lint", "-p", "tsconfig.json", "--format", "json", "--threads", "off"], dir);
  const threaded = await runCli(["lint", "-p", "tsconfig.json", "--format", "json", "--threads", "3", "--timing"], dir);
  assert.equal(single.code, 1);
  assert.equal(threaded.code, 1);
  // The threaded run did use workers (their Program is a step of --timing).
  assert.match(threaded.stderr, /\(worker threads: program\)/);
  // Without a per-thread CPU figure, the table says that its CPU column is the whole process's.
  if (!PER_THREAD_CPU) assert.match(threaded.stderr, /\n\(CPU: the whole process's while each step ran, every thread's together\)\n$/);
  assert.doesNotMatch(single.stderr, /worker/);
  const expected = findingsOf(single.stdout);
  // Each copy of the examples reports what the examples report: file rules and the whole-program lock-order rule.
  const once = findingsOf((await runCli(["lint", "-p", path.join(EXAMPLES, "tsconfig.json"), "--format", "json"], dir)).stdout);
  const lockOrder = (findings: string[]) => findings.filter((f) => f.includes(" inconsistent-lock-order ")).length;
  assert.ok(lockOrder(once) > 0);
  assert.equal(expected.length, 3 * once.length);
  assert.equal(lockOrder(expected), 3 * lockOrder(once));
  assert.deepEqual(findingsOf(threaded.stdout).sort(), [...expected].sort());
  // The whole report, order included (files, then positions), is the same.
  assert.equal(threaded.stdout, single.stdout);
});

test("--fix-dry-run ignores --threads and fixes as a single-threaded run does", async () => {
  const dir = examplesProject();
  const single = await runCli(["lint", "-p", "tsconfig.json", "--format", "json", "--fix-dry-run", "--threads", "off"], dir);
  const threaded = await runCli(["lint", "-p", "tsconfig.json", "--format", "json", "--fix-dry-run", "--threads", "2", "--timing"], dir);
  assert.doesNotMatch(threaded.stderr, /worker/);
  assert.equal(threaded.stdout, single.stdout);
  assert.match(single.stdout, /"output":/);
});

test("--threads takes a count, off or auto; auto shares only runs of many files", async () => {
  assert.equal(parseThreads("off"), 1);
  assert.equal(parseThreads("2"), 2);
  assert.equal(parseThreads(undefined), "auto");
  assert.equal(threadCount("auto", AUTO_THREADS_MIN_FILES - 1), 1);
  assert.equal(threadCount(3, 10), 3);
  // Each thread builds a whole Program: auto starts no more than the free memory holds, the main thread included.
  const sources = 100 * 1024 * 1024;
  const perThread = sources * MEMORY_PER_SOURCE_BYTE;
  const idle = { cores: 4, load: 0 };
  const withFree = (setting: "auto" | number, threads: number, machine = idle) =>
    threadCount(setting, 1000, () => ({ sourceBytes: sources, freeBytes: threads * perThread }), machine);
  assert.equal(withFree("auto", 10), 4);
  assert.equal(withFree("auto", 2.5), 2);
  assert.equal(withFree("auto", 0.5), 1);
  assert.equal(withFree("auto", 10, { cores: 4, load: 4 }), 1);
  // A count given on the command line is the user's choice.
  assert.equal(withFree(3, 0), 3);
  const dir = examplesProject();
  const bad = await runCli(["lint", "-p", "tsconfig.json", "--threads", "many"], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--threads expects a whole number ≥ 1, off or auto, got "many"/);
});

test("the re-run with a larger heap writes to the process's own stdout and stderr, once, and its exit code is the run's", () => {
  // A stand-in for the CLI's re-run: it says whether its stdout is the file the first process writes to (inherited)
  // or a pipe that process would have to copy from, and which heap it was given.
  const dir = tempProject({
    "child.js": [
      'const fs = require("node:fs");',
      'process.stdout.write(`stdout is a file: ${fs.fstatSync(1).isFile()}; ${process.execArgv.join(" ")}; ${process.argv.slice(2).join(" ")}\\n`);',
      "process.stderr.write(`stderr is a file: ${fs.fstatSync(2).isFile()}; sized: ${process.env.LOCKSMITH_HEAP_SIZED}\\n`);",
      "process.exitCode = 3;",
    ].join("\n"),
    "parent.js": [
      `const { relaunch } = require(${JSON.stringify(path.resolve(__dirname, "../../server/src/cli/lint-command.js"))});`,
      'relaunch({ cwd: __dirname, isTTY: false, stdout: () => {}, stderr: () => {}, relaunch: { script: __dirname + "/child.js", argv: ["lint", "."] } }, 321)',
      "  .then((code) => (process.exitCode = code));",
    ].join("\n"),
  });
  const out = path.join(dir, "out.txt");
  const err = path.join(dir, "err.txt");
  const [outFd, errFd] = [fs.openSync(out, "w"), fs.openSync(err, "w")];
  const run = spawnSync(process.execPath, [path.join(dir, "parent.js")], { stdio: ["ignore", outFd, errFd] });
  fs.closeSync(outFd);
  fs.closeSync(errFd);
  assert.equal(run.status, 3);
  assert.equal(fs.readFileSync(out, "utf8"), "stdout is a file: true; --max-old-space-size=321; lint .\n");
  assert.equal(fs.readFileSync(err, "utf8"), "stderr is a file: true; sized: 1\n");
});

test("a lint whose sources need more than Node's heap re-runs with a heap sized to them, within the free memory", () => {
  const MiB = 1024 * 1024;
  const GiB = 1024 * MiB;
  // Node's default limit on a 64-bit machine with enough memory: 4,144 MiB.
  const limit = 4144 * MiB;
  const heapFor = (sourceMiB: number, freeGiB: number, threads?: number) =>
    heapToRerunWith({ sourceBytes: sourceMiB * MiB, freeBytes: freeGiB * GiB }, limit, threads);
  // 50 MiB of sources need 2.2 GiB: the default heap holds them.
  assert.equal(heapFor(50, 16), undefined);
  // 105 MiB (a 15,000-file monorepo) need 4.6 GiB: a quarter more than that, when free (105 × 45 × 1.25 MiB).
  assert.equal(105 * MEMORY_PER_SOURCE_BYTE, 4725);
  assert.equal(heapFor(105, 16), 5906);
  // Less free memory: what there is, if that is more than the default; else the run goes on as it is.
  assert.equal(heapFor(105, 5), 5120);
  assert.equal(heapFor(105, 4), undefined);
  // Each thread has a heap of its own: the free memory is shared among them.
  assert.equal(heapFor(105, 10, 2), 5120);
  assert.equal(heapFor(105, 8, 2), undefined);
  // A heap size given to Node is the user's choice, on its command line or in NODE_OPTIONS.
  assert.equal(heapSizeGiven(["--max-old-space-size=8192"], undefined), true);
  assert.equal(heapSizeGiven([], "--inspect --max_old_space_size=8192"), true);
  assert.equal(heapSizeGiven(["--max-semi-space-size=64"], ""), false);
  assert.equal(heapSizeGiven([], undefined), false);
});

test("a worker thread that throws, exits or reports a failure ends the run with a clear error, not a hang", async () => {
  const dir = tempProject({
    "throws.js": `throw new Error("out of cheese");\n`,
    "exits.js": `process.exit(3);\n`,
    "fails.js": `require("node:worker_threads").parentPort.postMessage({ ok: false, message: "cannot read tsconfig.json" });\n`,
  });
  const advice = "(run again with --threads off to lint in one thread)";
  await assert.rejects(runWorker({}, path.join(dir, "throws.js")), (error: Error) => {
    assert.ok(error instanceof WorkerFailure);
    assert.equal(error.message, `a worker thread failed: out of cheese ${advice}`);
    return true;
  });
  await assert.rejects(runWorker({}, path.join(dir, "exits.js")), {
    message: `a worker thread failed: it exited with code 3 before sending its findings ${advice}`,
  });
  await assert.rejects(runWorker({}, path.join(dir, "fails.js")), {
    message: `a worker thread failed: cannot read tsconfig.json ${advice}`,
  });
});
