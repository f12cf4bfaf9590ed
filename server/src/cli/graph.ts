// `locksmith graph [paths..] [-p tsconfig] [--format dot|mermaid|json]`: prints the project's lock-order graph.
// Nodes are lock classes, edges carry the source location of the acquisition, cycles are highlighted.
import * as path from "node:path";
import {
  buildLockOrderGraph,
  type GraphEdge,
  type GraphLocation,
  type GraphNode,
  type LockOrderGraph,
} from "../analysis/lock-order/export";
import { RULES } from "../../../rules/index";
import { reportProject } from "./session";
import { UsageError, projectReportArgs, type CliIo } from "./io";

export const GRAPH_HELP = `Usage: locksmith graph [paths..] [options]

Prints the lock-order graph: an edge A -> B for each place where lock B is acquired while A is held.

Options:
  -p, --project <tsconfig|glob>       Load the project from this tsconfig (repeatable: one program)
  -f, --format <dot|mermaid|json>     Output format (default: dot)
  -h, --help                          Show this help`;

type Renderer = (graph: LockOrderGraph, cwd: string) => string;

export const GRAPH_FORMATS: Record<string, Renderer> = {
  dot: renderDot,
  mermaid: renderMermaid,
  json: (graph) => `${JSON.stringify(graph, null, 2)}\n`,
};

export async function runGraph(argv: string[], io: CliIo): Promise<number> {
  const args = projectReportArgs("graph", argv, "dot", GRAPH_HELP, io);
  if (!args) return 0;
  const render = GRAPH_FORMATS[args.format];
  if (!render) throw new UsageError(`unknown graph format "${args.format}" (expected one of: ${Object.keys(GRAPH_FORMATS).join(", ")})`);
  const { session, program, sourceFiles } = reportProject(RULES, args, io.cwd);
  io.stdout(render(buildLockOrderGraph(program, sourceFiles, session.declaredLocksFor), io.cwd));
  return 0;
}

function where(location: GraphLocation, cwd: string): string {
  return `${relative(location.file, cwd)}:${location.start.line + 1}`;
}

/** Node ids that are valid in both DOT and Mermaid, in drawing order. */
function shortIds(nodes: readonly GraphNode[]): Map<string, string> {
  return new Map(nodes.map((node, i) => [node.id, `n${i}`]));
}

/** The nodes worth drawing: those with an edge (a lock never nested with another says nothing about order). */
function drawnNodes(graph: LockOrderGraph): GraphNode[] {
  const linked = new Set(graph.edges.flatMap((e) => [e.from, e.to]));
  return graph.nodes.filter((n) => linked.has(n.id));
}

/** A node's label, with its file when another drawn node has the same label. */
function nodeLabels(nodes: readonly GraphNode[], cwd: string): Map<string, string> {
  const count = new Map<string, number>();
  for (const node of nodes) count.set(node.label, (count.get(node.label) ?? 0) + 1);
  return new Map(
    nodes.map((node) => [node.id, count.get(node.label)! > 1 && node.file ? `${node.label} (${relative(node.file, cwd)})` : node.label]),
  );
}

function relative(file: string, cwd: string): string {
  return path.relative(cwd, file).split(path.sep).join("/");
}

function edgeLabel(edge: GraphEdge, cwd: string): string {
  const kind = edge.kind === "order" ? "" : ` (${edge.kind})`;
  return `${where(edge.site, cwd)}${kind}`;
}

function renderDot(graph: LockOrderGraph, cwd: string): string {
  const quote = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
  const lines = [
    "digraph lock_order {",
    "  rankdir=LR;",
    '  node [shape=box, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  const nodes = drawnNodes(graph);
  const labels = nodeLabels(nodes, cwd);
  const ids = shortIds(nodes);
  for (const node of nodes) {
    const style = node.inCycle ? ", color=red, fontcolor=red, penwidth=2" : "";
    lines.push(`  ${ids.get(node.id)} [label=${quote(`${labels.get(node.id)}\n(${node.kind})`)}${style}];`);
  }
  for (const edge of graph.edges) {
    const style = edge.inCycle ? ", color=red, fontcolor=red, penwidth=2" : "";
    lines.push(
      `  ${ids.get(edge.from)} -> ${ids.get(edge.to)} [label=${quote(edgeLabel(edge, cwd))}, tooltip=${quote(edge.description)}${style}];`,
    );
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function renderMermaid(graph: LockOrderGraph, cwd: string): string {
  // Mermaid labels are quoted; a double quote inside is written as an entity.
  const quote = (text: string) => `"${text.replace(/"/g, "#quot;")}"`;
  const lines = ["flowchart LR"];
  const nodes = drawnNodes(graph);
  const labels = nodeLabels(nodes, cwd);
  const ids = shortIds(nodes);
  for (const node of nodes) lines.push(`  ${ids.get(node.id)}[${quote(`${labels.get(node.id)} (${node.kind})`)}]`);
  const cycleLinks: number[] = [];
  graph.edges.forEach((edge, i) => {
    lines.push(`  ${ids.get(edge.from)} -->|${quote(edgeLabel(edge, cwd))}| ${ids.get(edge.to)}`);
    if (edge.inCycle) cycleLinks.push(i);
  });
  const cycleNodes = nodes.filter((n) => n.inCycle).map((n) => ids.get(n.id)!);
  if (cycleNodes.length > 0) {
    lines.push("  classDef cycle stroke:#d00,stroke-width:2px,color:#d00;");
    lines.push(`  class ${cycleNodes.join(",")} cycle;`);
  }
  if (cycleLinks.length > 0) lines.push(`  linkStyle ${cycleLinks.join(",")} stroke:#d00,stroke-width:2px;`);
  return `${lines.join("\n")}\n`;
}
