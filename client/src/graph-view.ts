// Renders the server's lock-order graph as static HTML for a webview: locks on a circle, an arrow from the lock held
// to the lock taken while holding it, cycles (possible deadlocks) in red, and the list of edges with where they
// arise. Presentation only: the graph and its cycles come from the server. No scripts (the webview runs none).

import type { GraphEdge, GraphLocation, GraphNode, LockOrderGraph } from "../../server/src/lsp/protocol";

/** What the page shows of the server's `LockOrderGraphResult` (tests build one by hand). */
type NodeShown = Pick<GraphNode, "id" | "label" | "kind" | "inCycle">;
type EdgeShown = Pick<GraphEdge, "from" | "to" | "kind" | "inCycle" | "description"> & { site: Pick<GraphLocation, "file" | "start"> };
export interface GraphPage {
  projects: Array<{ project: string; graph: { nodes: NodeShown[]; edges: EdgeShown[]; cycles: LockOrderGraph["cycles"] } }>;
}

const CYCLE = "#e5484d";
const NORMAL = "#8b8d98";

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function svgOf(nodes: NodeShown[], edges: EdgeShown[]): string {
  const size = Math.max(320, 120 + nodes.length * 50);
  const radius = size / 2 - 80;
  const at = new Map(
    nodes.map((node, i) => {
      const angle = (2 * Math.PI * i) / Math.max(nodes.length, 1) - Math.PI / 2;
      return [node.id, { x: round(size / 2 + radius * Math.cos(angle)), y: round(size / 2 + radius * Math.sin(angle)) }];
    }),
  );
  const lines = edges.map((edge) => {
    const from = at.get(edge.from);
    const to = at.get(edge.to);
    if (!from || !to) return "";
    const color = edge.inCycle ? CYCLE : NORMAL;
    const marker = edge.inCycle ? "arrow-cycle" : "arrow";
    if (edge.from === edge.to) {
      return `<path d="M ${from.x - 10} ${from.y - 14} C ${from.x - 40} ${from.y - 70}, ${from.x + 40} ${from.y - 70}, ${from.x + 10} ${from.y - 14}" fill="none" stroke="${color}" stroke-width="2" marker-end="url(#${marker})"><title>${escape(edge.description)}</title></path>`;
    }
    // Bend each edge to its right, so the two edges of an inversion (a → b and b → a, the usual deadlock) stay
    // apart, and stop short of the target circle so the arrow head stays visible.
    const dx = to.x - from.x;
    const dy = to.y - from.y;
    const length = Math.hypot(dx, dy) || 1;
    const control = { x: (from.x + to.x) / 2 - (dy / length) * 30, y: (from.y + to.y) / 2 + (dx / length) * 30 };
    const toControl = Math.hypot(control.x - to.x, control.y - to.y) || 1;
    const end = { x: to.x + ((control.x - to.x) / toControl) * 16, y: to.y + ((control.y - to.y) / toControl) * 16 };
    return `<path d="M ${from.x} ${from.y} Q ${round(control.x)} ${round(control.y)}, ${round(end.x)} ${round(end.y)}" fill="none" stroke="${color}" stroke-width="2" marker-end="url(#${marker})"><title>${escape(edge.description)}</title></path>`;
  });
  const circles = nodes.map((node) => {
    const { x, y } = at.get(node.id)!;
    const color = node.inCycle ? CYCLE : NORMAL;
    return `<g class="node${node.inCycle ? " cycle" : ""}"><circle cx="${x}" cy="${y}" r="12" fill="${color}" /><text x="${x}" y="${y + 30}" text-anchor="middle">${escape(node.label)}</text></g>`;
  });
  const arrow = (id: string, color: string) =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${color}" /></marker>`;
  return `<svg width="${size}" height="${size}" viewBox="0 0 ${size} ${size}"><defs>${arrow("arrow", NORMAL)}${arrow("arrow-cycle", CYCLE)}</defs>${lines.join("")}${circles.join("")}</svg>`;
}

export function lockOrderGraphHtml(result: GraphPage, relative: (file: string) => string): string {
  const sections = result.projects.map(({ project, graph }) => {
    const label = new Map(graph.nodes.map((n) => [n.id, n.label]));
    const cycles = graph.cycles.map(
      (c) =>
        `<li class="cycle">${c.nodes.map((id) => escape(label.get(id) ?? id)).join(" → ")} → ${escape(label.get(c.nodes[0]!) ?? "")}</li>`,
    );
    const edges = graph.edges.map(
      (e) =>
        `<li class="${e.inCycle ? "cycle" : ""}">${escape(e.description)} <span class="where">${escape(relative(e.site.file))}:${e.site.start.line + 1}</span></li>`,
    );
    return `<section><h2>${escape(relative(project))}</h2>
${graph.nodes.length === 0 ? "<p>No locks taken while another is held.</p>" : svgOf(graph.nodes, graph.edges)}
${cycles.length > 0 ? `<h3>Cycles (possible deadlocks)</h3><ul>${cycles.join("")}</ul>` : "<p>No cycles: every path takes the locks in one order.</p>"}
${edges.length > 0 ? `<h3>Lock order</h3><ul>${edges.join("")}</ul>` : ""}
</section>`;
  });
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';">
<style>body{font-family:var(--vscode-font-family);color:var(--vscode-foreground)} text{fill:var(--vscode-foreground);font-size:12px} .cycle{color:${CYCLE}} .where{opacity:.7}</style>
</head><body><h1>Lock order graph</h1>${sections.join("") || "<p>No project found.</p>"}</body></html>`;
}
