import { describe, expect, it } from "vitest";
import {
  GENERATED_MARKER,
  headerFrom,
  renderDocument,
  renderMarkdownTable,
} from "../../../bench/lib/report.js";

const env = {
  date: "2026-11-26T00:00:00.000Z",
  machine: "Test CPU, 2 CPUs, 4 GiB, Linux (x64)",
  cpus: 2,
  node: "v20.0.0",
  java: "openjdk 17",
  loadAverage: [0.5, 0.4, 0.3],
};

describe("headerFrom", () => {
  it("keeps the hand-written text above the generated marker", () => {
    const existing = `# Mine\n\nMethod notes.\n\n${GENERATED_MARKER}\n\nold figures\n`;
    expect(headerFrom(existing)).toBe("# Mine\n\nMethod notes.");
  });

  it("falls back to a default header when there is no file or no marker", () => {
    expect(headerFrom(undefined)).toMatch(/^# Benchmarks/);
    expect(headerFrom("# Someone's notes without a marker")).toMatch(/^# Benchmarks/);
  });
});

describe("renderDocument", () => {
  it("puts the header, the marker, the run's machine and a targets summary before the sections", () => {
    const text = renderDocument(
      "# Mine",
      env,
      { durationSeconds: 90, loadAverageAtEnd: [1, 1, 1] },
      [
        {
          title: "9. Example",
          tables: [{ title: "t", headers: ["a", "b"], rows: [["x", "1"]] }],
          targets: [{ target: "b ≤ 2", measured: "1", met: true }],
          notes: ["A note."],
        },
      ],
      [],
    );
    const order = [
      "# Mine",
      GENERATED_MARKER,
      "Test CPU, 2 CPUs, 4 GiB",
      "## Targets",
      "b ≤ 2",
      "## 9. Example",
      "- A note.",
    ];
    const positions = order.map((part) => text.indexOf(part));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("lists benchmarks that failed", () => {
    const text = renderDocument(
      "# Mine",
      env,
      { durationSeconds: 1, loadAverageAtEnd: [0, 0, 0] },
      [],
      ["cost: timed out"],
    );
    expect(text).toContain("- cost: timed out");
  });
});

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
