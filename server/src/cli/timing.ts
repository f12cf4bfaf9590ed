// `locksmith lint --timing`: where the time of a run went, per rule, in the spirit of ESLint's `TIMING=1`. Printed on
// stderr, so that machine-readable reports on stdout stay valid. Rules are timed without the type checker's creation
// (a line of its own: it is paid once, by whichever rule asks first). Each step shows its wall-clock time and its CPU
// time (user + system): on a busy machine the wall clock counts other processes' turns, the CPU only this run's work.
import type { StepTime } from "../engine/linter";

/** The step that builds the Program: reading, parsing and resolving every file (before any rule runs). */
export const PROGRAM_TIMING = "(program: read, parse, resolve imports)";

/**
 * The table: one line per timed step, slowest (on the wall clock) first, with its share of the total wall time;
 * `note` is a line printed under it.
 */
export function formatTimings(steps: ReadonlyMap<string, StepTime>, note?: string): string {
  const rows = [...steps].sort((a, b) => b[1].wallMs - a[1].wallMs || a[0].localeCompare(b[0]));
  const total = rows.reduce((sum, [, time]) => sum + time.wallMs, 0);
  const ms = (value: number) => value.toFixed(1);
  const share = (value: number) => `${total > 0 ? ((100 * value) / total).toFixed(1) : "0.0"}%`;
  const cells = [
    ["Step", "Wall (ms)", "CPU (ms)", "Relative"],
    ...rows.map(([name, time]) => [name, ms(time.wallMs), ms(time.cpuMs), share(time.wallMs)]),
  ];
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join(" | ");
  const separator = widths.map((width, column) => (column === 0 ? "-".repeat(width) : `${"-".repeat(width - 1)}:`)).join(" | ");
  return [line(cells[0]!), separator, ...cells.slice(1).map(line), ...(note ? [note] : []), ""].join("\n");
}
