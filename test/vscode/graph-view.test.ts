// The lock-order graph view: the HTML/SVG the extension puts in its webview, generated from the server's graph JSON
// (client/src/graph-view.ts is a pure function, so no VS Code is needed).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { lockOrderGraphHtml, type GraphPage } from "../../client/src/graph-view";
import { lockOrderGraph } from "../../server/src/lsp/lock-order-graph";
import type { GraphEdge } from "../../server/src/lsp/protocol";
import { Workspace } from "../../server/src/lsp/projects";
import { RULES } from "../../rules/index";
import { REPO_ROOT } from "../lsp/harness";

const RED = "#e5484d";
const GREY = "#8b8d98";

const at = (file: string, line: number) => ({ file, start: { line, character: 4 } });
const edge = (from: string, to: string, kind: GraphEdge["kind"], inCycle: boolean, description: string, line: number) => ({
  from,
  to,
  kind,
  inCycle,
  description,
  site: at("/repo/src/bank.ts", line),
});

/** a ⇄ b (an inversion), b → c (no cycle), c re-entered (a self-loop); c's label needs escaping. */
const GRAPH: GraphPage = {
  projects: [
    {
      project: "/repo/tsconfig.json",
      graph: {
        nodes: [
          { id: "A", label: "ledgerLock", kind: "mutex", inCycle: true },
          { id: "B", label: "auditLock", kind: "mutex", inCycle: true },
          { id: "C", label: 'locks["<x>"]', kind: "keyed-lock", inCycle: true },
          { id: "D", label: "cacheLock", kind: "mutex", inCycle: false },
        ],
        edges: [
          edge("A", "B", "order", true, "post holds ledgerLock and calls recordAudit, which acquires auditLock", 12),
          edge("B", "A", "order", true, "flushAudit acquires ledgerLock while holding auditLock", 15),
          edge("B", "D", "order", false, "flushAudit acquires cacheLock while holding auditLock", 20),
          edge("C", "C", "reentry", true, "refresh acquires locks again while holding it", 31),
        ],
        cycles: [{ nodes: ["A", "B"] }, { nodes: ["C"] }],
      },
    },
  ],
};

const relative = (file: string) => path.relative("/repo", file);

function attributes(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** The edges drawn: path data, colour, arrow head and tooltip, in order (the arrow-head definitions left out). */
function drawnEdges(html: string) {
  return [...html.matchAll(/<path ([^>]*)><title>([^<]*)<\/title><\/path>/g)].map((m) => {
    const { d, stroke, "marker-end": marker } = attributes(m[1]!);
    return { d: d!, stroke, marker, title: m[2] };
  });
}

function drawnNodes(html: string) {
  return [...html.matchAll(/<g class="([^"]*)"><circle ([^>]*)\/><text [^>]*>([^<]*)<\/text><\/g>/g)].map((m) => {
    const { cx, cy, fill } = attributes(m[2]!);
    return { className: m[1], x: Number(cx), y: Number(cy), fill, label: m[3] };
  });
}

