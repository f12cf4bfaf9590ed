// Editor latency: the same edits sent to Locksmith's language server (LSP over stdio) and to tsserver, timing each
// from the change to the diagnostics it produces, plus each server's peak RSS (VmHWM) at the end.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const REPO = path.resolve(__dirname, "..");
const STARTUP_TIMEOUT_MS = 600_000;
const EDIT_TIMEOUT_MS = 60_000;

/** Peak resident set size of a live process, in MiB (Linux). */
function peakRssMiB(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The edits: a new statement typed into the body of the file's first step function, one line more each time.
 * Every insertion moves the code below it, so every edit changes the positions of the file's findings.
 */
function planEdits(text, count) {
  // Opening a file measures no edit: any file will do (a real corpus's file has no such line).
  if (count === 0) return [];
  const anchor = text.indexOf("  const started = Date.now();\n");
  if (anchor < 0) throw new Error("the edited file has no `const started = Date.now();` line to edit after");
  const offset = anchor + "  const started = Date.now();\n".length;
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1; // 0-based line where insertions go
  return Array.from({ length: count }, (_, k) => ({ line, insert: `  ctx.totals.set("edited-${k}", ${k});\n` }));
}

/** Reads messages framed with Content-Length headers (LSP, and tsserver's responses/events). */
function frameReader(onMessage) {
  let buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const headerEnd = buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const match = /Content-Length: (\d+)/i.exec(buffer.subarray(0, headerEnd).toString("ascii"));
      if (!match) throw new Error(`bad frame header: ${buffer.subarray(0, headerEnd).toString()}`);
      const length = Number(match[1]);
      if (buffer.length < headerEnd + 4 + length) return;
      const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      buffer = buffer.subarray(headerEnd + 4 + length);
      onMessage(JSON.parse(body));
    }
  };
}

