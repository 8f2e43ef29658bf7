/** What a bench section is, what it gets, what it gives back, and the Markdown table the rows end up in. */
import type { Database } from "../db/database.ts";

/** One line of the final table. `target` is "—" where there is none. */
export interface BenchRow {
  benchmark: string;
  result: string;
  target: string;
}

/** What every section is given. `metrics` carries figures from earlier sections to later ones (ratios). */
export interface BenchContext {
  /** The server's admin URL (for databases of a section's own, like pgbench's). */
  adminUrl: string;
  /** The URL of the migrated `kiln_bench` database. */
  url: string;
  /** A small pool on `kiln_bench` for setup and cleanup (not for the timed work). */
  db: Database;
  metrics: Map<string, number>;
}

/** A named, bounded measurement: `npm run bench -- <name>…` selects sections by name. */
export interface BenchSection {
  name: string;
  /** Shown on stderr when the section starts. */
  title: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** The rows as a Markdown table. */
export function markdownTable(rows: readonly BenchRow[]): string {
  const lines = [["benchmark", "result", "target"], ...rows.map((r) => [r.benchmark, r.result, r.target])];
  const widths = [0, 1, 2].map((c) => Math.max(...lines.map((l) => l[c].length)));
  const format = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(" | ")} |`;
  return [format(lines[0]), format(widths.map((w) => "-".repeat(w))), ...lines.slice(1).map(format)].join("\n");
}
