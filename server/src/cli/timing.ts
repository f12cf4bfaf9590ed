// `locksmith lint --timing`: where the time of a run went, per rule, in the spirit of ESLint's `TIMING=1`. Printed on
// stderr, so that machine-readable reports on stdout stay valid. Rules are timed without the type checker's creation
// (a line of its own: it is paid once, by whichever rule asks first).

/** The step that builds the Program: reading, parsing and resolving every file (before any rule runs). */
export const PROGRAM_TIMING = "(program: read, parse, resolve imports)";

/** The table: one line per timed step, slowest first, with its share of the total. */
export function formatTimings(steps: ReadonlyMap<string, number>): string {
  const rows = [...steps].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  const nameWidth = Math.max("Step".length, ...rows.map(([name]) => name.length));
  const time = (ms: number) => ms.toFixed(1);
  const timeWidth = Math.max("Time (ms)".length, ...rows.map(([, ms]) => time(ms).length));
  const share = (ms: number) => `${total > 0 ? ((100 * ms) / total).toFixed(1) : "0.0"}%`;
  const line = (name: string, ms: string, relative: string) =>
    `${name.padEnd(nameWidth)} | ${ms.padStart(timeWidth)} | ${relative.padStart(8)}`;
  return [
    line("Step", "Time (ms)", "Relative"),
    `${"-".repeat(nameWidth)} | ${"-".repeat(timeWidth - 1)}: | ${"-".repeat(7)}:`,
    ...rows.map(([name, ms]) => line(name, time(ms), share(ms))),
    "",
  ].join("\n");
}