describe("lock-order graph view", () => {
  const html = lockOrderGraphHtml(GRAPH, relative);

  test("is a static page: no scripts, a content security policy that allows none", () => {
    assert.doesNotMatch(html, /<script/i);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';">/);
  });

  test("draws every lock on a circle, locks on a cycle in red, labels escaped", () => {
    assert.deepEqual(drawnNodes(html), [
      { className: "node cycle", x: 160, y: 80, fill: RED, label: "ledgerLock" },
      { className: "node cycle", x: 240, y: 160, fill: RED, label: "auditLock" },
      { className: "node cycle", x: 160, y: 240, fill: RED, label: "locks[&#34;&#60;x&#62;&#34;]" },
      { className: "node", x: 80, y: 160, fill: GREY, label: "cacheLock" },
    ]);
  });

  test("draws every edge with its description; edges on a cycle in red with the red arrow head", () => {
    assert.deepEqual(
      drawnEdges(html).map(({ stroke, marker, title }) => [title, stroke, marker]),
      [
        ["post holds ledgerLock and calls recordAudit, which acquires auditLock", RED, "url(#arrow-cycle)"],
        ["flushAudit acquires ledgerLock while holding auditLock", RED, "url(#arrow-cycle)"],
        ["flushAudit acquires cacheLock while holding auditLock", GREY, "url(#arrow)"],
        ["refresh acquires locks again while holding it", RED, "url(#arrow-cycle)"],
      ],
    );
    assert.match(html, /<marker id="arrow-cycle" [^>]*><path d="M 0 0 L 10 5 L 0 10 z" fill="#e5484d" \/><\/marker>/);
    assert.match(html, /<marker id="arrow" [^>]*><path d="M 0 0 L 10 5 L 0 10 z" fill="#8b8d98" \/><\/marker>/);
  });

  test("the two edges of an inversion bend apart and end short of their target", () => {
    const [ab, ba] = drawnEdges(html)
      .slice(0, 2)
      .map((e) =>
        e.d
          .match(/^M ([\d.]+) ([\d.]+) Q ([\d.]+) ([\d.]+), ([\d.]+) ([\d.]+)$/)!
          .slice(1)
          .map(Number),
      );
    // a = (160, 80), b = (240, 160): each curve's control point lies 30 px to its right of the chord's middle (200, 120).
    assert.deepEqual(ab!.slice(0, 4), [160, 80, 178.8, 141.2]);
    assert.deepEqual(ba!.slice(0, 4), [240, 160, 221.2, 98.8]);
    assert.ok(Math.abs(Math.hypot(ab![4]! - 240, ab![5]! - 160) - 16) < 0.2, "a → b ends 16 px before b");
    assert.ok(Math.abs(Math.hypot(ba![4]! - 160, ba![5]! - 80) - 16) < 0.2, "b → a ends 16 px before a");
  });

  test("lists the cycles and the lock order with workspace-relative, 1-based locations", () => {
    assert.match(html, /<h2>tsconfig\.json<\/h2>/);
    assert.match(
      html,
      /<h3>Cycles \(possible deadlocks\)<\/h3><ul><li class="cycle">ledgerLock → auditLock → ledgerLock<\/li><li class="cycle">locks\[&#34;&#60;x&#62;&#34;\] → locks\[&#34;&#60;x&#62;&#34;\]<\/li><\/ul>/,
    );
    assert.deepEqual(
      [...html.matchAll(/<li class="([^"]*)">([^<]*) <span class="where">([^<]*)<\/span><\/li>/g)].map((m) => [m[1], m[3]]),
      [
        ["cycle", "src/bank.ts:13"],
        ["cycle", "src/bank.ts:16"],
        ["", "src/bank.ts:21"],
        ["cycle", "src/bank.ts:32"],
      ],
    );
  });

  test("says so when there is no lock order, no cycle or no project", () => {
    const empty = lockOrderGraphHtml(
      { projects: [{ project: "/repo/tsconfig.json", graph: { nodes: [], edges: [], cycles: [] } }] },
      relative,
    );
    assert.match(empty, /<p>No locks taken while another is held\.<\/p>/);
    assert.match(empty, /<p>No cycles: every path takes the locks in one order\.<\/p>/);
    assert.doesNotMatch(empty, /<svg/);
    assert.match(lockOrderGraphHtml({ projects: [] }, relative), /<p>No project found\.<\/p>/);
  });

  test("renders the server's graph of the bank example with its cross-file inversion in red", () => {
    const workspace = new Workspace(RULES, (message) => assert.fail(message));
    workspace.setFolders([path.join(REPO_ROOT, "examples")]);
    const result = lockOrderGraph(workspace, path.join(REPO_ROOT, "examples", "src", "bank", "audit.ts"));
    const page = lockOrderGraphHtml(result, (file) => path.relative(path.join(REPO_ROOT, "examples"), file));
    assert.match(page, /<li class="cycle">auditLock → ledgerLock → auditLock<\/li>/);
    const red = drawnNodes(page)
      .filter((n) => n.fill === RED)
      .map((n) => n.label);
    assert.ok(red.includes("auditLock") && red.includes("ledgerLock"), `red nodes: ${red.join(", ")}`);
  });
});
