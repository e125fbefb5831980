import { describe, expect, it } from "vitest";
import { renderMarkdownTable } from "../../../bench/lib/table.js";

describe("renderMarkdownTable", () => {
  it("pads columns and right-aligns figures after the first column", () => {
    const text = renderMarkdownTable({
      title: "t",
      headers: ["path", "p50"],
      rows: [
        ["floor", "1.5"],
        ["receiver", "12.25"],
      ],
    });
    expect(text.split("\n")).toEqual([
      "| path     |   p50 |",
      "| -------- | ----: |",
      "| floor    |   1.5 |",
      "| receiver | 12.25 |",
    ]);
  });

  it("escapes pipes inside cells", () => {
    const text = renderMarkdownTable({ title: "t", headers: ["a"], rows: [["x|y"]] });
    expect(text).toContain("x\\|y");
  });

  it("refuses a row with the wrong number of cells, naming the table", () => {
    expect(() =>
      renderMarkdownTable({ title: "sizes", headers: ["a", "b"], rows: [["1"]] }),
    ).toThrow(/table "sizes": row 0 has 1 cells, expected 2/);
  });
});