/** Resolves when `predicate(message)` holds for an incoming message (checked from now on). */
function waiter(timeoutMs, what) {
  const pending = new Set();
  return {
    wait(predicate) {
      return new Promise((resolve, reject) => {
        const entry = { predicate, resolve };
        entry.timer = setTimeout(() => {
          pending.delete(entry);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        pending.add(entry);
      });
    },
    /** Stops waiting for `predicate` (one that never holds, used to observe messages). */
    cancel(predicate) {
      for (const entry of [...pending]) {
        if (entry.predicate !== predicate) continue;
        clearTimeout(entry.timer);
        pending.delete(entry);
      }
    },
    dispatch(message) {
      for (const entry of [...pending]) {
        if (!entry.predicate(message)) continue;
        clearTimeout(entry.timer);
        pending.delete(entry);
        entry.resolve(message);
      }
    },
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

function summarise(latencies, extra) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    edits: latencies.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    latencies,
    ...extra,
  };
}

/**
 * Locksmith's language server: didChange → publishDiagnostics for the edited file. `storagePath`: where the server keeps
 * its findings for the next start (a folder a previous run filled: a restart); default a new empty one (a first start).
 */
async function measureLocksmithServer({ locksmithRoot = REPO, projectDir, file, edits, warmup, storagePath }) {
  const storage = storagePath ?? fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-bench-storage-"));
  const bin = path.join(locksmithRoot, "server/bin/locksmith-language-server.js");
  if (!fs.existsSync(bin) || !fs.existsSync(path.join(locksmithRoot, "dist/server/src/lsp/main.js"))) return { available: false };
  // LOCKSMITH_BENCH_SERVER_NODE_ARGS adds Node options to the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/lsp" to profile it.
  const nodeArgs = (process.env.LOCKSMITH_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, bin, "--stdio"], { cwd: projectDir, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const messages = waiter(STARTUP_TIMEOUT_MS, "the language server");
  let nextId = 1;
  const pendingRequests = new Map();
  const send = (message) => {
    const body = JSON.stringify({ jsonrpc: "2.0", ...message });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const request = (method, params) => {
    const id = nextId++;
    send({ id, method, params });
    return new Promise((resolve) => pendingRequests.set(id, resolve));
  };
  child.stdout.on(
    "data",
    frameReader((message) => {
      if (message.id !== undefined && message.method === undefined) {
        pendingRequests.get(message.id)?.(message.result);
        pendingRequests.delete(message.id);
        return;
      }
      // Requests from the server (progress tokens, registrations, configuration): answer as a minimal editor would.
      if (message.id !== undefined)
        send({ id: message.id, result: message.method === "workspace/configuration" ? message.params.items.map(() => null) : null });
      messages.dispatch(message);
    }),
  );
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const uri = pathToFileURL(file).href;
  const isDiagnosticsForFile = (m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri;
  try {
    const workspaceDone = messages.wait((m) => m.method === "$/progress" && m.params?.value?.kind === "end");
    const started = performance.now();
    await request("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(projectDir).href,
      workspaceFolders: [{ uri: pathToFileURL(projectDir).href, name: path.basename(projectDir) }],
      capabilities: { window: { workDoneProgress: true }, textDocument: { publishDiagnostics: { versionSupport: true } } },
      initializationOptions: { storagePath: storage },
    });
    send({ method: "initialized", params: {} });
    let text = fs.readFileSync(file, "utf8");
    let version = 1;
    const firstDiagnostics = messages.wait(isDiagnosticsForFile);
    // Every publication for the file until the workspace is analysed, timed from didOpen.
    const publications = [];
    let openedAt = 0;
    const recordPublications = (m) => {
      if (isDiagnosticsForFile(m))
        publications.push({ ms: performance.now() - openedAt, diagnostics: m.params.diagnostics.map(findingKey) });
      return false;
    };
    void messages.wait(recordPublications).catch(() => undefined);
    openedAt = performance.now();
    send({ method: "textDocument/didOpen", params: { textDocument: { uri, languageId: "typescript", version, text } } });
    // Two start-up figures: the opened file's first diagnostics (what tsserver's start-up measures), and the analysis
    // of the whole workspace (every file's findings in the Problems panel), which tsserver does not do.
    const [firstDiagnosticsMs] = await Promise.all([firstDiagnostics.then(() => performance.now() - started), workspaceDone]);
    const startupMs = performance.now() - started;
    messages.cancel(recordPublications);
    const opening = summariseOpening(publications);
    const latencies = [];
    const plan = planEdits(text, warmup + edits);
    for (const [k, edit] of plan.entries()) {
      version++;
      // A publication for an earlier version (the server may publish twice per edit) does not answer this edit.
      const diagnostics = messages.wait((m) => isDiagnosticsForFile(m) && (m.params.version ?? version) === version);
      const t0 = performance.now();
      send({
        method: "textDocument/didChange",
        params: {
          textDocument: { uri, version },
          contentChanges: [
            { range: { start: { line: edit.line, character: 0 }, end: { line: edit.line, character: 0 } }, text: edit.insert },
          ],
        },
      });
      await Promise.race([diagnostics, timeout(EDIT_TIMEOUT_MS, `diagnostics after edit ${k}`)]);
      if (k >= warmup) latencies.push(performance.now() - t0);
    }
    const rss = peakRssMiB(child.pid);
    await Promise.race([request("shutdown", null), timeout(10_000, "shutdown")]).catch(() => undefined);
    send({ method: "exit" });
    await Promise.race([exited, timeout(10_000, "exit")]).catch(() => child.kill());
    return { available: true, ...summarise(latencies, { firstDiagnosticsMs, startupMs, ...opening, peakRssMiB: rss }) };
  } catch (error) {
    child.kill();
    throw new Error(`${error.message}\n${stderr.slice(-2000)}`);
  } finally {
    if (storagePath === undefined) fs.rmSync(storage, { recursive: true, force: true });
  }
}

const findingKey = (d) => JSON.stringify([d.code, d.range, d.message]);

/**
 * What the editor showed for the opened file until the workspace was analysed: the first publication after didOpen
 * (time, findings), the first one equal to the final set, and how many findings some publication dropped that an
 * earlier one showed (must be 0: a finding never appears, vanishes and reappears).
 */
function summariseOpening(publications) {
  if (publications.length === 0) return {};
  const last = JSON.stringify([...publications.at(-1).diagnostics].sort());
  const complete = publications.find((p) => JSON.stringify([...p.diagnostics].sort()) === last);
  let dropped = 0;
  for (let i = 1; i < publications.length; i++) {
    const later = new Set(publications[i].diagnostics);
    dropped += publications[i - 1].diagnostics.filter((d) => !later.has(d)).length;
  }
  return {
    openToFirstMs: publications[0].ms,
    openFirstFindings: publications[0].diagnostics.length,
    openToCompleteMs: complete.ms,
    openCompleteFindings: complete.diagnostics.length,
    openPublications: publications.length,
    openDroppedFindings: dropped,
  };
}

/** tsserver (the editor's TypeScript service): change → geterr → semanticDiag event for the edited file. */
async function measureTsserver({ projectDir, file, edits, warmup }) {
  const tsserver = path.join(REPO, "node_modules/typescript/lib/tsserver.js");
  const child = spawn(process.execPath, [tsserver, "--disableAutomaticTypingAcquisition", "--noGetErrOnBackgroundUpdate"], {
    cwd: projectDir,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const messages = waiter(STARTUP_TIMEOUT_MS, "tsserver");
  child.stdout.on(
    "data",
    frameReader((message) => messages.dispatch(message)),
  );
  const exited = new Promise((resolve) => child.on("exit", resolve));
  let seq = 0;
  const send = (command, args) => {
    seq++;
    child.stdin.write(`${JSON.stringify({ seq, type: "request", command, arguments: args })}\n`);
    return seq;
  };
  const isSemanticDiag = (m) => m.type === "event" && m.event === "semanticDiag" && path.resolve(m.body.file) === path.resolve(file);
  try {
    const started = performance.now();
    const text = fs.readFileSync(file, "utf8");
    // Loaded once it answers `configure`: the file is opened then, as the language server's is after `initialize`.
    const configured = messages.wait((m) => m.type === "response" && m.command === "configure");
    send("configure", { preferences: {}, hostInfo: "locksmith-bench" });
    await configured;
    const openedAt = performance.now();
    send("open", { file, fileContent: text, projectRootPath: projectDir, scriptKindName: "TS" });
    let diagnostics = messages.wait(isSemanticDiag);
    send("geterr", { files: [file], delay: 0 });
    const first = await diagnostics;
    const startupMs = performance.now() - started;
    const openToFirstMs = performance.now() - openedAt;
    const latencies = [];
    for (const [k, edit] of planEdits(text, warmup + edits).entries()) {
      diagnostics = messages.wait(isSemanticDiag);
      const t0 = performance.now();
      send("change", { file, line: edit.line + 1, offset: 1, endLine: edit.line + 1, endOffset: 1, insertString: edit.insert });
      send("geterr", { files: [file], delay: 0 });
      await Promise.race([diagnostics, timeout(EDIT_TIMEOUT_MS, `semanticDiag after edit ${k}`)]);
      if (k >= warmup) latencies.push(performance.now() - t0);
    }
    const rss = peakRssMiB(child.pid);
    send("exit", {});
    await Promise.race([exited, timeout(10_000, "exit")]).catch(() => child.kill());
    const opening = { openToFirstMs, openToCompleteMs: openToFirstMs, openFirstFindings: first.body.diagnostics.length };
    return { available: true, ...summarise(latencies, { firstDiagnosticsMs: startupMs, startupMs, ...opening, peakRssMiB: rss }) };
  } catch (error) {
    child.kill();
    throw new Error(`${error.message}\n${stderr.slice(-2000)}`);
  }
}

function timeout(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms).unref());
}

module.exports = { measureLocksmithServer, measureTsserver, planEdits };
