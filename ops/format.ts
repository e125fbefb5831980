/**
 * Text output for people: aligned tables with a clear empty state, and section headings.
 * (bench/lib/table.ts renders Markdown for docs; a terminal reads better without pipes.)
 */

export interface TextTable {
  headers: string[];
  rows: string[][];
  /** Columns aligned right (figures); the others are left-aligned. */
  numeric?: number[];
  /** Shown instead of the table when there are no rows. */
  empty: string;
}

const INDENT = "  ";

/** A table whose columns are padded to their widest cell, indented under a heading. */
export function renderTable(table: TextTable): string {
  if (table.rows.length === 0) return `${INDENT}${table.empty}`;
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return table.numeric?.includes(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [table.headers, ...table.rows].map((row) => `${INDENT}${line(row)}`).join("\n");
}

/** A heading line followed by its body, the way every command groups its output. */
export function section(heading: string, body: string): string {
  return `${heading}\n${body}`;
}

/** One placeholder for a value that does not exist (as opposed to one that is zero). */
export const NONE = "—";
