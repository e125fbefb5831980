/**
 * Tables for the console and for docs/benchmarks.md: one Markdown rendering, padded so it also
 * reads well as plain text.
 */

export type Align = "left" | "right";

export interface Table {
  /** Shown above the table. */
  title: string;
  headers: string[];
  rows: string[][];
  /** Per column; default: first column left, the others right (figures). */
  align?: Align[];
}

/** A padded GitHub-flavoured Markdown table (pipes in cells are escaped). */
export function renderMarkdownTable(table: Table): string {
  const columns = table.headers.length;
  for (const [index, row] of table.rows.entries()) {
    if (row.length !== columns) {
      throw new Error(
        `table "${table.title}": row ${index} has ${row.length} cells, expected ${columns}`,
      );
    }
  }
  const align = table.headers.map(
    (_, column) => table.align?.[column] ?? (column === 0 ? "left" : "right"),
  );
  const escapePipes = (cell: string) => cell.replaceAll("|", "\\|");
  const cells = [table.headers, ...table.rows].map((row) => row.map(escapePipes));
  const widths = table.headers.map((_, column) =>
    Math.max(3, ...cells.map((row) => (row[column] as string).length)),
  );
  const line = (row: string[]) =>
    `| ${row
      .map((cell, column) => {
        const width = widths[column] as number;
        return align[column] === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(" | ")} |`;
  const rule = `| ${widths
    .map((width, column) =>
      align[column] === "right" ? `${"-".repeat(width - 1)}:` : "-".repeat(width),
    )
    .join(" | ")} |`;
  const [header, ...body] = cells;
  return [line(header as string[]), rule, ...body.map(line)].join("\n");
}
