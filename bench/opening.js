// First diagnostics of an opened file: the language server and tsserver each start on a project and open one file,
// and the time from didOpen (tsserver: `open` + `geterr`, once it has loaded) to the file's first diagnostics is taken,
// on a large generated project and on a small one whose dependencies have heavy typings. Repetitions alternate the
// servers. For the language server also: how many findings its first publication had, when the file's complete
// findings arrived, and how many findings a publication dropped that an earlier one showed (must be none). The
// language server is measured twice per repetition: a first start (no findings kept from an earlier session), and a
// restart on the findings the first start kept (opening-cache.ts), nothing changed in between.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { measureLocksmithServer, measureTsserver } = require("./editor-latency");

const FIRST_DIAGNOSTICS_LIMIT_MS = 1000;

const stats = (values) => {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : { median: sorted[Math.floor((sorted.length - 1) / 2)], min: sorted[0], max: sorted.at(-1) };
};

/** `corpora`: [{ id, label, dir, files, lines, file (relative) }]. */
async function benchOpening(corpora, { locksmithRoot, reps, log }) {
  const out = [];
  for (const corpus of corpora) {
    const options = { locksmithRoot, projectDir: corpus.dir, file: path.join(corpus.dir, corpus.file), edits: 0, warmup: 0 };
    const runs = { locksmith: [], restart: [], tsserver: [] };
    for (let rep = 0; rep < reps; rep++) {
      const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-bench-storage-"));
      for (const [name, measure] of [
        ["locksmith", measureLocksmithServer],
        ["restart", measureLocksmithServer],
        ["tsserver", measureTsserver],
      ]) {
        try {
          const run = await measure({ ...options, storagePath });
          delete run.latencies;
          runs[name].push(run);
          log(`  opening ${corpus.id} #${rep + 1} ${name}: first diagnostics ${Math.round(run.openToFirstMs)} ms after open`);
        } catch (error) {
          runs[name].push({ error: error.message });
          log(`  opening ${corpus.id} #${rep + 1} ${name}: FAILED ${error.message.split("\n")[0]}`);
        }
      }
      fs.rmSync(storagePath, { recursive: true, force: true });
    }
    const ok = (list) => list.filter((r) => !r.error);
    const t = ok(runs.tsserver);
    const server = (list) => {
      const l = ok(list);
      return {
        first: stats(l.map((r) => r.openToFirstMs)),
        firstFindings: stats(l.map((r) => r.openFirstFindings)),
        complete: stats(l.map((r) => r.openToCompleteMs)),
        completeFindings: stats(l.map((r) => r.openCompleteFindings)),
        dropped: l.reduce((sum, r) => sum + (r.openDroppedFindings ?? 0), 0),
        failed: l.length < list.length,
      };
    };
    out.push({
      corpus: { id: corpus.id, label: corpus.label, files: corpus.files, lines: corpus.lines, file: corpus.file },
      runs,
      locksmith: server(runs.locksmith),
      restart: server(runs.restart),
      tsserver: { first: stats(t.map((r) => r.openToFirstMs)), failed: t.length < runs.tsserver.length },
    });
  }
  return out;
}

const ms = (v) => (v === undefined ? "–" : `${Math.round(v)} ms`);
const range = (s) => (s ? `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})` : "–");

function openingMarkdown(opening) {
  const lines = ["### First diagnostics of an opened file", ""];
  if (!opening) return [...lines, "Not measured in this run."];
  lines.push(
    "Each server started on the project, then the file opened: time from `didOpen` (tsserver: `open` + `geterr`, sent once it answered `configure`) to the file's first diagnostics; for the language server also to the file's complete findings (its file rules on the focused Program, then the project rules), and how many findings a later publication dropped (must be 0). Medians (min–max).",
    "",
    "| corpus | file | Locksmith started | first diagnostics | findings in them | complete findings | findings | findings dropped | tsserver: first semantic diagnostics |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const o of opening) {
    const findings = (s) => (s ? `${s.median}` : "–");
    for (const [how, l] of [
      ["first time", o.locksmith],
      ["again (findings kept)", o.restart],
    ])
      lines.push(
        `| ${o.corpus.label} (${o.corpus.files} files) | \`${o.corpus.file}\` | ${how} | ${range(l.first)} | ${findings(l.firstFindings)} | ${range(l.complete)} | ${findings(l.completeFindings)} | ${l.dropped} | ${range(o.tsserver.first)} |`,
      );
  }
  return lines;
}

/**
 * Targets: first diagnostics ≤ 1 s after didOpen on each corpus (with how many of the file's findings they held), on a
 * first start and on a restart; on a restart with nothing changed they hold all the file's findings; no finding
 * dropped on the way.
 */
function openingTargets(opening) {
  if (!opening) return [];
  return opening.flatMap((o) => {
    const tsserver = o.tsserver.first?.median;
    const targets = [];
    for (const [how, l] of [
      ["first start", o.locksmith],
      ["restart", o.restart],
    ]) {
      const first = l.first?.median;
      const held = `${l.firstFindings?.median ?? "–"} of ${l.completeFindings?.median ?? "–"} findings in them`;
      targets.push(
        {
          name: `First diagnostics after didOpen, ${how}, ${o.corpus.label} (${held}; tsserver's first semantic diagnostics ${tsserver === undefined ? "–" : `${(tsserver / 1000).toFixed(2)} s`})`,
          limit: "≤ 1 s",
          text: first === undefined ? "–" : `${(first / 1000).toFixed(2)} s`,
          met: first === undefined ? undefined : first <= FIRST_DIAGNOSTICS_LIMIT_MS,
        },
        { name: `Findings dropped after being shown, ${how}, ${o.corpus.label}`, limit: "0", text: `${l.dropped}`, met: l.dropped === 0 },
      );
    }
    const r = o.restart;
    const complete = r.firstFindings !== undefined && r.firstFindings.min === r.completeFindings?.max;
    targets.push({
      name: `All the file's findings in the first diagnostics of a restart, ${o.corpus.label}`,
      limit: "all",
      text: `${r.firstFindings?.min ?? "–"} of ${r.completeFindings?.max ?? "–"}`,
      met: r.firstFindings === undefined ? undefined : complete,
    });
    return targets;
  });
}

module.exports = { benchOpening, openingMarkdown, openingTargets };
